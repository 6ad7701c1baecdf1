"""Public CLOB market-data routes (PROTOCOL.md §4.8, §8.1): books, prices, tick size, markets, rewards.

Tick size, neg-risk and prices come from `Exchange.book` so they always agree with the live book
(tick-size changes included); market metadata comes from the catalogue through `gamma_shapes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from schemas.units import parse_exact
from venue import gamma_shapes
from venue.money import fmt
from venue.server.admin import FaultState
from venue.server.http import Request, Response, Router
from venue.server.rest import Route, gated, paginate

NO_BOOK = Response.error(404, "No orderbook exists for the requested token id")
NO_MARKET = Response.error(404, "market not found")


def best(book: dict[str, Any], side: str) -> int | None:
    """Best bid ("BUY") or best ask ("SELL") in 1e-6 units; levels are worst -> best, best last."""
    levels = book["bids"] if side == "BUY" else book["asks"]
    return parse_exact(levels[-1]["price"]) if levels else None


class MarketDataApi:
    def __init__(self, exchange: Any, faults: FaultState, clock_ns: Callable[[], int]) -> None:
        self.exchange = exchange
        self.catalogue = exchange.catalogue
        self.faults = faults
        self.clock_ns = clock_ns

    def install(self, router: Router) -> None:
        def add(method: str, path: str, route: Route) -> None:
            router.add(method, path, gated(self.faults, "other", self.clock_ns, route))

        add("GET", "/book", self._token(lambda book, r: book))
        add("POST", "/books", self._books)
        add("GET", "/tick-size", self._token(lambda b, r: {"minimum_tick_size": float(b["tick_size"])}))
        add("GET", "/neg-risk", self._token(lambda b, r: {"neg_risk": bool(b.get("neg_risk", False))}))
        add("GET", "/fee-rate", self._fee_rate)
        add("GET", "/midpoint", self._token(lambda b, r: {"mid": self._mid(b)}))
        add("GET", "/price", self._price)
        add("GET", "/spread", self._token(lambda b, r: {"spread": self._spread(b)}))
        add("GET", "/last-trade-price", self._token(self._last_trade))
        add("GET", "/markets-by-token/{token_id}", self._by_token)
        add("GET", "/clob-markets/{condition_id}", self._market(gamma_shapes.clob_market_info))
        add("GET", "/markets/{condition_id}", self._market(self._clob_market))
        add("GET", "/markets", self._markets(lambda m: True))
        add("GET", "/sampling-markets", self._markets(lambda m: m.rewards_daily_rate > 0 and not m.closed))
        add("GET", "/rewards/markets/current", self._rewards)

    # ---- by token ---------------------------------------------------------------------------
    def _token(self, render: Callable[[dict[str, Any], Request], object]) -> Route:
        def handler(req: Request) -> Response:
            token = req.arg("token_id")
            book = self.exchange.book(token) if token else None
            if book is None:
                return NO_BOOK if token else Response.error(400, "Invalid token id")
            return Response.json(render(book, req))
        return handler

    def _books(self, req: Request) -> Response:
        try:
            items = req.json()
        except ValueError:
            items = None
        if not isinstance(items, list):
            return Response.error(400, "Invalid payload")
        tokens = [i.get("token_id") for i in items if isinstance(i, dict)]
        return Response.json([b for t in tokens if isinstance(t, str) and (b := self.exchange.book(t))])

    @staticmethod
    def _mid(book: dict[str, Any]) -> str:
        bid, ask = best(book, "BUY"), best(book, "SELL")
        if bid is None and ask is None:
            return "0"
        if bid is None or ask is None:
            return fmt(bid if ask is None else ask)  # type: ignore[arg-type]
        return fmt((bid + ask) // 2)

    @staticmethod
    def _spread(book: dict[str, Any]) -> str:
        bid, ask = best(book, "BUY"), best(book, "SELL")
        return "0" if bid is None or ask is None else fmt(ask - bid)

    def _price(self, req: Request) -> Response:
        side = (req.arg("side") or "").upper()
        if side not in ("BUY", "SELL"):
            return Response.error(400, "Invalid side")
        token = req.arg("token_id")
        book = self.exchange.book(token) if token else None
        if book is None:
            return NO_BOOK
        # the executable price: a BUY pays the best ask, a SELL receives the best bid
        price = best(book, "SELL" if side == "BUY" else "BUY")
        return Response.json({"price": fmt(price) if price is not None else "0"})

    @staticmethod
    def _last_trade(book: dict[str, Any], req: Request) -> dict[str, str]:
        price = book.get("last_trade_price") or ""
        return {"price": price or "0", "side": book.get("last_trade_side", "") if price else ""}

    def _fee_rate(self, req: Request) -> Response:
        token = req.arg("token_id")
        market = self.catalogue.token(token) if token else None
        if market is None:
            return NO_BOOK
        return Response.json({"base_fee": str(market.taker_base_fee_bps if market.fees_enabled else 0)})

    def _by_token(self, req: Request) -> Response:
        market = self.catalogue.token(req.params["token_id"])
        if market is None:
            return NO_MARKET
        return Response.json({"condition_id": market.condition_id, "primary_token_id": market.token_ids[0],
                              "secondary_token_id": market.token_ids[1]})

    # ---- by market --------------------------------------------------------------------------
    def _clob_market(self, market: Any) -> dict[str, Any]:
        return gamma_shapes.clob_market(market, self.clock_ns())

    def _market(self, render: Callable[[Any], dict[str, Any]]) -> Route:
        def handler(req: Request) -> Response:
            market = self.catalogue.get(req.params["condition_id"])
            return NO_MARKET if market is None else Response.json(render(market))
        return handler

    def _markets(self, keep: Callable[[Any], bool]) -> Route:
        def handler(req: Request) -> Response:
            items = [self._clob_market(m) for m in self.catalogue.all() if keep(m)]
            return Response.json(paginate(items, req.arg("next_cursor")))
        return handler

    def _rewards(self, req: Request) -> Response:
        items = [gamma_shapes.reward_market(m) for m in self.catalogue.all()
                 if m.rewards_daily_rate > 0 and not m.closed]
        return Response.json(paginate(items, req.arg("next_cursor")))
