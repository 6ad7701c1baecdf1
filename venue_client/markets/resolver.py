"""What a coordinator calls: resolve its slug or rotating prefix into ``MarketInfo``.

``MarketResolver(http, "btc-updown-15m")``:
- ``current()`` / ``upcoming(k)``: the window containing now / k windows later, trying each slug
  candidate, retrying with capped exponential back-off through "not listed yet" and CLOB hydration
  (404, empty token ids), until ``deadline_s``; then ``NotReady``. ``MarketError`` (bad data) is raised
  at once. Blocking: call it before the loop starts, or use ``prefetch``.
- ``prefetch(k=1)``: resolve the next window in a daemon thread; ``cached(slug)`` has it when done.
A plain slug resolves once and is cached; it has no next window.
``default_tick`` (> 0) is the tick of a market whose CLOB entry gives none; 0 waits for one (NotReady).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import NamedTuple

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
        self._lock = threading.Lock()
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
        with self._lock:
            return self._cache.get(slug)

    def prefetch(self, k: int = 1, now_s: float | None = None) -> threading.Thread:
        """Resolve window ``k`` in a daemon thread (own HTTP session); errors land in ``prefetch_error``."""
        window = self.window(k, now_s)

        def run() -> None:
            http = self.http.fork()
            try:
                self._resolve(http, window, "")
                self.prefetch_error = ""
            except (NotReady, MarketError, HttpError) as exc:
                self.prefetch_error = f"{window.slugs[0]}: {exc}"
            finally:
                http.close()

        thread = threading.Thread(target=run, name=f"prefetch-{window.slugs[0]}", daemon=True)
        thread.start()
        return thread

    def _resolve(self, http: MarketHttp, window: Window | None, slug: str) -> MarketInfo:
        keys = window.slugs if window is not None else (slug,)
        for key in keys:
            if (hit := self.cached(key)) is not None:
                return hit
        deadline = self.clock() + self.policy.deadline_s
        delay = self.policy.min_s
        while True:
            try:
                info = (resolve_window(http, window, self.default_tick) if window is not None
                        else resolve_slug(http, slug, default_tick=self.default_tick))
                break
            except (NotReady, HttpError) as exc:
                if self.clock() + delay > deadline:
                    raise NotReady(f"gave up after {self.policy.deadline_s:g} s: {exc}") from None
                if self.on_retry is not None:
                    self.on_retry(str(exc), delay)
                self.sleep(delay)
                delay = min(self.policy.max_s, delay * 2)
        with self._lock:
            self._cache[info.slug] = info
        return info
