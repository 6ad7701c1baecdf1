"""Market-channel payloads and the REST /book object, in the live venue's exact shapes.

Every number is a string ("0.5", "12848.17", ms timestamps). Book levels go worst -> best: bids
ascending, asks descending. The book hash is the one py-clob-client-v2 recomputes: sha1 over the
compact JSON of the summary with `hash: ""`, keys in the order market, asset_id, timestamp, hash,
bids, asks, min_order_size, tick_size, neg_risk, last_trade_price. An empty book hashes to zeros,
as in the live capture.
"""

from __future__ import annotations

import hashlib

import msgspec

from schemas.units import ONE
from venue.book import MarketBook
from venue.markets import Market
from venue.money import fmt

EMPTY_HASH = "0" * 40
_encode = msgspec.json.encode


def last_trade_text(market: Market, is_yes: bool) -> str:
    if not market.last_trade_price:
        return ""
    return fmt(market.last_trade_price if is_yes else ONE - market.last_trade_price)


def book_summary(market: Market, book: MarketBook, token_index: int, ts_ms: int) -> dict[str, object]:
    """The REST /book object (also the body of the WS `book` event), hash included."""
    is_yes = token_index == 0
    bid_levels, ask_levels = book.rendered_levels(is_yes)
    summary: dict[str, object] = {
        "market": market.condition_id,
        "asset_id": market.token_ids[token_index],
        "timestamp": str(ts_ms),
        "hash": "",
        "bids": bid_levels,
        "asks": ask_levels,
        "min_order_size": fmt(market.min_size),
        "tick_size": fmt(market.tick),
        "neg_risk": False,
        "last_trade_price": last_trade_text(market, is_yes),
    }
    if bid_levels or ask_levels:
        summary["hash"] = hashlib.sha1(_encode(summary)).hexdigest()
    else:
        summary["hash"] = EMPTY_HASH
    return summary


def book_event(market: Market, book: MarketBook, token_index: int, ts_ms: int) -> dict[str, object]:
    payload = book_summary(market, book, token_index, ts_ms)
    payload["event_type"] = "book"
    return payload


def book_hash(market: Market, book: MarketBook, token_index: int, ts_ms: int) -> str:
    return book_summary(market, book, token_index, ts_ms)["hash"]  # type: ignore[return-value]


def price_change_entry(
    *, asset_id: str, price: int, size: int, side: str, hash_: str, best_bid: int, best_ask: int
) -> dict[str, object]:
    """One `price_changes[]` item; an empty side shows best_bid "0" / best_ask "1"."""
    return {
        "asset_id": asset_id,
        "price": fmt(price),
        "size": fmt(size),
        "side": side,
        "hash": hash_,
        "best_bid": fmt(best_bid) if best_bid else "0",
        "best_ask": fmt(best_ask) if best_ask else "1",
    }


def price_change(condition_id: str, entries: list[dict[str, object]], ts_ms: int) -> dict[str, object]:
    return {"market": condition_id, "price_changes": entries, "timestamp": str(ts_ms),
            "event_type": "price_change"}


def last_trade_price(
    *, market: Market, asset_id: str, price: int, size: int, side: str, fee_rate_bps: str, ts_ms: int,
    transaction_hash: str,
) -> dict[str, object]:
    return {
        "asset_id": asset_id,
        "event_type": "last_trade_price",
        "fee_rate_bps": fee_rate_bps,
        "market": market.condition_id,
        "price": fmt(price),
        "side": side,
        "size": fmt(size),
        "timestamp": str(ts_ms),
        "transaction_hash": transaction_hash,
    }


def tick_size_change(market: Market, asset_id: str, old: int, new: int, ts_ms: int) -> dict[str, object]:
    return {
        "event_type": "tick_size_change",
        "asset_id": asset_id,
        "market": market.condition_id,
        "old_tick_size": fmt(old),
        "new_tick_size": fmt(new),
        "timestamp": str(ts_ms),
    }


def best_bid_ask(market: Market, asset_id: str, bid: int, ask: int, ts_ms: int) -> dict[str, object]:
    """Custom-feature top of book; "" for an empty side (and for the spread then)."""
    return {
        "event_type": "best_bid_ask",
        "market": market.condition_id,
        "asset_id": asset_id,
        "best_bid": fmt(bid) if bid else "",
        "best_ask": fmt(ask) if ask else "",
        "spread": fmt(ask - bid) if bid and ask else "",
        "timestamp": str(ts_ms),
    }


def _event_message(market: Market) -> dict[str, object]:
    return {
        "id": market.event_id,
        "ticker": market.slug,
        "slug": market.slug,
        "title": market.question,
        "description": market.description,
    }


def new_market(market: Market, ts_ms: int) -> dict[str, object]:
    """Custom-feature announcement, shaped like the 2026-10-02 live capture."""
    payload: dict[str, object] = {
        "id": market.gamma_id,
        "question": market.question,
        "market": market.condition_id,
        "slug": market.slug,
        "description": market.description,
        "assets_ids": list(market.token_ids),
        "outcomes": list(market.outcomes),
        "event_message": _event_message(market),
        "timestamp": str(ts_ms),
        "event_type": "new_market",
        "tags": [],
        "condition_id": market.condition_id,
        "active": market.accepting_orders,
        "clob_token_ids": list(market.token_ids),
        "sports_market_type": "",
        "line": "",
        "game_start_time": "",
        "order_price_min_tick_size": fmt(market.tick),
        "group_item_title": "",
    }
    if market.fees_enabled:
        payload["taker_base_fee"] = str(market.taker_base_fee_bps)
        payload["fees_enabled"] = True
        payload["fee_schedule"] = {
            "exponent": str(market.fee_exponent),
            "rate": fmt(market.fee_rate),
            "taker_only": True,
            "rebate_rate": market.rebate_rate,
        }
    return payload


def market_resolved(market: Market, ts_ms: int) -> dict[str, object]:
    winner = market.winner
    return {
        "event_type": "market_resolved",
        "id": market.gamma_id,
        "market": market.condition_id,
        "assets_ids": list(market.token_ids),
        "winning_asset_id": market.token_ids[winner],
        "winning_outcome": market.outcomes[winner],
        "timestamp": str(ts_ms),
        "tags": [],
        "event_message": _event_message(market),
    }
