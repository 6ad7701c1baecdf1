"""The backtest's simulated clock (pure): what is due when, run in (time, order of scheduling).

Timers (``at``) sit in a heap; latencies (``later``) in one FIFO per delay, since the clock never goes
back and everything delayed by the same latency stays in time order without a heap (the hot path: every
book, print and fill goes through one). ``advance(until)`` runs what is due and calls ``on_instant(t)``
once an instant's events are all run (the coordinators decide then, as their shells do once per
wake-up); what that schedules is selected again, so it may come first.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable

Scheduled = tuple[int, int, Callable[[int], None]]  # (time, order of scheduling, what to run)


class Clock:
    def __init__(self, on_instant: Callable[[int], None]) -> None:
        self.on_instant = on_instant
        self.heap: list[Scheduled] = []
        self.queues: dict[int, deque[Scheduled]] = {}
        self.now = 0
        self._seq = 0

    def at(self, t: int, fn: Callable[[int], None]) -> None:
        """Run ``fn(t)`` at ``t`` (timers: a heap)."""
        self._seq += 1
        heapq.heappush(self.heap, (t, self._seq, fn))

    def later(self, delay: int, fn: Callable[[int], None]) -> None:
        """Run ``fn`` ``delay`` from now (a latency: one FIFO per delay)."""
        q = self.queues.get(delay)
        if q is None:
            q = self.queues[delay] = deque()
        self._seq += 1
        q.append((self.now + delay, self._seq, fn))

    def due(self) -> int | None:
        """When the next scheduled event is due (None: nothing is scheduled)."""
        best = self.heap[0][0] if self.heap else None
        for q in self.queues.values():
            if q and (best is None or q[0][0] < best):
                best = q[0][0]
        return best

    def advance(self, until: int) -> None:
        """Run every scheduled event due at or before ``until``, in (time, order of scheduling);
        ``on_instant`` after each instant's events."""
        heap, queues = self.heap, list(self.queues.values())
        current: int | None = None
        while True:
            head: Scheduled | None = heap[0] if heap and heap[0][0] <= until else None
            source: deque[Scheduled] | None = None
            if len(queues) != len(self.queues):
                queues = list(self.queues.values())
            for q in queues:
                if q and q[0][0] <= until and (head is None or q[0][:2] < head[:2]):
                    head, source = q[0], q
            if head is None:
                if current is None:
                    break
                self.on_instant(current)  # may schedule more (commands, wake-ups) that is due already
                current = None
                continue
            t = head[0]
            if current is not None and t != current:
                self.on_instant(current)  # this instant is over; what it schedules may come first
                current = None
                continue
            current = t
            if source is None:
                heapq.heappop(heap)
            else:
                source.popleft()
            self.now = t
            head[2](t)
        self.now = max(self.now, until)
