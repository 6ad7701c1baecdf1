"""Strategy ``pair_ofi``: seed-000 §3-§6, as a pure function.

    on_tick(book, ofi, inv):
      if ofi_yes_toxic or ofi_no_toxic: cancel both; return          # Global Kill
      if book not usable: return                                      # hold what rests
      if net ≈ 0:
        if not can_open: cancel both provide orders; return           # !can_open, balanced
        place_or_reprice_balanced_yes_no()                            # Balanced
      else:
        place_or_reprice_hedge_side_only(net_diff)                    # Hedge

"net ≈ 0" means |net_diff| is below the market's minimum order size: a smaller imbalance cannot be
hedged by any order the venue accepts, and hedging it with a minimum-size order would only flip the
imbalance to the other side.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.coordinator.model import (
    NO_BID,
    SIZE_STEP,
    YES_BID,
    Decision,
    Leg,
    MarketSpec,
    Position,
    Quote,
    Top,
    clamp_price,
    floor_to_tick,
)
from actors.coordinator.strategies.base import Inputs
from schemas.units import ONE


@dataclass(frozen=True, slots=True)
class PairParams:
    pair_target: int = 990_000  # PM_PAIR_TARGET 0.99
    bid_size: int = 2_000_000  # PM_BID_SIZE 2.0 (raised to the market minimum when below it)


def book_usable(yes: Top, no: Top) -> bool:
    return yes.two_sided and no.two_sided


def balanced_prices(params: PairParams, market: MarketSpec, yes: Top, no: Top) -> tuple[int, int]:
    """Bid the mids if their sum is within the pair target, else lower both equally to the target.

    An odd excess lowers YES by the extra micro so the sum never exceeds the target. Then clamp, put on
    the tick grid (rounding down keeps the sum within target) and keep each bid below its ask (maker).
    """
    bid_yes, bid_no = yes.mid, no.mid
    excess = bid_yes + bid_no - params.pair_target
    if excess > 0:
        bid_yes -= excess - excess // 2
        bid_no -= excess // 2
    return _maker(bid_yes, yes, market.tick), _maker(bid_no, no, market.tick)


def _maker(price: int, top: Top, tick: int) -> int:
    price = clamp_price(price, tick)
    if top.ask and price >= top.ask:
        price = floor_to_tick(top.ask - tick, tick)
    return price


def hedge_quote(params: PairParams, market: MarketSpec, held_avg_cost: int, missing: Top,
                net_abs: int, leg: Leg = "yes") -> Quote | None:
    """Bid the missing leg at ``min(pair_target - held_avg_cost, missing_ask - tick)``; size = |net_diff|."""
    ceiling = params.pair_target - held_avg_cost
    price = min(ceiling, missing.ask - market.tick) if missing.ask else ceiling
    price = floor_to_tick(price, market.tick)
    if price < market.tick:
        return None  # no profitable hedge exists at this cost basis: do not rest one
    size = max(net_abs // SIZE_STEP * SIZE_STEP, market.min_size)
    return Quote(price=min(price, ONE - market.tick), size=size, leg=leg)


def decide(params: PairParams, market: MarketSpec, yes: Top, no: Top, pos: Position, toxic: bool) -> Decision:
    if toxic:
        return Decision("kill", "ofi toxic", {YES_BID: None, NO_BID: None})
    if not book_usable(yes, no):
        return Decision("hold", "book not usable", {})
    size = max(params.bid_size, market.min_size)
    net = pos.net_diff
    if abs(net) < market.min_size:
        if not pos.can_open:
            return Decision("blocked", "can_open false", {YES_BID: None, NO_BID: None})
        bid_yes, bid_no = balanced_prices(params, market, yes, no)
        return Decision("balanced", "", {YES_BID: Quote(bid_yes, size), NO_BID: Quote(bid_no, size, "no")},
                        spread=ONE - bid_yes - bid_no)
    if net > 0:  # long YES: stop adding YES, buy the missing NO leg
        return Decision("hedge", "net > 0", {
            YES_BID: None, NO_BID: hedge_quote(params, market, pos.yes_avg_cost, no, net, "no")})
    return Decision("hedge", "net < 0", {NO_BID: None,
                                         YES_BID: hedge_quote(params, market, pos.no_avg_cost, yes, -net)})


@dataclass(frozen=True, slots=True)
class PairOfi:
    """``pair_ofi`` behind the strategy interface (``strategies.base.Strategy``)."""

    params: PairParams = PairParams()
    name: str = "pair_ofi"
    widens_on_reject: bool = False
    merges_pairs: bool = True

    def base_size(self, market: MarketSpec) -> int:
        return max(self.params.bid_size, market.min_size)

    def decide(self, i: Inputs) -> Decision:
        return decide(self.params, i.market, i.yes, i.no, i.position, i.toxic)
