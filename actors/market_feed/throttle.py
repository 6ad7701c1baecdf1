"""Which ``Book`` messages the market-feed publishes now, and which wait (pure: no sockets, no clock).

Most ``Book`` changes do not move the top of the book: our own two places and two cancels per re-quote
each change a level behind the best one, and each was a publication that woke every subscriber
(5.3 ``Book`` per re-quote where 2 moved a top). ``DepthThrottle`` publishes a *depth-only* change (best
bid and best ask, price and size, unchanged; same epoch, tick and market) at most once per ``min_ns``
per asset; a held change is replaced by a newer one and published by the shell's timer at the
asset's ``due`` time (``flush``), so the last state always goes out, at most ``min_ns`` late.

Published at once, always: a change of the top (price or size on either side: OFI and the strategies'
top-of-book reads see every one), a new epoch (snapshot), a tick or market change, a REST book, the
first book of an asset. A held book is published before any other message of its asset that follows
it (status, tick change, trade), and a book published at once makes the held one obsolete (it
carries the same or newer depth). ``min_ns`` 0 turns the rule off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Book, BusMessage

Publish = tuple[bytes, BusMessage]
Key = tuple[int, int, int, int, int, int, str, bool]  # a change of any of these publishes at once


def key(book: Book) -> Key:
    """What a change must leave alone to count as depth-only: the top levels, epoch, tick, market."""
    bid = book.bids[0] if book.bids else (0, 0)
    ask = book.asks[0] if book.asks else (0, 0)
    return bid[0], bid[1], ask[0], ask[1], book.epoch, book.tick, book.market, book.rest


@dataclass(slots=True)
class DepthThrottle:
    """Per asset: the key of the last ``Book`` published, when, and a held depth-only ``Book``."""

    min_ns: int
    sent: dict[bytes, tuple[Key, int]] = field(default_factory=dict)  # topic -> (key, published at)
    held: dict[bytes, tuple[Publish, int]] = field(default_factory=dict)  # topic -> (message, due)
    withheld: int = 0  # depth-only books replaced by a newer one before they went out (never published)

    def admit(self, out: list[Publish], now: int) -> list[Publish]:
        """``out`` (one read's messages, in order) without the depth-only books that must wait."""
        if not self.min_ns:
            return out
        kept: list[Publish] = []
        held, sent = self.held, self.sent
        for item in out:
            topic, msg = item
            if type(msg) is Book:
                k = key(msg)
                last = sent.get(topic)
                if last is not None and last[0] == k and now - last[1] < self.min_ns:
                    if topic in held:
                        self.withheld += 1
                    held[topic] = (item, last[1] + self.min_ns)
                    continue
                held.pop(topic, None)  # this one carries the same or newer depth
                sent[topic] = (k, now)
            elif held and (asset := getattr(msg, "asset", None)) is not None:
                self._release_asset(asset, kept, now)
            kept.append(item)
        return kept

    def _release_asset(self, asset: str, kept: list[Publish], now: int) -> None:
        """A message about ``asset`` follows a held book of it: that book goes out first."""
        for topic, (item, _) in list(self.held.items()):
            msg = item[1]
            if type(msg) is Book and msg.asset == asset:
                del self.held[topic]
                self.sent[topic] = (key(msg), now)
                kept.append(item)

    def next_due(self) -> int | None:
        """When the earliest held book is due (ns), or None: nothing held."""
        return min((due for _, due in self.held.values()), default=None)

    def flush(self, now: int) -> list[Publish]:
        """The held books due by ``now`` (they are published as they are: the newest state held)."""
        due = [topic for topic, (_, at) in self.held.items() if at <= now]
        out: list[Publish] = []
        for topic in due:
            item, _ = self.held.pop(topic)
            self.sent[topic] = (key(item[1]), now)  # type: ignore[arg-type]
            out.append(item)
        return out
