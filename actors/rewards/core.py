"""The rewards scanner's pure core: seed-004 §3.1's filters in the seed's order, the ranking, and the list.

A scan takes every reward market (``Candidate``: the venue's rewards entry, Gamma's metadata and both
books) and keeps the ones that pass, in this order (each rejection is noted with its step):

1. question blacklist (a keyword, any case)            5. live spread range (the YES book's)
2. 24 h volume range                                   6. days until the end >= ``min_days_until_end``
3. ``rewards_min_size`` range                          7. daily rate range
4. both books present (a bid and an ask each)          8. reward ratio >= ``min_reward_ratio``
9. safety checks (``reward_rules``) on each token's planned bid: a two-sided market (a mid <= 0.10 or
   >= 0.90) needs every token to pass, any other market one token.

The survivors are ranked by the reward ratio (§2.2.2: our shares × 2 / the shares at the book's best two
bid and ask levels × the daily rate; our shares = ``rewards_min_size × multiplier × 2``), and beside it by
our estimated $/day: the ``Q_min`` of our planned bids against the ``Q_min`` of the orders already in the
book (``clob.rewards.score``, PROTOCOL §8.2), times the pool. The top ``max_markets`` are published as
``RewardMarket`` (rank 1 first). Mid samples for the volatility check arrive with every scan and every
book poll (``sample``), the last 30 per token.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

import msgspec

from actors.coordinator.strategies import reward_rules as rules
from actors.rewards.config import RewardsConfig
from bus import topics
from bus.effects import Effects
from clob.rewards import RestingOrder, score
from schemas import RewardMarket, RewardScoring
from schemas.units import NS, ONE

DAY_NS = 86_400 * NS
TWO_SIDED_LOW, TWO_SIDED_HIGH = 100_000, 900_000
TRACKED_PER_SELECTED = 3  # markets whose books are polled between scans, per market selected
Levels = tuple[tuple[int, int], ...]


class TokenBook(msgspec.Struct, frozen=True):
    asset: str
    bids: Levels  # best first
    asks: Levels


class Candidate(msgspec.Struct, frozen=True, kw_only=True):
    market: str  # condition id
    slug: str
    question: str
    yes: TokenBook
    no: TokenBook
    tick: int
    market_min: int  # the market's minimum order size, shares 1e-6
    min_size: int  # rewards_min_size, shares 1e-6
    max_spread: int  # the reward band, price 1e-6 (3.5c -> 35_000)
    daily_rate: int  # USDC/day 1e-6
    volume_24h: int
    end_ns: int


class Ranked(msgspec.Struct, frozen=True):
    candidate: Candidate
    ratio: int
    est_daily: int
    order_size: int
    two_sided: bool


def in_range(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def reward_ratio(c: Candidate, size_mult: int) -> int:
    """§2.2.2: ``(ours × 2) / competitors × rate``; ours = ``rewards_min_size × multiplier × 2`` (both
    sides), competitors = the sizes at the YES book's best two bids and best two asks. 1e-6 units."""
    ours = c.min_size * size_mult // ONE * 2
    book = sum(s for _, s in c.yes.bids[:2]) + sum(s for _, s in c.yes.asks[:2])
    if book <= 0:
        return 0
    return ours * 2 * c.daily_rate // book


def planned(c: Candidate, size: int, mids: Mapping[str, Sequence[int]],
            cfg: RewardsConfig) -> tuple[dict[str, int], list[str]]:
    """Our planned bid per token that passes the safety checks (asset -> price), and each failure."""
    bids: dict[str, int] = {}
    why: list[str] = []
    for leg, book in (("yes", c.yes), ("no", c.no)):
        price = rules.buy_price(book.bids, book.asks, c.max_spread, c.tick)
        if price is None:
            why.append(f"{leg}: fewer than two bid levels")
            continue
        reason = rules.safety(book.bids, price, size, mids.get(book.asset, ()), cfg.safety)
        if reason:
            why.append(f"{leg}: {reason}")
        else:
            bids[leg] = price
    return bids, why


def estimate(c: Candidate, bids: dict[str, int], size: int) -> int:
    """Our $/day (1e-6) if our planned bids rest now: our ``Q_min`` share against the book's orders (the
    YES book's levels, one owner) times the pool (PROTOCOL §8.2)."""
    yes_mid = rules.mid(c.yes.bids, c.yes.asks)
    if not yes_mid or not bids:
        return 0
    orders = [RestingOrder("book", "yes", "BUY", px, s) for px, s in c.yes.bids]
    orders += [RestingOrder("book", "yes", "SELL", px, s) for px, s in c.yes.asks]
    orders += [RestingOrder("us", leg, "BUY", px, size) for leg, px in bids.items()]  # type: ignore[arg-type]
    got = score(orders, yes_mid, c.max_spread / 10_000, c.min_size)
    share = got["us"].share if "us" in got else 0.0
    return int(share * c.daily_rate)


def two_sided(c: Candidate) -> bool:
    m = rules.mid(c.yes.bids, c.yes.asks)
    return not TWO_SIDED_LOW < m < TWO_SIDED_HIGH


class Scanner:
    def __init__(self, cfg: RewardsConfig) -> None:
        self.cfg = cfg
        self.mids: dict[str, deque[int]] = {}
        self.selected: list[RewardMarket] = []
        self.tracked: list[Candidate] = []  # the best by ratio of filters 1-7: their books are polled

    def sample(self, books: Sequence[TokenBook]) -> None:
        """A mid sample per token (the volatility check's window, the last 30)."""
        for b in books:
            m = rules.mid(b.bids, b.asks)
            if m:
                self.mids.setdefault(b.asset, deque(maxlen=self.cfg.safety.volatility_samples)).append(m)

    def reject(self, c: Candidate, now: int) -> str:
        """The first of filters 1-7 that ``c`` fails, as ``"<step> <why>"``, or ``""``."""
        cfg, q = self.cfg, c.question.lower()
        word = next((w for w in cfg.blacklist_words if w in q), None)
        if word is not None:
            return f"1 blacklist {word!r}"
        if not in_range(c.volume_24h, cfg.volume_min, cfg.volume_max):
            return f"2 volume_24h {c.volume_24h}"
        if not in_range(c.min_size, cfg.min_size_min, cfg.min_size_max):
            return f"3 rewards_min_size {c.min_size}"
        if not (c.yes.bids and c.yes.asks and c.no.bids and c.no.asks):
            return "4 no book"
        spread = c.yes.asks[0][0] - c.yes.bids[0][0]
        if not in_range(spread, cfg.spread_min, cfg.spread_max):
            return f"5 spread {spread}"
        if c.end_ns - now < cfg.min_days_until_end * DAY_NS:
            return f"6 days_until_end {(c.end_ns - now) / DAY_NS:.1f}"
        if not in_range(c.daily_rate, cfg.rate_min, cfg.rate_max):
            return f"7 rate_per_day {c.daily_rate}"
        return ""

    def rank(self, candidates: Sequence[Candidate], now: int, fx: Effects) -> list[Ranked]:
        """Filters 1-9 in order, then the ranking (ratio, then $/day); notes each rejection."""
        cfg = self.cfg
        self.sample([b for c in candidates for b in (c.yes, c.no)])
        kept: list[Ranked] = []
        passed: list[tuple[int, Candidate]] = []
        for c in candidates:
            why = self.reject(c, now)
            if not why:
                ratio = reward_ratio(c, cfg.size_mult)
                passed.append((ratio, c))
                if ratio < cfg.min_reward_ratio:
                    why = f"8 reward_ratio {ratio}"
            if not why:
                size = rules.order_size(c.min_size, cfg.size_mult, c.market_min)
                bids, failures = planned(c, size, self.mids, cfg)
                both = two_sided(c)
                if (both and len(bids) < 2) or not bids:
                    why = "9 safety " + "; ".join(failures)
                else:
                    kept.append(Ranked(c, ratio, estimate(c, bids, size), size, both))
                    continue
            fx.note("market_rejected", market=c.market[:12], slug=c.slug, why=why)
        kept.sort(key=lambda r: (-r.ratio, -r.est_daily, r.candidate.market))
        passed.sort(key=lambda rc: (-rc[0], rc[1].market))  # books polled between scans: the best 3 × N
        self.tracked = [c for _, c in passed[:TRACKED_PER_SELECTED * cfg.max_markets]]
        return kept[:cfg.max_markets]

    def scan(self, candidates: Sequence[Candidate], now: int, fx: Effects) -> list[RewardMarket]:
        """Rank, publish the new selection (rank order), note it; ``selected`` keeps it for late joiners."""
        top = self.rank(candidates, now, fx)
        self.selected = [
            RewardMarket(market=r.candidate.market, slug=r.candidate.slug,
                         assets=[r.candidate.yes.asset, r.candidate.no.asset], min_size=r.candidate.min_size,
                         max_spread=r.candidate.max_spread, daily_rate=r.candidate.daily_rate,
                         volume_24h=r.candidate.volume_24h, end_ts=r.candidate.end_ns, score=r.ratio, ts=now,
                         rank=k, selected=len(top), reward_ratio=r.ratio, est_daily=r.est_daily,
                         tick=r.candidate.tick, order_size=r.order_size, two_sided=r.two_sided,
                         question=r.candidate.question)
            for k, r in enumerate(top, start=1)]
        fx.note("markets_selected", scanned=len(candidates), selected=len(top),
                slugs=[m.slug for m in self.selected],
                est_daily_usd=[round(m.est_daily / ONE, 4) for m in self.selected])
        self.publish(fx)
        return self.selected

    def publish(self, fx: Effects) -> None:
        """The last selection again (every second: late joiners get it from the owner)."""
        for m in self.selected:
            fx.publish(topics.rewards_market(m.market), m)

    def on_scoring(self, found: Mapping[str, Mapping[str, bool]], now: int, fx: Effects) -> None:
        """Our orders per selected market (condition id -> order id -> scoring, from ``/orders-scoring``):
        one ``RewardScoring`` per selected market, with the scan's $/day estimate."""
        for m in self.selected:
            orders = dict(found.get(m.market, {}))
            scoring = sum(orders.values())
            fx.publish(topics.rewards_scoring(m.market), RewardScoring(
                market=m.market, slug=m.slug, orders=orders, scoring=scoring, est_daily=m.est_daily, ts=now))
        fx.note("order_scoring", markets={m.slug: [sum(found.get(m.market, {}).values()),
                                                   len(found.get(m.market, {}))] for m in self.selected})
