"""Which markets the user socket should carry: the condition ids of live coordinator leases (pure).

A ``Lease`` keeps its market wanted for ``ttl_ms`` after it was *received* (local time, so clock skew
between programs does not matter); a renewal extends it, a ``LeaseRelease`` ends it at once.
``diff`` turns the wanted set and what the socket has into subscribe / unsubscribe frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


def subscribe_frame(auth: dict[str, str], markets: set[str] | None) -> dict[str, Any]:
    """The first frame on a user socket; ``markets=None`` = every market of the key (no ``markets``)."""
    frame: dict[str, Any] = {"type": "user", "auth": auth}
    if markets is not None:
        frame["markets"] = sorted(markets)
    return frame


def diff(wanted: set[str], subscribed: set[str]) -> list[dict[str, Any]]:
    """Dynamic ``operation`` frames that move the socket from ``subscribed`` to ``wanted``."""
    frames: list[dict[str, Any]] = []
    added, removed = wanted - subscribed, subscribed - wanted
    if added:
        frames.append({"operation": "subscribe", "markets": sorted(added)})
    if removed:
        frames.append({"operation": "unsubscribe", "markets": sorted(removed)})
    return frames
