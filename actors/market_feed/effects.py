"""What a call into the market-feed's pure core produced (``FeedEffects``), and the per-read conflation
and frame marks of ``Book`` messages (pure)."""

from __future__ import annotations

import msgspec

from bus.effects import Effects, Note
from schemas import Book, BusMessage

Publish = tuple[bytes, BusMessage]


class FeedEffects(Effects):
    """``bus.effects.Effects`` (messages to publish and log lines, performed by ``Node.apply``) plus what
    the shell needs for the sockets: the assets whose fresh snapshot the core asks for (``resnap``: the
    shell re-subscribes them), and what the frames read were (``data``: a JSON frame, proof the venue is
    sending; ``pong``: the answer to our PING). ``clear()`` empties only what ``Node.apply`` performs."""

    __slots__ = ("data", "pong", "resnap")

    def __init__(self) -> None:  # Effects' fields set here, not through super(): one per socket read
        self.pushes: list[tuple[str, bytes, BusMessage]] = []
        self.publishes: list[Publish] = []
        self.notes: list[Note] = []
        self.resnap: list[str] = []
        self.data = False
        self.pong = False


def mark_frames(out: list[Publish]) -> None:
    """Set ``Book.more`` (in place) on every ``Book`` that another ``Book`` of the same market follows
    in ``out``, the messages of one socket read.

    One price change moves both tokens of a market (a YES and a NO ``Book``, published one after the
    other): a coordinator that decided on the first would decide on half a frame (the YES side moved,
    the NO side not yet), then again on the second. With the mark it decides once, on the pair. A book
    whose market is not known yet ("") is never marked."""
    seen: set[str] = set()
    for i in range(len(out) - 1, -1, -1):
        topic, msg = out[i]
        if type(msg) is Book and msg.market:
            if msg.market in seen:
                out[i] = (topic, msgspec.structs.replace(msg, more=True))
            else:
                seen.add(msg.market)


def conflate(out: list[Publish]) -> list[Publish]:
    """Drop every ``Book`` that a later ``Book`` of the same asset in ``out`` supersedes.

    Used on the messages of one socket read (frames that were already in hand together): under a
    burst the subscribers get the newest book at once instead of working through stale ones.
    Everything else (trades, tick changes, statuses, market events) is kept, and the order of what is
    kept is unchanged, so a tick change or a status still sits between the books it separates.
    """
    seen: set[bytes] = set()
    kept: list[Publish] = []
    for topic, msg in reversed(out):
        if type(msg) is Book:
            if topic in seen:
                continue
            seen.add(topic)
        kept.append((topic, msg))
    kept.reverse()
    return kept
