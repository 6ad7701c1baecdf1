"""Thin HTTP for market resolution: Gamma (``/markets/slug/{slug}``, ``/events?slug=``) and the CLOB
(``/clob-markets/{cid}``, ``/markets/{cid}``, ``/tick-size``), via ``requests`` with timeouts and bounded
retries. A 404 means "not there (yet)": ``NotReady``, for the resolver to retry through hydration.
Connection errors, 429 (honouring ``Retry-After``, capped) and 5xx are retried here a few times, then
raised as ``HttpError``. Read-only, public endpoints: no credentials.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import msgspec
import requests

from venue_client.markets import resolve
from venue_client.markets.resolve import ClobInfo, GammaMarket
from venue_client.markets.slugs import MarketError, NotReady

MAX_RETRY_AFTER_S = 5.0


class HttpError(RuntimeError):
    """The venue did not answer usefully after the retries (network, 429, 5xx, other status)."""


class MarketHttp:
    def __init__(self, gamma_url: str, clob_url: str, *, timeout_s: float = 5.0, retries: int = 2,
                 backoff_s: float = 0.25, sleep: Callable[[float], None] = time.sleep,
                 session: requests.Session | None = None) -> None:
        self.gamma_url = gamma_url.rstrip("/")
        self.clob_url = clob_url.rstrip("/")
        self.timeout_s, self.retries, self.backoff_s, self.sleep = timeout_s, retries, backoff_s, sleep
        self.session = session or requests.Session()
        self.requests = 0

    def fork(self) -> MarketHttp:
        """The same settings with its own session (``requests.Session`` is not shared across threads)."""
        return MarketHttp(self.gamma_url, self.clob_url, timeout_s=self.timeout_s, retries=self.retries,
                          backoff_s=self.backoff_s, sleep=self.sleep)

    def close(self) -> None:
        self.session.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> bytes | None:
        """The body of a 200, ``None`` for a 404; retries transient failures, then ``HttpError``."""
        error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self.sleep(self._delay(attempt, error))
            self.requests += 1
            try:
                resp = self.session.get(url, params=params, timeout=self.timeout_s)
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"
                continue
            if resp.status_code == 200:
                return resp.content
            if resp.status_code == 404:
                return None
            error = f"HTTP {resp.status_code} {resp.text[:200]}"
            if resp.status_code == 429:
                error = f"retry-after:{resp.headers.get('Retry-After', '')}|{error}"
            elif resp.status_code < 500:
                break
        raise HttpError(f"GET {url}: {error.split('|')[-1]}")

    def _delay(self, attempt: int, error: str) -> float:
        if error.startswith("retry-after:"):
            hint = error.split("|", 1)[0].removeprefix("retry-after:")
            try:
                delay = float(hint)
            except ValueError:
                delay = -1.0
            if delay >= 0:  # not negative or NaN (time.sleep raises on those); inf is capped
                return min(MAX_RETRY_AFTER_S, delay)
        return self.backoff_s * 2 ** (attempt - 1)

    # -- Gamma and CLOB lookups -------------------------------------------------------------------

    def gamma_market(self, slug: str) -> GammaMarket:
        body = self.get(f"{self.gamma_url}/markets/slug/{quote(slug)}")
        if body is None:
            body = self.get(f"{self.gamma_url}/events", {"slug": slug})
        if body is None:
            raise NotReady(f"{slug}: not on Gamma")
        return _decoded(lambda: resolve.decode_gamma(body, slug), slug)

    def clob_info(self, condition_id: str, first_token: str) -> ClobInfo:
        body = self.get(f"{self.clob_url}/clob-markets/{condition_id}")
        if body is None:
            body = self.get(f"{self.clob_url}/markets/{condition_id}")
        if body is None:
            raise NotReady(f"{condition_id}: not on the CLOB yet (hydration)")
        info = _decoded(lambda: resolve.decode_clob(body), condition_id)
        if info.mts is None and first_token:
            tick = self.get(f"{self.clob_url}/tick-size", {"token_id": first_token})
            if tick is None:
                raise NotReady(f"{condition_id}: no order book yet")
            data = _decoded(lambda: msgspec.json.decode(tick), condition_id)
            info = msgspec.structs.replace(info, mts=data.get("minimum_tick_size") if isinstance(data, dict)
                                           else None)
        return info


def _decoded(fn: Callable[[], Any], what: str) -> Any:
    try:
        return fn()
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise MarketError(f"{what}: unexpected JSON: {exc}") from None
