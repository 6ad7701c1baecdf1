"""The coordinator's I/O shell: one per market (supervisord ``market:<name>``).

config -> Node -> core (``Coordinator``, pure, built by ``setup.build``) and ``Holding`` (which market,
its lease and state) -> handler table -> timers -> run -> close. Every output is an ``Effects`` performed
by ``Node.apply`` (pushes first). A clean stop withdraws its quotes. A risk halt is kept in a file
(``halt_file``) whenever it changes, and taken up again at start.
Hot path: a ``Book`` whose top moved marks the core dirty; once the loop has drained the wake-up's
messages, ``on_drained`` lets the core decide once and pushes the commands back to back (a re-quote is a
single ``PlaceOrder``), before the wake-up's log lines. Inputs that change nothing the decision reads (a
depth-only book, an update of an order no slot holds, ...) do not decide again; time-based changes are
caught by ``Coordinator.next_change`` and the ``PM_EVALUATE_MS`` timer. Market resolution runs off the
loop (``bus.bridge.Bridge``); its result is picked up each second.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from actors.coordinator import decide_cli, reward_shell, setup
from actors.coordinator.config import CoordinatorConfig, FollowConfig, NeutralConfig, RiskConfig
from actors.coordinator.core import EXEC_PIPE, Coordinator
from actors.coordinator.follow_file import FollowFile
from actors.coordinator.follow_file import default_path as follow_path
from actors.coordinator.halt_file import HaltFile, default_path
from actors.coordinator.holding import Holding, Resubscribe
from actors.coordinator.resolver import gamma_resolver
from actors.coordinator.rotation import Rotation
from actors.coordinator.strategies.follow import Follow
from bus import topics
from bus.bridge import Bridge
from bus.config import describe, load_or_exit
from bus.effects import Effects
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import (
    Book,
    FeedStatus,
    FollowAbort,
    FollowStart,
    Halt,
    Heartbeat,
    InventoryState,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    Resume,
    RiskEvent,
    TickSizeChange,
    UserFeedStatus,
)
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.config import MarketsConfig


class Shell:
    def __init__(self, cfg: CoordinatorConfig, core: Coordinator, node: Node, rotation: Rotation,
                 halts: HaltFile, rounds: FollowFile | None = None) -> None:
        self.node, self.now, self.core, self.halts, self.rounds = node, node.clock, core, halts, rounds
        c, self.holding = core, Holding(cfg, core, rotation)
        problem = halts.restore(c.risk, self.now())
        if problem or c.risk.halt is not None:
            node.log.warning("halt_restored", path=str(halts.path), halt=c.risk.record(), problem=problem)
        self.saved = c.risk.halt
        self.follow = c.strategy.machine if isinstance(c.strategy, Follow) else None
        if self.follow is not None and rounds is not None:
            record, problem = rounds.load()
            if record is not None:
                self.follow.restore(record)
                c.cancel_on_start = True  # the killed run's orders may still rest: cancelled first
            if record is not None or problem:
                node.log.warning("follow_restored", path=str(rounds.path), record=record, problem=problem)
        self.follow_saved = self.follow.version if self.follow is not None else 0
        self.fx = Effects()  # what this wake-up's messages and decision produce; performed by flush()
        fx, now = self.fx, self.now
        self.on_message = Dispatcher({
            Book: lambda t, h, m: c.on_book(m),
            FeedStatus: lambda t, h, m: c.on_feed_status(m),
            TickSizeChange: lambda t, h, m: c.on_tick_change(m),
            InventoryState: lambda t, h, m: c.on_inventory(m, now()),
            OfiState: lambda t, h, m: c.on_ofi(m, now()),
            Heartbeat: lambda t, h, m: c.on_heartbeat(h.src, now()),
            OrderPlaced: lambda t, h, m: c.on_placed(m),
            OrderFailed: lambda t, h, m: c.on_failed(m, now(), fx),
            OrderCancelled: lambda t, h, m: c.on_cancelled(m),
            OrderUpdate: lambda t, h, m: c.on_order_update(m),
            UserFeedStatus: lambda t, h, m: c.on_user_status(m, now()),
            RiskEvent: lambda t, h, m: c.on_risk(m, fx),
            Resume: lambda t, h, m: c.on_ctl(m, now(), fx),
            Halt: lambda t, h, m: c.on_ctl(m, now(), fx),
            FollowStart: lambda t, h, m: c.on_ctl(m, now(), fx),
            FollowAbort: lambda t, h, m: c.on_ctl(m, now(), fx),
        }, node.log)

    def flush(self, resubscribe: Resubscribe | None = None) -> None:
        """Perform what the core asked for: subscription changes, then ``Node.apply`` (pushes first)."""
        if resubscribe is not None:
            for prefix in resubscribe.drop:
                self.node.unsubscribe(prefix)
            for prefix in resubscribe.add:
                self.node.subscribe(prefix)
        fx = self.fx
        if fx.pushes or fx.publishes or fx.notes:
            self.node.apply(fx)
            fx.clear()
        if self.core.risk.halt is not self.saved:
            self.saved = self.core.risk.halt
            self.halts.save(self.core.risk.record())
        f = self.follow
        if f is not None and f.version != self.follow_saved and self.rounds is not None:
            self.follow_saved = f.version
            self.rounds.save(f.record())

    def on_drained(self) -> None:
        """The hot path (book -> commands): one decision per wake-up, if something changed."""
        self.core.decide(self.now(), self.fx)
        self.flush()

    def act(self, now: int) -> None:
        """The ``PM_EVALUATE_MS`` timer: decide now, whether or not an input changed."""
        self.core.act(now, self.fx)
        self.flush()

    def every_second(self, now: int) -> None:
        self.flush(self.holding.every_second(now, self.fx))

    def stop(self) -> None:
        """Clean stop: withdraw every quote of this coordinator (PUSH lingers until delivered)."""
        self.holding.stop(self.now(), self.fx)
        self.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actors.coordinator")
    parser.add_argument("--decide", metavar="FILE", help="print the commands the strategy would issue")
    args = parser.parse_args(argv)
    if args.decide:
        return decide_cli.run(args.decide)
    cfg = load_or_exit(CoordinatorConfig, "coordinator")
    program = topics.coordinator_program(cfg.holder)
    log = Logger(program)
    neutral, risk = load_or_exit(NeutralConfig, program), load_or_exit(RiskConfig, program)
    bus = load_or_exit(BusConfig, program)
    venue = load_or_exit(VenueEndpoints, program)
    markets = load_or_exit(MarketsConfig, program)
    cfg, rewards = reward_shell.prepare(cfg, bus, program, log)  # a rewards slot: its market, once named
    risk = rewards.risk(risk) if rewards else risk
    resolve = gamma_resolver(venue, cfg, markets)  # config first
    follow = load_or_exit(FollowConfig, program) if cfg.strategy == "follow" else None
    core = setup.build_or_exit(cfg, neutral, risk, program, follow, rewards.strategy if rewards else None)
    log.info("config", **describe(cfg), venue=venue.venue, risk=describe(risk),
             **({"neutral": describe(neutral)} if cfg.strategy == "neutral" else {}),
             **({"follow": describe(follow)} if follow is not None else {}))
    node = Node(program, bus, subscriptions=[topics.prefix("sys", "hb"), topics.exec_event(cfg.holder),
                                             topics.user_status(), topics.prefix("risk", "event"),
                                             topics.ctl_cmd(cfg.holder),
                                             *([reward_shell.SUBSCRIPTION] if rewards else [])],
                push_connect={EXEC_PIPE: bus.command_endpoint}, log=log)
    core.orders.run = node.run_id  # command ids name this run
    bridge = Bridge("coordinator").attach(node)
    halts = HaltFile(Path(cfg.halt_file) if cfg.halt_file else default_path(bus.run_dir, cfg.holder))
    rounds = None
    if follow is not None:
        kept = Path(follow.state_file) if follow.state_file else follow_path(bus.run_dir, cfg.holder)
        rounds = FollowFile(kept)
    shell = Shell(cfg, core, node, Rotation(cfg.market_slug, resolve, submit=bridge.submit), halts, rounds)
    if rewards is not None:
        rewards.attach(shell, node)
    node.every(cfg.evaluate_ms, shell.act)
    node.every(1000, shell.every_second)
    shell.every_second(time.time_ns())
    try:
        return node.run(shell.on_message, on_drained=shell.on_drained)
    finally:
        shell.stop()
        node.close()
        bridge.close()
