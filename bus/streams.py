"""Per-stream sequence tracking: counts messages lost between a publisher and us.

A stream is (source program, topic). A new run id (the publisher restarted) starts a fresh count
instead of looking like a gap.
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
            return missed
        return 0
