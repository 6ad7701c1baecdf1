"""The venue pays liquidity rewards (PROTOCOL.md §8.2): samples, per-maker ``Q_min``, accrual per account.

Once per sampling interval (``VenueConfig.rewards_sample_s``, 60 s as on Polymarket; a test shortens it)
at a random moment inside the interval, every reward market's resting orders are scored with
``clob.rewards.score`` (the function the scanner and ``python -m actors.rewards score`` use): per maker
(owner address) ``Q_min``, and each maker's share of the sample. An order younger than the market's
minimum age (``rewards_min_order_age_s``) does not count. The sample pays its slice of the daily pool,
``rate_per_day × interval / 86 400``, split by share, into that maker's earnings of the UTC day.

What differs from Polymarket: Polymarket sums the normalised shares over a week-long epoch and pays
``Q_epoch / Σ Q_epoch × pool`` daily; here each sample pays its slice at once (the same total when every
sample's competition is alike, and visible within seconds in a test). The mid is the plain Yes-book mid
(no size-cutoff adjustment). The synthetic makers score too, so they dilute everyone's share.
Pure: time comes in, no I/O; ``Exchange`` calls ``due`` / ``sample`` from its tick.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec

from clob.rewards import RestingOrder, score
from schemas.units import NS, ONE
from venue.book import Order
from venue.clob_shapes import rewards_max_spread_units
from venue.markets import Market

DAY_S = 86_400


def utc_day(now_ns: int) -> str:
    return datetime.fromtimestamp(now_ns // NS, tz=UTC).strftime("%Y-%m-%d")


class Earning(msgspec.Struct, frozen=True, array_like=True):
    """What one maker earned on one market on one UTC day (pUSD, 1e-6 units, fractions kept)."""

    day: str
    address: str
    condition_id: str
    earned: float
    samples: int  # samples in which the maker scored
    share_sum: float  # sum of its per-sample shares (its average share = share_sum / samples taken)


class RewardsState(msgspec.Struct, frozen=True):
    """What is persisted (venue.persist blob ``rewards``)."""

    earnings: list[Earning]
    taken: dict[str, int]  # "<day>|<condition id>" -> samples taken


class Rewards:
    def __init__(self, *, sample_s: float, min_age_s: int, rng: random.Random, now_ns: int) -> None:
        self.sample_ns = max(1, int(sample_s * NS))
        self.min_age_s = min_age_s
        self._rng = rng
        self.next_ns = self._pick(now_ns)
        # (day, address, condition id) -> [earned, samples scored, sum of shares]
        self._earned: dict[tuple[str, str, str], list[float]] = {}
        self.taken: dict[str, int] = {}
        self.samples = 0

    def _pick(self, now_ns: int) -> int:
        """A random moment in the interval after the one ``now_ns`` is in (``every minute at random``)."""
        start = now_ns // self.sample_ns * self.sample_ns + self.sample_ns
        return start + int(self._rng.random() * self.sample_ns)

    def due(self, now_ns: int) -> bool:
        return now_ns >= self.next_ns

    def sample(self, now_ns: int, markets: Iterable[Market], orders: Iterable[Order]) -> None:
        """Score every reward market's resting orders now and pay the sample's slice of each pool."""
        self.next_ns = self._pick(now_ns)
        self.samples += 1
        day = utc_day(now_ns)
        now_s = now_ns // NS
        by_market: dict[str, list[Order]] = {}
        for order in orders:
            if order.live and order.remaining > 0 and now_s - order.created_s >= self.min_age_s:
                by_market.setdefault(order.condition_id, []).append(order)
        for market in markets:
            if not market.is_reward or market.closed or not (market.best_bid and market.best_ask):
                continue
            key = f"{day}|{market.condition_id}"
            self.taken[key] = self.taken.get(key, 0) + 1
            got = sample_scores(market, by_market.get(market.condition_id, ()))
            slice_ = market.rewards_daily_rate * ONE * self.sample_ns / (DAY_S * NS)
            for address, share in got.items():
                if share <= 0:
                    continue
                acc = self._earned.setdefault((day, address, market.condition_id), [0.0, 0, 0.0])
                acc[0] += slice_ * share
                acc[1] += 1
                acc[2] += share

    # ---- views ------------------------------------------------------------------------------------
    def earnings(self, address: str, day: str | None = None) -> list[Earning]:
        return [Earning(d, a, cid, v[0], int(v[1]), v[2]) for (d, a, cid), v in self._earned.items()
                if a == address and (day is None or d == day)]

    def share(self, address: str, day: str, condition_id: str) -> float:
        """The maker's average share of the day's samples of that market, 0..1."""
        acc = self._earned.get((day, address, condition_id))
        taken = self.taken.get(f"{day}|{condition_id}", 0)
        return acc[2] / taken if acc and taken else 0.0

    # ---- persistence --------------------------------------------------------------------------------
    def snapshot(self) -> RewardsState:
        return RewardsState(earnings=[Earning(d, a, c, v[0], int(v[1]), v[2])
                                      for (d, a, c), v in self._earned.items()], taken=dict(self.taken))

    def restore(self, state: RewardsState) -> None:
        for e in state.earnings:
            self._earned[(e.day, e.address, e.condition_id)] = [e.earned, e.samples, e.share_sum]
        self.taken.update(state.taken)


def resting(order: Order) -> RestingOrder:
    return RestingOrder(order.address, "yes" if order.is_yes else "no",
                        "BUY" if order.side == "BUY" else "SELL", order.price, order.remaining)


def sample_scores(market: Market, orders: Iterable[Order]) -> dict[str, float]:
    """Each maker's share of one sample of ``market`` (orders already filtered by age)."""
    mid = (market.best_bid + market.best_ask) // 2
    cents = rewards_max_spread_units(market) / 10_000
    got = score([resting(o) for o in orders], mid, cents, market.rewards_min_size * ONE)
    return {owner: s.share for owner, s in got.items()}
