"""The ``follow`` strategy's numbers (seed-002): its parameters, buy sizes, the sell floor, the drop
trigger's window and one round's record. Pure; ``follow_round.FollowMachine`` is the state machine using them.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from actors.coordinator.model import SIZE_STEP, Leg, MarketSpec
from schemas.units import MICRO, NS

State = Literal["FLAT", "BUYING", "LONG", "SELLING", "WAIT_FOR_FLOOR", "COOLDOWN"]
ACTIVE: frozenset[str] = frozenset({"BUYING", "LONG", "SELLING", "WAIT_FOR_FLOOR"})
BUY_SLOT = "follow_buy"
SELL_SLOT = "follow_sell"
SETTLE_NS = 2 * NS  # an order of ours ended unasked: wait this long for inventory to show its fills
Record = tuple[str, dict[str, Any]]  # (event, fields): one JSON log line


@dataclass(frozen=True, slots=True)
class FollowParams:
    """1e-6 units (prices, shares, USD; fractions: 1_000_000 = 1.0) and ns."""

    usd: int = 10 * MICRO  # PM_FOLLOW_USD: a round's target worth, whole shares rounded up
    shares: int = 0  # PM_FOLLOW_SHARES: a round's target in shares (wins over usd when set)
    profit: int = 20_000  # PM_FOLLOW_PROFIT: floor X = avg buy + this
    profit_pct: int = 0  # PM_FOLLOW_PROFIT_PCT: floor X = avg buy * (1 + this), when set
    drop_pct: int = 50_000  # PM_FOLLOW_DROP_PCT: the automatic trigger's drop (0: manual rounds only)
    drop_window_ns: int = 60 * NS  # PM_FOLLOW_DROP_WINDOW_S
    cooldown_ns: int = 60 * NS  # PM_FOLLOW_COOLDOWN_S
    repost_min_ns: int = 10 * NS  # PM_FOLLOW_REPOST_MIN_S
    min_notional: int = MICRO  # PM_FOLLOW_MIN_NOTIONAL: the $1 rule
    outcome: Literal["yes", "no", "both"] = "both"  # PM_FOLLOW_OUTCOME: which token(s) the trigger watches


def ceil_size(size: int) -> int:
    """Buy sizes go up to the 2-decimal grid."""
    return -(-size // SIZE_STEP) * SIZE_STEP


def min_buyable(p: FollowParams, bid: int, market: MarketSpec) -> int:
    """The least a BUY at ``bid`` may be: ``min_notional / bid`` shares (2 dp, up), at least the market's
    minimum size."""
    return max(ceil_size(-(-p.min_notional * MICRO // max(bid, 1))), market.min_size)


def target_shares(p: FollowParams, price: int, shares: int = 0, usd: int = 0) -> int:
    """A round's target: ``shares`` if given, else ``usd`` worth at ``price`` in whole shares, rounded up."""
    shares = shares or (0 if usd else p.shares)
    if shares:
        return ceil_size(shares)
    worth = usd or p.usd
    return -(-worth // max(price, 1)) * MICRO


def floor_price(p: FollowParams, avg_buy: int) -> int:
    """Floor X (exact, 1e-6): avg + profit, or avg * (1 + profit_pct) when that is set."""
    if p.profit_pct:
        return avg_buy + -(-avg_buy * p.profit_pct // MICRO)
    return avg_buy + p.profit


@dataclass
class DropWindow:
    """Mids of one token over the trigger's window; ``drop`` is the fall from the window's high."""

    window_ns: int
    mids: deque[tuple[int, int]] = field(default_factory=deque)

    def observe(self, now: int, mid: int) -> None:
        if mid <= 0:
            return
        q = self.mids
        if not q or q[-1][1] != mid:
            q.append((now, mid))
        while q and q[0][0] < now - self.window_ns and len(q) > 1:
            q.popleft()

    def drop(self) -> int:
        """(high - now) / high over the window, 1e-6 units (0: no fall)."""
        if not self.mids:
            return 0
        high = max(m for _, m in self.mids)
        return (high - self.mids[-1][1]) * MICRO // high

    def clear(self) -> None:
        self.mids.clear()


@dataclass
class Round:
    """One round's numbers (1e-6 units, ns). ``base_qty`` / ``base_cost``: the leg before the round."""

    number: int
    leg: Leg
    target: int
    base_qty: int
    base_cost: int
    trigger: str
    market: str = ""  # the condition id the round trades in
    bought: int = 0
    cost: int = 0  # USD paid for ``bought``
    sold: int = 0
    floor: int = 0  # X, exact
    status: str = ""  # FILLED | FILLED_TRUNCATED (buying); SOLD | DUST | ABORTED
    posted_price: int = 0
    posted_size: int = 0
    posted_at: int = 0  # when the resting order was (re)posted; 0: none wanted
    seen: bool = False  # our slot has held it since
    gone_at: int = 0  # when it ended unasked (filled, or cancelled by the venue)
    gone_qty: int = 0  # the leg's quantity then
    last_post: int = 0  # the last placement of the phase (the re-post interval)

    @property
    def avg_buy(self) -> int:
        return self.cost * MICRO // self.bought if self.bought else 0


@dataclass
class ManualRequest:
    cmd_id: str
    leg: Leg
    shares: int
    usd: int
