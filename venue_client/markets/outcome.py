"""Has a market resolved, and which token won? The CLOB's ``GET /markets/{condition_id}`` says so: the
market is ``closed`` and the winning entry of ``tokens`` has ``"winner": true`` (PROTOCOL.md §7; the
venue answers the same shape). Used by inventory for markets it holds that no coordinator trades any more
(at start, and now and then, since a ``market_resolved`` event can be missed).
"""

from __future__ import annotations

import msgspec

from venue_client.markets.gamma import MarketHttp


class _Token(msgspec.Struct, kw_only=True):
    token_id: str = ""
    winner: bool | None = None


class _Market(msgspec.Struct, kw_only=True):
    condition_id: str = ""
    closed: bool | None = None
    tokens: list[_Token] | None = None


_decoder = msgspec.json.Decoder(_Market)


def winner_of(body: bytes, condition_id: str) -> str | None:
    """The winning token of a closed market with exactly one winner, else None (open, unresolved, or an
    answer about another market). Raises ``ValueError`` on a body that is not a market."""
    market = _decoder.decode(body)
    if market.condition_id.lower() != condition_id.lower() or not market.closed:
        return None
    winners = [t.token_id for t in market.tokens or () if t.winner and t.token_id]
    return winners[0] if len(winners) == 1 else None


def fetch_winner(http: MarketHttp, condition_id: str) -> str | None:
    """Blocking: the winner per the CLOB, None when not resolved (or unknown: 404)."""
    body = http.get(f"{http.clob_url}/markets/{condition_id}")
    return None if body is None else winner_of(body, condition_id)
