"""The rewards scanner's reads of the venue (blocking; run in a ``bus.bridge.Bridge`` worker).

Every reward market from ``GET /rewards/markets/current`` (all pages), their Gamma entries (question,
slug, 24 h volume, end date, tokens, tick, minimum size; ``/markets?condition_ids=``, 20 at a time as the
seed batched them) and both tokens' books (``POST /books``, 50 at a time): read-only and public.
``scoring``: our open orders and whether each scores (L2 reads with the API credentials, never the key).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import msgspec

from actors.rewards.core import Candidate, Levels, TokenBook
from schemas.units import NS, parse_exact
from venue_client.l2 import L2Client
from venue_client.markets.gamma import MarketHttp

END_CURSOR = "LTE="
BATCH = 20
BOOKS_BATCH = 50  # tokens per POST /books
MAX_PAGES = 100


def _json(body: bytes | None) -> Any:
    return None if body is None else msgspec.json.decode(body)


def reward_entries(http: MarketHttp) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = "MA=="
    for _ in range(MAX_PAGES):
        page = _json(http.get(f"{http.clob_url}/rewards/markets/current", {"next_cursor": cursor}))
        if not isinstance(page, dict):
            break
        out.extend(d for d in page.get("data") or [] if isinstance(d, dict))
        cursor = page.get("next_cursor") or END_CURSOR
        if cursor == END_CURSOR or not page.get("data"):
            break
    return out


def levels(raw: Any) -> Levels:
    """REST book levels (worst -> best, decimal strings) -> ((price, size), ...) best first."""
    return tuple((parse_exact(lv["price"]), parse_exact(lv["size"])) for lv in reversed(raw or []))


def books_of(http: MarketHttp, tokens: list[str]) -> dict[str, TokenBook]:
    """Many books in few requests (``POST /books``, ``BOOKS_BATCH`` tokens each); a token the venue has no
    book for is missing from the result."""
    out: dict[str, TokenBook] = {}
    for k in range(0, len(tokens), BOOKS_BATCH):
        reply = http.session.post(f"{http.clob_url}/books", json=[{"token_id": t} for t in
                                                                  tokens[k:k + BOOKS_BATCH]],
                                  timeout=http.timeout_s)
        reply.raise_for_status()
        for data in reply.json() or []:
            if isinstance(data, dict) and data.get("asset_id"):
                token = str(data["asset_id"])
                out[token] = TokenBook(token, levels(data.get("bids")), levels(data.get("asks")))
    return out


def _end_ns(text: str | None) -> int:
    if not text:
        return 0
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * NS


def _rate(entry: dict[str, Any]) -> int:
    total = entry.get("total_daily_rate")
    if total is None:
        total = sum(float(c.get("rate_per_day") or 0) for c in entry.get("rewards_config") or [])
    return parse_exact(str(total))


def candidate(entry: dict[str, Any], gamma: dict[str, Any], yes: TokenBook, no: TokenBook) -> Candidate:
    return Candidate(
        market=entry["condition_id"], slug=str(gamma.get("slug") or ""),
        question=str(gamma.get("question") or ""),
        yes=yes, no=no, tick=parse_exact(str(gamma.get("orderPriceMinTickSize") or "0.01")),
        market_min=parse_exact(str(gamma.get("orderMinSize") or 5)),
        min_size=parse_exact(str(entry.get("rewards_min_size") or 0)),
        max_spread=parse_exact(str(entry.get("rewards_max_spread") or 0)) // 100,
        daily_rate=_rate(entry), volume_24h=parse_exact(str(gamma.get("volume24hr") or 0)),
        end_ns=_end_ns(gamma.get("endDate")))


def candidates(http: MarketHttp) -> list[Candidate]:
    """One scan's inputs (markets missing on Gamma or without two tokens are skipped)."""
    entries = reward_entries(http)
    found_gamma: list[tuple[dict[str, Any], dict[str, Any], list[str]]] = []
    for k in range(0, len(entries), BATCH):
        chunk = entries[k:k + BATCH]
        query = urlencode([("condition_ids", e["condition_id"]) for e in chunk])  # a repeated parameter
        found = _json(http.get(f"{http.gamma_url}/markets?{query}")) or []
        by_cid = {g.get("conditionId"): g for g in found if isinstance(g, dict)}
        for entry in chunk:
            gamma = by_cid.get(entry["condition_id"])
            if gamma is None:
                continue
            tokens = gamma.get("clobTokenIds")
            tokens = msgspec.json.decode(tokens) if isinstance(tokens, str) else tokens
            if not isinstance(tokens, list) or len(tokens) != 2:
                continue
            found_gamma.append((entry, gamma, [str(t) for t in tokens]))
    got = books_of(http, [t for _, _, tokens in found_gamma for t in tokens])
    return [candidate(entry, gamma, got.get(yes, TokenBook(yes, (), ())), got.get(no, TokenBook(no, (), ())))
            for entry, gamma, (yes, no) in found_gamma]


def scoring(l2: L2Client, markets: set[str]) -> dict[str, dict[str, bool]]:
    """Our open orders on ``markets`` and whether each scores now: market -> order id -> bool."""
    ours = [o for o in l2.open_orders() if o.get("market") in markets]
    got = l2.scoring([str(o["id"]) for o in ours])
    out: dict[str, dict[str, bool]] = {m: {} for m in markets}
    for o in ours:
        out[str(o["market"])][str(o["id"])] = got.get(str(o["id"]), False)
    return out


def books(http: MarketHttp, tracked: list[Candidate]) -> list[TokenBook]:
    """Both books of every tracked market (the volatility samples between scans)."""
    return list(books_of(http, [b.asset for c in tracked for b in (c.yes, c.no)]).values())
