"""One backtest's state and how its coordinators are driven: the clock's scheduling, ``decide`` after each
instant, ``act``, what their decisions do (``perform``: commands to the simulated executor after the entry /
cancel latency, risk events, time per mode), what reaches them ``md_ns`` later (``deliver``), the markets they
open and leave, and inventory / OFI output routed to them."""

from __future__ import annotations

import random
from collections.abc import Callable
from functools import partial
from pathlib import Path

from actors.coordinator import setup
from actors.coordinator.config import CoordinatorConfig, NeutralConfig, RiskConfig
from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import MarketSpec
from actors.executor.settlement.config import SettlementConfig
from actors.inventory.config import InventoryConfig
from actors.inventory.core import Inventory
from actors.inventory.positions import Limits
from actors.market_feed.config import FeedConfig
from actors.market_feed.core import MarketFeed
from actors.ofi.config import OfiConfig
from actors.ofi.core import Ofi
from backtest import recfile
from backtest.clock import Clock
from backtest.exchange import SimExchange
from backtest.params import SimParams, latency_at
from backtest.result import Result
from bus.config import load
from bus.effects import Effects
from schemas import (
    Book,
    Command,
    InventoryState,
    Lease,
    LeaseRelease,
    OfiState,
    PlaceOrder,
    RiskEvent,
    StrategyAdjust,
)
from schemas.units import MS, NS, ONE

NONE_PATH = Path("/dev/null")


class Coordinators:
    """The state every part of the backtest shares; the simulated executor (``backtest.sim_executor``) and
    the timers (``backtest.timers``) are its subclasses, joined in ``backtest.engine.Backtest``."""

    def __init__(self, settings: dict[str, str], sim: SimParams) -> None:
        env = dict(settings)
        self.settings, self.sim = env, sim
        self.cfg = load(CoordinatorConfig, environ={**env, "PM_COORDINATOR_NAME": "backtest"},
                        dotenv=NONE_PATH)
        self.neutral = load(NeutralConfig, environ=env, dotenv=NONE_PATH)
        self.risk_cfg = load(RiskConfig, environ=env, dotenv=NONE_PATH)
        self.settle = load(SettlementConfig, environ=env, dotenv=NONE_PATH)
        inv = load(InventoryConfig, environ=env, dotenv=NONE_PATH)
        ofi = load(OfiConfig, environ=env, dotenv=NONE_PATH)
        feed = load(FeedConfig, environ=env, dotenv=NONE_PATH)
        self.feed: MarketFeed = feed.feed(track_all=True)
        self.inventory = Inventory(Limits(inv.max_net_diff, inv.max_portfolio_cost, inv.max_position_value))
        self.mark_ns = inv.mark_ms * MS
        self.ofi = Ofi(ofi.window_ms, ofi.toxicity_threshold, ofi.adaptive_params)
        self.exchange = SimExchange(queue_power=sim.queue_power, touch_takers=sim.touch_takers,
                                    cross_fills=sim.cross_fills)
        self.rng = random.Random(sim.seed)
        self.fill_ns = sim.md_ns if sim.fill_ns is None else sim.fill_ns
        self.order_ns = self.fill_ns if sim.order_ns is None else sim.order_ns
        self.coords: dict[str, Coordinator] = {}  # condition id -> its coordinator
        self.market_of: dict[str, str] = {}  # token -> condition id
        self.clock = Clock(self.decide)
        self.touched: set[str] = set()
        self._decide_fx = Effects()
        self.waking: set[tuple[str, int]] = set()  # (coordinator, time) of the wake-ups scheduled
        self.slots: dict[tuple[str, str], str] = {}  # (market, slot) -> sim order id
        self.matched: dict[str, int] = {}  # sim order id -> size matched
        self.trade_seq = 0
        self.mode_since: dict[str, tuple[str, int]] = {}
        self.marked: list[str] = []  # the tokens of the markets traded now (inventory's marks)
        self.merging: set[str] = set()  # markets with a merge in flight
        self.merged = 0
        self.redeemed = 0
        # a retired market's unrealised PnL when its coordinator left (its marks go with the lease; the
        # position stays as it is until the resolution): what the PnL samples count it at till then
        self.frozen: dict[str, int] = {}
        self.result: Result | None = None

    # -- scheduling (backtest.clock) ----------------------------------------------------------------

    @property
    def now(self) -> int:
        return self.clock.now

    @now.setter
    def now(self, t: int) -> None:
        self.clock.now = t

    def at(self, t: int, fn: Callable[[int], None]) -> None:
        self.clock.at(t, fn)

    def later(self, delay: int, fn: Callable[[int], None]) -> None:
        self.clock.later(delay, fn)

    def advance(self, until: int) -> None:
        self.clock.advance(until)

    def decide(self, now: int) -> None:
        """Each touched coordinator's ``decide`` (its shell's ``on_drained``), in a fixed order."""
        touched = self.touched
        if not touched:
            return
        self.touched = set()
        fx = self._decide_fx  # one Effects for every decision: ``perform`` is done with it when it returns
        for cid in sorted(touched) if len(touched) > 1 else touched:
            c = self.coords.get(cid)
            if c is not None:
                c.decide(now, fx)
                if fx.pushes or fx.publishes or c.mode != self.mode_since.get(cid, ("", 0))[0] or \
                        c.wake_at is not None:
                    self.perform(cid, c, fx, now)
                fx.clear()

    def act(self, cid: str, now: int) -> None:
        c = self.coords.get(cid)
        if c is not None:
            fx = Effects()
            c.act(now, fx)
            self.perform(cid, c, fx, now)

    # -- the coordinator's output -------------------------------------------------------------------

    def perform(self, cid: str, c: Coordinator, fx: Effects, now: int) -> None:
        res = self.result
        assert res is not None
        sim = self.sim
        drawn: int | None = None  # this decision's entry latency, when not the fixed one
        drawn_cancel = 0
        if sim.entry_at and fx.pushes:  # the recorded latency nearest in time
            drawn = latency_at(sim.entry_at, now)
            drawn_cancel = latency_at(sim.cancel_at, now) if sim.cancel_at else drawn
        elif sim.entry_samples and fx.pushes:
            drawn = self.rng.choice(sim.entry_samples)
            # cancels: their own draw (live, the executor posts a replacement before it cancels the old order)
            drawn_cancel = self.rng.choice(sim.cancel_samples) if sim.cancel_samples else drawn
        for _, _, cmd in fx.pushes:
            res.commands.append((now, cmd))  # type: ignore[arg-type]
            if drawn is not None:
                delay = drawn if isinstance(cmd, PlaceOrder) else drawn_cancel
                self.at(now + delay, lambda t, cmd=cmd: self.execute(cid, cmd, t))  # type: ignore[misc]
                continue
            delay = self.sim.entry_ns if isinstance(cmd, PlaceOrder) else self.sim.cancel_ns
            self.later(delay, lambda t, cmd=cmd: self.execute(cid, cmd, t))  # type: ignore[misc]
        for _, msg in fx.publishes:
            if isinstance(msg, RiskEvent | StrategyAdjust):
                res.risk_events.append({"ts": now, "type": type(msg).__name__,
                                        **{f: getattr(msg, f) for f in msg.__struct_fields__ if f != "ts"}})
        mode, since = self.mode_since.get(cid, (c.mode, now))
        if c.mode != mode:
            res.modes[mode] = res.modes.get(mode, 0) + now - since
            since = now
        self.mode_since[cid] = (c.mode, since)
        wake = c.wake_at
        if wake is not None and wake > now and (cid, wake) not in self.waking:
            # one wake-up per coordinator and time: a second one at the same time would only touch it again
            self.waking.add((cid, wake))
            self.clock.at(wake, partial(self._wake, cid, wake))

    def _wake(self, cid: str, wake: int, _t: int) -> None:
        self.waking.discard((cid, wake))
        self.touched.add(cid)

    def deliver(self, cid: str, fn: Callable[[Coordinator, int], object]) -> None:
        """Something reaches the coordinator ``md_ns`` from now."""
        self.clock.later(self.sim.md_ns, partial(self._arrive, cid, fn))

    def _arrive(self, cid: str, fn: Callable[[Coordinator, int], object], t: int) -> None:
        c = self.coords.get(cid)
        if c is not None:
            fn(c, t)
            self.touched.add(cid)

    def book_arrives(self, cid: str, msg: Book, _t: int) -> None:
        """A ``Book`` reaches the coordinator (``deliver``'s hot case, without a closure per book)."""
        c = self.coords.get(cid)
        if c is not None:
            c.on_book(msg)
            self.touched.add(cid)

    # -- markets ------------------------------------------------------------------------------------

    def open_market(self, meta: recfile.Meta, now: int) -> None:
        cid = meta.market
        if cid in self.coords:
            return
        c = setup.build(self.cfg, self.neutral, self.risk_cfg)
        spec = MarketSpec(market=cid, yes_asset=meta.yes_asset, no_asset=meta.no_asset, tick=meta.tick,
                          min_size=meta.min_size, neg_risk=meta.neg_risk)
        c.set_market(spec, end_ns=meta.end_ns)
        self.coords[cid] = c
        self.market_of[meta.yes_asset] = self.market_of[meta.no_asset] = cid
        self.marked += [meta.yes_asset, meta.no_asset]
        self.exchange.add_market(meta.yes_asset, meta.no_asset)
        lease = Lease(holder=c.holder, market=cid, yes_asset=meta.yes_asset, no_asset=meta.no_asset,
                      ttl_ms=10**12, ts=now)
        fx = Effects()
        self.inventory.on_lease(lease, now, fx)
        self.ofi.on_lease(lease, now, fx)
        for program in DEPENDENCIES:
            c.on_heartbeat(program, now)
        self.route(fx, now)
        for asset in (meta.yes_asset, meta.no_asset):  # opened later than first seen: the books so far
            st = self.feed.assets.get(asset)
            if st is not None and st.book is not None:
                bid, ask = st.book.top()
                self.exchange.on_book(asset, st.book.bids.sizes, st.book.asks.sizes, bid,
                                      ask if ask < ONE else 0, now)
                c.on_book(self.feed._book(st, now))
                self.touched.add(cid)
        if meta.end_ns:  # the window ends: the coordinator withdraws then (live: its next timer tick)
            self.at(meta.end_ns, lambda t: self.act(cid, t))
            self.at(meta.end_ns + NS, lambda t: self.retire(cid, t))  # after its withdrawal
        if self.sim.evaluate_timer:
            step = self.cfg.evaluate_ms * MS

            def tick(t: int) -> None:
                if cid in self.coords and (not meta.end_ns or t < meta.end_ns + 5 * NS):
                    self.act(cid, t)
                    self.at(t + step, tick)
            self.at(now + step, tick)

    def retire(self, cid: str, now: int) -> None:
        """A second after its window ended the market's coordinator is gone, as live it moves on to the
        next window and releases the market's lease (inventory and OFI stop publishing and marking it; its
        positions stay in inventory until the resolution settles them)."""
        c = self.coords.pop(cid, None)
        if c is None:
            return
        mode, since = self.mode_since.pop(cid, (c.mode, now))
        assert self.result is not None
        self.result.modes[mode] = self.result.modes.get(mode, 0) + now - since
        m = self.result.markets[cid]
        self.marked = [a for a in self.marked if a not in (m.yes_asset, m.no_asset)]
        if cid in self.inventory.markets:
            self.frozen[cid] = self.inventory.state(cid, now).unrealized_pnl
        release = LeaseRelease(holder=c.holder, market=cid, ts=now)  # live: the rotation's release
        fx = Effects()
        self.inventory.on_release(release, fx)
        self.ofi.on_release(release, fx)

    def route(self, fx: Effects, now: int) -> None:
        """Inventory / OFI output to the coordinators (one bus hop: no added latency)."""
        for _, msg in fx.publishes:
            if isinstance(msg, InventoryState):
                c = self.coords.get(msg.market)
                if c is not None:
                    c.on_inventory(msg, now)
                    self.touched.add(msg.market)
            elif isinstance(msg, OfiState):
                c = self.coords.get(msg.market)
                if c is not None:
                    c.on_ofi(msg, now)
                    self.touched.add(msg.market)

    def _ofi(self, states: list[OfiState], now: int) -> None:
        for s in states:
            c = self.coords.get(s.market)
            if c is not None:
                c.on_ofi(s, now)
                self.touched.add(s.market)


    def execute(self, cid: str, cmd: Command, now: int) -> None:
        """A command reaches the exchange (``backtest.sim_executor.SimExecutor``)."""
        raise NotImplementedError
