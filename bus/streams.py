"""Per-stream sequence tracking: counts messages lost between a publisher and us.

A stream is (source program, topic). A new run id (the publisher restarted) starts a fresh count
instead of looking like a gap. ``by_kind`` adds the gaps up per ``<domain>.<kind>`` (``md.book``) and
never goes down (a restarted publisher keeps what was counted before): the metrics program's
``pm_bus_gaps_total{stream}``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bus.codec import Header


@dataclass(slots=True)
class StreamStats:
    run: int
    last_seq: int
    received: int = 0
    gaps: int = 0


@dataclass(slots=True)
class GapCounter:
    streams: dict[tuple[str, bytes], StreamStats] = field(default_factory=dict)
    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)  # "<domain>.<kind>" -> messages missed

    def observe(self, topic: bytes, header: Header) -> int:
        """Record one message; return how many were missed just before it."""
        key = (header.src, topic)
        stats = self.streams.get(key)
        if stats is None or stats.run != header.run:
            self.streams[key] = StreamStats(run=header.run, last_seq=header.seq, received=1)
            return 0
        missed = header.seq - stats.last_seq - 1
        stats.received += 1
        if header.seq > stats.last_seq:
            stats.last_seq = header.seq
        if missed > 0:
            stats.gaps += missed
            self.total += missed
            kind = ".".join(topic.decode(errors="replace").split(".")[:2])
            self.by_kind[kind] = self.by_kind.get(kind, 0) + missed
            return missed
        return 0
