"""The coordinator's I/O shell: one per market (supervisord ``market:<name>``).

It resolves its market (rotating prefixes included), holds a lease so the feeds carry its tokens,
routes bus messages into the pure ``Coordinator``, and PUSHes the resulting commands to the executor.
A clean stop withdraws its quotes.

Hot path: a ``Book`` whose top moved marks the core dirty; once the loop has drained the wake-up's
messages, ``on_drained`` decides once and pushes the commands back to back (a re-quote is a single
``PlaceOrder``). Inputs that change nothing the decision reads (a depth-only book, an update of an order
no slot holds, ...) do not decide again; time-based changes are caught by ``Coordinator.next_change``
and the ``PM_EVALUATE_MS`` timer.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

from actors.coordinator import decide_cli
from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.core import Coordinator
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.resolver import gamma_resolver
from actors.coordinator.rotation import Rotation, Window
from actors.coordinator.strategies.pair_ofi import PairParams
from bus import topics
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import (
    Book,
    Command,
    CoordinatorState,
    FeedStatus,
    Heartbeat,
    InventoryState,
    Lease,
    LeaseRelease,
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
        self.cfg, self.node, self.rotation, self.log = cfg, node, rotation, node.log
        self.core = Coordinator(holder=cfg.holder,
                                params=PairParams(pair_target=cfg.pair_target, bid_size=cfg.bid_size),
                                rules=RequoteRules(reprice_threshold=cfg.reprice_threshold,
                                                   debounce_ns=cfg.debounce_ms * MS),
                                liveness_ns=cfg.liveness_ms * MS,
                                blind_ns=cfg.user_blind_ms * MS, run=node.run_id)
        self.window: Window | None = None
        self.last_mode = ""
        self.dirty = False  # an input changed what the core decides on since the last decision
        self.wake_at: int | None = None  # when a decision could differ with no new input (core.next_change)
        self.cmd_topic = topics.exec_cmd(cfg.holder)
        c = self.core
        self.dispatch = Dispatcher({
            Book: self.on_book,
            FeedStatus: lambda t, h, m: self.then_act(c.on_feed_status, m),
            TickSizeChange: lambda t, h, m: self.act_if(c.on_tick_change(m)),
            InventoryState: lambda t, h, m: self.act_if(c.on_inventory(m, self.now())),
            OfiState: lambda t, h, m: self.act_if(c.on_ofi(m, self.now())),
            Heartbeat: lambda t, h, m: self.act_if(c.on_heartbeat(h.src, self.now())),
            OrderPlaced: lambda t, h, m: c.on_placed(m),
            OrderFailed: self.on_failed,
            OrderCancelled: lambda t, h, m: self.act_if(c.on_cancelled(m)),
            OrderUpdate: lambda t, h, m: self.act_if(c.on_order_update(m)),
            UserFeedStatus: lambda t, h, m: self.then_act(c.on_user_status, m, self.now()),
            RiskEvent: self.on_risk,
        }, self.log)

    def on_book(self, topic: bytes, header: Header, msg: Book) -> None:
        """The hot path's input: only a book whose top moved (or a feed coming back) calls for a decision."""
        if self.core.on_book(msg):
            self.dirty = True

    def then_act(self, update: Callable[..., None], *args: Any) -> None:
        """Apply an input to the core; decide once the loop has drained what arrived with it."""
        update(*args)
        self.dirty = True

    def act_if(self, changed: bool) -> None:
        """An input the core reported as changing (True) or not changing (False) what it decides on."""
        if changed:
            self.dirty = True

    def on_drained(self) -> None:
        """The hot path (book -> commands): one decision per wake-up, on the newest books only, and only
        if an input changed or a time-based condition (``Coordinator.next_change``) came due: otherwise
        the decision would be the previous one again (nothing to send, nothing to update)."""
        if self.dirty or (self.wake_at is not None and self.now() >= self.wake_at):
            self.dirty = False
            self.act()

    def on_risk(self, topic: bytes, header: Header, msg: RiskEvent) -> None:
        before = dict(self.core.halts)
        self.then_act(self.core.on_risk, msg)
        if self.core.halts != before:
            self.log.warning("risk_event", kind=msg.kind, severity=msg.severity, market=msg.market,
                             message=msg.message, halted=sorted(k for k, _ in self.core.halts))

    def on_failed(self, topic: bytes, header: Header, msg: OrderFailed) -> None:
        self.then_act(self.core.on_failed, msg, self.now())  # a swept slot is cancelled at once
        self.log.warning("order_failed", slot=msg.slot, reason=msg.reason, message=msg.message)

    def now(self) -> int:
        return self.node.clock()

    def on_message(self, topic: bytes, header: Header, msg: object) -> None:
        self.dispatch(topic, header, msg)

    def act(self, now: int | None = None) -> None:
        """Decide and push the decision's commands back to back; bookkeeping and logs come after."""
        now = now or self.now()
        commands = self.rotating(now) if self.rotation.window_over(now) else self.core.evaluate(now)
        if commands:
            push, topic = self.node.push, self.cmd_topic
            for cmd in commands:
                push("exec", topic, cmd)
        self.wake_at = self.core.next_change(now)
        if self.core.mode != self.last_mode:
            self.log.info("strategy_mode", mode=self.core.mode, reason=self.core.reason,
                          market=self.window.spec.market if self.window else "")
            self.last_mode = self.core.mode

    def _market_topics(self, w: Window) -> list[bytes]:
        s = w.spec
        per_token = [t(a) for a in (s.yes_asset, s.no_asset)
                     for t in (topics.md_book, topics.md_status, topics.md_tick)]
        per_market = [topics.inv_state(s.market), topics.ofi_state(s.market), topics.user_order(s.market)]
        return per_token + per_market

    def switch(self, window: Window, now: int) -> None:
        old = self.window
        if old is not None:
            for cmd in self.core.withdraw(now, "rotation"):
                self.node.push("exec", self.cmd_topic, cmd)
            self.node.publish(topics.coord_lease(self.cfg.holder),
                              LeaseRelease(holder=self.cfg.holder, market=old.spec.market, ts=now))
            for t in self._market_topics(old):
                self.node.unsubscribe(t)
        self.window = window
        self.core.set_market(window.spec)
        for t in self._market_topics(window):
            self.node.subscribe(t)
        self.log.info("market_selected", slug=window.slug, market=window.spec.market,
                      end_ns=window.end_ns, tick=window.spec.tick, min_size=window.spec.min_size)
        self.lease(now)

    def lease(self, now: int) -> None:
        w = self.window
        if w is not None:
            self.node.publish(topics.coord_lease(self.cfg.holder),
                              Lease(holder=self.cfg.holder, market=w.spec.market,
                                    yes_asset=w.spec.yes_asset, no_asset=w.spec.no_asset,
                                    ttl_ms=self.cfg.lease_ttl_ms, ts=now))

    def rotating(self, now: int) -> list[Command]:
        """The window is over and the next one is not traded yet: withdraw (once) and place nothing,
        however live the ended market's books still are."""
        self.core.mode, self.core.reason = "rotating", "window over"
        return self.core.withdraw(now, "window over")

    def every_second(self, now: int) -> None:
        if self.rotation.window_over(now):
            for cmd in self.rotating(now):
                self.node.push("exec", self.cmd_topic, cmd)
        nxt = self.rotation.poll(now)
        if nxt is not None:
            self.switch(nxt, now)
        elif self.rotation.error:
            self.log.warning("resolve_failed", slug=self.cfg.market_slug, error=self.rotation.error)
        self.lease(now)
        w = self.window
        quotes = {name: slot.price for name, slot in self.core.slots.items()}
        self.node.publish(topics.coord_state(self.cfg.holder), CoordinatorState(
            holder=self.cfg.holder, market=w.spec.market if w else "", strategy=self.cfg.strategy,
            mode=self.core.mode, reason=self.core.reason, quotes=quotes, ts=now))

    def stop(self) -> None:
        """Clean stop: withdraw every quote of this coordinator (PUSH lingers until delivered)."""
        for cmd in self.core.withdraw(self.now(), "coordinator stopping"):
            self.node.push("exec", self.cmd_topic, cmd)
        if self.window is not None:
            self.node.publish(topics.coord_lease(self.cfg.holder),
                              LeaseRelease(holder=self.cfg.holder, market=self.window.spec.market,
                                           ts=self.now()))


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
    rotation = Rotation(cfg.market_slug, gamma_resolver(venue, cfg, markets))  # config first
    log.info("config", **describe(cfg), venue=venue.venue)
    node = Node(program, bus, subscriptions=[topics.prefix("sys", "hb"), topics.exec_event(cfg.holder),
                                             topics.user_status(), topics.prefix("risk", "event")],
                push_connect={"exec": bus.command_endpoint}, log=log)
    shell = Shell(cfg, node, rotation)
    node.every(cfg.evaluate_ms, shell.act)
    node.every(1000, shell.every_second)
    shell.every_second(time.time_ns())
    try:
        return node.run(shell.on_message, on_drained=shell.on_drained)
    finally:
        shell.stop()
        node.close()
