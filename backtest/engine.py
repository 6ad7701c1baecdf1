"""The backtest's event loop: a recording through the engine's own pure code, with the exchange and the
clock simulated.

What runs is what runs live: the market-feed core (``MarketFeed``: frames -> ``Book`` / ``Trade`` /
``FeedStatus`` / ``MarketResolved``), the OFI core (``Ofi``), the inventory core (``Inventory``: fills,
positions, marks, resolutions), and per market one coordinator core built by ``actors.coordinator.setup``
(the strategy, the risk layer, ``reconcile.plan``, the orders) driven as its shell drives it: ``decide``
after each wake-up, ``act`` on the ``PM_EVALUATE_MS`` timer, heartbeats every second. Only two things are
simulated: the exchange (``backtest.exchange.SimExchange``: queue, post-only, mint/merge, fees) and the
clock (the recording's receive times; latencies are added as scheduled events):

- market data reaches the coordinator ``md_ns`` after the exchange saw it (books, trades via OFI, our
  fills via inventory, the executor's answers);
- a placement reaches the exchange ``entry_ns`` after the decision, a cancel ``cancel_ns`` after it.

Liquidity rewards: every simulated minute, for each reward market, our resting orders and the recorded
book's levels are scored with ``clob.rewards.score`` (the book as one other owner), our share times the
market's daily pool / 1440 is our reward for that minute.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actors.coordinator import setup
from actors.coordinator.config import CoordinatorConfig, NeutralConfig, RiskConfig
from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.merging import merge_command
from actors.coordinator.model import MarketSpec
from actors.inventory.config import InventoryConfig
from actors.inventory.core import Inventory
from actors.inventory.positions import Limits
from actors.market_feed.config import FeedConfig
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects
from actors.market_feed.venue import BookMsg, PriceChangeMsg
from actors.ofi.config import OfiConfig
from actors.ofi.core import Ofi
from actors.ofi.main import EXPIRY_MS as OFI_EXPIRY_MS
from backtest import recfile
from backtest.clock import Clock
from backtest.exchange import SimExchange, SimFill
from bus.config import load
from bus.effects import Effects
from clob import rewards
from schemas import (
    Book,
    CancelAll,
    CancelMarket,
    CancelOrders,
    Command,
    FeedStatus,
    Fill,
    InventoryState,
    Lease,
    MarketResolved,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    PlaceOrder,
    RiskEvent,
    Settlement,
    StrategyAdjust,
    TickSizeChange,
    Trade,
)
from schemas.units import MS, NS, ONE

DEFAULT_LATENCY_US = 1500  # when bench/results.json has no tick-to-order figure
MINUTE = 60 * NS
NONE_PATH = Path("/dev/null")


def bench_latency_ns(path: Path | None = None) -> int:
    """The measured tick-to-order p50 (``bench/results.json``), else ``DEFAULT_LATENCY_US``."""
    p = path or Path(__file__).resolve().parent.parent / "bench" / "results.json"
    try:
        import json

        return int(float(json.loads(p.read_text())["tick_to_order_us"]["p50"]) * 1000)
    except (OSError, KeyError, ValueError, TypeError):
        return DEFAULT_LATENCY_US * 1000


@dataclass(frozen=True)
class SimParams:
    entry_ns: int = DEFAULT_LATENCY_US * 1000  # decision -> order rests at the exchange
    cancel_ns: int = DEFAULT_LATENCY_US * 1000  # decision -> cancel done at the exchange
    # a distribution instead of the fixed entry / cancel latency: each decision's commands take one draw
    # (seeded: the same run twice is the same run), so the commands of one decision stay in order
    entry_samples: tuple[int, ...] = ()
    seed: int = 1
    # a recording made while the engine traded: its own orders (``user.order``) are left out of the
    # recorded levels when queueing ours (``SimExchange.own_delta``)
    exclude_own: bool = True
    fill_ns: int | None = None  # our fill -> inventory -> the coordinator (user-feed path); None: md_ns
    merge_ns: int = 1 * NS  # a MergePairs -> inventory has the merge (the executor's chain call + echo)
    md_ns: int = 300_000  # exchange event -> seen by the coordinator (feed, inventory, executor answers)
    queue_power: float = 2.0
    # the shell's PM_EVALUATE_MS act() timer: off by default, since between inputs and ``wake_at`` the core's
    # decision cannot change (``Coordinator.decide``'s contract); on: exactly what the shell does
    evaluate_timer: bool = False


@dataclass
class FillRow:
    ts: int
    market: str
    leg: str  # yes | no
    side: str
    price: int
    size: int
    reason: str
    slot: str


@dataclass
class Result:
    """Everything the report reads; money in 1e-6 units."""

    params: dict[str, str]
    sim: SimParams
    markets: dict[str, recfile.Meta]
    fills: list[FillRow] = field(default_factory=list)
    commands: list[tuple[int, Command]] = field(default_factory=list)
    rejects: int = 0
    pnl: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # ts + 4 PnL parts
    inventory: list[tuple[int, int, int]] = field(default_factory=list)  # ts, yes qty, no qty (all markets)
    quotes: list[tuple[int, int, int, int]] = field(default_factory=list)  # mid, our bid, our ask
    mids: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # market -> (ts, yes mid)
    modes: dict[str, int] = field(default_factory=dict)  # mode -> ns spent
    risk_events: list[dict[str, Any]] = field(default_factory=list)
    rewards_total: int = 0
    fees_total: int = 0
    events: int = 0
    frames: int = 0
    wall_s: float = 0.0


class Backtest:
    def __init__(self, settings: dict[str, str], sim: SimParams) -> None:
        env = dict(settings)
        self.settings, self.sim = env, sim
        self.cfg = load(CoordinatorConfig, environ={**env, "PM_COORDINATOR_NAME": "backtest"},
                        dotenv=NONE_PATH)
        self.neutral = load(NeutralConfig, environ=env, dotenv=NONE_PATH)
        self.risk_cfg = load(RiskConfig, environ=env, dotenv=NONE_PATH)
        inv = load(InventoryConfig, environ=env, dotenv=NONE_PATH)
        ofi = load(OfiConfig, environ=env, dotenv=NONE_PATH)
        feed = load(FeedConfig, environ=env, dotenv=NONE_PATH)
        self.feed: MarketFeed = feed.feed(track_all=True)
        self.inventory = Inventory(Limits(inv.max_net_diff, inv.max_portfolio_cost, inv.max_position_value))
        self.mark_ns = inv.mark_ms * MS
        self.ofi = Ofi(ofi.window_ms, ofi.toxicity_threshold, ofi.adaptive_params)
        self.exchange = SimExchange(queue_power=sim.queue_power)
        self.rng = random.Random(sim.seed)
        self.fill_ns = sim.md_ns if sim.fill_ns is None else sim.fill_ns
        self.coords: dict[str, Coordinator] = {}  # condition id -> its coordinator
        self.market_of: dict[str, str] = {}  # token -> condition id
        self.clock = Clock(self.decide)
        self.touched: set[str] = set()
        self.slots: dict[tuple[str, str], str] = {}  # (market, slot) -> sim order id
        self.matched: dict[str, int] = {}  # sim order id -> size matched
        self.trade_seq = 0
        self.mode_since: dict[str, tuple[str, int]] = {}
        self.marked: list[str] = []  # the tokens of the markets traded now (inventory's marks)
        self.merging: set[str] = set()  # markets with a merge in flight
        self.merged = 0
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
        for cid in sorted(touched) if len(touched) > 1 else touched:
            c = self.coords.get(cid)
            if c is not None:
                fx = Effects()
                c.decide(now, fx)
                if fx.pushes or fx.publishes or c.mode != self.mode_since.get(cid, ("", 0))[0] or \
                        c.wake_at is not None:
                    self.perform(cid, c, fx, now)

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
        drawn = self.rng.choice(self.sim.entry_samples) if self.sim.entry_samples and fx.pushes else 0
        for _, _, cmd in fx.pushes:
            res.commands.append((now, cmd))  # type: ignore[arg-type]
            if drawn:
                self.at(now + drawn, lambda t, cmd=cmd: self.execute(cid, cmd, t))  # type: ignore[misc]
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
        if c.wake_at is not None and c.wake_at > now:
            self.at(c.wake_at, lambda t: self.touched.add(cid))

    def deliver(self, cid: str, fn: Callable[[Coordinator, int], object]) -> None:
        """Something reaches the coordinator ``md_ns`` from now."""
        def arrive(t: int) -> None:
            c = self.coords.get(cid)
            if c is not None:
                fn(c, t)
                self.touched.add(cid)
        self.later(self.sim.md_ns, arrive)

    # -- the simulated executor ---------------------------------------------------------------------

    def execute(self, cid: str, cmd: Command, now: int) -> None:
        ex = self.exchange
        if isinstance(cmd, PlaceOrder):
            old = self.slots.pop((cid, cmd.slot), None)
            if old is not None:
                ex.cancel(old)
            if cmd.order_type != "GTC" or not cmd.post_only:
                return  # the opt-in taker exit is not simulated (documented)
            o = ex.place(cmd_id=cmd.cmd_id, slot=cmd.slot, market=cid, token=cmd.asset, side=cmd.side,
                         price=cmd.price, size=cmd.size, now=now)
            if o is None:
                assert self.result is not None
                self.result.rejects += 1
                failed = OrderFailed(cmd_id=cmd.cmd_id, holder=cmd.holder, market=cid, asset=cmd.asset,
                                     side=cmd.side, price=cmd.price, size=cmd.size, slot=cmd.slot,
                                     reason="crosses_book", message="post-only order would cross",
                                     retry_after_ms=1000, ts=now)
                self.deliver(cid, lambda c, t: c.on_failed(failed, t, Effects()))
                return
            self.slots[(cid, cmd.slot)] = o.order_id
            placed = OrderPlaced(cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=o.order_id, market=cid,
                                 asset=cmd.asset, side=cmd.side, price=cmd.price, size=cmd.size,
                                 slot=cmd.slot, status="live", ts=now)
            self.deliver(cid, lambda c, t: c.on_placed(placed))
            return
        if isinstance(cmd, CancelOrders):
            ids = list(cmd.order_ids) + [i for s in cmd.slots if (i := self.slots.get((cid, s)))]
        elif isinstance(cmd, CancelMarket | CancelAll):
            ids = [i for (m, _), i in self.slots.items() if m == cid]
        else:
            return
        for order_id in ids:
            o = ex.cancel(order_id)
            for key in [k for k, v in self.slots.items() if v == order_id]:
                del self.slots[key]
            if o is not None:
                done = OrderCancelled(cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=order_id, market=cid,
                                      asset=o.token, slot=o.slot, reason=cmd.reason, ts=now)
                self.deliver(cid, lambda c, t, done=done: c.on_cancelled(done))  # type: ignore[misc]

    def on_fills(self, fills: list[SimFill], now: int) -> None:
        res = self.result
        assert res is not None
        for f in fills:
            o = f.order
            if f.size <= 0:
                continue
            cid = o.market
            meta = res.markets[cid]
            self.trade_seq += 1
            leg = "yes" if o.token == meta.yes_asset else "no"
            res.fills.append(FillRow(ts=now, market=cid, leg=leg, side=o.side, price=f.price, size=f.size,
                                     reason=f.reason, slot=o.slot))
            matched = self.matched[o.order_id] = self.matched.get(o.order_id, 0) + f.size
            if o.left <= 0:
                for key in [k for k, v in self.slots.items() if v == o.order_id]:
                    del self.slots[key]
            fill = Fill(trade_id=f"bt-{self.trade_seq}", order_id=o.order_id, market=cid, asset=o.token,
                        side=o.side, price=f.price, size=f.size, status="CONFIRMED", role="MAKER", fee=0,
                        source="ws", ts_event=now, ts_recv=now + self.fill_ns)
            update = OrderUpdate(order_id=o.order_id, market=cid, asset=o.token, side=o.side, price=o.price,
                                 original_size=o.size, size_matched=matched,
                                 status="MATCHED" if o.left <= 0 else "LIVE", reason="", kind="UPDATE",
                                 ts_event=now, ts_recv=now + self.fill_ns)

            def arrive(t: int, fill: Fill = fill, update: OrderUpdate = update, cid: str = cid) -> None:
                fx = Effects()
                self.inventory.on_fill(fill, t, fx)
                self.inventory_out(fx, t)
                c = self.coords.get(cid)
                if c is not None:
                    c.on_order_update(update)
                    self.touched.add(cid)
            self.later(self.fill_ns, arrive)

    def inventory_out(self, fx: Effects, now: int) -> None:
        for _, msg in fx.publishes:
            if isinstance(msg, InventoryState):
                c = self.coords.get(msg.market)
                if c is not None:
                    c.on_inventory(msg, now)
                    self.touched.add(msg.market)

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
        next window (its positions stay in inventory until the resolution settles them)."""
        c = self.coords.pop(cid, None)
        if c is None:
            return
        mode, since = self.mode_since.pop(cid, (c.mode, now))
        assert self.result is not None
        self.result.modes[mode] = self.result.modes.get(mode, 0) + now - since
        m = self.result.markets[cid]
        self.marked = [a for a in self.marked if a not in (m.yes_asset, m.no_asset)]

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

    def second(self, now: int) -> None:
        """The 1 s timers: heartbeats, OFI's snapshot, the holding's merges, the PnL sample."""
        for cid, c in self.coords.items():
            for program in DEPENDENCIES:
                c.on_heartbeat(program, now)
            self.touched.add(cid)
        fx = Effects()
        self.ofi.snapshot(now, fx)
        self.route(fx, now)
        self.merges(now)
        self.sample(now)
        self.at(now + NS, self.second)

    def ofi_tick(self, now: int) -> None:
        """The OFI program's window expiry timer (``EXPIRY_MS``): toxicity clears as late as live."""
        fx = Effects()
        self.ofi.on_timer(now, fx)
        self.route(fx, now)
        self.at(now + OFI_EXPIRY_MS * MS, self.ofi_tick)

    def inventory_tick(self, now: int) -> None:
        """Inventory's ``PM_INVENTORY_MARK_MS`` timer: marks from the newest books, the states due."""
        assets = self.feed.assets
        books = [self.feed._book(st, now) for a in self.marked if (st := assets.get(a)) is not None
                 and st.book is not None]
        fx = Effects()
        self.inventory.on_timer(books, now, fx)
        self.route(fx, now)
        self.at(now + self.mark_ns, self.inventory_tick)

    def merges(self, now: int) -> None:
        """The holding's once-a-second ``MergePairs`` (``merging.merge_command``, per strategy and
        ``PM_MERGE_MIN_SHARES``), merged ``merge_ns`` later by the simulated executor: min(YES, NO) pairs
        inventory holds then become 1 pUSD each (a ``merge`` settlement, as the executor reports it)."""
        for cid, c in self.coords.items():
            if cid in self.merging or merge_command(c.inventory, cid, holder=c.holder,
                                                    merges=c.strategy.merges_pairs,
                                                    min_size=self.cfg.merge_min_shares, now=now) is None:
                continue
            self.merging.add(cid)
            m = self.result.markets[cid] if self.result else None
            if m is None:
                continue

            def merge(t: int, cid: str = cid, m: recfile.Meta = m) -> None:
                self.merging.discard(cid)
                n = min(self.inventory.position(m.yes_asset).qty, self.inventory.position(m.no_asset).qty)
                n = n // 10_000 * 10_000  # the venue's 2 decimals
                if n <= 0 or cid in self.inventory.resolved:
                    return
                self.merged += 1
                s = Settlement(key=f"merge:bt-{self.merged}", kind="merge", market=cid, yes_asset=m.yes_asset,
                               no_asset=m.no_asset, yes=n, no=n, usdc=n, tx=f"bt-{self.merged}",
                               source="executor")
                fx = Effects()
                self.inventory.on_settlement(s, t, fx)
                self.route(fx, t)
            self.at(now + self.sim.merge_ns, merge)

    def sample(self, now: int) -> None:
        res = self.result
        assert res is not None
        realised = unrealised = yes = no = 0
        for cid in res.markets:
            if cid not in self.inventory.markets:
                continue
            st = self.inventory.state(cid, now)
            realised += st.realized_pnl
            unrealised += st.unrealized_pnl
            if cid not in self.inventory.resolved:  # a resolved market's shares are cash (realised) now
                yes += st.yes_qty
                no += st.no_qty
        res.pnl.append((now, realised, unrealised, res.rewards_total, res.fees_total))
        res.inventory.append((now, yes, no))
        for cid, c in self.coords.items():
            m = res.markets[cid]
            yt = c.tops.get(m.yes_asset)
            if yt is None or not yt.two_sided:
                continue
            mid = yt.mid
            bid = ask = 0
            for o in self.exchange.orders.values():
                if o.market != cid:
                    continue
                if o.token == m.yes_asset and o.side == "BUY":
                    bid = max(bid, o.price)
                elif o.token == m.no_asset and o.side == "BUY":
                    ask = ONE - o.price if not ask else min(ask, ONE - o.price)
            res.quotes.append((now, mid, bid, ask))

    def minute(self, now: int) -> None:
        """Liquidity rewards of the minute just ended (``clob.rewards.score``)."""
        res = self.result
        assert res is not None
        for cid, meta in res.markets.items():
            r = meta.rewards
            if r.daily_rate <= 0 or cid not in self.coords:
                continue
            st = self.feed.assets.get(meta.yes_asset)
            if st is None or st.book is None:
                continue
            bid, ask = st.book.top()
            if not (0 < bid < ask < ONE):
                continue
            mid = (bid + ask) // 2
            orders: list[rewards.RestingOrder] = []
            for price, size in st.book.bids.sizes.items():
                orders.append(rewards.RestingOrder("book", "yes", "BUY", price, size))
            for price, size in st.book.asks.sizes.items():
                orders.append(rewards.RestingOrder("book", "yes", "SELL", price, size))
            for o in self.exchange.orders.values():
                if o.market == cid and now - o.placed_ns >= 0:
                    orders.append(rewards.RestingOrder("us", "yes" if o.token == meta.yes_asset else "no",
                                                       o.side, o.price, o.left))
            scores = rewards.score(orders, mid, r.max_spread_cents, r.min_size)
            ours = scores.get("us")
            if ours is not None and ours.share > 0:
                res.rewards_total += int(ours.share * r.daily_rate / 1440)
        self.at(now + MINUTE, self.minute)

    # -- the run ------------------------------------------------------------------------------------

    def run(self, rec: recfile.Recording) -> Result:
        started = time.perf_counter()
        res = self.result = Result(params=self.settings, sim=self.sim, markets=dict(rec.metas))
        if not rec.frames:
            return res
        metas = sorted(rec.meta_seen, key=lambda x: x[0])
        mi = 0
        first = rec.frames[0][0]
        self.at(first + NS, self.second)
        self.at(first + OFI_EXPIRY_MS * MS, self.ofi_tick)
        self.at(first + self.mark_ns, self.inventory_tick)
        self.at(first + MINUTE, self.minute)
        feed, ex, ofi, inventory = self.feed, self.exchange, self.ofi, self.inventory
        market_of = self.market_of
        md = self.sim.md_ns
        events = 0
        own = self.own_levels(rec) if self.sim.exclude_own else []
        oi = 0
        for ts, frame in rec.frames:
            while oi < len(own) and own[oi][0] <= ts:
                _, token, side, price, delta = own[oi]
                if token in ex.complement:
                    ex.own_delta(token, side, price, delta)  # type: ignore[arg-type]
                oi += 1
            due = self.clock.due()
            if due is not None and due <= ts:
                self.advance(ts)
            self.now = ts
            while mi < len(metas) and metas[mi][0] <= ts:
                self.open_market(metas[mi][1], ts)
                mi += 1
            fx = FeedEffects()
            evs, _ = feed.decode([frame], fx)
            for ev in evs:  # an event: one depth row (a level of a snapshot, a level change), a print...
                te = type(ev)
                if te is PriceChangeMsg:
                    events += len(ev.price_changes or ev.entries())  # type: ignore[union-attr]
                elif te is BookMsg:
                    events += len(ev.bids) + len(ev.asks) or 1  # type: ignore[union-attr]
                else:
                    events += 1
            feed.apply(evs, ts, fx)
            for _topic, msg in fx.publishes:
                t = type(msg)
                if t is Book:
                    asset = msg.asset  # type: ignore[union-attr]
                    st = feed.assets.get(asset)
                    cid = market_of.get(asset)
                    if cid is None or st is None or st.book is None:
                        continue
                    bid, ask = st.book.top()
                    if asset == res.markets[cid].yes_asset and 0 < bid < ask < ONE:
                        series = res.mids.setdefault(cid, [])
                        mid = (bid + ask) // 2
                        if not series or series[-1][1] != mid:
                            series.append((ts, mid))
                    fills = ex.on_book(asset, st.book.bids.sizes, st.book.asks.sizes, bid,
                                       ask if ask < ONE else 0, ts)
                    if fills:
                        self.on_fills(fills, ts)
                    self.deliver(cid, lambda c, _t, m=msg: c.on_book(m))  # type: ignore[misc]
                elif t is Trade:
                    cid = market_of.get(msg.asset)  # type: ignore[union-attr]
                    if cid is None:
                        continue
                    fills = ex.on_trade(msg.asset, msg.side, msg.price, msg.size,  # type: ignore[union-attr]
                                        msg.ts_event, ts)  # type: ignore[union-attr]
                    if fills:
                        self.on_fills(fills, ts)
                    ofx = Effects()
                    ofi.on_trade(msg, ts, ofx)  # type: ignore[arg-type]
                    if ofx.publishes:
                        states = [m for _, m in ofx.publishes if isinstance(m, OfiState)]
                        self.later(md, lambda t, s=states: self._ofi(s, t))  # type: ignore[misc]
                elif t is FeedStatus or t is TickSizeChange:
                    cid = market_of.get(msg.asset)  # type: ignore[union-attr]
                    if cid is not None:
                        if t is FeedStatus:
                            self.deliver(cid, lambda c, _t, m=msg: c.on_feed_status(m))  # type: ignore[misc]
                        else:
                            self.deliver(cid, lambda c, _t, m=msg: c.on_tick_change(m))  # type: ignore[misc]
                elif t is MarketResolved:
                    s = inventory.on_resolved(msg, ts)  # type: ignore[arg-type]
                    if s is not None:
                        sfx = Effects()
                        inventory.on_settlement(s, ts, sfx)
                        self.route(sfx, ts)
            if self.touched:
                self.decide(ts)
        end = rec.frames[-1][0] + 2 * NS
        self.advance(end)
        self.sample(end)
        for cid, (mode, since) in self.mode_since.items():
            res.modes[mode] = res.modes.get(mode, 0) + end - since
            del cid
        res.events, res.frames = events, len(rec.frames)
        res.wall_s = time.perf_counter() - started
        return res

    @staticmethod
    def own_levels(rec: recfile.Recording) -> list[tuple[int, str, str, int, int]]:
        """(ts, token, side, price, size change) of the engine's own resting orders, from the recorded
        ``user.order`` events: placed -> +size, matched -> -matched, cancelled / done -> -what was left.
        Timed by the venue's event time (ms): the book frame that shows the order is often received
        before the user channel's event about it."""
        left: dict[str, int] = {}
        out: list[tuple[int, str, str, int, int]] = []
        for recv, _topic, msg in rec.own:
            if not isinstance(msg, OrderUpdate):
                continue
            ts = min(recv, msg.ts_event) if msg.ts_event > 0 else recv
            before = left.get(msg.order_id)
            if before is None:
                if msg.kind != "PLACEMENT":
                    continue
                before = left[msg.order_id] = msg.original_size
                out.append((ts, msg.asset, msg.side, msg.price, before))
            now_left = 0 if msg.kind == "CANCELLATION" or msg.status.startswith(("CANCELED", "MATCHED")) \
                else max(msg.original_size - msg.size_matched, 0)
            if now_left != before:
                out.append((ts, msg.asset, msg.side, msg.price, now_left - before))
                left[msg.order_id] = now_left
        out.sort(key=lambda e: e[0])
        return out

    def _ofi(self, states: list[OfiState], now: int) -> None:
        for s in states:
            c = self.coords.get(s.market)
            if c is not None:
                c.on_ofi(s, now)
                self.touched.add(s.market)


def run(paths: list[str], settings: dict[str, str], sim: SimParams) -> Result:
    return Backtest(settings, sim).run(recfile.load(paths))
