"""The live coordinator leases (``coord.lease.*``): which markets, and which tokens, running coordinators
trade (pure; one table for every program that follows leases).

An entry is keyed by ``(holder, market)``: two coordinators may hold the same market, and the market
stays held until the *last* of them releases it or lets it expire. A ``Lease`` keeps its entry for
``ttl_ms`` after it was *received* (local time, so clock skew between programs does not matter); a
renewal extends it, a ``LeaseRelease`` ends that holder's entry at once. Coordinators re-publish their
lease every second. A market's tokens are named explicitly (``yes_asset``, ``no_asset``); the newest
lease of a market wins if two holders disagree (a rotation to a new window uses a new condition id, so
they do not in practice).

Used by the market-feed (tokens to subscribe), the user-feed (markets its socket carries), inventory
(markets whose state it publishes and marks), ofi (markets whose flow it scores) and the executor
(traded markets for the foreign-orders policy; tokens for the inventory check).
"""

from __future__ import annotations

from dataclasses import dataclass

from schemas import Lease, LeaseRelease
from schemas.units import MS

_NEVER = 1 << 62  # ns: later than any deadline


@dataclass(frozen=True, slots=True)
class Pair:
    """A market's two tokens: YES/Up and NO/Down."""

    yes_asset: str
    no_asset: str


@dataclass(slots=True)
class _Entry:
    pair: Pair
    until: int  # ns, local receive time + ttl
    seq: int  # order of arrival: the newest lease of a market names its tokens


class LeaseTable:
    """``holds`` and an ``expire`` with nothing due are O(1): they run on every book and timer tick."""

    __slots__ = ("_earliest", "_entries", "_held", "_seq")

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._held: dict[str, int] = {}  # market -> number of entries (holders)
        # no entry ends before this (ns; a renewal may leave it early: then ``expire`` scans once more)
        self._earliest = _NEVER
        self._seq = 0

    # -- inputs: each returns the markets whose state (held or not, or tokens) changed -------------

    def on_lease(self, lease: Lease, now: int) -> bool:
        """Hold ``lease.market`` for its holder; True if the market just became held or its tokens
        changed. A lease without a market or without tokens is ignored (False)."""
        if not lease.market or not (lease.yes_asset or lease.no_asset):
            return False
        before = self.pair(lease.market)
        self._seq += 1
        pair = Pair(lease.yes_asset, lease.no_asset)
        key, until = (lease.holder, lease.market), now + lease.ttl_ms * MS
        if key not in self._entries:
            self._held[lease.market] = self._held.get(lease.market, 0) + 1
        self._entries[key] = _Entry(pair, until, self._seq)
        self._earliest = min(self._earliest, until)
        return before != self.pair(lease.market)

    def on_release(self, release: LeaseRelease) -> bool:
        """End the holder's entry; True if the market is no longer held by anyone."""
        if self._entries.pop((release.holder, release.market), None) is None:
            return False
        return not self._drop(release.market)

    def expire(self, now: int) -> list[str]:
        """Drop entries past their time; returns the markets no longer held by anyone."""
        if now < self._earliest:  # the usual case on a program's timer
            return []
        gone = [key for key, entry in self._entries.items() if entry.until <= now]
        for key in gone:
            del self._entries[key]
        self._earliest = min((e.until for e in self._entries.values()), default=_NEVER)
        return sorted({market for _, market in gone if not self._drop(market)})

    def _drop(self, market: str) -> bool:
        """One entry of ``market`` is gone: True if another holder still holds it."""
        left = self._held[market] - 1
        if left:
            self._held[market] = left
        else:
            del self._held[market]
        return left > 0

    # -- views ----------------------------------------------------------------------------------

    def until(self, holder: str, market: str) -> int | None:
        """When the holder's entry for the market ends (ns, local time); None if it has none."""
        entry = self._entries.get((holder, market))
        return entry.until if entry is not None else None

    def past(self, now: int) -> list[tuple[str, str]]:
        """The ``(holder, market)`` entries past their time, in arrival order: what ``expire`` drops."""
        return [key for key, entry in self._entries.items() if entry.until <= now]

    def holds(self, market: str) -> bool:
        return market in self._held

    def markets(self) -> set[str]:
        return set(self._held)

    def pair(self, market: str) -> Pair | None:
        """The market's tokens as named by its newest lease; None if not held."""
        newest: _Entry | None = None
        for (_, m), entry in self._entries.items():
            if m == market and (newest is None or entry.seq > newest.seq):
                newest = entry
        return newest.pair if newest is not None else None

    def pairs(self) -> dict[str, Pair]:
        """Every held market's tokens."""
        out: dict[str, Pair] = {}
        for market in self.markets():
            pair = self.pair(market)
            if pair is not None:
                out[market] = pair
        return out

    def assets(self) -> list[str]:
        """Every token of every held market, each once, in the order leases first named them (empty
        names left out)."""
        ordered = sorted(self._entries.values(), key=lambda e: e.seq)
        tokens = (a for e in ordered for a in (e.pair.yes_asset, e.pair.no_asset) if a)
        return list(dict.fromkeys(tokens))

    def holders(self, market: str) -> list[str]:
        return sorted(holder for holder, m in self._entries if m == market)

    def __len__(self) -> int:
        return len(self._entries)
