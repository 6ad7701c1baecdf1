"""The backtest's simulated clock (pure): what is due when, run in (time, order of scheduling).

Timers (``at``) and latencies (``later``) sit in one heap of ``(time, order of scheduling, what to run)``:
the order is unique, so the heap never compares two callables and pops in exactly (time, order).
``advance(until)`` runs what is due and calls ``on_instant(t)`` once an instant's events are all run (the
coordinators decide then, as their shells do once per wake-up); what that schedules is selected again, so
it may come first.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush

Scheduled = tuple[int, int, Callable[[int], None]]  # (time, order of scheduling, what to run)


class Clock:
    __slots__ = ("_seq", "heap", "now", "on_instant")

    def __init__(self, on_instant: Callable[[int], None]) -> None:
        self.on_instant = on_instant
        self.heap: list[Scheduled] = []
        self.now = 0
        self._seq = 0

    def at(self, t: int, fn: Callable[[int], None]) -> None:
        """Run ``fn(t)`` at ``t``."""
        self._seq += 1
        heappush(self.heap, (t, self._seq, fn))

    def later(self, delay: int, fn: Callable[[int], None]) -> None:
        """Run ``fn`` ``delay`` from now (a latency)."""
        self._seq += 1
        heappush(self.heap, (self.now + delay, self._seq, fn))

    def due(self) -> int | None:
        """When the next scheduled event is due (None: nothing is scheduled)."""
        heap = self.heap
        return heap[0][0] if heap else None

    def advance(self, until: int) -> None:
        """Run every scheduled event due at or before ``until``, in (time, order of scheduling);
        ``on_instant`` after each instant's events."""
        heap, on_instant = self.heap, self.on_instant
        while heap and heap[0][0] <= until:
            t = heap[0][0]
            self.now = t
            while heap and heap[0][0] == t:
                heappop(heap)[2](t)
            on_instant(t)  # may schedule more (commands, wake-ups) that is due already: selected again
        if until > self.now:
            self.now = until
