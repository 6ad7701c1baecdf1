"""Inventory marks from books, conflated: the side socket yields only the newest book of each token, and
the actor publishes states on its timer (changed or keep-alive), never once per book.

Real ZeroMQ sockets over ``inproc://`` (one context): once a subscription has reached the publisher, a
message is queued at the receiver as soon as ``send`` returns, so the drains need no sleeps.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import zmq

from actors.inventory.core import KEEPALIVE_NS, Inventory
from actors.inventory.journal import Journal
from actors.inventory.main import InventoryActor
from actors.inventory.marks import BookSampler
from actors.inventory.positions import Limits
from bus import codec, topics
from bus.effects import Effects
from schemas import Book, BusMessage, Fill, InventoryState, Lease
from tests.support.quiet import Quiet

M = 1_000_000
CID, YES, NO = "0xc1d", "1001", "1002"
MS = 1_000_000
_ids = itertools.count()


class Feed:
    """The market-feed's side of the bus: a PUB the sampler's SUB connects to."""

    def __init__(self) -> None:
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.endpoint = f"inproc://marks-{next(_ids)}"
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.bind(self.endpoint)
        self.seq = 0

    def send(self, book: Book) -> None:
        self.seq += 1
        header = codec.encode_header("market-feed", 1, self.seq, 0)
        self.pub.send_multipart([topics.md_book(book.asset), header, codec.encode_body(book)])


def book(asset: str, bid: int, ask: int) -> Book:
    return Book(asset=asset, market=CID, bids=[(bid, M)], asks=[(ask, M)], tick=10_000, epoch=1, ts_event=0,
                ts_recv=0)


def subscribed(feed: Feed, sampler: BookSampler, asset: str) -> None:
    """Send a probe book until the sampler gets one (the subscription reached the publisher), then drain."""
    deadline = time.monotonic() + 5
    while not any(b.asset == asset for b in sampler.drain()):
        assert time.monotonic() < deadline, "subscription never reached the publisher"
        feed.send(book(asset, 1_000, 999_000))


@pytest.fixture
def feed() -> Iterator[Feed]:
    f = Feed()
    yield f
    f.pub.close()


def test_drain_yields_the_newest_book_of_each_token_only(feed: Feed) -> None:
    sampler = BookSampler(feed.ctx, feed.endpoint)
    try:
        sampler.sync({YES, NO})
        subscribed(feed, sampler, YES)
        subscribed(feed, sampler, NO)
        for bid in range(300_000, 600_000, 10_000):
            feed.send(book(YES, bid, bid + 20_000))
            feed.send(book(NO, 1_000_000 - bid - 20_000, 1_000_000 - bid))
        feed.send(book("9999", 1, 2))  # not subscribed
        books = sampler.drain()
        assert sorted((b.asset, b.bids[0][0]) for b in books) == [(YES, 590_000), (NO, 390_000)]
        assert sampler.drain() == []  # nothing new
    finally:
        sampler.close()


def test_unsubscribed_tokens_stop_arriving(feed: Feed) -> None:
    sampler = BookSampler(feed.ctx, feed.endpoint)
    try:
        sampler.sync({YES, NO})
        subscribed(feed, sampler, YES)
        subscribed(feed, sampler, NO)
        sampler.sync({NO})
        # the unsubscription reaches the publisher asynchronously: wait until NO alone comes through
        deadline = time.monotonic() + 5
        while True:
            feed.send(book(YES, 400_000, 420_000))
            feed.send(book(NO, 580_000, 600_000))
            if [b.asset for b in sampler.drain()] == [NO]:
                break
            assert time.monotonic() < deadline, "unsubscription never took effect"
        assert sampler.assets == {NO}
    finally:
        sampler.close()


def test_undecodable_frames_are_counted_not_fatal(feed: Feed) -> None:
    sampler = BookSampler(feed.ctx, feed.endpoint)
    try:
        sampler.sync({YES})
        subscribed(feed, sampler, YES)
        feed.pub.send_multipart([topics.md_book(YES), b"not a header", b"nor a body"])
        assert sampler.drain() == [] and sampler.bad_frames == 1
    finally:
        sampler.close()


@dataclass
class FakeNode:
    """What the actor uses of ``bus.node.Node``: a clock, publish and apply."""

    now: int = 10_000 * MS
    sent: list[tuple[bytes, BusMessage]] = field(default_factory=list)
    log: Quiet = field(default_factory=lambda: Quiet("inv"))

    def clock(self) -> int:
        return self.now

    def publish(self, topic: bytes, msg: BusMessage) -> None:
        self.sent.append((topic, msg))

    def apply(self, fx: Effects) -> None:
        """As ``Node.apply`` (the inventory pushes nothing): publishes, then the log lines."""
        assert not fx.pushes
        for topic, msg in fx.publishes:
            self.publish(topic, msg)
        for level, event, fields in fx.notes:
            getattr(self.log, level)(event, **fields)

    def states(self) -> list[InventoryState]:
        out = [m for _, m in self.sent if isinstance(m, InventoryState)]
        self.sent.clear()
        return out


def test_books_never_publish_the_timer_publishes_the_newest_mark_and_fills_publish_at_once(
        feed: Feed, tmp_path: Path) -> None:
    node = FakeNode()
    journal = Journal(tmp_path / "inv.sqlite")
    sampler = BookSampler(feed.ctx, feed.endpoint)
    actor = InventoryActor(node, Inventory(Limits(10 * M, 1_020_000, 5 * M)), journal, sampler)  # type: ignore[arg-type]
    try:
        actor.on_lease(topics.coord_lease("btc"), None,  # type: ignore[arg-type]
                       Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=60_000, ts=0))
        assert [s.market for s in node.states()] == [CID]  # a newly active market: at once
        assert sampler.assets == set()  # nothing held: no books
        fill = Fill(trade_id="t1", order_id="o1", market=CID, asset=YES, side="BUY", price=480_000,
                    size=5 * M, status="MATCHED", role="MAKER", fee=0, source="ws", ts_event=1, ts_recv=2)
        actor.on_fill(topics.inv_fill(CID), None, fill)  # type: ignore[arg-type]
        [on_fill] = node.states()  # a fill: at once
        assert on_fill.yes_qty == 5 * M
        assert sampler.assets == {YES}  # the held leg's books
        subscribed(feed, sampler, YES)
        for bid in range(400_000, 520_000, 10_000):
            feed.send(book(YES, bid, bid + 20_000))
        assert node.states() == []  # books alone publish nothing
        node.now += 250 * MS
        actor.tick(node.now)
        [marked] = node.states()
        assert marked.unrealized_pnl == 5 * (520_000 - 480_000)  # the newest book's mid, 0.52
        node.now += 250 * MS
        actor.tick(node.now)
        assert node.states() == []  # unchanged, keep-alive not due yet
        node.now += KEEPALIVE_NS
        actor.tick(node.now)
        assert len(node.states()) == 1  # the keep-alive
    finally:
        sampler.close()
        journal.close()
