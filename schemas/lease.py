"""Market leases: a coordinator asks the feeds to carry its tokens (``coord.lease.*``)."""

from __future__ import annotations

from schemas.base import Message


class Lease(Message, frozen=True, tag="lease"):
    """Keep these tokens / this market subscribed for ``ttl_ms`` (renewed every heartbeat).

    Re-published while held; an expired or released lease lets the feeds unsubscribe.
    """

    holder: str  # coordinator name, e.g. "btc-updown-15m"
    market: str  # condition id
    assets: list[str]  # token ids: [YES/Up, NO/Down]
    ttl_ms: int
    ts: int


class LeaseRelease(Message, frozen=True, tag="lease.release"):
    holder: str
    market: str
    ts: int


LeaseMessage = Lease | LeaseRelease
