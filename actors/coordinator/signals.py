"""What the coordinator learns from the passage of its inputs, kept between decisions (pure: time is
passed in). Strategies and the risk layer read these; they never keep history themselves.

- ``MidWindow``: the YES fair value (mid of the YES top, consistent with the NO book) as seen at each
  decision. ``observe`` returns the relative size of the last move, ``|Δmid| / mid`` (1e-6 units): the
  shock-halt rule's input. ``volatility`` is the sum of those moves over the last ``window_ns`` (the
  path length of the mid, relative): seed-003 §3.1's volatility.
- ``RejectWidening``: per YES side (``bid`` / ``ask``), one tick more for every post-only rejection
  (``crosses_book``), up to ``max_ticks``; one tick less for every ``decay_ns`` without a rejection on
  that side.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from schemas.units import MICRO, NS


@dataclass
class MidWindow:
    window_ns: int = 10 * NS
    last_mid: int = 0
    moves: deque[tuple[int, int]] = field(default_factory=deque)  # (when, |Δmid|/mid in 1e-6)
    total: int = 0

    def observe(self, now: int, mid: int) -> int:
        """Record the mid seen now (0: no two-sided book, ignored); the relative move since the last one."""
        prev = self.last_mid
        if mid <= 0 or mid == prev:
            return 0
        self.last_mid = mid
        if not prev:
            return 0
        jump = abs(mid - prev) * MICRO // prev
        self.moves.append((now, jump))
        self.total += jump
        return jump

    def volatility(self, now: int) -> int:
        """Sum of ``|Δmid| / mid`` over the moves of the last ``window_ns`` (1e-6 units)."""
        moves, horizon = self.moves, now - self.window_ns
        while moves and moves[0][0] <= horizon:
            self.total -= moves.popleft()[1]
        return self.total

    def next_change(self) -> int | None:
        """When the oldest move leaves the window (the volatility falls with no new input)."""
        return self.moves[0][0] + self.window_ns if self.moves else None

    def reset(self) -> None:
        self.last_mid, self.total = 0, 0
        self.moves.clear()


@dataclass
class RejectWidening:
    max_ticks: int = 5
    decay_ns: int = 5 * NS
    count: dict[str, int] = field(default_factory=dict)  # side -> ticks at the last rejection
    last: dict[str, int] = field(default_factory=dict)  # side -> time of the last rejection

    def ticks(self, side: str, now: int) -> int:
        n = self.count.get(side, 0)
        if not n:
            return 0
        return max(0, n - (now - self.last[side]) // self.decay_ns)

    def on_reject(self, side: str, now: int) -> tuple[int, int]:
        """A post-only rejection on ``side``: (ticks before, ticks now)."""
        old = self.ticks(side, now)
        new = min(old + 1, self.max_ticks)
        self.count[side], self.last[side] = new, now
        return old, new

    def next_change(self, now: int) -> int | None:
        """When a side's widening next loses a tick with no new rejection."""
        ends = [self.last[s] + ((now - self.last[s]) // self.decay_ns + 1) * self.decay_ns
                for s in self.count if self.ticks(s, now)]
        return min(ends) if ends else None

    def reset(self) -> None:
        self.count.clear()
        self.last.clear()
