"""The live coordinator leases (``coord.lease.*``): which markets running coordinators trade (pure).

A ``Lease`` keeps its market for ``ttl_ms`` after it was *received* (local time, so clock skew between
programs does not matter); a renewal extends it, a ``LeaseRelease`` ends it at once. A coordinator
re-publishes its lease every second. Used by the user-feed (which markets its socket carries) and the
executor (which markets are traded, for the foreign-orders policy).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import Lease, LeaseRelease
from schemas.units import MS


@dataclass(slots=True)
class LeaseBook:
    expiry: dict[tuple[str, str], int] = field(default_factory=dict)  # (holder, market) -> ns

    def on_lease(self, lease: Lease, now: int) -> None:
        if lease.market:
            self.expiry[(lease.holder, lease.market)] = now + lease.ttl_ms * MS

    def on_release(self, release: LeaseRelease) -> None:
        self.expiry.pop((release.holder, release.market), None)

    def expire(self, now: int) -> None:
        for key in [k for k, until in self.expiry.items() if until <= now]:
            del self.expiry[key]

    def markets(self) -> set[str]:
        return {market for _, market in self.expiry}
