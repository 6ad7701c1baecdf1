"""Acknowledged delivery of fills to inventory: the shell around ``Feed.outbox`` (see ``outbox``).

- ``sys.hb.inventory.``: inventory is alive; a new run id (it restarted) pushes every unacknowledged
  fill again, at once;
- ``inv.fill.<market>.`` (``FillApplied``, published by inventory after its journal commit): the
  acknowledgement of that fill;
- ``tick``: fills still unacknowledged ``PM_USER_RESEND_MS`` after their last push go again while
  inventory is alive (inventory dedupes).
"""

from __future__ import annotations

from actors.user_feed.core import Feed, Out
from bus.codec import Header
from bus.node import Node
from schemas import FillApplied, Heartbeat
from schemas.units import MS

INVENTORY = "inventory"


class Resender:
    def __init__(self, node: Node, feed: Feed, *, resend_ms: int, alive_ms: int) -> None:
        self.node, self.feed, self.log = node, feed, node.log
        self.resend_ns, self.alive_ns = resend_ms * MS, alive_ms * MS
        self.resent = 0

    def on_heartbeat(self, topic: bytes, header: Header, msg: Heartbeat) -> None:
        if msg.program != INVENTORY:
            return
        known = self.feed.outbox.inventory_run
        outs = self.feed.on_inventory_heartbeat(header.run, self.node.clock())
        if header.run != known:
            self.log.info("inventory_run", run=header.run, previous=known, resent=len(outs))
        self._push(outs, "inventory_restarted")

    def on_applied(self, topic: bytes, header: Header, msg: FillApplied) -> None:
        self.feed.on_applied(msg.fill)

    def tick(self, now: int) -> None:
        if self.feed.outbox.pending:
            self._push(self.feed.resend_due(now, self.resend_ns, self.alive_ns), "not_acknowledged")

    def _push(self, outs: list[Out], reason: str) -> None:
        if not outs:
            return
        for out in outs:
            self.node.push(out.pipe, out.topic, out.msg)
        self.resent += len(outs)
        self.log.warning("fills_resent", reason=reason, fills=len(outs), unacknowledged=len(self.feed.outbox),
                         total=self.resent)
