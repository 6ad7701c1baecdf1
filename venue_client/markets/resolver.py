"""What a coordinator calls: resolve its slug or rotating prefix into ``MarketInfo``.

``MarketResolver(http, "btc-updown-15m")``:
- ``current()`` / ``upcoming(k)``: the window containing now / k windows later, trying each slug
  candidate, retrying with capped exponential back-off through "not listed yet" and CLOB hydration
  (404, empty token ids), until ``deadline_s``; then ``NotReady``. ``MarketError`` (bad data) is raised
  at once. Blocking: call it before the loop starts, off the loop (one call at a time), or use
  ``prefetch``.
- ``prefetch(bridge, k=1)``: resolve window ``k`` off the caller's thread (``bus.bridge.Bridge``): the
  worker fetches with its own HTTP session and touches nothing else of the resolver; the result is
  cached (or the failure kept in ``prefetch_error``) on the caller's thread, when the bridge drains.
  ``cached(slug)`` has it then. The resolver is used by one thread at a time: no lock.
A plain slug resolves once and is cached; it has no next window.
``default_tick`` (> 0) is the tick of a market whose CLOB entry gives none; 0 waits for one (NotReady).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple

from bus.bridge import Bridge
from schemas.units import NS
from venue_client.markets import resolve, slugs
from venue_client.markets.gamma import HttpError, MarketHttp
from venue_client.markets.resolve import MarketInfo
from venue_client.markets.slugs import MarketError, NotReady, Window


class RetryPolicy(NamedTuple):
    deadline_s: float = 600.0  # hydration lasts "several minutes"
    min_s: float = 0.5
    max_s: float = 15.0


DEFAULT_POLICY = RetryPolicy()

def resolve_slug(http: MarketHttp, slug: str, fallback: Window | None = None,
                 default_tick: int = 0) -> MarketInfo:
    """One attempt: Gamma then the CLOB. Raises ``NotReady``, ``MarketError`` or ``HttpError``."""
    gamma = http.gamma_market(slug)
    ids, _ = resolve.token_ids(gamma)
    if not ids or not gamma.condition_id:
        raise NotReady(f"{slug}: no token ids yet (CLOB hydration)")
    clob = http.clob_info(gamma.condition_id, ids[0])
    return resolve.market_info(gamma, clob, fallback=fallback, default_tick=default_tick)


def resolve_window(http: MarketHttp, window: Window, default_tick: int = 0) -> MarketInfo:
    """The first candidate slug of ``window`` that resolves; ``NotReady`` naming all of them otherwise."""
    reasons = []
    for slug in window.slugs:
        tail = slug.rsplit("-", 1)[-1]  # a lattice candidate's own start, when it differs (4h in winter)
        own = window if not tail.isdigit() or int(tail) == window.start_s else \
            Window((slug,), int(tail), int(tail) + window.end_s - window.start_s)
        try:
            return resolve_slug(http, slug, own, default_tick)
        except NotReady as exc:
            reasons.append(str(exc))
    raise NotReady("; ".join(reasons))


class MarketResolver:
    def __init__(self, http: MarketHttp, target: str, *, window_s: int = 0,
                 policy: RetryPolicy = DEFAULT_POLICY, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[str, float], None] | None = None, default_tick: int = 0) -> None:
        self.http = http
        self.target = slugs.parse_target(target)
        self.window_s = window_s
        self.policy, self.clock, self.sleep, self.on_retry = policy, clock, sleep, on_retry
        self.default_tick = default_tick  # the tick of a market the CLOB gives none (0: wait for one)
        self._cache: dict[str, MarketInfo] = {}
        self.prefetch_error = ""

    @property
    def rotating(self) -> bool:
        return self.target.rotating

    def window(self, k: int = 0, now_s: float | None = None) -> Window:
        now = int(self.clock() if now_s is None else now_s)
        return slugs.window(self.target, now, k, self.window_s)

    def current(self, now_s: float | None = None) -> MarketInfo:
        if not self.rotating:
            return self._resolve(self.http, None, self.target.text)
        return self._resolve(self.http, self.window(0, now_s), "")

    def at(self, at_ns: int) -> MarketInfo:
        """The market trading at ``at_ns`` (integer seconds, so a window's end is the next window)."""
        return self.current(at_ns // NS)

    def upcoming(self, k: int = 1, now_s: float | None = None) -> MarketInfo:
        if not self.rotating:
            raise MarketError(f"{self.target.text!r} is a plain slug: it has no next window")
        return self._resolve(self.http, self.window(k, now_s), "")

    def cached(self, slug: str) -> MarketInfo | None:
        return self._cache.get(slug)

    def prefetch(self, bridge: Bridge, k: int = 1, now_s: float | None = None) -> bool:
        """Resolve window ``k`` through ``bridge`` (module docstring); False if it is cached already or
        being resolved."""
        window = self.window(k, now_s)
        if any(self.cached(slug) is not None for slug in window.slugs):
            return False
        http = self.http.fork()
        on_retry = self.on_retry

        def retried(reason: str, delay: float) -> None:  # reported on the caller's thread
            if on_retry is not None:
                bridge.post(lambda: on_retry(reason, delay))

        def fetch() -> MarketInfo:  # the worker: its own HTTP session, nothing shared
            try:
                return self._fetch(http, window, "", retried)
            finally:
                http.close()

        def done(info: MarketInfo | None, error: BaseException | None) -> None:
            if info is not None:
                self._cache[info.slug] = info
                self.prefetch_error = ""
            elif isinstance(error, NotReady | MarketError | HttpError):
                self.prefetch_error = f"{window.slugs[0]}: {error}"
            else:  # not a resolution failure (a bug): reported all the same, never raised into the loop
                self.prefetch_error = f"{window.slugs[0]}: {type(error).__name__}: {error}"

        started = bridge.submit(f"prefetch-{window.slugs[0]}", fetch, done)
        if not started:
            http.close()
        return started

    def _resolve(self, http: MarketHttp, window: Window | None, slug: str) -> MarketInfo:
        keys = window.slugs if window is not None else (slug,)
        for key in keys:
            if (hit := self.cached(key)) is not None:
                return hit
        info = self._fetch(http, window, slug, self.on_retry)
        self._cache[info.slug] = info
        return info

    def _fetch(self, http: MarketHttp, window: Window | None, slug: str,
               on_retry: Callable[[str, float], None] | None) -> MarketInfo:
        """Resolve, retrying until the deadline (blocking; reads only the resolver's settings)."""
        deadline = self.clock() + self.policy.deadline_s
        delay = self.policy.min_s
        while True:
            try:
                return (resolve_window(http, window, self.default_tick) if window is not None
                        else resolve_slug(http, slug, default_tick=self.default_tick))
            except (NotReady, HttpError) as exc:
                if self.clock() + delay > deadline:
                    raise NotReady(f"gave up after {self.policy.deadline_s:g} s: {exc}") from None
                if on_retry is not None:
                    on_retry(str(exc), delay)
                self.sleep(delay)
                delay = min(self.policy.max_s, delay * 2)
