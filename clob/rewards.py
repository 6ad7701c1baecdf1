"""Liquidity-rewards scoring, PROTOCOL.md §8.2 (Polymarket's formula): one function for the rewards
scanner, the venue and the backtest.

Prices and sizes are integers in 1e-6 units (0.49 -> 490_000, 100 shares -> 100_000_000); an order on
the NO token is priced in NO. ``mid`` is the YES token's (size-cutoff-adjusted) midpoint, ``max_spread``
the market's ``rewards_max_spread`` in cents (``v``), ``min_size`` its ``rewards_min_size`` in 1e-6
shares. Scores are floats in share units (``S`` per share times shares): they are shares of a pool, not
money on the bus.

- ``S(v, s) = ((v - s) / v)^2 * b`` for an order ``s`` cents from the mid (the NO token's mid is
  ``1 - mid``), 0 at or beyond the band edge and below ``min_size``; ``b`` (in-game multiplier) is 1.
- ``Q_one`` = bids on YES + asks on NO; ``Q_two`` = asks on YES + bids on NO.
- mid in [0.10, 0.90]: ``Q_min = max(min(Q_one, Q_two), max(Q_one, Q_two) / c)``; outside it both sides
  are required: ``Q_min = min(Q_one, Q_two)``. ``c`` = 3.0.
- an owner's ``share`` of one sample is its ``Q_min`` over the sum of every owner's.

Whether an order is old enough to score (``min_order_age_seconds``) is the caller's filter: it knows
when each order was placed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from schemas.units import ONE

CENT = 10_000  # one cent in 1e-6 units
C = 3.0  # the single-sided divisor, 3.0 on every market
TWO_SIDED_LOW, TWO_SIDED_HIGH = 100_000, 900_000  # outside [0.10, 0.90] both sides are required


@dataclass(frozen=True, slots=True)
class RestingOrder:
    owner: str
    token: Literal["yes", "no"]
    side: Literal["BUY", "SELL"]
    price: int  # 1e-6, in the order's own token
    size: int  # 1e-6 shares (remaining)


@dataclass(frozen=True, slots=True)
class Score:
    q_one: float
    q_two: float
    q_min: float
    share: float  # q_min over the sum of every owner's q_min (0 when nobody scores)


def order_score(distance: int, max_spread_cents: float) -> float:
    """``S`` per share of an order ``distance`` (1e-6) from the mid; 0 at or beyond the band edge."""
    v = max_spread_cents
    s = abs(distance) / CENT
    if v <= 0 or s >= v:
        return 0.0
    return ((v - s) / v) ** 2


def distance(order: RestingOrder, mid: int) -> int:
    """The order's distance from its own token's mid (the NO mid is ``1 - mid``), 1e-6."""
    own_mid = mid if order.token == "yes" else ONE - mid
    return abs(order.price - own_mid)


def bucket(order: RestingOrder) -> int:
    """1 for ``Q_one`` (a bid on YES, an ask on NO), 2 for ``Q_two`` (an ask on YES, a bid on NO)."""
    buys_yes_side = (order.token == "yes") == (order.side == "BUY")
    return 1 if buys_yes_side else 2


def q_min(q_one: float, q_two: float, mid: int, c: float = C) -> float:
    if TWO_SIDED_LOW <= mid <= TWO_SIDED_HIGH:
        return max(min(q_one, q_two), max(q_one, q_two) / c)
    return min(q_one, q_two)


def sides(orders: Iterable[RestingOrder], mid: int, max_spread_cents: float,
          min_size: int) -> dict[str, tuple[float, float]]:
    """``(Q_one, Q_two)`` per owner (every owner with an order appears, scoring or not)."""
    out: dict[str, list[float]] = {}
    for o in orders:
        q = out.setdefault(o.owner, [0.0, 0.0])
        if o.size < min_size:
            continue
        s = order_score(distance(o, mid), max_spread_cents)
        if s:
            q[bucket(o) - 1] += s * o.size / ONE
    return {owner: (q[0], q[1]) for owner, q in out.items()}


def score(orders: Iterable[RestingOrder], mid: int, max_spread_cents: float, min_size: int,
          c: float = C) -> dict[str, Score]:
    """One sample: every owner's ``Q_one``, ``Q_two``, ``Q_min`` and share of the sample."""
    per = {owner: (one, two, q_min(one, two, mid, c))
           for owner, (one, two) in sides(orders, mid, max_spread_cents, min_size).items()}
    total = sum(q for _, _, q in per.values())
    return {owner: Score(one, two, q, q / total if total > 0 else 0.0)
            for owner, (one, two, q) in per.items()}
