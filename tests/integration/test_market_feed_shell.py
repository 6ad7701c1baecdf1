"""FeedShell.on_frames: the frames of one socket read -> what is published, in which order.

The shell applies the events up to the last one that can change a book, publishes those messages,
then applies the rest. Whatever the mix, the result must be exactly what applying every frame first
and then conflating gives (the reference below), only with the ``Book`` messages out sooner. Real
Node sockets on a private ipc directory (nothing listens: publishing needs no proxy).
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actors.market_feed.config import FeedConfig
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects, conflate, mark_frames
from actors.market_feed.main import FeedShell
from actors.market_feed.shards import Shards
from bus.logs import Logger
from bus.node import Node
from schemas import Book, Lease
from tests.support.market_frames import (
    CID,
    NO,
    NOW,
    YES,
    best_bid_ask,
    book,
    change,
    tick_change,
    trade,
    two_books,
)
from tests.support.procs import bus_config
from venue_client.endpoints import VenueEndpoints


class Shell:
    def __init__(self, run_dir: Path, **cfg: Any) -> None:
        self.log = io.StringIO()
        self.cfg = FeedConfig(**cfg)
        node = Node("market-feed", bus_config(run_dir), log=Logger("market-feed", self.log))
        feed = MarketFeed(depth=self.cfg.depth, default_tick=self.cfg.default_tick)
        url = VenueEndpoints().ws_base_url + "/market"
        self.shell = FeedShell(node, self.cfg, feed, Shards(feed, self.cfg.timing(), random.Random()), url)
        self.shell.clock = lambda: NOW
        self.published: list[tuple[bytes, Any]] = []
        self.shell.node.publish = lambda topic, msg: self.published.append((topic, msg))  # type: ignore[method-assign]
        shards = self.shell.shards
        lease = Lease(holder="t", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=60_000, ts=0)
        shards.on_lease(lease, 1, NOW, FeedEffects())
        [self.conn] = list(shards.conns)
        shards.on_open(self.conn, NOW)
        self.read([two_books()])

    def read(self, frames: list[str]) -> list[tuple[bytes, Any]]:
        self.published.clear()
        self.shell.on_frames(self.conn, [f.encode() for f in frames])
        return list(self.published)

    def close(self) -> None:
        self.shell.close()
        self.shell.node.close()


@pytest.fixture
def shell(run_dir: Path) -> Iterator[Shell]:
    s = Shell(run_dir)
    yield s
    s.close()


def reference(frames: list[str], conflating: bool = True) -> list[tuple[bytes, Any]]:
    """Every frame applied in turn, then the read's messages conflated (when several frames) and every
    ``Book`` that another of its market follows marked ``more``."""
    f = MarketFeed(depth=50, default_tick=10_000)
    for asset in (YES, NO):
        f.track(asset, NOW)
    f.on_frame(two_books(), NOW)
    out = [item for frame in frames for item in f.on_frame(frame, NOW).publishes]
    out = conflate(out) if conflating and len(frames) > 1 else out
    mark_frames(out)
    return out


DELTA = change((YES, "BUY", "0.505", "7"), (NO, "SELL", "0.495", "7"))
READS = [
    ("the venue's pair: a delta for both tokens, then top-of-book",
     [DELTA, best_bid_ask(YES), best_bid_ask(NO)]),
    ("two deltas for one token read together", [change((YES, "BUY", "0.505", "1")), best_bid_ask(),
                                                change((YES, "BUY", "0.505", "2")), best_bid_ask()]),
    ("a trade between deltas, one after", [DELTA, trade(YES), change((NO, "BUY", "0.44", "3")), trade(NO)]),
    ("a tick change after the books", [DELTA, tick_change(NO), best_bid_ask(NO)]),
    ("a snapshot after a delta", [change((YES, "BUY", "0.3", "1")), book(YES, bids=[("0.2", "5")])]),
    ("no book at all", [best_bid_ask(), trade(), "PONG"]),
    ("one delta alone", [DELTA]),
    ("a bad frame in the middle", [DELTA, "garbage", change((NO, "BUY", "0.44", "3"))]),
]


@pytest.mark.parametrize("frames", [r[1] for r in READS], ids=[r[0] for r in READS])
def test_a_read_publishes_what_applying_everything_then_conflating_gives(shell: Shell,
                                                                         frames: list[str]) -> None:
    assert shell.read(frames) == reference(frames)


def test_without_conflation_every_book_is_published(run_dir: Path) -> None:
    s = Shell(run_dir, conflate=False)
    try:
        frames = READS[1][1]
        got = s.read(frames)
        assert got == reference(frames, conflating=False)
        assert [type(m) for _, m in got] == [Book, Book]
    finally:
        s.close()


def test_the_books_come_first_and_the_socket_is_known_alive(shell: Shell) -> None:
    conn = shell.shell.shards.conns[shell.conn]
    conn.last_data_ns = 0
    got = shell.read([DELTA, best_bid_ask(YES), best_bid_ask(NO)])
    assert [(type(m).__name__, m.asset, m.ts_recv) for _, m in got] == [("Book", YES, NOW), ("Book", NO, NOW)]
    assert conn.last_data_ns == NOW


def test_a_top_of_book_mismatch_is_logged_after_the_books(shell: Shell) -> None:
    got = shell.read([change((YES, "BUY", "0.505", "1"), top=("0.60", "0.61"))])
    assert [type(m).__name__ for _, m in got] == ["Book"]
    [line] = [json.loads(x) for x in shell.log.getvalue().splitlines() if "book_top_mismatch" in x]
    assert line["asset"] == YES and shell.shell.feed.top_mismatch == 1
