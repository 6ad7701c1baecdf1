"""Conflated book marks for the inventory: the leased tokens' books, read on a timer, newest only.

Marks feed only the unrealised PnL in ``InventoryState``, which no program acts on between fills, so
they need no per-book freshness. Waking for every ``Book`` (the market-feed publishes one per change of
each token) cost the inventory ~80-100 us of CPU per book, on the same two cores as the tick-to-order
path. So the ``md.book.<token>.`` subscriptions (held tokens of leased markets only, see
``Inventory.active_assets``) live on this SUB socket of their own, which is *not* in the node's poller:
ZeroMQ queues the books in its I/O thread without waking the program, and every ``PM_INVENTORY_MARK_MS``
the shell drains the queue and decodes only the newest book of each token.
The books are not gap-counted (only the newest matters); undecodable frames are counted.
"""

from __future__ import annotations

from collections.abc import Callable

import zmq

from bus import codec, topics
from bus.codec import FrameError
from schemas import Book

RCVHWM = 100_000  # as the node's SUB: room for 1 s of the feed's peak rate before the proxy drops for us


class BookSampler:
    def __init__(self, ctx: zmq.Context[zmq.Socket[bytes]], endpoint: str, hwm: int = RCVHWM,
                 secure: Callable[[zmq.Socket[bytes]], None] = lambda sock: None) -> None:
        self.sub = ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.RCVHWM, hwm)
        secure(self.sub)  # CURVE, as the node's own sockets (bus.curve)
        self.sub.connect(endpoint)
        self.hwm = hwm
        self.assets: set[str] = set()
        self.bad_frames = 0
        self.received = 0  # books read off the socket (most of them superseded by a newer one)

    def sync(self, wanted: set[str]) -> None:
        """Subscribe to the books of exactly these tokens."""
        for asset in wanted - self.assets:
            self.sub.setsockopt(zmq.SUBSCRIBE, topics.md_book(asset))
        for asset in self.assets - wanted:
            self.sub.setsockopt(zmq.UNSUBSCRIBE, topics.md_book(asset))
        self.assets = set(wanted)

    def drain(self) -> list[Book]:
        """Everything queued since the last call, conflated: the newest book of each token, decoded."""
        newest: dict[bytes, list[bytes]] = {}
        sub = self.sub
        read = 0
        while read < self.hwm:  # bounded: a flood cannot keep the loop here
            try:
                frames = sub.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                break
            newest[frames[0]] = frames
            read += 1
        self.received += read
        books: list[Book] = []
        for frames in newest.values():
            try:
                _, _, msg = codec.decode(frames)
            except FrameError:
                self.bad_frames += 1
                continue
            if isinstance(msg, Book):
                books.append(msg)
        return books

    def close(self) -> None:
        self.sub.close()
