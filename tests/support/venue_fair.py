"""Scripting the local venue's fair values from tests (`/_venue/fair`, venue/DESIGN.md) and reading the
book mid it moves.

    moved = set_fair(venue_url, "btc-updown-15m", 0.70)   # the current window; {"market", "tokens", ...}
    wait_for_mid(venue_url, moved["tokens"][0], 700_000)  # the makers re-quoted around it
"""

from __future__ import annotations

import http.client
import json
import time
from typing import Any
from urllib.parse import quote, urlsplit

from schemas.units import parse_exact

TIMEOUT = 5.0


def request(base_url: str, method: str, path: str, body: object = None) -> tuple[int, Any]:
    """One JSON request to the venue: (status, decoded body)."""
    url = urlsplit(base_url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port or 80, timeout=TIMEOUT)
    try:
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload else {}
        conn.request(method, path, body=payload, headers=headers)
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    finally:
        conn.close()


def set_fair(base_url: str, market: str, yes: float | str | None) -> dict[str, Any]:
    """Hold `market`'s fair value at `yes` (None: back to its path or the model). `market`: a condition
    id, slug, token id or rotating series (`btc-updown-15m`: the window in progress). Returns the venue's
    answer: `{"market": condition id, "slug", "tokens": [yes, no], "yes": "0.7", "source": "pin"}`."""
    status, data = request(base_url, "POST", "/_venue/fair", {"market": market, "yes": yes})
    if status != 200:
        raise AssertionError(f"POST /_venue/fair {market!r} {yes!r}: {status} {data}")
    return dict(data)


def get_fair(base_url: str, market: str) -> dict[str, Any]:
    """The market's fair value now and what sets it (`source`: "pin", "path" or "" for the model)."""
    status, data = request(base_url, "GET", f"/_venue/fair?market={quote(market)}")
    if status != 200:
        raise AssertionError(f"GET /_venue/fair {market!r}: {status} {data}")
    return dict(data)


def book_mid(base_url: str, token_id: str) -> int | None:
    """The token's mid from `GET /book` in 1e-6 units; None while a side is empty."""
    status, book = request(base_url, "GET", f"/book?token_id={quote(token_id)}")
    if status != 200 or not book["bids"] or not book["asks"]:
        return None
    best_bid = max(parse_exact(level["price"]) for level in book["bids"])
    best_ask = min(parse_exact(level["price"]) for level in book["asks"])
    return (best_bid + best_ask) // 2


def wait_for_mid(base_url: str, token_id: str, want: int, *, timeout: float = 1.0) -> int:
    """Poll `/book` until the token's mid is `want` (1e-6 units); fail after `timeout` with the last mid."""
    deadline = time.monotonic() + timeout
    mid = book_mid(base_url, token_id)
    while mid != want:
        if time.monotonic() > deadline:
            raise AssertionError(f"book mid of {token_id} is {mid}, not {want}, after {timeout}s")
        time.sleep(0.01)  # poll interval of a bounded wait
        mid = book_mid(base_url, token_id)
    return mid
