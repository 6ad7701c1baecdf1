"""Orders on the account that the engine did not place ("foreign" orders): which to cancel, which to leave
alone and report once (``PM_EXEC_FOREIGN_ORDERS``).

A foreign order is one the venue lists (start-up sync, periodic sync, reconciliation:
``venue_list.apply_list``) that is neither in the registry (what the engine placed or adopted, restored
from SQLite at start) nor waiting for reconciliation (limbo): an order a person placed by hand on the same
account, or one the engine placed just before a crash and never learnt the outcome of. The policy:

- ``cancel_traded`` (default): cancel it if its market is *traded*: a running coordinator holds a lease on
  it (``coord.lease.*``, kept for its ttl after it was received, as the feeds do), or the engine itself has
  an order there (registry, including what was restored at start; limbo; a place waiting in this flush).
  Otherwise it is *held*: left alone and, once held for ``SETTLE_MS``, reported once as
  ``RiskEvent(kind="foreign_order", severity="info")``. A held order whose market becomes traded later
  (a lease arrives, e.g. a coordinator rotating into it) is cancelled then.
- ``cancel_all``: cancel every foreign order wherever it is (and a ``CancelAll`` command or the start-up
  cancel may use ``DELETE /cancel-all``): the behaviour before this setting existed.
- ``keep``: never cancel one; each is reported once, as above.

The start-up race: a restarted executor lists the account's orders before it has heard every lease. Not
having heard a lease can only make a market look *not* traded, so it can delay a cancel (until the lease
arrives, within a second of a running coordinator's next re-publication) but never cause one; and the
report waits ``SETTLE_MS`` (five lease periods) so that an order about to be cancelled is not first
reported as left alone. Cancelled foreign orders are announced like every cancel (``OrderCancelled``,
holder ``unowned``, reason ``unknown_order``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from actors.executor.core.params import ForeignPolicy
from actors.executor.core.reply_bodies import VenueOrder
from bus.leases import LeaseTable
from schemas.units import MS

SETTLE_MS = 5_000  # coordinators re-publish their lease every second


@dataclass(slots=True)
class Held:
    order: VenueOrder
    since: int  # when it was first listed and left alone
    reported: bool = False


class ForeignOrders:
    """The policy, the live leases, and the foreign orders left alone for now (pure)."""

    __slots__ = ("held", "leases", "policy", "settle_ns")

    def __init__(self, policy: ForeignPolicy, settle_ms: int = SETTLE_MS) -> None:
        self.policy = policy
        self.settle_ns = settle_ms * MS
        self.leases = LeaseTable()
        self.held: dict[str, Held] = {}

    def traded(self, engine_markets: set[str], now: int) -> set[str]:
        self.leases.expire(now)
        return self.leases.markets() | engine_markets

    def cancels(self, market: str, traded: set[str]) -> bool:
        return self.policy == "cancel_all" or (self.policy == "cancel_traded" and market in traded)

    def holds_in(self, market: str) -> bool:
        return any(h.order.market == market for h in self.held.values())

    def on_list(self, strangers: list[VenueOrder], listed: Collection[str], traded: set[str],
                now: int) -> list[VenueOrder]:
        """One listing's foreign orders: those to cancel now; the others are held (held orders no longer
        listed are forgotten: filled or cancelled by whoever placed them)."""
        for order_id in [i for i in self.held if i not in listed]:
            del self.held[order_id]
        cancel: list[VenueOrder] = []
        for order in strangers:
            if self.cancels(order.market, traded):
                self.held.pop(order.order_id, None)
                cancel.append(order)
            else:
                self.held.setdefault(order.order_id, Held(order, now))
        return cancel

    def sweep(self, traded: set[str], now: int) -> tuple[list[VenueOrder], list[VenueOrder]]:
        """Held orders to cancel now (their market became traded), and those to report (once each)."""
        cancel: list[VenueOrder] = []
        report: list[VenueOrder] = []
        for order_id, held in list(self.held.items()):
            if self.cancels(held.order.market, traded):
                del self.held[order_id]
                cancel.append(held.order)
            elif not held.reported and now - held.since >= self.settle_ns:
                held.reported = True
                report.append(held.order)
        return cancel, report


def report_message(order: VenueOrder, policy: ForeignPolicy) -> str:
    """The ``RiskEvent(kind="foreign_order", severity="info")`` text for a foreign order left alone."""
    action = "kept" if policy == "keep" else "left alone: not in a market a coordinator trades"
    return (f"order {order.order_id} ({order.side} {order.size} @ {order.price}, 1e-6 units, token "
            f"{order.asset[:16]}) was not placed by this engine; {action} (PM_EXEC_FOREIGN_ORDERS={policy})")
