"""Plain value types the coordinator's pure parts share (no I/O).

The ones made at every decision (``Top``, ``Position``, ``Quote``, ``Decision``, ``Slot``) are msgspec
structs: about ten times cheaper to create than a frozen dataclass, which matters on the hot path.

A quote names its token (``leg``: the market's YES or NO token) and its ``side``; its price is in that
token's own terms. In YES terms a quote is a *bid* (BUY YES, or SELL NO at ``1 - p``) or an *ask*
(SELL YES, or BUY NO at ``1 - p``): ``yes_side`` and ``yes_price`` translate, ``net_delta`` says how a
full fill moves ``net_diff`` (YES qty - NO qty).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import msgspec

from schemas.units import ONE

Leg = Literal["yes", "no"]
Side = Literal["BUY", "SELL"]

YES_BID = "yes_bid"  # pair_ofi: BUY YES; neutral: BUY YES, or SELL held NO at 1 - bid
NO_BID = "no_bid"  # pair_ofi: BUY NO
YES_ASK = "yes_ask"  # neutral: SELL held YES, or BUY NO at 1 - ask
YES_BID_STATIC = "yes_bid_static"  # neutral's resting (static) part of each side, seed-003 §3.6
YES_ASK_STATIC = "yes_ask_static"
EXIT_YES = "exit_yes"  # the risk layer's flatten orders (SELL of the held leg)
EXIT_NO = "exit_no"
SLOTS = (YES_BID, NO_BID)  # pair_ofi's slots
STATIC_SLOTS = frozenset({YES_BID_STATIC, YES_ASK_STATIC})
PRICE_MIN = 1_000  # seed clamp [0.001, 0.999]
PRICE_MAX = 999_000
SIZE_STEP = 10_000  # sizes go to the venue with 2 decimals


class Top(msgspec.Struct, frozen=True, gc=False):
    """Best bid and ask of one token (1e-6 units); 0 means that side is empty."""

    bid: int
    ask: int

    @property
    def two_sided(self) -> bool:
        return 0 < self.bid < self.ask

    @property
    def mid(self) -> int:
        return (self.bid + self.ask) // 2


def yes_view(yes: Top, no: Top) -> Top:
    """The YES token's top consistent with the NO book: a NO ask at x is a YES bid at 1 - x, and a NO bid
    at x a YES ask at 1 - x (the venue's books are one book seen from both tokens); the better of each."""
    bid, ask = yes.bid, yes.ask
    if no.ask and ONE - no.ask > bid:
        bid = ONE - no.ask
    if no.bid and (not ask or ONE - no.bid < ask):
        ask = ONE - no.bid
    return yes if bid == yes.bid and ask == yes.ask else Top(bid, ask)


@dataclass(frozen=True, slots=True)
class MarketSpec:
    market: str  # condition id
    yes_asset: str
    no_asset: str
    tick: int
    min_size: int
    neg_risk: bool = False


class Position(msgspec.Struct, frozen=True, gc=False):
    """The inventory fields the strategy and the risk layer read (seed-000 §2.1)."""

    net_diff: int
    yes_avg_cost: int
    no_avg_cost: int
    can_open: bool
    yes_qty: int = 0
    no_qty: int = 0


class Quote(msgspec.Struct, frozen=True, gc=False):
    """An order a strategy wants resting: ``price`` and ``size`` in ``leg``'s own terms (1e-6 units).

    ``keep_within``: a resting order of the same leg, side and size is kept while its price is within this
    distance of ``price`` (a static quote: ``PM_NEUTRAL_STATIC_TICKS`` ticks); -1: the reprice threshold."""

    price: int
    size: int
    leg: Leg = "yes"
    side: Side = "BUY"
    keep_within: int = -1


def yes_side(leg: Leg, side: Side) -> Literal["bid", "ask"]:
    """BUY YES and SELL NO are YES bids; SELL YES and BUY NO are YES asks."""
    return "bid" if (leg == "yes") == (side == "BUY") else "ask"


def yes_price(q: Quote) -> int:
    return q.price if q.leg == "yes" else ONE - q.price


def net_delta(q: Quote) -> int:
    """How ``net_diff`` moves if ``q`` fills in full."""
    return q.size if yes_side(q.leg, q.side) == "bid" else -q.size


class Decision(msgspec.Struct, frozen=True):
    """What the strategy wants per slot: a Quote to rest, None to cancel; absent = leave as is.

    ``spread`` and ``volatility`` (1e-6 units; 0: none) are reported in ``CoordinatorState``;
    ``requote_ns``: the least time between two placements in one slot (None: ``PM_DEBOUNCE_MS``).
    ``notes``: log lines (event, fields) the strategy asks for (``follow``'s actions and transitions)."""

    mode: str
    reason: str
    want: dict[str, Quote | None]
    spread: int = 0
    volatility: int = 0
    requote_ns: int | None = None
    notes: tuple[tuple[str, dict[str, Any]], ...] = ()


class Slot(msgspec.Struct, gc=False):
    """One resting (or pending) order of ours.

    ``replaces``: the slot held an order when this one was sent, and the executor replaces it; if this
    placement fails, that older order may still rest (see ``Coordinator.on_failed``).
    ``leg``, ``side``, ``price``, ``size``: what the overlap rule (``overlap.py``) assumes may still fill
    when this order is replaced.
    """

    cmd_id: str
    price: int
    size: int
    order_id: str = ""
    status: Literal["pending", "live"] = "pending"
    replaces: bool = False
    side: Side = "BUY"
    leg: Leg = "yes"


def floor_to_tick(price: int, tick: int) -> int:
    return price // tick * tick


def ceil_to_tick(price: int, tick: int) -> int:
    return -(-price // tick) * tick


def clamp_price(price: int, tick: int) -> int:
    """Seed clamp to [0.001, 0.999], then the market's valid range [tick, 1 - tick], on the grid."""
    price = floor_to_tick(min(max(price, PRICE_MIN), PRICE_MAX), tick)
    return min(max(price, tick), ONE - tick)


def sell_size(held: int) -> int:
    """What can be sold of ``held`` shares: floored to the venue's 2 decimals."""
    return held // SIZE_STEP * SIZE_STEP
