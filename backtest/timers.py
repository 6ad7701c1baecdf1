"""The backtest's timers, as the programs run them live: the 1 s timers (heartbeats, OFI's snapshot, the
holding's merges, the PnL sample), OFI's window expiry, inventory's marks, and every simulated minute the
liquidity rewards (``clob.rewards.score``: our resting orders against the recorded book's levels, our share
of the market's daily pool / 1440)."""

from __future__ import annotations

from actors.coordinator.core import DEPENDENCIES
from actors.coordinator.merging import merge_command
from actors.ofi.main import EXPIRY_MS as OFI_EXPIRY_MS
from backtest import recfile
from backtest.coordinators import Coordinators
from bus.effects import Effects
from clob import rewards
from schemas import (
    Settlement,
)
from schemas.units import MS, NS, ONE

MINUTE = 60 * NS


class Timers(Coordinators):
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
        tops = []
        for a in self.marked:
            st = assets.get(a)
            if st is not None and st.book is not None:
                bid, ask = st.book.top()
                tops.append((a, bid, ask if ask < ONE else 0))
        fx = Effects()
        self.inventory.on_timer(tops, now, fx)
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
        inv = self.inventory
        for cid in res.markets:
            tokens = inv.markets.get(cid)
            if tokens is None:
                continue
            if cid in inv.resolved:  # its shares are cash now: realised PnL only (no state built)
                realised += inv.position(tokens.yes_asset).realized + inv.position(tokens.no_asset).realized
                continue
            st = inv.state(cid, now)
            realised += st.realized_pnl
            frozen = self.frozen.get(cid)  # a retired window: its unrealised PnL when its coordinator left
            unrealised += st.unrealized_pnl if frozen is None else frozen
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

