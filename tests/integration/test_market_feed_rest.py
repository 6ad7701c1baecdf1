"""market-feed's REST fallback (seed-002 §7, issue #17 §5) as a real process over real sockets: while the
market WebSocket is down for a leased token, its REST ``/book`` from the local venue is published every
``PM_FEED_REST_POLL_MS`` as a ``Book`` marked ``rest``, with the venue's top of book; once the socket's
snapshot arrives the books are the socket's again. The socket is "down" because the WebSocket base URL
points at a loopback port nothing listens on (REST still reaches the venue); coming back is a relay that
starts forwarding to the venue's WebSocket."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Book, FeedStatus, Lease
from tests.support.procs import (
    Listener,
    Program,
    program_env,
    proxied_bus,
)
from tests.support.quiet import Quiet
from tests.support.venue_client import KEY_A, signed_client
from venue.app import VenueThread
from venue.config import VenueConfig

FAST = {"PM_MD_CHECK_MS": "50", "PM_MD_RECONNECT_MIN_S": "0.05", "PM_MD_RECONNECT_MAX_S": "0.2",
        "PM_MD_STATS_S": "0", "PM_FEED_REST_POLL_MS": "200"}


class Relay:
    """A loopback TCP port that refuses nothing but forwards nothing until ``open`` (then to ``target``)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target, self.forward = target, threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def open(self) -> None:
        self.forward.set()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.forward.is_set():
                client.close()  # the socket is down: the handshake fails at once
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.server.close()


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(), seed=7, flow=False) as v:
        yield v


@pytest.fixture
def bus() -> Iterator[BusConfig]:
    with proxied_bus() as cfg:
        yield cfg


def _market(venue: VenueThread) -> Any:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    found = venue.call(lambda: [m for m in catalogue.all() if m.accepting_orders and not m.closed])
    return max(found, key=lambda m: m.window_end_s)


def test_rest_books_while_the_socket_is_down_then_the_sockets_books_again(venue: VenueThread,
                                                                          bus: BusConfig) -> None:
    m = _market(venue)
    yes, no = m.token_ids
    clients = signed_client(venue.urls["clob"], KEY_A)
    client = next(clients)
    for token, price in ((yes, "0.41"), (no, "0.53")):  # YES 0.41 / 0.47: a top of book to recognise
        assert client.place(token, "BUY", price, "10")[0] == 200
    clob = venue.urls["clob"]
    host, port = clob.removeprefix("http://").rsplit(":", 1)
    relay = Relay((host, int(port)))
    listener = Listener(bus, topics.prefix("md"))
    env = program_env(Path(bus.run_dir), PM_LOCAL_VENUE_URL=clob,
                      POLYMARKET_WS_BASE_URL=f"ws://127.0.0.1:{relay.port}/ws", **FAST)
    feed = Program(["-m", "actors.market_feed"], env)
    leaser = Node("market:t", bus, log=Quiet("t"))
    lease = Lease(holder="t", market=m.condition_id, yes_asset=yes, no_asset=no, ttl_ms=5000, ts=0)
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(0.2):
            leaser.publish(topics.coord_lease("t"), lease)

    feed.read_until(lambda line: '"event":"ready"' in line)
    renewer = threading.Thread(target=renew, daemon=True)
    try:
        renewer.start()

        def rest_book(t: bytes, h: Any, msg: Any) -> bool:
            return isinstance(msg, Book) and msg.asset == yes and msg.rest

        _, header, book = listener.wait_for(rest_book, 20)
        assert isinstance(book, Book) and header.src == "market-feed"
        assert book.bids[0] == (410_000, 10_000_000) and book.asks[0] == (470_000, 10_000_000)
        assert book.market == m.condition_id and book.tick == m.tick
        listener.wait_for(lambda t, h, msg: isinstance(msg, Book) and msg.asset == no and msg.rest, 20)
        listener.wait_for(rest_book, 20)  # polled again

        relay.open()  # the socket comes back: its snapshot makes the token live; its books are not REST
        listener.wait_for(lambda t, h, msg: isinstance(msg, FeedStatus) and msg.asset == yes and msg.live, 30)
        assert client.place(yes, "BUY", "0.42", "5")[0] == 200
        _, _, moved = listener.wait_for(
            lambda t, h, msg: isinstance(msg, Book) and msg.asset == yes and msg.bids[0][0] == 420_000, 20)
        assert isinstance(moved, Book) and not moved.rest
        assert '"event":"rest_fallback"' in feed.read_until(lambda line: '"rest_fallback"' in line)
    finally:
        stop.set()
        renewer.join(2)
        feed.kill()
        leaser.close()
        listener.close()
        relay.close()
        next(clients, None)  # cancels the client's orders
