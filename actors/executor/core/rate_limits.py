"""Per-signer token buckets (PROTOCOL.md §6.2): one order bucket and one cancel bucket.

Pure: time is passed in (ns). Token balances are integers in nano-tokens, so refill is exact
(``elapsed_ns * rate`` nano-tokens) and never drifts.

Rules modelled on Polymarket's limiter:
- a request is admitted only if the bucket holds its whole cost (batches are all-or-nothing), and a
  cost above the burst can never be admitted: split such batches (``chunk``);
- ``cancel-all`` / ``cancel-market-orders`` cost 1 up front plus 1 per order cancelled, charged after
  the fact; on tiers up to Gold that post-charge may push the cancel bucket negative
  ("cancellation debt"), Platinum and above floor it at zero;
- the server's ``Poly-RateLimit-Remaining`` header, when present, is authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.units import NS  # also nano-tokens per token: elapsed ns * rate per second = nano-tokens

TierName = Literal["standard", "copper", "bronze", "silver", "gold", "platinum", "diamond", "elite"]


@dataclass(frozen=True, slots=True)
class Tier:
    order_rate: int  # tokens per second
    order_burst: int
    cancel_rate: int
    cancel_burst: int
    debt: bool  # may the cancel bucket go negative


TIERS: dict[str, Tier] = {
    "standard": Tier(40, 60, 80, 120, True),
    "copper": Tier(60, 90, 120, 180, True),
    "bronze": Tier(80, 120, 160, 240, True),
    "silver": Tier(200, 300, 400, 600, True),
    "gold": Tier(400, 600, 800, 1200, True),
    "platinum": Tier(450, 675, 900, 1350, False),
    "diamond": Tier(525, 787, 1050, 1575, False),
    "elite": Tier(600, 900, 1200, 1800, False),
}


class TokenBucket:
    """Refills ``rate`` tokens per second up to ``burst``; starts full."""

    __slots__ = ("_at", "_nano", "allow_debt", "burst", "rate")

    def __init__(self, rate: int, burst: int, now: int, *, allow_debt: bool = False) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self.allow_debt = allow_debt
        self._nano = burst * NS
        self._at = now

    def _refill(self, now: int) -> None:
        if now > self._at:
            self._nano = min(self.burst * NS, self._nano + (now - self._at) * self.rate)
            self._at = now

    def tokens(self, now: int) -> int:
        """Whole tokens available now (negative while in debt)."""
        self._refill(now)
        return self._nano // NS

    def admits(self, cost: int, now: int) -> bool:
        return 0 < cost <= self.burst and self.tokens(now) >= cost

    def take(self, cost: int, now: int) -> bool:
        """Spend ``cost`` tokens if the whole cost is available (all-or-nothing)."""
        if not self.admits(cost, now):
            return False
        self._nano -= cost * NS
        return True

    def charge(self, cost: int, now: int) -> None:
        """A cost learned after the fact (cancel-all's per-order part): may go into debt."""
        self._refill(now)
        self._nano -= cost * NS
        if not self.allow_debt:
            self._nano = max(0, self._nano)

    def wait_ns(self, cost: int, now: int) -> int:
        """Nanoseconds until ``cost`` tokens are available; -1 if never (cost above the burst)."""
        if cost > self.burst:
            return -1
        self._refill(now)
        missing = cost * NS - self._nano
        return 0 if missing <= 0 else -(-missing // self.rate)

    def sync(self, remaining: int, now: int) -> None:
        """Adopt the server's view (``Poly-RateLimit-Remaining``)."""
        self._refill(now)
        self._nano = min(self.burst, remaining) * NS
        if not self.allow_debt:
            self._nano = max(0, self._nano)

    def empty(self, now: int) -> None:
        """After a 429: the server says we have nothing left."""
        self.sync(min(0, self.tokens(now)), now)


class Budget:
    """The signer's two buckets for one tier."""

    __slots__ = ("cancels", "orders", "tier")

    def __init__(self, tier: str, now: int) -> None:
        self.tier = TIERS[tier]
        self.orders = TokenBucket(self.tier.order_rate, self.tier.order_burst, now)
        self.cancels = TokenBucket(self.tier.cancel_rate, self.tier.cancel_burst, now,
                                   allow_debt=self.tier.debt)


def remaining_header(headers: dict[str, str]) -> int | None:
    """``Poly-RateLimit-Remaining`` as an int (headers lower-cased), or None."""
    raw = headers.get("poly-ratelimit-remaining", "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return None
