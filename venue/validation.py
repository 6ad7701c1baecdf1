"""Order checks with the venue's exact error strings (PROTOCOL §5).

A signed order carries amounts, not a price: BUY makerAmount = pUSD, takerAmount = shares; SELL the
reverse. Resting orders (GTC/GTD) must have an exact price on the tick grid; marketable orders
(FOK/FAK) are built by the SDKs with rounded amounts, so their price is snapped to the nearest tick.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from schemas.units import ONE
from venue.money import fmt

RESTING_TYPES = frozenset({"GTC", "GTD"})
ORDER_TYPES = frozenset({"GTC", "GTD", "FOK", "FAK"})

POST_ONLY_CROSSES = "invalid post-only order: order crosses book"
POST_ONLY_TYPE = "invalid post-only order: only GTC and GTD orders can be post-only"
NOT_ENOUGH_BALANCE = "not enough balance / allowance"
MARKET_NOT_READY = "the market is not yet ready to process new orders"
INVALID_EXPIRATION = "invalid expiration"
FOK_NOT_FILLED = "order couldn't be fully filled. FOK orders are fully filled or killed."
FAK_NOT_FILLED = (
    "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is found."
)
ALREADY_DONE = "already canceled or matched"


def tick_error(order_id: str, price_text: str, tick: int) -> str:
    return f"order {order_id} is invalid. Price ({price_text}) breaks minimum tick size rule: {fmt(tick)}"


def size_error(order_id: str, size: int, minimum: int) -> str:
    return f"order {order_id} is invalid. Size ({fmt(size)}) lower than the minimum: {fmt(minimum)}"


def duplicate_error(order_id: str) -> str:
    return f"order {order_id} is invalid. Duplicated."


def stale_error(order_id: str, timestamp_ms: int, now_ms: int, max_age_ms: int) -> str | None:
    """The paper venue's own refusal of an order signed more than ``max_age_ms`` ago (``max_order_age_ms``;
    0: any age). Not a Polymarket string: how old a timestamp Polymarket accepts, and what it answers, is
    not documented; the shape is that of the other order errors."""
    if max_age_ms <= 0 or now_ms - timestamp_ms <= max_age_ms:
        return None
    return (f"order {order_id} is invalid. Timestamp ({timestamp_ms}) is {now_ms - timestamp_ms} ms old, "
            f"older than the paper venue's max_order_age_ms ({max_age_ms})")


def marketable_buy_error(amount: int) -> str:
    return f"invalid amount for a marketable BUY order (${fmt(amount)}), min size: $1"


class Terms(NamedTuple):
    price: int  # own-token limit price, 1e-6 units
    shares: int
    collateral: int  # pUSD amount as signed


def _price_text(collateral: int, shares: int) -> str:
    return format((Decimal(collateral) / Decimal(shares)).normalize(), "f")


def order_terms(
    *, order_id: str, side: str, maker_amount: int, taker_amount: int, order_type: str, tick: int,
    min_size: int,
) -> Terms | str:
    """Price and size from the signed amounts, or the venue's error message."""
    if side == "BUY":
        collateral, shares = maker_amount, taker_amount
    else:
        shares, collateral = maker_amount, taker_amount
    if shares <= 0 or collateral <= 0:
        return size_error(order_id, max(shares, 0), min_size)
    if order_type in RESTING_TYPES:
        if collateral * ONE % shares:
            return tick_error(order_id, _price_text(collateral, shares), tick)
        price = collateral * ONE // shares
    else:  # nearest tick to the (rounded) amounts' ratio
        steps = (2 * collateral * ONE + shares * tick) // (2 * shares * tick)
        price = steps * tick
    if price % tick or price < tick or price > ONE - tick:
        return tick_error(order_id, fmt(price) if price * shares == collateral * ONE else _price_text(
            collateral, shares), tick)
    if order_type in RESTING_TYPES and shares < min_size:
        return size_error(order_id, shares, min_size)
    if order_type not in RESTING_TYPES and side == "BUY" and collateral < ONE:
        return marketable_buy_error(collateral)
    return Terms(price, shares, collateral)


def expiration_error(*, order_type: str, expiration: int, now_s: int, buffer_s: int) -> str | None:
    """GTD needs an expiration beyond the one-minute security threshold; others must not set one."""
    if order_type == "GTD":
        return None if expiration > now_s + buffer_s else INVALID_EXPIRATION
    return None if expiration == 0 else INVALID_EXPIRATION
