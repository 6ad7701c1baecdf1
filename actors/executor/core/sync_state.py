"""Where the executor stands with the venue's list of our orders (pure): start-up not done yet, a sync
wanted, when the next ``GET /data/orders`` may go, and whether the venue was unreachable.

Start-up and recovery are one path (``venue_list``): until the first listing is in, the registry restored
from SQLite (``stored``) waits here and cancel commands are deferred (places are refused).
"""

from __future__ import annotations

from actors.executor.core.registry import Live
from schemas import Command
from schemas.units import MS

LIST_RETRY_MS = 1_000


class SyncState:
    __slots__ = ("deferred", "dry_run", "list_at", "ready", "stored", "venue_lost", "wanted")

    def __init__(self, *, dry_run: bool, stored: list[Live] | None) -> None:
        self.dry_run = dry_run
        self.ready = dry_run  # start-up sync done (nothing to sync in dry run)
        self.stored = {live.order_id: live for live in stored or []}  # start-up candidates
        self.deferred: list[Command] = []  # commands received before the start-up sync, other than places
        self.wanted = False  # a sync (``ListOrders``) is wanted
        self.list_at = 0  # earliest time for the next ListOrders
        self.venue_lost = False  # the venue was unreachable: reconcile once it answers again

    def want(self) -> None:
        if not self.dry_run:
            self.wanted = True

    def defer(self, cmd: Command) -> None:
        self.deferred.append(cmd)

    def may_list(self, now: int) -> bool:
        """May a ``ListOrders`` go now? If so, the next one waits a second unless its reply says otherwise."""
        if now < self.list_at:
            return False
        self.list_at = now + LIST_RETRY_MS * MS
        return True

    def listed(self, now: int) -> bool:
        """A listing is in; returns whether it was the start-up one."""
        self.list_at = now
        self.wanted = False
        return not self.ready

    def take_stored(self) -> list[Live]:
        stored, self.stored = list(self.stored.values()), {}
        return stored

    def look_again_at(self, when: int) -> None:
        """Another listing once ``when`` has come (a missing order's grace ends then)."""
        self.wanted = True
        self.list_at = max(self.list_at, when)

    def started(self) -> None:
        """The start-up sync is done (the deferred commands are applied next, in their order)."""
        self.ready = True

    def take_deferred(self) -> list[Command]:
        deferred, self.deferred = self.deferred, []
        return deferred

    def on_answer(self, status: int, sent: bool) -> bool:
        """Any reply: True when the venue answers again after a request could not even connect (what
        happened meanwhile is only in its list: a sync is then wanted)."""
        if status == 0 and not sent:
            self.venue_lost = True
            return False
        if self.venue_lost:
            self.venue_lost = False
            self.want()
            return True
        return False
