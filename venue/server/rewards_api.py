"""Liquidity-rewards routes (PROTOCOL.md §8.1) in Polymarket's shapes (as polymarket-client parses them).

Public: `GET /rewards/markets/{condition_id}`. L2: `GET /rewards/user?date=` (one row per market earned
on that UTC day, paginated), `/rewards/user/total?date=` (the day's sum), `/rewards/user/markets?date=`
(each reward market with our earnings and share), `/rewards/user/percentages` (our share of each market
today, percent). Earnings come from `venue.rewards.Rewards` (the samples the exchange takes); `/order-scoring`
and `/orders-scoring` stay in `rest.py`. A missing `date` means today (UTC).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from clob.auth import AuthError
from venue.clob_shapes import REWARDS_END
from venue.markets import USDC_E, Market
from venue.money import iso_date, to_float
from venue.rewards import utc_day
from venue.server.accounts import AccountStore
from venue.server.admin import FaultState
from venue.server.http import Request, Response, Router
from venue.server.rest import UNAUTHORIZED, Route, gated, paginate

NO_MARKET = Response.error(404, "market not found")


def _day_iso(day: str) -> str:
    return f"{day}T00:00:00Z"


class RewardsApi:
    def __init__(self, exchange: Any, accounts: AccountStore, faults: FaultState,
                 clock_ns: Callable[[], int]) -> None:
        self.exchange = exchange
        self.accounts = accounts
        self.faults = faults
        self.clock_ns = clock_ns

    def install(self, router: Router) -> None:
        def add(method: str, path: str, route: Route) -> None:
            router.add(method, path, gated(self.faults, "other", self.clock_ns, route))

        add("GET", "/rewards/user", self._l2(self._user))
        add("GET", "/rewards/user/total", self._l2(self._total))
        add("GET", "/rewards/user/markets", self._l2(self._markets))
        add("GET", "/rewards/user/percentages", self._l2(self._percentages))
        add("GET", "/rewards/markets/{condition_id}", self._market)

    def _l2(self, fn: Callable[[Request, str], Response]) -> Route:
        def handler(req: Request) -> Response:
            try:
                creds = self.accounts.l2(req.headers, req.method, req.path, req.body)
            except AuthError:
                return UNAUTHORIZED
            address = self.exchange.accounts.get(creds.api_key, "")
            return fn(req, address)
        return handler

    def _day(self, req: Request) -> str:
        return req.arg("date") or utc_day(self.clock_ns())

    # ---- shapes -----------------------------------------------------------------------------------
    def _tokens(self, market: Market) -> list[dict[str, object]]:
        book = self.exchange.catalogue.get(market.condition_id)
        mid = (book.best_bid + book.best_ask) // 2 if book and book.best_bid and book.best_ask else 500_000
        return [{"token_id": market.token_ids[0], "outcome": market.outcomes[0], "price": to_float(mid)},
                {"token_id": market.token_ids[1], "outcome": market.outcomes[1],
                 "price": to_float(1_000_000 - mid)}]

    @staticmethod
    def _config(market: Market) -> dict[str, object]:
        rate = market.rewards_daily_rate
        return {"asset_address": USDC_E, "start_date": iso_date(market.window_start_s),
                "end_date": REWARDS_END, "rate_per_day": rate,
                "total_rewards": rate * max(1, (market.window_end_s - market.window_start_s) // 86_400)}

    def _market_item(self, market: Market) -> dict[str, object]:
        return {"condition_id": market.condition_id, "question": market.question,
                "market_slug": market.slug, "event_slug": market.slug, "image": "",
                "rewards_max_spread": float(market.rewards_max_spread),
                "rewards_min_size": market.rewards_min_size, "market_competitiveness": 0.0,
                "tokens": self._tokens(market), "rewards_config": [self._config(market)]}

    # ---- routes -----------------------------------------------------------------------------------
    def _market(self, req: Request) -> Response:
        market = self.exchange.catalogue.get(req.params["condition_id"])
        if market is None or not market.is_reward:
            return NO_MARKET
        return Response.json(paginate([self._market_item(market)], req.arg("next_cursor")))

    def _user(self, req: Request, address: str) -> Response:
        day = self._day(req)
        items = [{"date": _day_iso(e.day), "condition_id": e.condition_id, "asset_address": USDC_E,
                  "maker_address": address, "earnings": round(e.earned / 1e6, 6), "asset_rate": 1.0}
                 for e in self.exchange.rewards.earnings(address, day)]
        return Response.json(paginate(items, req.arg("next_cursor")))

    def _total(self, req: Request, address: str) -> Response:
        day = self._day(req)
        total = sum(e.earned for e in self.exchange.rewards.earnings(address, day))
        return Response.json([{"date": _day_iso(day), "asset_address": USDC_E, "maker_address": address,
                               "earnings": round(total / 1e6, 6), "asset_rate": 1.0}])

    def _markets(self, req: Request, address: str) -> Response:
        day = self._day(req)
        earned = {e.condition_id: e.earned for e in self.exchange.rewards.earnings(address, day)}
        items = []
        for market in self.exchange.catalogue.reward_markets():
            share = self.exchange.rewards.share(address, day, market.condition_id)
            items.append({**self._market_item(market), "maker_address": address,
                          "earning_percentage": round(share * 100, 6),
                          "earnings": [{"asset_address": USDC_E, "asset_rate": 1.0,
                                        "earnings": round(earned.get(market.condition_id, 0.0) / 1e6, 6)}]})
        page = paginate(items, req.arg("next_cursor"))
        return Response.json({**page, "total_count": len(items)})

    def _percentages(self, req: Request, address: str) -> Response:
        day = utc_day(self.clock_ns())
        return Response.json({m.condition_id: round(self.exchange.rewards.share(address, day, m.condition_id)
                                                    * 100, 6)
                              for m in self.exchange.catalogue.reward_markets()})
