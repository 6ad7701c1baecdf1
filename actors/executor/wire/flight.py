"""One flush: ask the core for requests until it has none, send them, hand the replies back (pure loop).

Cancels and places may overlap (``ExecutorCore.may_overlap``): they are written back to back, each on
its own connection, and their replies are read after the last one left, in the order they were sent.
Any other request (a lookup, a list, a cancel-all) first waits for the replies in flight and is
answered before the next request is asked for. The shell and the tests run this same loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from actors.executor.core.executor_core import ExecutorCore
from actors.executor.core.venue_requests import HttpResult, Request

T = TypeVar("T")
Reply = tuple[HttpResult, tuple[str, ...]]  # the result and, for PostOrders, the signed order ids


class Flusher(Generic[T]):
    def __init__(self, core: ExecutorCore, *, start: Callable[[Request, int], T],
                 finish: Callable[[T], Reply], clock: Callable[[], int],
                 landed: Callable[[], None] = lambda: None, limit: int = 200, max_in_flight: int = 4) -> None:
        self.core, self.start, self.finish, self.clock = core, start, finish, clock
        self.landed, self.limit, self.max_in_flight = landed, limit, max_in_flight

    def __call__(self) -> int:
        """Send everything the core wants now; returns the number of requests sent."""
        core = self.core
        flight: list[tuple[Request, T]] = []
        sent = 0
        while sent < self.limit:
            now = self.clock()
            req = core.next_request(now)
            if req is None:
                if not flight:
                    break
                self._land(flight)  # its replies may want more (a retry, a sync): ask again
                continue
            overlap = core.may_overlap(req)
            if flight and (not overlap or len(flight) >= self.max_in_flight):
                self._land(flight)
            flight.append((req, self.start(req, now)))
            core.on_sent(req)
            sent += 1
            if not overlap:
                self._land(flight)
        self._land(flight)
        return sent

    def _land(self, flight: list[tuple[Request, T]]) -> None:
        for req, ticket in flight:
            result, ids = self.finish(ticket)
            self.core.on_reply(req, result, self.clock(), ids)
            self.landed()
        flight.clear()
