"""Fills pushed to inventory and not yet acknowledged: what to push again (pure; no sockets or clocks).

PUSH/PULL has no acknowledgement: a fill that reached inventory's socket but was not yet committed is
lost when inventory dies (kill -9). Inventory echoes every fill it receives as ``FillApplied`` on
``inv.fill.<market>.`` only *after* committing it to its journal (duplicates are echoed too): that
echo is the acknowledgement. Until it is seen, a fill stays here, keyed the way inventory dedupes
(trade id, order id, status), and is pushed again:
- all of them, in their first push order, when inventory's heartbeat shows a new run id (it restarted);
- each one ``resend_ns`` after its last push while inventory is alive (an echo lost on the bus, or a
  fill lost in a socket buffer by a restart too quick to be seen between two heartbeats).
Pushing again is always safe: inventory dedupes. The oldest match time still unacknowledged pins the
back-fill watermark (``Watermark.pinned_ns``), so a user-feed killed with fills unacknowledged (or
still queued in its PUSH socket) fetches them again from REST after its restart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Fill

FillKey = tuple[str, str, str]  # (trade_id, order_id, status): what inventory dedupes on


def fill_key(fill: Fill) -> FillKey:
    return fill.trade_id, fill.order_id, fill.status


@dataclass(slots=True)
class Unacked:
    fill: Fill
    match_ns: int  # the trade's match time: what REST back-fill filters on
    pushed_ns: int  # the last time it was pushed


@dataclass(slots=True)
class Outbox:
    pending: dict[FillKey, Unacked] = field(default_factory=dict)  # in first-push order
    inventory_run: int = 0  # run id of the inventory process last heard from (0: none yet)
    inventory_seen_ns: int = 0  # when its heartbeat was last heard

    def pushed(self, fill: Fill, match_ns: int, now: int) -> None:
        entry = self.pending.get(fill_key(fill))
        if entry is None:
            self.pending[fill_key(fill)] = Unacked(fill, match_ns, now)
        else:  # the same event again (live and REST): it keeps its place in the order
            entry.pushed_ns = now

    def ack(self, fill: Fill) -> bool:
        """Inventory committed (or already had) this fill; True if it was waiting for that."""
        return self.pending.pop(fill_key(fill), None) is not None

    def on_heartbeat(self, run: int, now: int) -> list[Fill]:
        """Inventory is alive. A new run id means it restarted: every unacknowledged fill, to push again."""
        self.inventory_seen_ns = now
        if run == self.inventory_run:
            return []
        self.inventory_run = run
        return self._again(list(self.pending.values()), now)

    def due(self, now: int, resend_ns: int, alive_ns: int) -> list[Fill]:
        """Fills unacknowledged ``resend_ns`` after their last push, while inventory is alive."""
        if not self.inventory_seen_ns or now - self.inventory_seen_ns > alive_ns:
            return []  # nobody to push to: they wait in the socket, and all go again on its restart
        return self._again([e for e in self.pending.values() if now - e.pushed_ns >= resend_ns], now)

    def _again(self, entries: list[Unacked], now: int) -> list[Fill]:
        for entry in entries:
            entry.pushed_ns = now
        return [entry.fill for entry in entries]

    def prune(self, now: int, max_age_ns: int) -> list[Fill]:
        """Give up on fills matched longer than ``max_age_ns`` ago (they would pin back-fill forever)."""
        old = [key for key, e in self.pending.items() if e.match_ns and now - e.match_ns > max_age_ns]
        return [self.pending.pop(key).fill for key in old]

    def oldest_ns(self) -> int:
        """The oldest match time not yet acknowledged (0: everything is)."""
        return min((e.match_ns for e in self.pending.values() if e.match_ns), default=0)

    def __len__(self) -> int:
        return len(self.pending)
