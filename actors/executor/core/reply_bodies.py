"""Parsers for the CLOB REST replies the executor reads (PROTOCOL.md §4.2, §4.5, §4.7).

The venue edge: numbers arrive as strings ("0.5000", "100.0000") and become 1e-6 units here, by the
rules of ``schemas.units``: prices exact (``price``), sizes floored (``size``). Parsers are lenient
about extra keys and ``null``s (the real captures in
``fixtures/nautilus_trader/crates_test_data/http_*.json`` have both) and never raise on an unexpected
shape: they return "nothing recognised" (0 for a number) and the caller treats it as such.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from schemas.units import MICRO, parse_floor, parse_price, parse_size


class Leg(msgspec.Struct, frozen=True, kw_only=True):
    """One order's answer from ``POST /order`` or one element of ``POST /orders``."""

    ok: bool
    order_id: str
    status: str  # live | matched | delayed | unmatched (lower-case), "" on failure
    error: str


class VenueOrder(msgspec.Struct, frozen=True, kw_only=True):
    """An open order from ``/data/orders`` or ``/data/order/{id}``."""

    order_id: str
    market: str
    asset: str
    side: str
    price: int
    size: int  # original size
    size_matched: int
    status: str
    order_type: str
    expiration: int


def _or_zero(parse: Callable[[Any], int], value: Any) -> int:
    try:
        return parse(value)
    except ValueError:  # also None, a bool, a nested object: nothing recognised
        return 0


def price(value: Any) -> int:
    """A price in 1e-6 units, exact and within (0, 1] (``parse_price``); 0 for anything else."""
    return _or_zero(parse_price, value)


def size(value: Any) -> int:
    """A size in 1e-6 units, floored past the sixth decimal (``parse_size``); 0 for anything
    unparsable, negative, or too large for the bus."""
    return _or_zero(parse_size, value)


def seconds(value: Any) -> int:
    """Unix seconds (``expiration``), a fraction dropped (``parse_floor``); 0 for anything unparsable."""
    return _or_zero(parse_floor, value) // MICRO


def _str(obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    return value if isinstance(value, str) else ""


def parse_leg(obj: Any) -> Leg:
    if not isinstance(obj, dict):
        return Leg(ok=False, order_id="", status="", error="unrecognised order response")
    order_id = _str(obj, "orderID")
    error = _str(obj, "errorMsg") or _str(obj, "error")
    status = _str(obj, "status").lower() or "live"  # older captures leave it out: accepted = resting
    ok = obj.get("success") is True and bool(order_id) and not error and status != "unmatched"
    if not ok and not error:
        error = "order not accepted" if status != "unmatched" else "unmatched"
    return Leg(ok=ok, order_id=order_id, status=status if ok else "", error=error)


def parse_legs(body: Any) -> list[Leg]:
    """``POST /order`` (one object) or ``POST /orders`` (an array, in request order)."""
    if isinstance(body, list):
        return [parse_leg(item) for item in body]
    return [parse_leg(body)]


def parse_cancel(body: Any) -> tuple[list[str], dict[str, str]]:
    """``{"canceled": [ids], "not_canceled": {id: reason}}`` from any cancel endpoint."""
    if not isinstance(body, dict):
        return [], {}
    ids = body.get("canceled")
    canceled = [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
    raw = body.get("not_canceled") or {}
    not_canceled = {k: str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    return canceled, not_canceled


def parse_order(obj: Any) -> VenueOrder | None:
    """One order object; None for ``null`` / ``{}`` (``/data/order/{id}`` of a finished order)."""
    if not isinstance(obj, dict) or not _str(obj, "id"):
        return None
    status = _str(obj, "status").upper().removeprefix("ORDER_STATUS_")
    return VenueOrder(
        order_id=_str(obj, "id"),
        market=_str(obj, "market"),
        asset=_str(obj, "asset_id"),
        side=_str(obj, "side").upper(),
        price=price(obj.get("price")),
        size=size(obj.get("original_size")),
        size_matched=size(obj.get("size_matched")),
        status=status,
        order_type=_str(obj, "order_type"),
        expiration=seconds(obj.get("expiration")),
    )


def parse_orders(body: Any) -> list[VenueOrder]:
    """A ``/data/orders`` page (``{"data": [...]}``) or a plain array; only orders still open."""
    items = body.get("data") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return []
    parsed = (parse_order(item) for item in items)
    return [o for o in parsed if o is not None and is_open(o.status)]


def is_open(status: str) -> bool:
    """LIVE (or DELAYED) orders are open; everything else (MATCHED, CANCELED_..., INVALID) is done."""
    return status in ("LIVE", "DELAYED", "")


def next_cursor(body: Any) -> str:
    cursor = body.get("next_cursor") if isinstance(body, dict) else None
    return cursor if isinstance(cursor, str) else ""


def trade_order_ids(body: Any) -> set[str]:
    """Every order id in a ``/data/trades`` page: each trade's taker order and its maker orders."""
    items = body.get("data") if isinstance(body, dict) else body
    ids: set[str] = set()
    for trade in items if isinstance(items, list) else []:
        if not isinstance(trade, dict):
            continue
        ids.add(_str(trade, "taker_order_id"))
        makers = trade.get("maker_orders")
        for maker in makers if isinstance(makers, list) else []:
            if isinstance(maker, dict):
                ids.add(_str(maker, "order_id"))
    ids.discard("")
    return ids
