"""Exact position math for one token (seed-000 §2.1), in integer 1e-6 units. No I/O.

Units: quantities in 1e-6 shares, prices and average costs in 1e-6 USDC per share, money in 1e-6 USDC.
A product ``qty * price`` is in 1e-12 USDC; it is rescaled to 1e-6 USDC only where a value is shown.

The cost basis is kept exactly: ``cost_e12`` is what the held quantity cost, in 1e-12 USDC. A BUY adds
``size * price``; a SELL (or a burn: a merge, a redemption) of ``n`` of ``qty`` shares removes
``cost_e12 * n / qty`` (rounded half-even to 1e-12 USDC; the last share removes exactly what is left) and
realises ``n * price`` minus that. So once a leg is flat again, its realised PnL is exactly what it
received minus what it paid, which is the venue's cash change to the micro-dollar.

Rounding (the only places precision is lost, and none of them reaches realised PnL over a round trip):
- ``avg_cost`` (shown, and used by the limits and the strategies) = cost_e12 / qty, rounded half-even;
- the cost removed by a partial sale, to 1e-12 USDC (a share is at least 1e-6, so this is far below 1e-6);
- realised PnL is accumulated exactly in 1e-12 USDC and shown rounded half-even to 1e-6;
- unrealised PnL = qty * (mid - avg_cost), summed exactly and rounded half-even to 1e-6 once;
- limit checks compare exact 1e-12 products (``qty * avg_cost`` against the limit * 1e6): no rounding.
With Polymarket's grids (sizes 0.01, prices >= 0.0001) PnL products are whole 1e-6 USDC anyway.

A SELL never makes a quantity negative: selling more than is held sells what is held (PnL on that
part) and the excess is counted as ``oversold`` (a fill we have not seen, or a reversed buy).
When the quantity returns to 0 the average cost resets to 0 (a flat leg has no cost).

Settlement (``Settlement`` messages, applied by the inventory core):
- ``burn(n, value)``: ``n`` shares leave at ``value`` per share (a merge burns YES at 1 and NO at 0, so the
  pair's PnL ``n * (1 - yes_avg - no_avg)`` is booked on the YES leg; a redemption burns the winner at 1
  and the loser at 0); not a fill (``fills`` unchanged);
- ``resolve(value)``: the market resolved; the held quantity is now worth ``value`` per share (1 or 0):
  the difference to its cost is realised and the cost becomes ``qty * value``, so the redemption that
  follows realises nothing more;
- ``adopt(qty, avg)``: an operator's adjustment (``actors.ctl reconcile --adopt-venue``): the quantity
  and cost are set, realised PnL is left as it was.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from schemas.units import MICRO


def div_half_even(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, ties to even (denominator > 0)."""
    q, r = divmod(numerator, denominator)
    twice = 2 * r
    if twice > denominator or (twice == denominator and q % 2 == 1):
        return q + 1
    return q


@dataclass(slots=True)
class Position:
    qty: int = 0
    avg_cost: int = 0  # cost_e12 / qty rounded half-even (0 when flat); kept current by every change
    realized_e12: int = 0  # exact realised PnL in 1e-12 USDC
    fees: int = 0  # 1e-6 USDC paid (0 for makers), subtracted from realised PnL
    fills: int = 0  # applied fills
    oversold: int = 0  # 1e-6 shares sold beyond the held quantity
    cost_e12: int = -1  # exact cost of the held quantity, 1e-12 USDC; -1: qty * avg_cost (as constructed)

    def __post_init__(self) -> None:
        if self.cost_e12 < 0:
            self.cost_e12 = self.qty * self.avg_cost

    def apply(self, side: Literal["BUY", "SELL"], price: int, size: int, fee: int = 0) -> None:
        if side == "BUY":
            self.qty += size
            self.cost_e12 += size * price
            self._reprice()
        else:
            self.burn(size, price)
        self.fees += fee
        self.fills += 1

    def burn(self, size: int, price: int) -> None:
        """``size`` shares leave at ``price`` each (a sale, a merge, a redemption): at most what is held;
        the excess is counted as ``oversold``."""
        sold = min(size, self.qty)
        removed = div_half_even(self.cost_e12 * sold, self.qty) if sold else 0
        self.realized_e12 += price * sold - removed
        self.cost_e12 -= removed
        self.oversold += size - sold
        self.qty -= sold
        self._reprice()

    def resolve(self, value: int) -> None:
        """The market resolved: each held share is worth ``value`` (1e-6 USDC); realise the difference."""
        worth = self.qty * value
        self.realized_e12 += worth - self.cost_e12
        self.cost_e12 = worth
        self._reprice()

    def adopt(self, qty: int, avg_cost: int) -> None:
        """Set the quantity and its cost (an operator's adjustment); realised PnL stays as it was."""
        self.qty, self.cost_e12 = qty, qty * avg_cost
        self._reprice()

    def _reprice(self) -> None:
        if self.qty == 0:
            self.cost_e12 = 0
            self.avg_cost = 0
        else:
            self.avg_cost = div_half_even(self.cost_e12, self.qty)

    @property
    def realized(self) -> int:
        return div_half_even(self.realized_e12, MICRO) - self.fees

    @property
    def value_e12(self) -> int:
        """qty * avg_cost, exact, in 1e-12 USDC."""
        return self.qty * self.avg_cost


Trade = tuple[Literal["BUY", "SELL"], int, int, int]  # (side, price, size, fee)


def fold(trades: Iterable[Trade]) -> Position:
    """The position after these fills, in order (what a replay or a reversal recomputes)."""
    pos = Position()
    for side, price, size, fee in trades:
        pos.apply(side, price, size, fee)
    return pos


@dataclass(frozen=True, slots=True)
class Limits:
    """Seed-000 §2.1 limits, 1e-6 units: PM_MAX_NET_DIFF, PM_MAX_PORTFOLIO_COST, PM_MAX_POSITION_VALUE."""

    max_net_diff: int
    max_portfolio_cost: int
    max_position_value: int


def portfolio_cost(yes: Position, no: Position) -> int:
    """yes_avg_cost + no_avg_cost when both legs are held, else 0."""
    return yes.avg_cost + no.avg_cost if yes.qty > 0 and no.qty > 0 else 0


def can_open(yes: Position, no: Position, limits: Limits) -> bool:
    """The three conditions of seed-000 §2.1, all strict."""
    cost = portfolio_cost(yes, no)
    cap = limits.max_position_value * MICRO
    return (
        abs(yes.qty - no.qty) < limits.max_net_diff
        and (cost == 0 or cost < limits.max_portfolio_cost)
        and yes.value_e12 < cap
        and no.value_e12 < cap
    )


def unrealized(legs: Iterable[tuple[Position, int | None]]) -> int:
    """Unrealised PnL marked to mid, 1e-6 USDC. Each leg comes with ``bid + ask`` (twice the mid, so
    half-ticks stay exact) or None when its book has an empty side: that leg is not marked."""
    total = 0
    for pos, mid2 in legs:
        if mid2 is not None and pos.qty:
            total += pos.qty * (mid2 - 2 * pos.avg_cost)
    return div_half_even(total, 2 * MICRO)
