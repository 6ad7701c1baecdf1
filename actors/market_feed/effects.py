"""What a call into the pure core produced, and the per-read conflation of ``Book`` messages (pure)."""

from __future__ import annotations

from typing import Any

from schemas import Book, MarketData

Publish = tuple[bytes, MarketData]


class Effects:
    """Messages to publish, snapshots to re-request, notable things to log, and what a frame was."""

    __slots__ = ("data", "notes", "out", "pong", "resnap")

    def __init__(self) -> None:
        self.out: list[Publish] = []
        self.resnap: list[str] = []
        self.notes: list[tuple[str, dict[str, Any]]] = []
        self.data = False  # a JSON frame (proof the venue is sending)
        self.pong = False

    def note(self, event: str, **fields: Any) -> None:
        self.notes.append((event, fields))


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
