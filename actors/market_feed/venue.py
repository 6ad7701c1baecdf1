"""Polymarket market-channel frames (PROTOCOL.md §1): msgspec structs tagged by ``event_type``.

These are the venue's shapes, not bus messages: every number is a string and is turned into integer
1e-6 units or nanoseconds (``ms_to_ns``) here, at the edge, by the rules of ``schemas.units``: prices
exact (``price``), sizes floored (``size``), ticks and top-of-book prices exact (``exact``).

A frame is one JSON object or one JSON array of them (the initial dump is an array of ``book``\\ s),
or a plain text frame (``PONG``, ``NO NEW ASSETS``). ``decode_frame`` never raises: bad JSON,
an unknown ``event_type`` or a wrong field type is counted in ``Frame.bad`` and the rest of the
frame is kept. Fields the venue may add later are ignored.
"""

from __future__ import annotations

import msgspec

from schemas.units import MAX_INT64, MS, ONE, parse_exact, parse_price, parse_size

_MAX_MS = MAX_INT64 // MS
_MAX_CACHE = 1 << 16


class Level(msgspec.Struct, frozen=True, gc=False):
    price: str
    size: str


class BookMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type", tag="book"):
    """Full snapshot of one token. Live order is worst -> best; sort it yourself (gotcha 5)."""

    asset_id: str
    market: str = ""
    bids: list[Level] = []
    asks: list[Level] = []
    timestamp: str = ""
    hash: str = ""
    tick_size: str = ""  # undocumented, present live
    last_trade_price: str = ""  # "" when there have been no trades


class Change(msgspec.Struct, frozen=True, gc=False):
    """One level of a ``price_change``: ``size`` is the new level total, "0" removes it."""

    price: str
    side: str  # BUY = bid level, SELL = ask level
    size: str
    asset_id: str = ""  # per entry in the current schema; legacy entries use the root asset_id
    hash: str = ""
    best_bid: str = ""  # top of book for that asset after the change (current schema only)
    best_ask: str = ""


class PriceChangeMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type", tag="price_change"):
    """All three shapes in the wild (gotcha 3): current ``price_changes[]`` (may cover both tokens),
    legacy ``changes[]`` with a root ``asset_id`` (until 2025-09-15), and the flat 2024 form."""

    market: str = ""
    timestamp: str = ""
    price_changes: list[Change] | None = None
    asset_id: str = ""
    changes: list[Change] | None = None
    hash: str = ""
    price: str = ""
    side: str = ""
    size: str = ""

    def entries(self) -> list[Change]:
        """The level changes, whatever the shape, each with its ``asset_id`` filled in."""
        if self.price_changes is not None:
            return self.price_changes
        if self.changes is not None:
            root = self.asset_id
            return [c if c.asset_id else msgspec.structs.replace(c, asset_id=root) for c in self.changes]
        if self.price or self.size:
            return [Change(price=self.price, side=self.side, size=self.size, asset_id=self.asset_id)]
        return []


class LastTradeMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type", tag="last_trade_price"):
    asset_id: str
    price: str
    size: str
    side: str  # the taker's side
    market: str = ""
    fee_rate_bps: str = "0"
    timestamp: str = ""
    transaction_hash: str = ""


class TickSizeMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type", tag="tick_size_change"):
    asset_id: str
    old_tick_size: str
    new_tick_size: str
    market: str = ""
    timestamp: str = ""


class BestBidAskMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type", tag="best_bid_ask"):
    """Custom-feature top of book; any number may be "" when a side is empty."""

    asset_id: str
    market: str = ""
    best_bid: str = ""
    best_ask: str = ""
    spread: str = ""
    timestamp: str = ""


class NewMarketMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type", tag="new_market"):
    market: str = ""
    condition_id: str = ""
    id: str = ""
    slug: str = ""
    assets_ids: list[str] = []
    clob_token_ids: list[str] = []
    outcomes: list[str] = []
    active: bool = False
    order_price_min_tick_size: str = ""
    timestamp: str = ""


class MarketResolvedMsg(msgspec.Struct, frozen=True, gc=False, tag_field="event_type",
                        tag="market_resolved"):
    market: str
    winning_asset_id: str
    winning_outcome: str = ""
    id: str = ""
    assets_ids: list[str] = []
    timestamp: str = ""


VenueEvent = (BookMsg | PriceChangeMsg | LastTradeMsg | TickSizeMsg | BestBidAskMsg | NewMarketMsg
              | MarketResolvedMsg)

PONG = b"PONG"
NO_NEW_ASSETS = b"NO NEW ASSETS"

_frame_decoder = msgspec.json.Decoder(VenueEvent | list[VenueEvent])
_event_decoder = msgspec.json.Decoder(VenueEvent)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


class Frame:
    """One decoded frame: its events, how many parts were bad, and what kind of text it was."""

    __slots__ = ("bad", "error", "events", "text")

    def __init__(self, events: list[VenueEvent], *, text: bytes = b"", bad: int = 0, error: str = "") -> None:
        self.events = events
        self.text = text  # b"PONG" / b"NO NEW ASSETS" for those text frames, else b""
        self.bad = bad
        self.error = error


decode_any = _frame_decoder.decode
"""The hot path's decoder: one event or a list of them, for a well-formed JSON frame; raises
``ValueError`` (or ``RecursionError``) for anything else, which ``decode_frame`` then sorts out."""


def decode_frame(data: bytes | str) -> Frame:
    """Decode one WebSocket text frame. Never raises; bad parts are counted, good parts kept."""
    raw = data.encode(errors="replace") if isinstance(data, str) else data
    try:
        decoded = _frame_decoder.decode(raw)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _not_events(raw, str(exc))
    except (ValueError, RecursionError) as exc:  # msgspec raises these for invalid UTF-8, deep nesting
        return Frame([], bad=1, error=f"{type(exc).__name__}: {exc}")
    return Frame(decoded if isinstance(decoded, list) else [decoded])


def _not_events(raw: bytes, error: str) -> Frame:
    """A text frame (``PONG``, ``NO NEW ASSETS``), or JSON that is not (all) events."""
    head = raw.lstrip()[:1]
    if head != b"{" and head != b"[":
        text = raw.strip()
        if text in (PONG, NO_NEW_ASSETS):
            return Frame([], text=text)
        if not text:
            return Frame([])
        return Frame([], bad=1, error=f"not JSON: {text[:40]!r}")
    return _decode_parts(raw, error)


def _decode_parts(raw: bytes, error: str) -> Frame:
    """The slow path: an array with a bad element keeps its good ones."""
    if raw.lstrip()[:1] != b"[":
        return Frame([], bad=1, error=error)
    try:
        parts = _raw_list.decode(raw)
    except (ValueError, RecursionError) as exc:
        return Frame([], bad=1, error=f"{type(exc).__name__}: {exc}")
    events: list[VenueEvent] = []
    bad = 0
    for part in parts:
        try:
            events.append(_event_decoder.decode(part))
        except (ValueError, RecursionError) as exc:  # msgspec's errors are ValueErrors
            bad += 1
            error = f"{type(exc).__name__}: {exc}"
    return Frame(events, bad=bad, error=error)


# -- numbers ----------------------------------------------------------------------------------

UNITS: dict[str, int] = {}
"""The parse cache (text -> 1e-6 units), looked up first on the hot path. It holds only texts that
parse exactly and are not negative, so a hit is right for a price (after its range check), a size or
a tick alike; a size with a finer digit is floored on every sight and never cached."""


def _cache(text: str, units: int) -> int:
    if len(UNITS) >= _MAX_CACHE:
        UNITS.clear()
    UNITS[text] = units
    return units


def exact(text: str) -> int:
    """A non-negative decimal string ("0.5", ".48", "0.001") -> exact 1e-6 units (``parse_exact``):
    tick sizes and top-of-book prices. ValueError for a finer digit, a negative or non-number."""
    cached = UNITS.get(text)
    if cached is not None:
        return cached
    units = parse_exact(text)
    if units < 0:
        raise ValueError(f"negative: {text[:40]!r}")
    return _cache(text, units)


def price(text: str) -> int:
    """A price: exact 1e-6 units within (0, 1] (``parse_price``); ValueError otherwise."""
    cached = UNITS.get(text)
    if cached is not None and 0 < cached <= ONE:
        return cached
    return _cache(text, parse_price(text))


def size(text: str) -> int:
    """A size ("100", "12848.17"): 1e-6 units, floored past the sixth decimal (``parse_size``).
    ValueError for a negative or non-number."""
    cached = UNITS.get(text)
    if cached is not None:
        return cached
    try:
        units = parse_exact(text)
    except ValueError:
        return parse_size(text)  # a finer digit: floored on every sight, never cached (a price must not hit)
    if units < 0:
        raise ValueError(f"negative amount: {text[:40]!r}")
    return _cache(text, units)


def bps(text: str) -> int:
    """A fee rate in basis points ("0", "1000"); "" -> 0. ValueError unless 0 <= bps <= 10000."""
    if not text:
        return 0
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"not a basis-point rate: {text[:40]!r}") from None
    if not 0 <= value <= 10_000:
        raise ValueError(f"basis-point rate out of range: {text[:40]!r}")
    return value


def optional_exact(text: str, empty: int) -> int:
    """Like ``exact`` but "" (an empty side, gotcha 19) gives ``empty``."""
    return exact(text) if text else empty


def ms_to_ns(text: str) -> int:
    """A unix-milliseconds string -> ns; "" -> 0."""
    if not text:
        return 0
    try:
        ms = int(text)
    except ValueError:
        raise ValueError(f"not a millisecond timestamp: {text[:40]!r}") from None
    if not 0 <= ms <= _MAX_MS:
        raise ValueError(f"millisecond timestamp out of range: {text[:40]!r}")
    return ms * MS


def side_is_bid(side: str) -> bool:
    """BUY = a bid level, SELL = an ask level; anything else is malformed."""
    if side == "BUY" or side == "buy":
        return True
    if side == "SELL" or side == "sell":
        return False
    raise ValueError(f"bad side: {side!r}")
