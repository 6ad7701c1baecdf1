"""Market data: owned by the market-feed (``md.*`` topics)."""

from __future__ import annotations

from typing import Literal

from schemas.base import Message

Level = tuple[int, int]  # (price, size) in 1e-6 units
Side = Literal["BUY", "SELL"]


class Book(Message, frozen=True, tag="md.book"):
    """Full depth-N book of one token after a change. Levels are best first. ``rest``: polled from REST
    ``/book`` while the market WebSocket is down (only strategy ``follow`` trades on such a book)."""

    asset: str
    market: str  # condition id
    bids: list[Level]
    asks: list[Level]
    tick: int  # tick size, 1e-6 units (10_000 = 0.01)
    epoch: int  # increments on every snapshot that replaces the book (reconnect, tick change)
    ts_event: int
    ts_recv: int
    rest: bool = False
    more: bool = False  # a Book of the same market follows from the same socket read: decide on that one


class Trade(Message, frozen=True, tag="md.trade"):
    """A trade printed on the public tape (``last_trade_price``). ``side`` is the taker's side."""

    asset: str
    market: str
    price: int
    size: int
    side: Side
    fee_rate_bps: int
    ts_event: int
    ts_recv: int


class TickSizeChange(Message, frozen=True, tag="md.tick"):
    asset: str
    market: str
    old_tick: int
    new_tick: int
    ts_event: int
    ts_recv: int


class FeedStatus(Message, frozen=True, tag="md.status"):
    """Liveness of one asset's feed. ``live`` False means: do not trust the last book."""

    asset: str
    live: bool
    reason: str  # "snapshot", "stale", "reconnecting", "tick_change", "unsubscribed", ...
    ts: int


class MarketResolved(Message, frozen=True, tag="md.resolved"):
    market: str
    winning_asset: str
    winning_outcome: str
    ts_event: int


class NewMarket(Message, frozen=True, tag="md.new"):
    market: str
    slug: str
    assets: list[str]
    outcomes: list[str]
    active: bool
    ts_event: int


MarketData = Book | Trade | TickSizeChange | FeedStatus | MarketResolved | NewMarket
