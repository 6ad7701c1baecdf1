"""The OFI engine's functional core (seed-000 §2.2): taker-flow windows per token. No I/O, no clock.

For each token, a sliding window of ``window_ms`` over the public tape (``Trade.side`` is the taker's):
``buy_volume``, ``sell_volume``, ``score = buy - sell``, toxic when ``|score| > threshold`` (strictly:
``|score| == threshold`` is not toxic). A market's YES side is its lease's ``yes_asset``, NO its
``no_asset``; either side toxic makes the market toxic (the coordinators' global kill).

Time: a trade is stamped with its event time (``ts_event``, or ``ts_recv`` when the venue gave none),
capped at ``now`` (a venue clock running ahead must not keep a trade in the window longer than the window).
At time ``now`` the window holds the trades with ``now - window < t``: a trade exactly ``window`` old has
expired. ``now`` is the local clock, passed in by the shell on every trade and on a timer, so windows
empty as time passes even when no trade arrives.

With ``PM_OFI_ADAPTIVE=true`` the threshold and the toxic flag of each side come from
``actors.ofi.adaptive`` instead (rolling quantile, hysteresis, minimum hold); off by default.

Output (``bus.effects``): every handler fills the ``Effects`` it is handed. A market's ``OfiState`` is
published on ``ofi.state.<condition>.`` when it changes (a trade, a trade leaving the window, a new lease)
and for every leased market by ``snapshot`` (the shell's 1 s timer); a market turning toxic or clear is
noted (``ofi_toxic`` / ``ofi_clear``), and so is a market becoming active or inactive.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field

from actors.ofi.adaptive import Adaptive, AdaptiveParams
from bus import topics
from bus.effects import Effects
from bus.leases import LeaseTable
from schemas import Lease, LeaseRelease, OfiSide, OfiState, Trade
from schemas.units import MS


@dataclass(slots=True)
class Window:
    """One token's taker volume over the last ``span`` ns; entries (t, buy, sell) in time order."""

    span: int
    entries: deque[tuple[int, int, int]] = field(default_factory=deque)
    buy: int = 0
    sell: int = 0

    def add(self, t: int, side: str, size: int, now: int) -> bool:
        """Count one trade; False if it is already outside the window."""
        t = min(t, now)
        if t <= now - self.span or size <= 0:
            return False
        entry = (t, size, 0) if side == "BUY" else (t, 0, size)
        if not self.entries or self.entries[-1][0] <= t:
            self.entries.append(entry)
        else:  # out of order (rare): insert in place, scanning from the newest
            i = len(self.entries)
            while i > 0 and self.entries[i - 1][0] > t:
                i -= 1
            self.entries.insert(i, entry)
        self.buy += entry[1]
        self.sell += entry[2]
        return True

    def expire(self, now: int) -> bool:
        """Drop the trades at least ``span`` old; True if any were dropped."""
        edge = now - self.span
        dropped = False
        while self.entries and self.entries[0][0] <= edge:
            _, buy, sell = self.entries.popleft()
            self.buy -= buy
            self.sell -= sell
            dropped = True
        return dropped


@dataclass(frozen=True, slots=True)
class Market:
    market: str
    yes_asset: str
    no_asset: str


class Ofi:
    def __init__(self, window_ms: int, threshold: int, adaptive: AdaptiveParams | None = None) -> None:
        self.window_ms = window_ms
        self.span = window_ms * MS
        self.threshold = threshold
        self.windows: dict[str, Window] = {}  # asset -> window (any token seen on the tape)
        self.markets: dict[str, Market] = {}  # condition id -> tokens, for the leased markets
        self.leases = LeaseTable()  # markets held by at least one coordinator
        self.published: dict[str, tuple[OfiSide, OfiSide]] = {}  # last sides sent per market
        self.toxic: dict[str, bool] = {}  # last toxicity noted per market
        self.topics: dict[str, bytes] = {}  # market -> its ofi.state topic, built once
        self.adaptive = Adaptive(adaptive) if adaptive is not None else None

    def window(self, asset: str) -> Window:
        w = self.windows.get(asset)
        if w is None:
            w = self.windows[asset] = Window(self.span)
        return w

    # -- inputs ---------------------------------------------------------------------------------

    def on_lease(self, lease: Lease, now: int, fx: Effects) -> bool:
        """Learn (or renew) a market; True (and its state published at once) when it is new or its tokens
        changed."""
        if not (lease.market and lease.yes_asset and lease.no_asset):
            return False
        known = Market(lease.market, lease.yes_asset, lease.no_asset)
        self.leases.on_lease(lease, now)
        if self.markets.get(lease.market) == known:
            return False
        self.markets[lease.market] = known
        self.published.pop(lease.market, None)
        fx.note("market_active", market=lease.market, holder=lease.holder, yes_asset=lease.yes_asset,
                no_asset=lease.no_asset)
        self.changed(now, fx)
        return True

    def on_release(self, release: LeaseRelease, fx: Effects) -> bool:
        """True if the market is no longer held by any coordinator (it is then forgotten)."""
        if not (self.leases.on_release(release) and self._forget(release.market)):
            return False
        fx.note("market_inactive", market=release.market, reason="released")
        return True

    def _forget(self, market: str) -> bool:
        self.published.pop(market, None)
        self.toxic.pop(market, None)
        return self.markets.pop(market, None) is not None

    def on_trade(self, trade: Trade, now: int, fx: Effects) -> None:
        """Count a trade; publish the states that changed (of markets holding this token)."""
        t = trade.ts_event or trade.ts_recv
        window = self.window(trade.asset)
        dropped = window.expire(now)
        added = window.add(t, trade.side, trade.size, now)
        if dropped or added:
            self.changed(now, fx, (trade.asset,))

    def on_timer(self, now: int, fx: Effects) -> None:
        """Let time pass: expire old trades and leases; publish the states that changed."""
        for market in self.leases.expire(now):
            if self._forget(market):
                fx.note("market_inactive", market=market, reason="lease_expired")
        aged: set[str] = set()  # tokens whose window lost trades: only their markets' sides can change
        for asset, window in list(self.windows.items()):
            if window.expire(now):
                aged.add(asset)
            if not window.entries:
                del self.windows[asset]
        if self.adaptive is not None:  # its thresholds move with time: every market is checked
            watched = [a for m in self.markets.values() for a in (m.yes_asset, m.no_asset)]
            self.adaptive.sample({a: self.score(a) for a in watched}, now)
            self.changed(now, fx)
        elif aged:
            self.changed(now, fx, aged)

    # -- outputs --------------------------------------------------------------------------------

    def score(self, asset: str) -> int:
        w = self.windows.get(asset)
        return 0 if w is None else w.buy - w.sell

    def side(self, asset: str, now: int) -> OfiSide:
        w = self.windows.get(asset)
        buy, sell = (0, 0) if w is None else (w.buy, w.sell)
        score = buy - sell
        if self.adaptive is None:  # the seed's rule, exactly
            threshold, toxic = self.threshold, abs(score) > self.threshold
        else:
            threshold, toxic = self.adaptive.threshold(asset), self.adaptive.toxic(asset, score, now)
        return OfiSide(buy_volume=buy, sell_volume=sell, score=score, threshold=threshold, toxic=toxic)

    def state(self, market: str, now: int) -> OfiState:
        m = self.markets[market]
        yes, no = self.side(m.yes_asset, now), self.side(m.no_asset, now)
        return OfiState(market=market, yes=yes, no=no, toxic=yes.toxic or no.toxic, window_ms=self.window_ms,
                        ts=now)

    def changed(self, now: int, fx: Effects, assets: Collection[str] | None = None) -> None:
        """Publish the states that differ from the last one published (only of markets holding one of
        ``assets``, if given). The sides are compared first: the ``OfiState`` is built only for what is
        published (this runs on every trade and every timer tick)."""
        published, side = self.published, self.side
        for market, m in self.markets.items():
            if assets is not None and m.yes_asset not in assets and m.no_asset not in assets:
                continue
            sides = (side(m.yes_asset, now), side(m.no_asset, now))
            if published.get(market) != sides:
                published[market] = sides
                yes, no = sides
                self._publish(OfiState(market=market, yes=yes, no=no, toxic=yes.toxic or no.toxic,
                                       window_ms=self.window_ms, ts=now), fx)

    def snapshot(self, now: int, fx: Effects) -> None:
        """Every leased market's state (the periodic publication)."""
        for market in self.markets:
            state = self.state(market, now)
            self.published[market] = (state.yes, state.no)
            self._publish(state, fx)

    def _publish(self, state: OfiState, fx: Effects) -> None:
        topic = self.topics.get(state.market)
        if topic is None:
            try:
                topic = topics.ofi_state(state.market)
            except topics.TopicError:
                return  # a market no topic can carry: nobody could subscribe to it
            if len(self.topics) >= 4096:  # markets come and go (a window each): bounded
                self.topics.clear()
            self.topics[state.market] = topic
        fx.publish(topic, state)
        if self.toxic.get(state.market, False) != state.toxic:
            self.toxic[state.market] = state.toxic
            fx.note("ofi_toxic" if state.toxic else "ofi_clear", market=state.market,
                    yes_score=state.yes.score, no_score=state.no.score, threshold=state.yes.threshold)
