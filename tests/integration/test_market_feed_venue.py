"""market-feed as a real process against the local venue over real sockets (bus: ipc, venue: loopback).

Leases from a fake coordinator -> subscriptions -> Books on the bus; expiry -> unsubscribe; recovery
after the venue drops the socket and after a silent freeze; a tick-size change on the real venue.
Every wait is for an expected bus message or venue state, with a deadline.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from actors.market_feed import venue as feed_venue
from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Book, FeedStatus, Lease, TickSizeChange, Trade
from tests.support.procs import (
    Listener,
    Program,
    program_env,
    proxied_bus,
)
from tests.support.quiet import Quiet
from tests.support.venue_client import KEY_A, KEY_B, Client, signed_client
from tests.support.waits import wait_until
from venue.app import VenueThread
from venue.config import VenueConfig

FAST = {"PM_MD_CHECK_MS": "50", "PM_MD_RECONNECT_MIN_S": "0.05", "PM_MD_RECONNECT_MAX_S": "0.5",
        "PM_MD_STATS_S": "0"}


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(), seed=5, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def markets(venue: VenueThread) -> list[Any]:
    """Open markets that will not close during the run (latest end first)."""
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    found = venue.call(lambda: [m for m in catalogue.all() if m.accepting_orders and not m.closed])
    return sorted(found, key=lambda m: -m.window_end_s)


@pytest.fixture
def bus() -> Iterator[BusConfig]:
    with proxied_bus() as cfg:
        yield cfg


@pytest.fixture
def alice(venue: VenueThread) -> Iterator[Client]:
    yield from signed_client(venue.urls["clob"], KEY_A)


class Coordinator:
    """A fake coordinator: renews a lease every 100 ms from its own thread (its own Node) until stopped."""

    def __init__(self, bus: BusConfig, market: str, assets: list[str], ttl_ms: int = 1000) -> None:
        self.lease = Lease(holder="t", market=market, yes_asset=assets[0], no_asset=assets[1], ttl_ms=ttl_ms,
                           ts=0)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(bus,), daemon=True)
        self.thread.start()

    def _run(self, bus: BusConfig) -> None:
        node = Node("market:t", bus, log=Quiet("t"))
        try:
            while not self.done.wait(0.1):
                node.publish(topics.coord_lease("t"), self.lease)
        finally:
            node.close()

    def stop(self) -> None:
        self.done.set()
        self.thread.join(2)


@pytest.fixture
def feed(bus: BusConfig, venue: VenueThread) -> Iterator[Callable[..., Program]]:
    started: list[Program] = []

    def start(**env: str) -> Program:
        extra = {"PM_LOCAL_VENUE_URL": venue.urls["clob"], **FAST, **env}
        prog = Program(["-m", "actors.market_feed"], program_env(Path(bus.run_dir), **extra))
        started.append(prog)
        prog.read_until(lambda line: '"event":"ready"' in line)
        return prog

    yield start
    for prog in started:
        prog.kill()


class Tape:
    """Every bus message received, in order; ``expect`` searches from a mark, then waits for more."""

    def __init__(self, bus: BusConfig, prefix: bytes) -> None:
        self.listener = Listener(bus, prefix)
        self.seen: list[Any] = []

    def mark(self) -> int:
        return len(self.seen)

    def expect(self, cls: type, since: int = 0, timeout: float = 10.0, **fields: Any) -> Any:
        def match(msg: Any) -> bool:
            return isinstance(msg, cls) and all(getattr(msg, k) == v for k, v in fields.items())
        for msg in self.seen[since:]:
            if match(msg):
                return msg
        deadline = time.monotonic() + timeout
        while True:
            msg = self.listener.next(max(0.0, deadline - time.monotonic()))[2]
            self.seen.append(msg)
            if match(msg):
                return msg

    def close(self) -> None:
        self.listener.close()


def venue_book(venue: VenueThread, token: str) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    client = Client(venue.urls["clob"])
    try:
        status, data = client.get(f"/book?token_id={token}")
    finally:
        client.close()
    assert status == 200

    def units(levels: list[dict[str, str]]) -> list[tuple[int, int]]:
        return [(feed_venue.price(lv["price"]), feed_venue.size(lv["size"])) for lv in levels]
    bids, asks = units(data["bids"]), units(data["asks"])
    return sorted(bids, reverse=True), sorted(asks)


def market_sockets(venue: VenueThread) -> int:
    assert venue.venue is not None
    return int(venue.call(lambda: len(venue.venue.market.sockets)))  # type: ignore[union-attr]


Feed = Callable[..., Program]


def test_lease_subscribes_and_the_books_follow_the_venue(
        bus: BusConfig, venue: VenueThread, markets: list[Any], alice: Client, feed: Feed) -> None:
    yes, no = markets[0].token_ids
    for price in ("0.40", "0.41"):
        assert alice.place(yes, "BUY", price, "10")[0] == 200
    tape = Tape(bus, b"md.")
    sockets_before = market_sockets(venue)
    # PM_VENUE=polymarket with the WS base URL pointed at the local venue: only the URL differs
    feed(PM_MD_MAX_ASSETS="1", PM_VENUE="polymarket",
         POLYMARKET_WS_BASE_URL=venue.urls["ws_market"].removesuffix("/market"))
    coordinator = Coordinator(bus, markets[0].condition_id, [yes, no])
    try:
        book = tape.expect(Book, asset=yes)
        assert tape.expect(FeedStatus, asset=yes, live=True).reason == "snapshot"
        assert (book.bids, book.asks) == venue_book(venue, yes)
        assert (book.market, book.tick, book.epoch) == (markets[0].condition_id, 10_000, 1)
        no_book = tape.expect(Book, asset=no)
        assert (no_book.bids, no_book.asks) == venue_book(venue, no)  # the mirror of the YES book
        wait_until(lambda: market_sockets(venue) == sockets_before + 2, "two sockets (PM_MD_MAX_ASSETS=1)")
        mark = tape.mark()
        assert alice.place(yes, "BUY", "0.45", "5")[0] == 200  # a price_change, not a new snapshot
        book = tape.expect(Book, since=mark, asset=yes)
        assert book.bids[0] == (450_000, 5_000_000) and book.epoch == 1
        assert (book.bids, book.asks) == venue_book(venue, yes)
    finally:
        coordinator.stop()
        tape.close()


def test_an_expired_lease_unsubscribes_and_closes_the_socket(
        bus: BusConfig, venue: VenueThread, markets: list[Any], feed: Feed) -> None:
    yes, no = markets[1].token_ids
    tape = Tape(bus, b"md.status.")
    sockets_before = market_sockets(venue)
    prog = feed()
    coordinator = Coordinator(bus, markets[1].condition_id, [yes, no], ttl_ms=400)
    try:
        tape.expect(FeedStatus, asset=yes, live=True)
        wait_until(lambda: market_sockets(venue) == sockets_before + 1, "one socket open")
        coordinator.stop()  # no more renewals: the lease expires 400 ms after the last one
        tape.expect(FeedStatus, asset=yes, live=False, reason="unsubscribed")
        tape.expect(FeedStatus, asset=no, live=False, reason="unsubscribed")
        wait_until(lambda: market_sockets(venue) == sockets_before, "the socket closed")
        prog.read_until(lambda line: '"event":"lease_expired"' in line)
    finally:
        coordinator.stop()
        tape.close()


def test_recovers_after_the_venue_drops_the_socket(
        bus: BusConfig, venue: VenueThread, markets: list[Any], feed: Feed) -> None:
    yes, no = markets[2].token_ids
    tape = Tape(bus, b"md.")
    prog = feed()
    coordinator = Coordinator(bus, markets[2].condition_id, [yes, no])
    try:
        first = tape.expect(Book, asset=yes)
        tape.expect(FeedStatus, asset=yes, live=True)
        mark = tape.mark()
        client = Client(venue.urls["clob"])
        assert client.request("POST", "/_venue/ws/drop", b"{}")[0] == 200
        client.close()
        tape.expect(FeedStatus, since=mark, asset=yes, live=False, reason="reconnecting")
        again = tape.expect(Book, since=mark, asset=yes, rest=False)  # the socket's, not REST's
        assert again.epoch > first.epoch and (again.bids, again.asks) == (first.bids, first.asks)
        tape.expect(FeedStatus, since=mark, asset=yes, live=True, reason="snapshot")
        prog.read_until(lambda line: '"event":"ws_closed"' in line)
    finally:
        coordinator.stop()
        tape.close()


def test_recovers_after_a_silent_freeze(
        bus: BusConfig, venue: VenueThread, markets: list[Any], feed: Feed) -> None:
    yes, no = markets[3].token_ids
    tape = Tape(bus, b"md.")
    prog = feed(PM_MD_PING_S="0.1", PM_MD_PONG_TIMEOUT_S="5", PM_MD_STALE_S="0.2",
                PM_MD_SNAPSHOT_TIMEOUT_S="0.3", PM_MD_ASSET_STALE_S="1")
    coordinator = Coordinator(bus, markets[3].condition_id, [yes, no])
    client = Client(venue.urls["clob"])
    try:
        first = tape.expect(Book, asset=yes)
        tape.expect(FeedStatus, asset=yes, live=True)
        mark = tape.mark()
        body = msgspec.json.encode({"seconds": 1.0})
        assert client.request("POST", "/_venue/ws/freeze", body)[0] == 200  # PONG still answered
        stale = tape.expect(FeedStatus, since=mark, asset=yes, live=False, timeout=5)
        assert stale.reason == "stale"
        mark = tape.mark()
        again = tape.expect(Book, since=mark, asset=yes, rest=False)  # resubscribed (not REST)
        assert again.epoch > first.epoch
        tape.expect(FeedStatus, since=mark, asset=yes, live=True, reason="snapshot")
        line = prog.read_until(lambda line: '"event":"ws_reconnect"' in line)
        assert '"why":"no_snapshot"' in line
    finally:
        client.close()
        coordinator.stop()
        tape.close()


def test_tick_size_change_on_the_venue_starts_a_new_epoch(
        bus: BusConfig, venue: VenueThread, markets: list[Any], alice: Client, feed: Feed) -> None:
    market = markets[4]
    yes, no = market.token_ids
    tape = Tape(bus, b"md.")
    feed()
    coordinator = Coordinator(bus, market.condition_id, [yes, no])
    bob = Client(venue.urls["clob"], KEY_B)
    bob.derive()
    try:
        first = tape.expect(Book, asset=yes)
        assert first.tick == 10_000
        tape.expect(FeedStatus, asset=yes, live=True)
        mark = tape.mark()
        assert alice.place(yes, "BUY", "0.97", "10")[0] == 200
        assert bob.place(no, "BUY", "0.03", "10", post_only=False)[0] == 200  # mints: YES trades at 0.97
        trade = tape.expect(Trade, since=mark, asset=no)  # printed on the taker's token
        assert (trade.price, trade.size, trade.side) == (30_000, 10_000_000, "BUY")
        change = tape.expect(TickSizeChange, since=mark, asset=yes)
        assert (change.old_tick, change.new_tick) == (10_000, 1_000)
        tape.expect(FeedStatus, since=mark, asset=yes, live=False, reason="tick_change")
        after = tape.mark()
        book = tape.expect(Book, since=after, asset=yes, rest=False)
        assert book.tick == 1_000 and book.epoch > first.epoch
        tape.expect(FeedStatus, since=after, asset=yes, live=True)
    finally:
        bob.private("DELETE", "/cancel-all")
        bob.close()
        coordinator.stop()
        tape.close()


def test_sigterm_exits_promptly_with_open_sockets_and_a_hanging_connect(
        bus: BusConfig, venue: VenueThread, markets: list[Any]) -> None:
    """One feed holds an open venue socket; another is stuck in a handshake with a peer that never
    answers (PM_VENUE=polymarket pointed at a local fake: it must receive nothing but the upgrade)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # never answered: TCP connects, the WebSocket handshake never completes
    silent.settimeout(10)  # the accept below is bounded
    port = silent.getsockname()[1]
    env = program_env(Path(bus.run_dir), PM_LOCAL_VENUE_URL=venue.urls["clob"], **FAST)
    hung_env = {**env, "PM_VENUE": "polymarket", "POLYMARKET_WS_BASE_URL": f"ws://127.0.0.1:{port}/ws",
                "PM_MD_DIRECT": "false"}  # one md PUB per bus: the second feed goes through the proxy
    tape = Tape(bus, b"md.status.")
    progs = [Program(["-m", "actors.market_feed"], env), Program(["-m", "actors.market_feed"], hung_env)]
    coordinator = Coordinator(bus, markets[5].condition_id, list(markets[5].token_ids))
    try:
        for prog in progs:
            prog.read_until(lambda line: '"event":"ready"' in line)
        tape.expect(FeedStatus, asset=markets[5].token_ids[0], live=True)  # one feed is connected
        conn, _ = silent.accept()  # the other one is inside its handshake
        conn.settimeout(5)
        assert conn.recv(4096).startswith(b"GET /ws/market HTTP/1.1")
        for prog in progs:
            elapsed = prog.terminate_and_time()
            assert prog.proc.returncode == 0, prog.lines
            assert elapsed < 1.0, f"took {elapsed:.2f}s to stop"
        conn.close()
    finally:
        coordinator.stop()
        tape.close()
        silent.close()
        for prog in progs:
            prog.kill()


def _book_with(tape: Tape, since: int, asset: str, level: tuple[int, int]) -> Book:
    """The first Book of ``asset`` from ``since`` on that holds ``level`` among its bids."""
    while True:
        book = tape.expect(Book, since=since, asset=asset)
        if level in book.bids:
            return book
        since = tape.seen.index(book, since) + 1


def test_a_depth_only_change_waits_for_the_next_top_change(
        bus: BusConfig, venue: VenueThread, markets: list[Any], alice: Client, feed: Feed) -> None:
    """PM_MD_DEPTH_THROTTLE_MS (docs/performance.md, feeds): a level behind the best bid is not published
    on its own within the interval (here 10 minutes); the next change of the top carries it at once."""
    market = markets[6]
    yes, no = market.token_ids
    tape = Tape(bus, b"md.book.")
    feed(PM_MD_DEPTH_THROTTLE_MS="600000")
    coordinator = Coordinator(bus, market.condition_id, [yes, no])
    try:
        tape.expect(Book, asset=yes)
        mark = tape.mark()
        assert alice.place(yes, "BUY", "0.40", "10")[0] == 200  # a new best bid: at once
        _book_with(tape, mark, yes, (400_000, 10_000_000))
        mark = tape.mark()
        assert alice.place(yes, "BUY", "0.30", "7")[0] == 200  # behind the best bid: depth only
        assert alice.place(yes, "BUY", "0.42", "5")[0] == 200  # a new best bid again
        book = _book_with(tape, mark, yes, (300_000, 7_000_000))
        assert book.bids[0] == (420_000, 5_000_000)  # the depth change was held until the top moved
        assert (book.bids, book.asks) == venue_book(venue, yes)
    finally:
        alice.private("DELETE", "/cancel-all")
        coordinator.stop()
        tape.close()


def test_the_last_depth_only_change_is_always_published(
        bus: BusConfig, venue: VenueThread, markets: list[Any], alice: Client, feed: Feed) -> None:
    """No top change follows: the held book goes out by the feed's timer (never lost)."""
    market = markets[7]
    yes, no = market.token_ids
    tape = Tape(bus, b"md.book.")
    feed(PM_MD_DEPTH_THROTTLE_MS="300")
    coordinator = Coordinator(bus, market.condition_id, [yes, no])
    try:
        tape.expect(Book, asset=yes)
        mark = tape.mark()
        assert alice.place(yes, "BUY", "0.40", "10")[0] == 200
        _book_with(tape, mark, yes, (400_000, 10_000_000))
        mark = tape.mark()
        assert alice.place(yes, "BUY", "0.30", "7")[0] == 200
        assert alice.place(yes, "BUY", "0.20", "6")[0] == 200
        book = _book_with(tape, mark, yes, (200_000, 6_000_000))
        assert (book.bids, book.asks) == venue_book(venue, yes)
    finally:
        alice.private("DELETE", "/cancel-all")
        coordinator.stop()
        tape.close()
