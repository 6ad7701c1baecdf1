"""Market leases: a coordinator asks the feeds to carry its tokens (``coord.lease.*``)."""

from __future__ import annotations

from schemas.base import Message


class Lease(Message, frozen=True, tag="lease"):
    """Keep these tokens / this market subscribed for ``ttl_ms`` (renewed every heartbeat).

    Re-published while held; an expired or released lease lets the feeds unsubscribe.
    """

    holder: str  # coordinator name, e.g. "btc-updown-15m"
    market: str  # condition id
    yes_asset: str  # token id of YES / Up
    no_asset: str  # token id of NO / Down ("" for a one-token lease: market data only, e.g. a benchmark)
    ttl_ms: int
    ts: int

    @property
    def assets(self) -> list[str]:
        """The lease's token ids, YES first, empty names left out."""
        return [a for a in (self.yes_asset, self.no_asset) if a]


class LeaseRelease(Message, frozen=True, tag="lease.release"):
    holder: str
    market: str
    ts: int


LeaseMessage = Lease | LeaseRelease
