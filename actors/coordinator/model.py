"""Plain value types the coordinator's pure parts share (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from schemas.units import ONE

YES_BID = "yes_bid"
NO_BID = "no_bid"
SLOTS = (YES_BID, NO_BID)
PRICE_MIN = 1_000  # seed clamp [0.001, 0.999]
PRICE_MAX = 999_000
SIZE_STEP = 10_000  # sizes go to the venue with 2 decimals


@dataclass(frozen=True, slots=True)
class Top:
    """Best bid and ask of one token (1e-6 units); 0 means that side is empty."""

    bid: int
    ask: int

    @property
    def two_sided(self) -> bool:
        return 0 < self.bid < self.ask

    @property
    def mid(self) -> int:
        return (self.bid + self.ask) // 2


@dataclass(frozen=True, slots=True)
class MarketSpec:
    market: str  # condition id
    yes_asset: str
    no_asset: str
    tick: int
    min_size: int
    neg_risk: bool = False


@dataclass(frozen=True, slots=True)
class Position:
    """The inventory fields the strategy reads (seed-000 §2.1)."""

    net_diff: int
    yes_avg_cost: int
    no_avg_cost: int
    can_open: bool


@dataclass(frozen=True, slots=True)
class Quote:
    price: int
    size: int


@dataclass(frozen=True, slots=True)
class Decision:
    """What the strategy wants per slot: a Quote to rest, None to cancel; absent = leave as is."""

    mode: str
    reason: str
    want: dict[str, Quote | None]


@dataclass(slots=True)
class Slot:
    """One resting (or pending) order of ours.

    ``replaces``: the slot held an order when this one was sent, and the executor replaces it; if this
    placement fails, that older order may still rest (see ``Coordinator.on_failed``).
    ``side``, ``price``, ``size``: what the overlap rule (``overlap.py``) assumes may still fill when this
    order is replaced.
    """

    cmd_id: str
    price: int
    size: int
    order_id: str = ""
    status: Literal["pending", "live"] = "pending"
    replaces: bool = False
    side: Literal["BUY", "SELL"] = "BUY"


def floor_to_tick(price: int, tick: int) -> int:
    return price // tick * tick


def clamp_price(price: int, tick: int) -> int:
    """Seed clamp to [0.001, 0.999], then the market's valid range [tick, 1 - tick], on the grid."""
    price = floor_to_tick(min(max(price, PRICE_MIN), PRICE_MAX), tick)
    return min(max(price, tick), ONE - tick)
