"""REST back-fill: ``GET /data/trades`` with L2 (HMAC) headers, every page (cursor ``MA==`` .. ``LTE=``).

No ``market`` / ``asset_id`` filter: those apply to the taker leg, so a cross-asset maker fill would be
missed (gotchas 8 and 16). Only ``after`` (unix seconds, inclusive) bounds the query. Blocking; the
program runs it off the loop through ``bus.bridge.Bridge``. Errors never include credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

import requests

from actors.user_feed import venue
from actors.user_feed.venue import UserTrade
from clob.auth import ApiCreds, l2_headers

PATH = "/data/trades"
FIRST_CURSOR = "MA=="
END_CURSOR = "LTE="


class BackfillError(RuntimeError):
    pass


class Backfill(NamedTuple):
    trades: list[UserTrade]  # oldest match first
    pages: int
    skipped: int  # rows that were not trades
    truncated: bool  # stopped at max_pages with more to read


def fetch_trades(session: requests.Session, rest_url: str, creds: ApiCreds, *, address: str, after_s: int,
                 timeout_s: float, max_pages: int,
                 clock_s: Callable[[], float] = time.time) -> Backfill:
    """All our trades matched at or after ``after_s``; raises ``BackfillError`` on any failure."""
    trades: list[UserTrade] = []
    skipped = 0
    cursor = FIRST_CURSOR
    for page_no in range(1, max_pages + 1):
        headers = l2_headers(creds, address=address, timestamp_s=int(clock_s()), method="GET", path=PATH)
        try:
            resp = session.get(rest_url + PATH, params={"after": str(after_s), "next_cursor": cursor},
                               headers=headers, timeout=timeout_s)
        except requests.RequestException as exc:
            raise BackfillError(f"{type(exc).__name__}: {exc}") from None
        if resp.status_code != 200:
            raise BackfillError(f"HTTP {resp.status_code}: {resp.text[:200]}")
        try:
            page = venue.parse_trades_page(resp.content)
        except ValueError as exc:  # msgspec's errors are ValueErrors
            raise BackfillError(f"bad /data/trades page: {exc}") from None
        trades.extend(page.trades)
        skipped += page.skipped
        if not page.next_cursor or page.next_cursor in (END_CURSOR, cursor):
            return Backfill(_oldest_first(trades), page_no, skipped, False)
        cursor = page.next_cursor
    return Backfill(_oldest_first(trades), max_pages, skipped, True)


def _oldest_first(trades: list[UserTrade]) -> list[UserTrade]:
    def key(trade: UserTrade) -> int:
        try:
            return venue.to_ns(trade.match_time)
        except ValueError:
            return 0
    return sorted(reversed(trades), key=key)  # the venue lists newest first; keep ties in order
