"""Requests in flight between the core and the venue: started as the core hands them out, their replies
handed back in the order the requests were sent, never waited for (the loop goes on meanwhile).

Cancels and places may overlap (``ExecutorCore.may_overlap``): they are written back to back, each on
its own connection (at most ``max_in_flight``). Any other request (a lookup, a list, a cancel-all) is
started only once every reply in flight is in, and nothing else is started until its own reply is in
(a *barrier*). Replies are handed over at *land points* only: when a call starts (a reply may have
arrived), at a barrier, and when the core has nothing more to send; so requests that may overlap are
all written before any of their replies is read, as the core's rules expect. A call never blocks: what
is not in yet is landed by a later call (the shell calls again when a connection is readable, on every
command, and from a timer, which is also when a reply's deadline is noticed).

Requests started in one call form a *burst* (a place and the cancel right behind it, say). When a call
hands back a reply while another of its burst is still out, ``siblings_out`` says so: the shell then
announces the burst's outcomes together once the rest is in (as when it waited for every reply), not
reply by reply (one durable write and one publication fewer per burst).

The shell and the tests run this same object; the transport decides what "in" means (``transport``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Protocol

from actors.executor.core.executor_core import ExecutorCore
from actors.executor.core.venue_requests import HttpResult, Request
from actors.executor.wire.transport import Ticket
from bus.effects import Effects


class Transport(Protocol):
    def start(self, req: Request, now_ms: int) -> Ticket: ...

    def finish(self, ticket: Ticket) -> HttpResult | None: ...  # None: not in yet (never blocks)

    def wait(self, ticket: Ticket, timeout_s: float) -> None: ...  # block until it may be in (exit only)

    def abandon(self, ticket: Ticket) -> HttpResult: ...  # give up on it (exit only)


class Pump:
    __slots__ = ("_landed_bursts", "barrier", "burst", "clock", "core", "flight", "landed", "limit",
                 "max_in_flight", "siblings_out", "stashed", "transport")

    def __init__(self, core: ExecutorCore, transport: Transport, *, clock: Callable[[], int],
                 landed: Callable[[], None] = lambda: None, limit: int = 200, max_in_flight: int = 4) -> None:
        self.core, self.transport, self.clock, self.landed = core, transport, clock, landed
        self.limit, self.max_in_flight = limit, max_in_flight
        self.flight: deque[tuple[Request, Ticket, int]] = deque()  # (request, ticket, burst)
        self.stashed: tuple[Request, bool] | None = None  # handed out, to start once the flight is in
        self.barrier = False  # nothing new starts until every reply in flight is in
        self.burst = 0  # the number of the current call's burst
        self.siblings_out = False  # the last call handed back a reply whose burst is not all in
        self._landed_bursts: set[int] = set()

    def __len__(self) -> int:
        return len(self.flight)

    def __call__(self, fx: Effects) -> int:
        """Hand back the replies that are in, start what the core wants now; returns how many started."""
        landed = self._landed_bursts
        landed.clear()
        self.burst += 1
        sent = self._run(fx)
        self.siblings_out = bool(landed) and any(burst in landed for _, _, burst in self.flight)
        return sent

    def _run(self, fx: Effects) -> int:
        core, flight = self.core, self.flight
        sent = 0
        land = True
        while True:
            if land and flight:
                self._land(fx)
            land = False
            if flight and self.barrier:
                return sent
            self.barrier = False
            if sent >= self.limit:
                return sent
            now = self.clock()
            if self.stashed is not None:
                (req, overlap), self.stashed = self.stashed, None
            else:
                req = core.next_request(now, fx)  # type: ignore[assignment]
                if req is None:
                    if flight and self._land(fx):
                        continue  # its replies may want more (a retry, a sync): ask again
                    return sent
                overlap = core.may_overlap(req)
                if flight and (not overlap or len(flight) >= self.max_in_flight):
                    self.stashed, self.barrier, land = (req, overlap), True, True
                    continue
            ticket = self.transport.start(req, now // 1_000_000)
            flight.append((req, ticket, self.burst))
            core.on_sent(req, ticket.ids)
            sent += 1
            if not overlap:
                self.barrier = land = True

    def _land(self, fx: Effects) -> int:
        """Hand back the replies at the head of the flight that are in, in the order they were sent."""
        landed = 0
        flight = self.flight
        while flight:
            req, ticket, burst = flight[0]
            res = self.transport.finish(ticket)
            if res is None:
                break
            flight.popleft()
            self._landed_bursts.add(burst)
            self.core.on_reply(req, res, self.clock(), fx, ticket.ids)
            self.landed()
            landed += 1
        return landed

    def settle(self, fx: Effects, timeout_s: float) -> None:
        """At exit: wait (blocking, at most ``timeout_s``) for the replies in flight; give up on the rest
        (unknown outcome: the orders stay in limbo, which the exit cancel covers). Nothing new starts."""
        deadline = time.monotonic() + timeout_s
        while self.flight:
            self._land(fx)
            left = deadline - time.monotonic()
            if not self.flight:
                break
            req, ticket, _ = self.flight[0]
            if left <= 0:
                self.flight.popleft()
                self.core.on_reply(req, self.transport.abandon(ticket), self.clock(), fx, ticket.ids)
                continue
            self.transport.wait(ticket, left)
        self.stashed = None
