"""The market WebSocket's fallback (seed-002 §7): REST ``/book`` books for leased tokens while their
socket is down, published as ``Book`` with ``rest=True`` (pure: time passed in, no I/O).

``RestPoller.due(now)`` names the tokens to poll now: tracked (a coordinator leases them) and not live
(their socket is down, frozen or waiting for its snapshot), at most once per ``poll_ns`` each. ``book``
turns the venue's answer (the same object as the WebSocket's ``book`` event: levels worst -> best, so
sorted here) into the bus message, or None when the token went live again meanwhile (the socket's own
books win) or the answer is not a book of that token. The feed's state is never touched: the next
WebSocket snapshot replaces the book as usual, and only ``follow`` trades on REST books
(``Coordinator.on_book``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from actors.market_feed import venue
from actors.market_feed.core import MarketFeed
from schemas import Book


class RestBook(msgspec.Struct, frozen=True, gc=False):
    """The REST ``/book?token_id=`` object (PROTOCOL.md, REST)."""

    asset_id: str
    market: str = ""
    bids: list[venue.Level] = []
    asks: list[venue.Level] = []
    timestamp: str = ""
    tick_size: str = ""


_decoder = msgspec.json.Decoder(RestBook)


@dataclass
class RestPoller:
    feed: MarketFeed
    poll_ns: int  # PM_FEED_REST_POLL_MS (0: never)
    polled: dict[str, int] = field(default_factory=dict)  # token -> when last asked
    published: int = 0

    def due(self, now: int) -> list[str]:
        if not self.poll_ns:
            return []
        due = [a for a, st in self.feed.assets.items()
               if not st.live and now - self.polled.get(a, -self.poll_ns) >= self.poll_ns]
        for a in due:
            self.polled[a] = now
        for a in [a for a in self.polled if a not in self.feed.assets]:
            del self.polled[a]  # no longer leased
        return due

    def book(self, asset: str, body: bytes, now: int) -> Book | None:
        """The ``Book`` (``rest=True``) of ``asset`` from its REST answer; ValueError if malformed."""
        st = self.feed.assets.get(asset)
        if st is None or st.live:
            return None
        try:
            raw = _decoder.decode(body)
        except msgspec.DecodeError as exc:
            raise ValueError(str(exc)) from None
        if raw.asset_id != asset:
            raise ValueError(f"a book of {raw.asset_id[:12]}, asked for {asset[:12]}")
        depth = self.feed.depth
        bids = sorted(((venue.price(x.price), venue.size(x.size)) for x in raw.bids), reverse=True)[:depth]
        asks = sorted((venue.price(x.price), venue.size(x.size)) for x in raw.asks)[:depth]
        self.published += 1
        return Book(asset=asset, market=raw.market or st.market, bids=bids, asks=asks,
                    tick=venue.exact(raw.tick_size) if raw.tick_size else st.tick, epoch=st.epoch,
                    ts_event=venue.ms_to_ns(raw.timestamp) if raw.timestamp else 0, ts_recv=now, rest=True)
