"""Trade records and the user-channel / REST shapes of orders and trades.

A trade is one taker order's fills at one price level (its makers may rest on either token: a
No-BUY maker next to Yes-SELL makers is a mint). The top level describes the taker; each
`maker_orders[]` entry carries the maker's *own* asset_id, price, side and outcome. Each party gets
its own copy of every status change: `trade_owner` is the recipient, `trader_side` its role.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.units import MS, NS
from venue.book import Order
from venue.matching import Delta
from venue.money import fmt


@dataclass(slots=True, eq=False)
class MakerFill:
    order_id: str
    api_key: str
    address: str
    internal: bool
    size: int
    price: int  # the maker's own-token price
    asset_id: str
    outcome: str
    side: str


@dataclass(slots=True, eq=False)
class Trade:
    trade_id: str
    condition_id: str
    taker_order_id: str
    taker_key: str
    taker_address: str
    taker_internal: bool
    asset_id: str
    outcome: str
    side: str
    size: int
    price: int  # the taker's own-token price
    fee: int  # pUSD units the taker paid
    fee_rate_bps: str
    match_ns: int
    tx_hash: str  # revealed from MINED / RETRYING on
    fails: bool
    makers: list[MakerFill] = field(default_factory=list)
    deltas: list[Delta] = field(default_factory=list)
    status: str = "MATCHED"
    update_ns: int = 0
    bucket_index: int = 0

    def recipients(self) -> list[tuple[str, str]]:
        """(api_key, trader_side) for every external party, taker first, each maker owner once."""
        out: list[tuple[str, str]] = []
        if not self.taker_internal:
            out.append((self.taker_key, "TAKER"))
        seen: set[str] = set()
        for maker in self.makers:
            if not maker.internal and maker.api_key not in seen:
                seen.add(maker.api_key)
                out.append((maker.api_key, "MAKER"))
        return out

    @property
    def internal_only(self) -> bool:
        return self.taker_internal and all(m.internal for m in self.makers)

    def visible_hash(self) -> str:
        return "" if self.status == "MATCHED" else self.tx_hash


def _maker_entries(trade: Trade) -> list[dict[str, str]]:
    return [
        {
            "order_id": m.order_id,
            "owner": m.api_key,
            "maker_address": m.address,
            "matched_amount": fmt(m.size),
            "price": fmt(m.price),
            "fee_rate_bps": "0",
            "asset_id": m.asset_id,
            "outcome": m.outcome,
            "side": m.side,
        }
        for m in trade.makers
    ]


def trade_event(trade: Trade, *, recipient: str, trader_side: str) -> dict[str, object]:
    """User-channel `trade` event (sent again, same id, on every status change)."""
    update_ns = trade.update_ns or trade.match_ns
    return {
        "event_type": "trade",
        "type": "TRADE",
        "id": trade.trade_id,
        "taker_order_id": trade.taker_order_id,
        "market": trade.condition_id,
        "asset_id": trade.asset_id,
        "side": trade.side,
        "size": fmt(trade.size),
        "price": fmt(trade.price),
        "fee_rate_bps": trade.fee_rate_bps,
        "status": trade.status,
        "match_time": str(trade.match_ns // NS),
        "last_update": str(update_ns // NS),
        "outcome": trade.outcome,
        "owner": trade.taker_key,
        "trade_owner": recipient,
        "maker_address": trade.taker_address,
        "transaction_hash": trade.visible_hash(),
        "bucket_index": trade.bucket_index,
        "maker_orders": _maker_entries(trade),
        "trader_side": trader_side,
        "timestamp": str(update_ns // MS),
    }


def rest_trade(trade: Trade, *, api_key: str, address: str, trader_side: str) -> dict[str, object]:
    """A `/data/trades` row as the requesting account sees it (plain status names, as captured)."""
    update_ns = trade.update_ns or trade.match_ns
    return {
        "id": trade.trade_id,
        "taker_order_id": trade.taker_order_id,
        "market": trade.condition_id,
        "asset_id": trade.asset_id,
        "side": trade.side,
        "size": fmt(trade.size),
        "fee_rate_bps": trade.fee_rate_bps,
        "price": fmt(trade.price),
        "status": trade.status,
        "match_time": str(trade.match_ns // NS),
        "last_update": str(update_ns // NS),
        "outcome": trade.outcome,
        "bucket_index": trade.bucket_index,
        "owner": api_key,
        "maker_address": address,
        "transaction_hash": trade.visible_hash(),
        "maker_orders": _maker_entries(trade),
        "trader_side": trader_side,
    }


def order_event(order: Order, *, condition_id: str, event: str, status: str, ts_ms: int) -> dict[str, object]:
    """User-channel `order` event: PLACEMENT / UPDATE (cumulative size_matched) / CANCELLATION."""
    return {
        "event_type": "order",
        "id": order.order_id,
        "owner": order.api_key,
        "market": condition_id,
        "asset_id": order.token_id,
        "side": order.side,
        "order_owner": order.api_key,
        "original_size": fmt(order.original),
        "size_matched": fmt(order.matched),
        "price": fmt(order.price),
        "associate_trades": list(order.trade_ids) if order.trade_ids else None,
        "outcome": order.outcome,
        "type": event,
        "created_at": str(order.created_s),
        "expiration": str(order.expiration),
        "order_type": order.order_type,
        "status": status,
        "maker_address": order.address,
        "timestamp": str(ts_ms),
    }


def rest_order(order: Order) -> dict[str, object]:
    """An open order as `/data/orders` and `/data/order/{id}` return it."""
    return {
        "associate_trades": list(order.trade_ids),
        "id": order.order_id,
        "status": "LIVE",
        "market": order.condition_id,
        "original_size": fmt(order.original),
        "outcome": order.outcome,
        "maker_address": order.address,
        "owner": order.api_key,
        "price": fmt(order.price),
        "side": order.side,
        "size_matched": fmt(order.matched),
        "asset_id": order.token_id,
        "expiration": str(order.expiration),
        "order_type": order.order_type,
        "created_at": order.created_s,
    }
