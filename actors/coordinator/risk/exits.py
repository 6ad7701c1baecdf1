"""What a flattening halt rests, and the opt-in taker exit's depth walk (pure).

Maker flatten: a post-only SELL of the heavy leg (YES when ``net_diff`` > 0, NO when < 0) for |net_diff|
(no more than is held, 2 decimals), at that token's best ask (the touch), never at or below its best bid;
it follows the ask down (a lower ask re-quotes it there; our own order is the ask otherwise). Flat means
|net_diff| below the market's minimum size: nothing smaller can be sold.

Taker exit (only with ``PM_ALLOW_TAKER_EXIT=true``, once per halt): a FAK SELL whose limit is the lowest
bid it needs, but never below ``mid * (1 - PM_TAKER_MAX_SLIPPAGE)``. ``depth_walk`` walks the bids down
to that floor: ``price`` (the average fill price), ``available`` (shares there down to the floor, up to
what is wanted), ``slippage`` (``(mid - price) / mid``): the seed's ``depthFillPrice``,
``depthFillAvailable``, ``depthSlippage``. What it cannot sell is left to the maker flatten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from actors.coordinator.model import (
    EXIT_NO,
    EXIT_YES,
    Leg,
    MarketSpec,
    Position,
    Quote,
    Slot,
    Top,
    ceil_to_tick,
    sell_size,
)
from schemas.units import MICRO


def heavy_leg(pos: Position) -> tuple[Leg, int]:
    """The leg to sell and how much of it: |net_diff|, no more than is held, on the 2-decimal grid."""
    if pos.net_diff > 0:
        return "yes", sell_size(min(pos.net_diff, pos.yes_qty))
    return "no", sell_size(min(-pos.net_diff, pos.no_qty))


def is_flat(pos: Position, market: MarketSpec) -> bool:
    return heavy_leg(pos)[1] < market.min_size


def maker_flatten(pos: Position, yes: Top, no: Top, market: MarketSpec,
                  slots: dict[str, Slot]) -> dict[str, Quote | None]:
    leg, size = heavy_leg(pos)
    slot, other = (EXIT_YES, EXIT_NO) if leg == "yes" else (EXIT_NO, EXIT_YES)
    top = yes if leg == "yes" else no
    if size < market.min_size or not (top.ask or top.bid):
        return {slot: None, other: None}
    price = top.ask or top.bid + market.tick
    resting = slots.get(slot)
    if resting is not None and resting.side == "SELL" and resting.leg == leg and price > resting.price:
        price = resting.price  # follow the ask down only: our own order is the ask
    price = max(price, top.bid + market.tick)
    return {slot: Quote(price, size, leg, "SELL", keep_within=0), other: None}


@dataclass(frozen=True, slots=True)
class DepthFill:
    price: int  # average fill price over the levels taken (0: nothing)
    available: int  # shares there, down to the floor, at most the size wanted
    slippage: int  # (mid - price) / mid, 1e-6
    limit: int  # the FAK's limit price: the lowest level taken, or the floor


def depth_walk(bids: Sequence[tuple[int, int]], size: int, mid: int, max_slippage: int,
               tick: int) -> DepthFill:
    floor = ceil_to_tick(mid * (MICRO - max_slippage) // MICRO, tick)
    taken = notional = 0
    lowest = 0
    for price, qty in bids:  # best (highest) first
        if price < floor or taken >= size:
            break
        take = min(qty, size - taken)
        taken += take
        notional += take * price
        lowest = price
    if not taken:
        return DepthFill(0, 0, 0, floor)
    avg = notional // taken
    return DepthFill(avg, taken, (mid - avg) * MICRO // mid if mid else 0, lowest)
