"""The authenticated user channel: owned by the user-feed (``user.*`` topics; fills by PUSH)."""

from __future__ import annotations

from typing import Literal

from schemas.base import Message

TradeStatus = Literal["MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"]
FillSource = Literal["ws", "rest"]


class Fill(Message, frozen=True, tag="user.fill"):
    """One of our maker (or taker) orders filled in a trade, as the venue reported it.

    Identity is (trade_id, order_id): one trade can fill several of our orders.
    Side, asset and price are our order's own (the maker entry), never inferred from the taker.
    """

    trade_id: str
    order_id: str
    market: str  # condition id
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    size: int
    status: TradeStatus
    role: Literal["MAKER", "TAKER"]
    fee: int  # USDC 1e-6 units we paid (0 for makers)
    source: FillSource
    ts_event: int
    ts_recv: int


OrderEventType = Literal["PLACEMENT", "UPDATE", "CANCELLATION"]


class OrderUpdate(Message, frozen=True, tag="user.order"):
    """An ``order`` event of the user channel. ``status`` without its reason suffix; ``reason`` holds it."""

    order_id: str
    market: str
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    original_size: int
    size_matched: int  # cumulative
    status: str  # LIVE, MATCHED, CANCELED, UNMATCHED, INVALID, DELAYED, ...
    reason: str
    kind: OrderEventType  # PLACEMENT | UPDATE | CANCELLATION
    ts_event: int
    ts_recv: int


class UserFeedStatus(Message, frozen=True, tag="user.status"):
    connected: bool
    markets: list[str]  # subscribed condition ids ([] = all)
    last_trade_ts: int
    backfilled: int  # trades replayed from REST on the last (re)connect
    ts: int


UserMessage = Fill | OrderUpdate | UserFeedStatus
