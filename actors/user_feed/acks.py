"""Acknowledged delivery of fills to inventory: the rules around ``Feed.outbox`` (see ``outbox``; pure).

- ``sys.hb.inventory.``: inventory is alive; a new run id (it restarted) pushes every unacknowledged
  fill again, at once;
- ``inv.fill.<market>.`` (``FillApplied``, published by inventory after its journal commit): the
  acknowledgement of that fill;
- ``tick``: fills still unacknowledged ``PM_USER_RESEND_MS`` after their last push go again while
  inventory is alive (inventory dedupes).
"""

from __future__ import annotations

from actors.user_feed.core import Feed, Out
from bus.effects import Effects
from schemas import Fill
from schemas.units import MS

INVENTORY = "inventory"


class Resender:
    def __init__(self, feed: Feed, *, resend_ms: int, alive_ms: int) -> None:
        self.feed = feed
        self.resend_ns, self.alive_ns = resend_ms * MS, alive_ms * MS
        self.resent = 0

    def on_heartbeat(self, program: str, run: int, now: int, fx: Effects) -> None:
        if program != INVENTORY:
            return
        known = self.feed.outbox.inventory_run
        outs = self.feed.on_inventory_heartbeat(run, now)
        if run != known:
            fx.note("inventory_run", run=run, previous=known, resent=len(outs))
        self._push(outs, "inventory_restarted", fx)

    def on_applied(self, fill: Fill) -> None:
        self.feed.on_applied(fill)

    def tick(self, now: int, fx: Effects) -> None:
        if self.feed.outbox.pending:
            self._push(self.feed.resend_due(now, self.resend_ns, self.alive_ns), "not_acknowledged", fx)

    def _push(self, outs: list[Out], reason: str, fx: Effects) -> None:
        if not outs:
            return
        for out in outs:
            fx.push(out.pipe, out.topic, out.msg)
        self.resent += len(outs)
        fx.warn("fills_resent", reason=reason, fills=len(outs), unacknowledged=len(self.feed.outbox),
                total=self.resent)
