"""CLOB V2 limit-order amounts, exactly as the SDK computes them (PROTOCOL.md §4.4). Pure integers.

Prices and sizes enter as integers in 1e-6 units (the bus unit: 0.53 -> 530_000, 12.5 shares ->
12_500_000); :func:`order_amounts_decimal` is the ``Decimal`` front door (``schemas.units`` parses: the
price exactly, on the tick grid; the size floored). No floats anywhere.

The rounding is polymarket-client 0.14.0's limit-order rule: the share size is floored to the tick's size
decimals; the notional ``shares * price`` is rounded to the tick's amount decimals by "ceil at amount+4
decimals, then floor at amount decimals"; BUY gives (maker = notional USDC, taker = shares), SELL the
reverse. For an on-grid price the notional is always exact, so the rounding step only matters for
off-grid inputs (which we reject, as the SDK does).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

from schemas.units import MICRO, parse_exact, parse_floor, parse_price

Side = Literal["BUY", "SELL"]


class OrderError(ValueError):
    """An order input the SDK (or the CLOB) would reject."""


class RoundingConfig(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Decimal places allowed for price, share size and USDC/share amounts at one tick size."""

    price: int
    size: int
    amount: int


ROUNDING: dict[int, RoundingConfig] = {
    100_000: RoundingConfig(price=1, size=2, amount=3),  # 0.1
    10_000: RoundingConfig(price=2, size=2, amount=4),  # 0.01
    5_000: RoundingConfig(price=3, size=2, amount=5),  # 0.005
    2_500: RoundingConfig(price=4, size=2, amount=6),  # 0.0025
    1_000: RoundingConfig(price=3, size=2, amount=5),  # 0.001
    100: RoundingConfig(price=4, size=2, amount=6),  # 0.0001
}
"""Rounding config by tick size in 1e-6 units (PROTOCOL.md §4.4)."""
TICK_SIZES: tuple[str, ...] = ("0.1", "0.01", "0.005", "0.0025", "0.001", "0.0001")


def tick_units(tick: str | Decimal) -> int:
    """A supported tick size (``"0.01"``, ``Decimal("0.0025")``, ...) in 1e-6 units."""
    try:
        units = parse_exact(tick)
    except ValueError:
        raise OrderError(f"unsupported tick size: {tick!r}") from None
    if units not in ROUNDING:
        raise OrderError(f"unsupported tick size: {tick!r}")
    return units


def _rounding(tick_u: int) -> RoundingConfig:
    config = ROUNDING.get(tick_u)
    if config is None:
        raise OrderError(f"unsupported tick size: {tick_u} (1e-6 units)")
    return config


def _round_notional(notional_e12: int, amount_decimals: int) -> int:
    """SDK ``_round_amount`` + ``parse_amount`` on a value in 1e-12 units; result in 1e-6 units."""
    quantum = 10 ** (12 - amount_decimals)
    if notional_e12 % quantum:
        fine = 10 ** (12 - amount_decimals - 4)
        notional_e12 = -(-notional_e12 // fine) * fine  # ceil at amount + 4 decimals
        notional_e12 -= notional_e12 % quantum  # then floor at amount decimals
    return notional_e12 // MICRO  # amount decimals <= 6, so this division is exact


def order_amounts(side: Side, price_u: int, size_u: int, tick_u: int) -> tuple[int, int]:
    """``(maker_amount, taker_amount)`` in 1e-6 units for a limit order, as the SDK computes them.

    ``price_u`` must be on the tick grid within ``[tick, 1 - tick]``; ``size_u`` (shares) is floored
    to the tick's size decimals and must stay positive.
    """
    config = _rounding(tick_u)
    if not tick_u <= price_u <= MICRO - tick_u or price_u % tick_u:
        raise OrderError(f"price {price_u} is not on the {tick_u} grid within [tick, 1 - tick]")
    shares = size_u - size_u % 10 ** (6 - config.size)
    if shares <= 0:
        raise OrderError(f"size {size_u} rounds to zero shares")
    notional = _round_notional(shares * price_u, config.amount)
    if side == "BUY":
        return notional, shares
    if side == "SELL":
        return shares, notional
    raise OrderError(f"side must be 'BUY' or 'SELL', got {side!r}")


def order_amounts_decimal(
    side: Side, price: Decimal | str, size: Decimal | str, tick: Decimal | str
) -> tuple[int, int]:
    """:func:`order_amounts` for ``Decimal`` (or decimal-string) price, size and tick.

    The price must be exact and on the tick grid (``parse_price``); the size may have any number of
    decimals, as the SDK allows: floored to 1e-6 here (``parse_floor``), then to the tick's size
    decimals (2) by :func:`order_amounts`, which is the SDK's floor to 2 decimals."""
    tick_u = tick_units(tick)
    try:
        price_u = parse_price(price, tick_u)
    except ValueError as exc:
        raise OrderError(f"price {price!r} is not on the {tick} grid: {exc}") from None
    try:
        size_u = parse_floor(size)
    except ValueError:
        raise OrderError(f"bad size: {size!r}") from None
    return order_amounts(side, price_u, size_u, tick_u)
