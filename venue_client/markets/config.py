"""Settings of market resolution (read by each coordinator), and the resolver built from them."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from bus.config import Env
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.gamma import MarketHttp
from venue_client.markets.resolver import MarketResolver, RetryPolicy


class MarketsConfig(msgspec.Struct, frozen=True, kw_only=True):
    window_seconds: Annotated[int, Env("PM_WINDOW_SECONDS"), Meta(ge=0)] = 0  # 0: the label's real length
    http_timeout_ms: Annotated[int, Env("PM_MARKETS_HTTP_TIMEOUT_MS"), Meta(ge=100, le=60_000)] = 5000
    http_retries: Annotated[int, Env("PM_MARKETS_HTTP_RETRIES"), Meta(ge=0, le=10)] = 2
    resolve_deadline_s: Annotated[int, Env("PM_MARKETS_RESOLVE_DEADLINE_S"), Meta(ge=1)] = 600
    retry_min_ms: Annotated[int, Env("PM_MARKETS_RETRY_MIN_MS"), Meta(ge=10)] = 500
    retry_max_ms: Annotated[int, Env("PM_MARKETS_RETRY_MAX_MS"), Meta(ge=10)] = 15_000

    def resolver(self, target: str, endpoints: VenueEndpoints, **kwargs: object) -> MarketResolver:
        """A resolver for ``target`` (slug or rotating prefix) against Gamma and the CLOB of ``endpoints``."""
        http = MarketHttp(endpoints.gamma_url, endpoints.rest_url, timeout_s=self.http_timeout_ms / 1000,
                          retries=self.http_retries)
        policy = RetryPolicy(self.resolve_deadline_s, self.retry_min_ms / 1000, self.retry_max_ms / 1000)
        return MarketResolver(http, target, window_s=self.window_seconds, policy=policy, **kwargs)  # type: ignore[arg-type]
