"""Gamma (market metadata) under `/gamma` (PROTOCOL.md §7): markets and events by slug, id, filters.

Shapes come from `venue.gamma_shapes`; a missing slug or id is a 404 like the real service's.
`/markets/keyset` (what polymarket-client's `list_markets` reads, e.g. inside `merge_positions`) answers
`{"markets": [...], "next_cursor": ...}` with the same filters, `limit` and an `after_cursor` from the
previous page; every venue market is Protocol-V1 (`version=v2` alone finds none).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from venue import gamma_shapes
from venue.server.http import Request, Response, Router

NOT_FOUND = Response.json({"type": "not found error", "error": "not found"}, 404)
MAX_LIMIT = 500


def _flag(value: str | None) -> bool | None:
    return None if value is None else value.lower() == "true"


class GammaApi:
    def __init__(self, exchange: Any, clock_ns: Callable[[], int]) -> None:
        self.catalogue = exchange.catalogue
        self.clock_ns = clock_ns

    def install(self, router: Router) -> None:
        router.add("GET", "/gamma/markets", self._markets)
        router.add("GET", "/gamma/markets/keyset", self._markets_keyset)
        router.add("GET", "/gamma/markets/slug/{slug}", self._market_by_slug)
        router.add("GET", "/gamma/markets/{market_id}", self._market_by_id)
        router.add("GET", "/gamma/events", self._events)
        router.add("GET", "/gamma/events/slug/{slug}", self._event_by_slug)
        router.add("GET", "/gamma/events/{event_id}", self._event_by_id)

    def _market_json(self, market: Any) -> dict[str, Any]:
        return gamma_shapes.gamma_market(market, self.clock_ns())

    def _event_json(self, market: Any) -> dict[str, Any]:
        return gamma_shapes.gamma_event(market, self.clock_ns())

    def _market_by_slug(self, req: Request) -> Response:
        market = self.catalogue.slug(req.params["slug"])
        return NOT_FOUND if market is None else Response.json(self._market_json(market))

    def _market_by_id(self, req: Request) -> Response:
        wanted = req.params["market_id"]
        market = next((m for m in self.catalogue.all() if m.gamma_id == wanted), None)
        return NOT_FOUND if market is None else Response.json(self._market_json(market))

    def _event_by_slug(self, req: Request) -> Response:
        market = self.catalogue.slug(req.params["slug"])  # one market per event; event slug == market slug
        return NOT_FOUND if market is None else Response.json(self._event_json(market))

    def _event_by_id(self, req: Request) -> Response:
        wanted = req.params["event_id"]
        market = next((m for m in self.catalogue.all() if m.event_id == wanted), None)
        return NOT_FOUND if market is None else Response.json(self._event_json(market))

    def _select(self, req: Request, *, offset: int | None = None, limit: int | None = None) -> list[Any]:
        """Markets matching the query: slug / id / condition_ids / clob_token_ids / active / closed."""
        query = req.query
        markets: Iterable[Any] = self.catalogue.all()
        slugs = query.get("slug")
        if slugs:
            found = (self.catalogue.slug(s) for s in slugs)
            markets = [m for m in found if m is not None]
        if "id" in query:
            ids = set(query["id"])
            markets = [m for m in markets if m.gamma_id in ids or m.event_id in ids]
        if "condition_ids" in query:
            cids = {c for v in query["condition_ids"] for c in v.split(",")}
            markets = [m for m in markets if m.condition_id in cids]
        if "clob_token_ids" in query:
            tids = {t for v in query["clob_token_ids"] for t in v.split(",")}
            markets = [m for m in markets if tids.intersection(m.token_ids)]
        closed = _flag(req.arg("closed"))
        if closed is not None:
            markets = [m for m in markets if m.closed == closed]
        active = _flag(req.arg("active"))
        if active is not None:
            markets = [m for m in markets if (not m.closed) == active]
        result = list(markets)
        if offset is None:
            offset = int(req.arg("offset") or 0) if (req.arg("offset") or "0").isdigit() else 0
        if limit is None:
            limit_raw = req.arg("limit") or str(MAX_LIMIT)
            limit = min(int(limit_raw), MAX_LIMIT) if limit_raw.isdigit() else MAX_LIMIT
        return result[offset:offset + limit]

    def _markets(self, req: Request) -> Response:
        return Response.json([self._market_json(m) for m in self._select(req)])

    def _markets_keyset(self, req: Request) -> Response:
        if "version" in req.query and "v1" not in {v for x in req.query["version"] for v in x.split(",")}:
            return Response.json({"markets": [], "next_cursor": None})
        cursor = req.arg("after_cursor") or "0"
        start = int(cursor) if cursor.isdigit() else 0
        limit_raw = req.arg("limit") or "20"
        limit = min(int(limit_raw), MAX_LIMIT) if limit_raw.isdigit() and int(limit_raw) > 0 else 20
        found = self._select(req, offset=start, limit=limit + 1)
        more = len(found) > limit
        return Response.json({"markets": [self._market_json(m) for m in found[:limit]],
                              "next_cursor": str(start + limit) if more else None})

    def _events(self, req: Request) -> Response:
        return Response.json([self._event_json(m) for m in self._select(req)])
