"""The structs the server and the core exchange (re-exported by venue.exchange)."""

from __future__ import annotations

import msgspec


class Reply(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """What the server sends back: HTTP status and the venue's exact JSON body."""

    status: int
    body: object


class SignedOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The parsed POST /order "order" object (signature already checked by the server)."""

    order_id: str  # 0x EIP-712 digest of the order (= Polymarket's orderID)
    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int  # 1e-6 units, as signed
    taker_amount: int
    side: str  # "BUY" | "SELL"
    expiration: int  # unix seconds, 0 = none
    signature_type: int
    timestamp_ms: int
    metadata: str
    builder: str
    signature: str


class MarketEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    asset_ids: tuple[str, ...]  # subscribers of any of these get it; () = broadcast
    custom: bool  # True: only for sockets with custom_feature_enabled
    payload: dict[str, object]  # the exact JSON object the real venue sends


class UserEvent(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    api_key: str  # the owner the event is for
    market: str  # condition id (user sockets may filter by market)
    payload: dict[str, object]  # exact `order` or `trade` event object


def error(message: str, status: int = 400) -> Reply:
    return Reply(status=status, body={"error": message})
