"""The coordinator's I/O shell: one per market (supervisord ``market:<name>``).

config -> Node -> core (``Coordinator``, pure) and ``Holding`` (which market, its lease and state) ->
handler table -> timers -> run -> close. Every output is an ``Effects`` performed by ``Node.apply``
(pushes first). A clean stop withdraws its quotes.

Hot path: a ``Book`` whose top moved marks the core dirty; once the loop has drained the wake-up's
messages, ``on_drained`` lets the core decide once and pushes the commands back to back (a re-quote is a
single ``PlaceOrder``), before the wake-up's log lines. Inputs that change nothing the decision reads (a
depth-only book, an update of an order no slot holds, ...) do not decide again; time-based changes are
caught by ``Coordinator.next_change`` and the ``PM_EVALUATE_MS`` timer.
Market resolution runs off the loop (``bus.bridge.Bridge``); its result is picked up each second.
"""

from __future__ import annotations

import argparse
import time

from actors.coordinator import decide_cli
from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.core import EXEC_PIPE, Coordinator
from actors.coordinator.holding import Holding, Resubscribe
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.resolver import gamma_resolver
from actors.coordinator.rotation import Rotation
from actors.coordinator.strategies.pair_ofi import PairParams
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
    Heartbeat,
    InventoryState,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    RiskEvent,
    TickSizeChange,
    UserFeedStatus,
)
from schemas.units import MS
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.config import MarketsConfig


class Shell:
    def __init__(self, cfg: CoordinatorConfig, node: Node, rotation: Rotation) -> None:
        self.node, self.now = node, node.clock
        self.core = c = Coordinator(
            holder=cfg.holder, params=PairParams(pair_target=cfg.pair_target, bid_size=cfg.bid_size),
            rules=RequoteRules(reprice_threshold=cfg.reprice_threshold, debounce_ns=cfg.debounce_ms * MS),
            liveness_ns=cfg.liveness_ms * MS, blind_ns=cfg.user_blind_ms * MS, run=node.run_id)
        self.holding = Holding(cfg, c, rotation)
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
    bus = load_or_exit(BusConfig, program)
    venue = load_or_exit(VenueEndpoints, program)
    markets = load_or_exit(MarketsConfig, program)
    resolve = gamma_resolver(venue, cfg, markets)  # config first
    log.info("config", **describe(cfg), venue=venue.venue)
    node = Node(program, bus, subscriptions=[topics.prefix("sys", "hb"), topics.exec_event(cfg.holder),
                                             topics.user_status(), topics.prefix("risk", "event")],
                push_connect={EXEC_PIPE: bus.command_endpoint}, log=log)
    bridge = Bridge("coordinator").attach(node)
    shell = Shell(cfg, node, Rotation(cfg.market_slug, resolve, submit=bridge.submit))
    node.every(cfg.evaluate_ms, shell.act)
    node.every(1000, shell.every_second)
    shell.every_second(time.time_ns())
    try:
        return node.run(shell.on_message, on_drained=shell.on_drained)
    finally:
        shell.stop()
        node.close()
        bridge.close()
