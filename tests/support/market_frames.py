"""Market-channel frames as the venue sends them (JSON text), built for the market-feed tests: a book, a
price_change, a tick size change, a best_bid_ask, a last trade, both books in one array."""

from __future__ import annotations

import json
from typing import Any

YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
CID = "0x5f65177b394277fd294cd75650044e32ba009a95022d88a0c1d565897d72f8f1"
NOW = 1_800_000_000_000_000_000


Levels = list[tuple[str, str]]


def book(asset: str = YES, bids: Levels | None = None, asks: Levels | None = None, tick: str = "0.01",
         ts: str = "1757908892000") -> str:
    """A `book` frame; levels given worst -> best, as the live venue sends them."""
    bids = [("0.48", "30"), ("0.49", "20"), ("0.50", "10")] if bids is None else bids
    asks = [("0.53", "30"), ("0.52", "20"), ("0.51", "10")] if asks is None else asks
    return json.dumps({"event_type": "book", "asset_id": asset, "market": CID, "timestamp": ts, "hash": "h",
                       "bids": [{"price": p, "size": s} for p, s in bids],
                       "asks": [{"price": p, "size": s} for p, s in asks], "tick_size": tick,
                       "last_trade_price": ""})


def change(*entries: tuple[str, str, str, str], top: tuple[str, str] | None = None,
           ts: str = "1757908893000") -> str:
    """A current-schema `price_change`; entries are (asset, side, price, size)."""
    items: list[dict[str, Any]] = []
    for asset, side, price, size in entries:
        item: dict[str, Any] = {"asset_id": asset, "price": price, "size": size, "side": side, "hash": "h"}
        if top is not None:
            item["best_bid"], item["best_ask"] = top
        items.append(item)
    return json.dumps({"event_type": "price_change", "market": CID, "price_changes": items, "timestamp": ts})


def tick_change(asset: str = YES, old: str = "0.01", new: str = "0.001") -> str:
    return json.dumps({"event_type": "tick_size_change", "asset_id": asset, "market": CID,
                       "old_tick_size": old, "new_tick_size": new, "timestamp": "1757908894000"})


def best_bid_ask(asset: str = YES) -> str:
    return json.dumps({"event_type": "best_bid_ask", "asset_id": asset, "market": CID, "best_bid": "0.5",
                       "best_ask": "0.51", "spread": "0.01", "timestamp": "1757908893000"})


def trade(asset: str = YES) -> str:
    return json.dumps({"event_type": "last_trade_price", "asset_id": asset, "market": CID, "price": "0.5",
                       "size": "10", "side": "BUY", "fee_rate_bps": "0", "timestamp": "1757908893000"})


def two_books() -> str:
    return "[" + book(YES) + "," + book(NO) + "]"
