"""Requests the core has handed out whose replies are not in yet, and the messages that wait for them
(pure).

The shell never waits for a reply: while a request is in flight, commands and user-feed updates keep
arriving. One that could observe the request's outcome waits here (``held``) until the reply is in, and so
does everything that arrived after it, so messages are applied in their order and each one sees the
state it would have seen had the executor waited for every reply (as it did before it became
non-blocking). What waits (``commands.conflicts``, ``ExecutorCore``): a command touching a slot or market
of a place or cancel in flight (or still queued); an update of an order whose place or cancel is in flight;
and anything at all while a listing, a lookup or a cancel-all is in flight (they may change the registry
wholesale).
"""

from __future__ import annotations

from collections import deque

from actors.executor.core.venue_requests import CancelEverything, CancelIds, PostOrders, Request
from schemas import Command, OrderUpdate

Held = Command | OrderUpdate


class InFlight:
    __slots__ = ("cancelling", "exclusive", "held", "places")

    def __init__(self) -> None:
        self.places: list[tuple[PostOrders, tuple[str, ...]]] = []  # places in flight, with their signed ids
        self.cancelling: set[str] = set()  # ids of cancels in flight
        self.exclusive = 0  # lists, lookups and cancel-alls in flight
        self.held: deque[Held] = deque()

    def __bool__(self) -> bool:
        return bool(self.places or self.cancelling or self.exclusive)

    def handed_out(self, req: Request) -> None:
        if isinstance(req, PostOrders):
            self.places.append((req, ()))
        elif isinstance(req, CancelIds):
            self.cancelling.update(req.ids)
        else:
            self.exclusive += 1

    def signed(self, req: PostOrders, order_ids: tuple[str, ...]) -> None:
        """The ids of a place just written (known once it is signed)."""
        for i, (sent, _) in enumerate(self.places):
            if sent is req:
                self.places[i] = (req, order_ids)
                return

    def answered(self, req: Request) -> None:
        if isinstance(req, PostOrders):
            for i, (sent, _) in enumerate(self.places):
                if sent == req:
                    del self.places[i]
                    return
            return
        if isinstance(req, CancelIds | CancelEverything):
            self.cancelling.difference_update(req.ids)
        if not isinstance(req, CancelIds):
            self.exclusive = max(0, self.exclusive - 1)

    def placing(self, order_id: str) -> bool:
        return any(order_id in ids for _, ids in self.places)

    def hold(self, msg: Held) -> None:
        self.held.append(msg)

    def next_held(self) -> Held | None:
        return self.held[0] if self.held else None

    def release(self) -> Held:
        return self.held.popleft()
