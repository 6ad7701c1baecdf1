"""Market resolution over real loopback HTTP: the local venue's shortened btc-updown-15m windows (current
and next), a plain slug, and a scripted fake venue for CLOB hydration (404, empty token ids), 429 and 5xx,
and a market the CLOB gives no tick size (a coordinator's PM_TICK_SIZE)."""

from __future__ import annotations

import json
import select
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.resolver import gamma_resolver
from bus.bridge import Bridge
from bus.config import load
from venue.app import VenueThread
from venue.config import VenueConfig
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.config import MarketsConfig
from venue_client.markets.gamma import HttpError, MarketHttp
from venue_client.markets.resolver import MarketResolver, RetryPolicy
from venue_client.markets.slugs import MarketError, NotReady

NS = 1_000_000_000
WINDOW_S = 20


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    config = VenueConfig(flow=False, window_seconds=WINDOW_S, intervals=("15m",), assets=("btc",))
    with VenueThread(config) as v:
        yield v


def test_current_and_next_shortened_windows_resolve_against_the_local_venue(venue: VenueThread) -> None:
    endpoints = VenueEndpoints(local_url=venue.urls["clob"])
    resolver = MarketsConfig(window_seconds=WINDOW_S).resolver("btc-updown-15m", endpoints)
    now = time.time()
    start = int(now) // WINDOW_S * WINDOW_S
    current, upcoming = resolver.current(now), resolver.upcoming(1, now)
    for info, begin in ((current, start), (upcoming, start + WINDOW_S)):
        market = venue.call(lambda slug=info.slug: venue.venue.exchange.catalogue.slug(slug))  # type: ignore[union-attr]
        assert info.slug == f"btc-updown-15m-{begin}" and market is not None
        assert (info.condition_id, info.token_ids, info.outcomes) == (market.condition_id, market.token_ids,
                                                                      ("Up", "Down"))
        assert (info.window_start_ns, info.window_end_ns) == (begin * NS, (begin + WINDOW_S) * NS)
        assert (info.tick, info.min_size, info.neg_risk) == (10_000, 5_000_000, False)
        assert (info.fees_enabled, info.fee_rate, info.fee_exponent) == (True, 70_000, 1)
    assert resolver.cached(current.slug) == current  # resolved once, then cached
    assert resolver.at((start + WINDOW_S) * NS) == upcoming  # a window's end belongs to the next one
    bridge = Bridge("test")
    try:
        assert resolver.prefetch(bridge, 2, now)
        assert not resolver.prefetch(bridge, 2, now)  # already being resolved
        assert resolver.cached(f"btc-updown-15m-{start + 2 * WINDOW_S}") is None  # not before the hand-off
        drained(bridge)
        assert resolver.prefetch_error == "" and resolver.cached(f"btc-updown-15m-{start + 2 * WINDOW_S}")
        assert not resolver.prefetch(bridge, 2, now)  # cached
    finally:
        bridge.close()


def drained(bridge: Bridge, timeout_s: float = 10.0) -> None:
    """Wait (bounded) until the bridge's jobs have ended and their results were handed over."""
    deadline = time.monotonic() + timeout_s
    while bridge.running:
        ready, _, _ = select.select([bridge.fd], [], [], max(0.0, deadline - time.monotonic()))
        assert ready, "the prefetch never finished"
        bridge.drain()


def test_a_plain_slug_resolves_once_and_has_no_next_window(venue: VenueThread) -> None:
    http = MarketHttp(venue.urls["gamma"], venue.urls["clob"])
    resolver = MarketResolver(http, "venue-reward-market-1")
    info = resolver.current()
    assert info.outcomes == ("Yes", "No") and not info.fees_enabled and info.tick == 10_000
    before = http.requests
    assert resolver.current() is info and http.requests == before
    with pytest.raises(MarketError):
        resolver.upcoming()
    with pytest.raises(NotReady):  # never listed: gives up at the deadline (fake clock, no waiting)
        clock = FakeClock()
        MarketResolver(http, "no-such-market", policy=RetryPolicy(5, 1, 2), clock=clock,
                       sleep=clock.sleep).current()


# -- a scripted fake venue for hydration and HTTP failures --------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_773_307_201.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Script:
    """path -> list of (status, body, headers) answers, the last one repeating; records every path."""

    def __init__(self, answers: dict[str, list[tuple[int, Any, dict[str, str]]]]) -> None:
        self.answers = answers
        self.seen: list[str] = []
        self.lock = threading.Lock()

    def answer(self, path: str) -> tuple[int, Any, dict[str, str]]:
        with self.lock:
            self.seen.append(path)
            queue = self.answers.get(path.split("?")[0], [(404, {"error": "not found"}, {})])
            return queue.pop(0) if len(queue) > 1 else queue[0]


@pytest.fixture
def fake() -> Iterator[tuple[ThreadingHTTPServer, Script]]:
    script = Script({})

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = script.answer(self.path)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server, script
    finally:
        server.shutdown()
        server.server_close()


SLUG = "btc-updown-15m-1773306900"
GAMMA = {"id": "7", "conditionId": "0xc1", "slug": SLUG, "question": "q", "outcomes": '["Up", "Down"]',
         "clobTokenIds": '["111", "222"]', "eventStartTime": "2026-03-12T09:15:00Z",
         "endDate": "2026-03-12T09:30:00Z"}
CLOB = {"c": "0xc1", "t": [{"t": "111", "o": "Up"}, {"t": "222", "o": "Down"}], "mts": 0.01, "mos": 5}


def http_for(server: ThreadingHTTPServer, clock: FakeClock) -> MarketHttp:
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return MarketHttp(base + "/gamma", base, timeout_s=2, retries=2, backoff_s=0.5, sleep=clock.sleep)


def test_resolution_retries_through_clob_hydration(fake: tuple[ThreadingHTTPServer, Script]) -> None:
    server, script = fake
    script.answers.update({
        f"/gamma/markets/slug/{SLUG}": [(404, {"error": "not found"}, {}), (404, {}, {}),
                                         (200, {**GAMMA, "clobTokenIds": "[]"}, {}), (200, GAMMA, {})],
        "/gamma/events": [(404, {}, {})],
        "/clob-markets/0xc1": [(404, {"error": "market not found"}, {}), (200, CLOB, {})],
        "/markets/0xc1": [(404, {}, {})],
    })
    clock = FakeClock()
    retries: list[str] = []
    resolver = MarketResolver(http_for(server, clock), "btc-updown-15m", policy=RetryPolicy(60, 0.5, 2),
                              clock=clock, sleep=clock.sleep, on_retry=lambda why, delay: retries.append(why))
    info = resolver.current()
    assert info.slug == SLUG and info.token_ids == ("111", "222") and info.tick == 10_000
    assert clock.sleeps == [0.5, 1.0, 2.0, 2.0]  # capped exponential back-off
    assert ["not on Gamma" in r for r in retries] == [True, True, False, False]
    assert "CLOB hydration" in retries[2] and "not on the CLOB" in retries[3]
    assert f"/gamma/events?slug={SLUG}" in script.seen  # the event lookup was tried too


def test_http_429_and_5xx_are_retried_then_reported(fake: tuple[ThreadingHTTPServer, Script]) -> None:
    server, script = fake
    script.answers.update({
        f"/gamma/markets/slug/{SLUG}": [(429, {"error": "Too Many Requests"}, {"Retry-After": "1"}),
                                         (200, GAMMA, {})],
        "/clob-markets/0xc1": [(200, {**CLOB, "mts": None}, {})],
        "/tick-size": [(200, {"minimum_tick_size": 0.001}, {})],
        "/gamma/markets/slug/broken": [(503, {"error": "down"}, {})],
    })
    clock = FakeClock()
    http = http_for(server, clock)
    info = MarketResolver(http, SLUG, clock=clock, sleep=clock.sleep).current()
    assert info.tick == 1_000 and clock.sleeps == [1.0]  # Retry-After honoured; tick from /tick-size
    with pytest.raises(HttpError, match="HTTP 503"):
        http.gamma_market("broken")
    assert clock.sleeps == [1.0, 0.5, 1.0]


@pytest.mark.parametrize(("clob_tick", "pm_tick_size", "tick"), [
    (None, "0.005", 5_000),  # neither /clob-markets nor /tick-size gives one: PM_TICK_SIZE
    (None, None, 1_000),  # PM_TICK_SIZE's default, 0.001
    (0.01, "0.005", 10_000),  # the market's own tick wins
])
def test_a_coordinator_uses_pm_tick_size_only_for_a_market_the_clob_gives_no_tick(
        fake: tuple[ThreadingHTTPServer, Script], clob_tick: float | None, pm_tick_size: str | None,
        tick: int) -> None:
    server, script = fake
    script.answers.update({
        f"/gamma/markets/slug/{SLUG}": [(200, GAMMA, {})],
        "/clob-markets/0xc1": [(200, {**CLOB, "mts": clob_tick}, {})],
        "/tick-size": [(200, {"minimum_tick_size": None}, {})],
    })
    env = {"POLYMARKET_MARKET_SLUG": SLUG, **({"PM_TICK_SIZE": pm_tick_size} if pm_tick_size else {})}
    cfg = load(CoordinatorConfig, environ=env, dotenv=Path("/dev/null"))
    endpoints = VenueEndpoints(local_url=f"http://127.0.0.1:{server.server_address[1]}")
    window = gamma_resolver(endpoints, cfg, MarketsConfig())(cfg.market_slug, 0)
    assert (window.slug, window.spec.market, window.spec.tick) == (SLUG, "0xc1", tick)
    assert ("/tick-size?token_id=111" in script.seen) == (clob_tick is None)


def test_a_prefetch_reports_its_retries_and_its_failure_on_the_callers_thread(
        fake: tuple[ThreadingHTTPServer, Script]) -> None:
    server, _ = fake  # nothing listed: every path answers 404
    clock = FakeClock()
    retries: list[str] = []  # the names of the threads on_retry ran on
    resolver = MarketResolver(http_for(server, clock), "btc-updown-15m", policy=RetryPolicy(3, 1, 2),
                              clock=clock, sleep=clock.sleep,
                              on_retry=lambda why, delay: retries.append(threading.current_thread().name))
    next_slug = resolver.window(1).slugs[0]
    bridge = Bridge("test")
    try:
        assert resolver.prefetch(bridge, 1)
        drained(bridge)
    finally:
        bridge.close()
    assert resolver.prefetch_error.startswith(f"{next_slug}: gave up after 3 s")
    assert retries == [threading.current_thread().name] * 2  # after 1 s and 2 s, then the deadline
    assert resolver.cached(next_slug) is None
