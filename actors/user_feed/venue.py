"""Polymarket's user channel as it arrives: ``order`` / ``trade`` events and REST ``/data/trades`` rows.

The venue's own shapes live here (PROTOCOL.md §2), converted to bus units at the edge:
- every number is a string (sometimes a JSON number, sometimes ``""``) turned into integer 1e-6 units
  by the rules of ``schemas.units``: fill prices exact (``price``), order prices exact (``order_price``),
  sizes and matched amounts floored (``size``);
- times come as unix seconds, milliseconds (``timestamp``), or ISO strings in some samples (``to_ns``);
- statuses carry reason suffixes (``"UNMATCHED_invalid post-only order: ..."``) and REST spells them
  ``ORDER_STATUS_LIVE`` / ``TRADE_STATUS_CONFIRMED`` (``order_status`` / ``trade_status``: a prefix
  match against an allow-list, gotcha 9);
- frames are one object, an array of objects, or plain text (``PONG``) (``parse_frame``, gotcha 4);
  an event without ``event_type`` (REST rows, some samples) is typed by its ``type`` field.
"""

from __future__ import annotations

import calendar
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple, cast

import msgspec

from schemas.units import MAX_INT64, MS, NS, parse_exact, parse_fill_price, parse_size
from schemas.user import TradeStatus

Amount = str | int | float | None  # numbers as the venue sends them


class MakerOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One resting order a taker matched. Its asset, price and side are the maker's own (gotcha 8)."""

    order_id: str = ""
    owner: str = ""  # the maker's API key
    maker_address: str = ""
    matched_amount: Amount = None
    price: Amount = None
    asset_id: str = ""
    outcome: str = ""
    side: str = ""  # absent in older captures
    fee_rate_bps: Amount = None


class UserOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag_field="event_type", tag="order"):
    id: str = ""
    type: str = ""  # PLACEMENT | UPDATE | CANCELLATION
    status: str = ""
    market: str = ""
    asset_id: str = ""
    side: str = ""
    price: Amount = None
    original_size: Amount = None
    size_matched: Amount = None  # cumulative
    owner: str = ""
    maker_address: str = ""
    outcome: str = ""
    order_type: str = ""
    timestamp: Amount = None  # ms


class UserTrade(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag_field="event_type", tag="trade"):
    """A trade; the top level describes the taker, ``maker_orders`` the makers it matched."""

    id: str = ""
    type: str = ""
    status: str = ""
    taker_order_id: str = ""
    market: str = ""
    asset_id: str = ""
    side: str = ""
    size: Amount = None
    price: Amount = None
    fee_rate_bps: Amount = None
    match_time: Amount = None  # s
    last_update: Amount = None  # s
    timestamp: Amount = None  # ms (s in some captures)
    owner: str = ""  # the taker's API key
    trade_owner: str = ""  # the API key this copy is for
    maker_address: str = ""  # the taker's funder
    trader_side: str = ""  # our role: TAKER | MAKER
    transaction_hash: str | None = None
    maker_orders: list[MakerOrder] | None = None


UserEvent = UserOrder | UserTrade


class _Untagged(msgspec.Struct, kw_only=True, gc=False):
    type: str = ""


class Parsed(NamedTuple):
    events: list[UserEvent]
    text: str  # a non-JSON frame such as "PONG" ("" for JSON)
    skipped: int  # JSON items that are not order/trade events, or malformed


class TradesPage(NamedTuple):
    trades: list[UserTrade]
    next_cursor: str
    skipped: int


_event = msgspec.json.Decoder(UserEvent)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_untagged = msgspec.json.Decoder(_Untagged)
_order = msgspec.json.Decoder(UserOrder)
_trade = msgspec.json.Decoder(UserTrade)
_ORDER_TYPES = ("PLACEMENT", "UPDATE", "CANCELLATION")


class _Page(msgspec.Struct, gc=False):
    data: list[msgspec.Raw] = []
    next_cursor: str = ""


_page = msgspec.json.Decoder(_Page)


def _one(raw: bytes | msgspec.Raw) -> UserEvent | None:
    event: UserEvent | None = None
    try:
        event = _event.decode(raw)
    except msgspec.ValidationError as exc:
        if "missing required field `event_type`" not in str(exc):
            return None
        try:  # no event_type (some samples): the `type` field tells which it is
            kind = _untagged.decode(raw).type
            event = _trade.decode(raw) if kind == "TRADE" else _order.decode(raw) if kind in _ORDER_TYPES \
                else None
        except (ValueError, RecursionError):
            return None
    except (ValueError, RecursionError):  # msgspec's errors, invalid UTF-8, deep nesting
        return None
    return event if event is not None and event.id else None


def parse_frame(frame: str | bytes) -> Parsed:
    """One WebSocket text frame: an event, an array of events, or plain text."""
    data = frame.encode(errors="replace") if isinstance(frame, str) else frame
    head = data.lstrip()[:1]
    if head == b"{":
        event = _one(data)
        return Parsed([event], "", 0) if event is not None else Parsed([], "", 1)
    if head == b"[":
        try:
            items = _raw_list.decode(data)
        except (ValueError, RecursionError):  # msgspec's errors, invalid UTF-8, deep nesting
            return Parsed([], "", 1)
        events = [e for e in map(_one, items) if e is not None]
        return Parsed(events, "", len(items) - len(events))
    return Parsed([], data.decode(errors="replace").strip(), 0)


def parse_trades_page(body: bytes) -> TradesPage:
    """A ``GET /data/trades`` page ``{data, next_cursor, ...}``; bad rows are skipped and counted.
    Raises ``ValueError`` (msgspec's errors are ValueErrors) when the page itself is malformed."""
    try:
        page = _page.decode(body)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    trades = [t for t in map(parse_trade_row, page.data) if t is not None]
    return TradesPage(trades, page.next_cursor, len(page.data) - len(trades))


def parse_trade_row(row: bytes | msgspec.Raw) -> UserTrade | None:
    """One REST trade row (no ``event_type``); ``None`` when it is not a trade with an id."""
    try:
        trade = _trade.decode(row)
    except (ValueError, RecursionError):  # msgspec's errors, invalid UTF-8, deep nesting
        return None
    return trade if trade.id else None


# -- numbers, times, statuses ------------------------------------------------------------------


def size(value: Amount) -> int:
    """A size or matched amount (``"25.0000"``, ``5``, ``""``) -> 1e-6 units, floored past the sixth
    decimal (``parse_size``); ``""`` / ``None`` -> 0. ``ValueError`` for a negative or non-number."""
    if value is None or value == "":
        return 0
    return parse_size(value)


def price(value: Amount) -> int:
    """A fill price in 1e-6 units within (0, 1], a digit past the sixth rounded, never a reason to drop
    the fill (``parse_fill_price``); ``ValueError`` for no price, a non-number or one out of range."""
    if value is None:
        raise ValueError("no price")
    return parse_fill_price(value)


def order_price(value: Amount) -> int:
    """An order event's price: exact 1e-6 units, not negative (``parse_exact``); ``""`` / ``None`` -> 0."""
    if value is None or value == "":
        return 0
    units = parse_exact(value)
    if units < 0:
        raise ValueError(f"negative price: {str(value)[:40]!r}")
    return units


def to_ns(value: Amount) -> int:
    """Unix s / ms / µs / ns (told apart by magnitude) or an ISO-8601 string -> ns; empty -> 0.
    ``ValueError`` for anything else, or a time before 1970 or too late for the bus (int64 ns)."""
    if value is None or value == "":
        return 0
    text = str(value).strip()
    try:
        ns = _to_ns(text)
    except (ValueError, ArithmeticError):  # bad ISO text, dates out of range, Decimal errors
        raise ValueError(f"not a timestamp: {text[:40]!r}") from None
    if not 0 <= ns <= MAX_INT64:
        raise ValueError(f"timestamp out of range: {text[:40]!r}")
    return ns


def _to_ns(text: str) -> int:
    if not text.replace(".", "", 1).isdigit():
        moment = datetime.fromisoformat(text)
        return calendar.timegm(moment.utctimetuple()) * NS + moment.microsecond * 1000
    number = int(Decimal(text))
    if number >= 10**17:
        return number
    if number >= 10**14:
        return number * 1000
    if number >= 10**11:
        return number * MS
    return number * NS


ORDER_STATUSES = ("LIVE", "MATCHED", "DELAYED", "UNMATCHED", "CANCELED", "INVALID")
TRADE_STATUSES = ("MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED")
_ALIASES = {"CANCELLED": "CANCELED"}


def split_status(raw: str, allowed: tuple[str, ...], prefix: str) -> tuple[str, str] | None:
    """``(status, reason)``: the allow-listed status the string starts with, and what follows its ``_``.

    ``"CANCELED_order couldn't be fully filled..."`` -> ``("CANCELED", "order couldn't ...")``;
    ``"ORDER_STATUS_LIVE"`` -> ``("LIVE", "")``; ``"CANCELED_MARKET_RESOLVED"`` ->
    ``("CANCELED", "MARKET_RESOLVED")``. Anything not on the list -> ``None``.
    """
    text = raw.strip()
    if text.upper().startswith(prefix):
        text = text[len(prefix):]
    upper = text.upper()
    for alias, status in _ALIASES.items():
        if upper.startswith(alias):
            text, upper = status + text[len(alias):], status + upper[len(alias):]
    for status in sorted(allowed, key=len, reverse=True):
        if upper == status:
            return status, ""
        if upper.startswith(status + "_"):
            return status, text[len(status) + 1:].strip()
    return None


def order_status(raw: str) -> tuple[str, str] | None:
    return split_status(raw, ORDER_STATUSES, "ORDER_STATUS_")


def trade_status(raw: str) -> TradeStatus | None:
    """MATCHED / MINED / CONFIRMED / RETRYING / FAILED (REST's MATCHED_NOT_BROADCASTED is MATCHED)."""
    found = split_status(raw, TRADE_STATUSES, "TRADE_STATUS_")
    return cast(TradeStatus, found[0]) if found is not None else None
