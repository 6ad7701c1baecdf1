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

import time
from functools import partial

from actors.market_feed import venue
from actors.market_feed.effects import FeedEffects
from actors.ofi.main import EXPIRY_MS as OFI_EXPIRY_MS
from backtest import recfile
from backtest.own_orders import own_levels
from backtest.params import DEFAULT_LATENCY_US, SimParams, bench_latency_ns
from backtest.result import FillRow, Result
from backtest.sim_executor import SimExecutor
from backtest.timers import MINUTE, Timers
from bus.effects import Effects
from schemas import (
    Book,
    FeedStatus,
    MarketResolved,
    OfiState,
    TickSizeChange,
    Trade,
)
from schemas.units import MS, NS, ONE

__all__ = ["DEFAULT_LATENCY_US", "MINUTE", "Backtest", "FillRow", "Result", "SimParams", "bench_latency_ns",
           "run"]


class Backtest(SimExecutor, Timers):
    """The event loop: the recording's frames through the market-feed core, the simulated exchange and the
    coordinators (``backtest.coordinators``, ``backtest.sim_executor``, ``backtest.timers``)."""

    # -- the run ------------------------------------------------------------------------------------

    def run(self, rec: recfile.Recording) -> Result:
        started = time.perf_counter()
        res = self.result = Result(params=self.settings, sim=self.sim, markets=dict(rec.metas))
        if not rec.frames:
            return res
        opens = dict(self.sim.opens)
        for seen, meta in rec.meta_seen:  # a market's coordinator starts when it is first seen, or later
            when = max(seen, opens.get(meta.market, self.sim.start_ns))
            if not meta.end_ns or when < meta.end_ns:  # (not after its window is over)
                self.at(when, lambda t, m=meta: self.open_market(m, t))  # type: ignore[misc]
        first = rec.frames[0][0]
        self.at(first + NS, self.second)
        self.at(first + OFI_EXPIRY_MS * MS, self.ofi_tick)
        self.at(first + self.mark_ns, self.inventory_tick)
        self.at(first + MINUTE, self.minute)
        feed, ex, ofi, inventory = self.feed, self.exchange, self.ofi, self.inventory
        market_of = self.market_of
        md = self.sim.md_ns
        later, book_arrives = self.clock.later, self.book_arrives
        rows = feed.rows
        # our live orders' level changes, each at its own time (scheduled: applied in the frame loop, a
        # change due before a placement that runs late in a gap between frames would come too early)
        own = self.own_levels(rec, self.sim.entry_ns) if self.sim.exclude_own else []
        for t_own, token, side, price, delta in own:
            self.at(t_own, lambda _t, a=token, s=side, p=price, d=delta:  # type: ignore[misc]
                    ex.own_delta(a, s, p, d))
        clock = self.clock
        heap = clock.heap  # the clock's schedule: what is due first is heap[0]
        decode, apply, decode_any = feed.decode, feed.apply, venue.decode_any
        fx = FeedEffects()
        publishes = fx.publishes
        for ts, frame in rec.frames:
            if heap and heap[0][0] <= ts:
                clock.advance(ts)
            clock.now = ts
            if publishes:  # one FeedEffects for the whole replay: its messages are handled within the frame
                publishes.clear()
            if fx.notes or fx.resnap:  # (the backtest keeps no log lines; a re-request has no socket here)
                fx.notes.clear()
                fx.resnap.clear()
            try:  # the usual frame: events only (``MarketFeed.decode``'s fast path, inline)
                got = decode_any(frame)
                feed.frames += 1
                evs = got if isinstance(got, list) else [got]
            except (ValueError, RecursionError):  # text, or a bad frame: the feed's own path says what
                evs, _ = decode([frame], fx)
            apply(evs, ts, fx)  # the feed counts the events (``rows``): depth rows, prints, other messages
            for _topic, msg in publishes:
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
                    later(md, partial(book_arrives, cid, msg))  # type: ignore[arg-type]
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
                        later(md, partial(self._ofi, states))
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
                        self.redeem_later(s.market, ts)
            if self.touched:
                self.decide(ts)
        end = rec.frames[-1][0] + 2 * NS
        self.advance(end)
        self.sample(end)
        for cid, (mode, since) in self.mode_since.items():
            res.modes[mode] = res.modes.get(mode, 0) + end - since
            del cid
        res.events, res.frames = feed.rows - rows, len(rec.frames)
        res.wall_s = time.perf_counter() - started
        return res


    own_levels = staticmethod(own_levels)


def run(paths: list[str], settings: dict[str, str], sim: SimParams) -> Result:
    return Backtest(settings, sim).run(recfile.load(paths))
