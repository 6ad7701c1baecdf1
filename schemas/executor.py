"""Executor events: owned by the executor (``exec.*`` topics)."""

from __future__ import annotations

from typing import Literal

import msgspec

from schemas.base import Message

# Why an order was not placed. Coordinators react per class (see ARCHITECTURE / issue 4).
FailReason = Literal[
    "crosses_book",  # post-only would cross: back off that side 1 s
    "rate_limited",  # 429: honour retry_after_ms
    "engine_restart",  # 425: exponential back-off, then post-only mode
    "post_only_mode",  # venue accepts only post-only orders for now
    "balance",  # not enough balance / allowance: side blocked, risk event raised
    "unknown_outcome",  # timeout / 5xx: reconciling before placing again
    "invalid",  # tick, size, price range, expiration ... (a bug or a stale tick)
    "backoff",  # refused locally: a back-off on this side/market is in force
    "rejected",  # any other venue rejection
]


class OrderPlaced(Message, frozen=True, tag="exec.placed"):
    cmd_id: str
    holder: str
    order_id: str
    market: str
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    size: int
    slot: str
    status: str  # live | matched | delayed | unmatched (the venue's word)
    ts: int


class OrderFailed(Message, frozen=True, tag="exec.failed"):
    cmd_id: str
    holder: str
    market: str
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    size: int
    slot: str
    reason: FailReason
    message: str
    retry_after_ms: int
    ts: int


class OrderCancelled(Message, frozen=True, tag="exec.cancelled"):
    """An order of ours is gone from the venue: cancelled by us, by the venue, or expired."""

    cmd_id: str
    holder: str
    order_id: str
    market: str
    asset: str
    slot: str
    reason: str
    ts: int


class OpenOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    order_id: str
    holder: str
    market: str
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    size: int
    size_matched: int
    slot: str
    post_only: bool


class OpenOrders(Message, frozen=True, tag="exec.orders"):
    """The executor's view of our open orders (start-up, reconnect, and every few seconds)."""

    orders: list[OpenOrder]
    ts: int


class ExecutorState(Message, frozen=True, tag="exec.state"):
    mode: Literal["normal", "post_only", "backoff", "dry_run"]
    heartbeat_armed: bool
    order_tokens: int  # remaining per-signer order budget
    cancel_tokens: int
    ts: int


ExecutorMessage = OrderPlaced | OrderFailed | OrderCancelled | OpenOrders | ExecutorState
