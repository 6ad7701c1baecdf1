"""Strategy ``neutral``: seed-003 §3 for binary tokens, as pure functions.

Quotes a bid and an ask around the YES fair value (the mid of the YES top, consistent with the NO book:
``model.yes_view``). In YES terms: the bid is a BUY of YES at ``bid``, or a SELL of held NO at
``1 - bid`` when NO is held (holding NO is the short); the ask is a SELL of held YES at ``ask`` when YES
is held, else a BUY of NO at ``1 - ask``. Every order is post-only.

    spread     = base_spread * (1 + vol_factor + inv_factor)          seed-003 §3.1
    vol_factor = min(vol_k * volatility, vol_factor_max)               volatility: Σ|Δmid|/mid over the window
    inv_factor = inv_k * min(|net| / net_max, 1)
    center     = fair - skew * spread * clamp(net / net_max, -1, 1)   shifted against the position
    bid, ask   = center -/+ spread / 2, outward to the tick grid, then widened by the post-only
                 rejections of that side (``signals.RejectWidening``)
    pennying   = when the book spread is at least ``penny_min_ticks`` ticks: one tick inside the best
                 (shifted like the center), unless the dynamic spread asks for a wider quote
    maker      = the bid stays below the best ask, the ask above the best bid and above our bid
    requote_ns = requote_base * (1 + vol_factor)                       slower when volatile (§3.2)

Each side is split (§3.6): a static part (``static_fraction`` of ``base_size``) that stays while within
``static_ticks`` ticks of the wanted price, and a dynamic part re-quoted by the usual threshold. A part
below the market's minimum size is merged into the other. Toxic order flow (ofi) cancels every quote;
``can_open`` false keeps only the quotes that reduce |net_diff| or sell held tokens.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.coordinator.model import (
    SIZE_STEP,
    YES_ASK,
    YES_ASK_STATIC,
    YES_BID,
    YES_BID_STATIC,
    Decision,
    Leg,
    MarketSpec,
    Quote,
    Top,
    ceil_to_tick,
    floor_to_tick,
    net_delta,
    sell_size,
)
from actors.coordinator.strategies.base import Inputs
from schemas.units import MICRO, MS, NS, ONE

ALL_SLOTS = (YES_BID, YES_ASK, YES_BID_STATIC, YES_ASK_STATIC)


@dataclass(frozen=True, slots=True)
class NeutralParams:
    """1e-6 units unless said otherwise (factors: 1_000_000 = 1.0)."""

    base_size: int = 10_000_000  # PM_NEUTRAL_BASE_SIZE: shares per side (static + dynamic)
    base_spread: int = 20_000  # PM_NEUTRAL_BASE_SPREAD: ask - bid when calm and flat
    vol_k: int = 5_000_000  # PM_NEUTRAL_VOL_K
    vol_factor_max: int = 2_000_000  # PM_NEUTRAL_VOL_FACTOR_MAX
    inv_k: int = 1_000_000  # PM_NEUTRAL_INV_K
    skew: int = 500_000  # PM_NEUTRAL_SKEW: center shift, in spreads, at |net| = net_max
    requote_ns: int = 250 * MS  # PM_NEUTRAL_REQUOTE_MS
    penny_min_ticks: int = 3  # PM_PENNY_MIN_TICKS (0: never)
    static_fraction: int = 500_000  # PM_NEUTRAL_STATIC_FRACTION (0: no static part)
    static_ticks: int = 3  # PM_NEUTRAL_STATIC_TICKS
    reject_max_ticks: int = 5  # PM_NEUTRAL_REJECT_MAX_TICKS
    reject_decay_ns: int = 5 * NS  # PM_NEUTRAL_REJECT_DECAY_MS
    vol_window_ns: int = 10 * NS  # PM_NEUTRAL_VOL_WINDOW_MS


@dataclass(frozen=True, slots=True)
class Spread:
    spread: int
    vol_factor: int
    inv_factor: int
    shift: int  # how far the center moves down (long YES) or up (net < 0)


def dynamic_spread(p: NeutralParams, volatility: int, net: int, net_max: int) -> Spread:
    vol_factor = min(p.vol_k * volatility // MICRO, p.vol_factor_max)
    ratio = min(abs(net) * MICRO // net_max, MICRO) if net_max > 0 else 0
    inv_factor = p.inv_k * ratio // MICRO
    spread = p.base_spread * (MICRO + vol_factor + inv_factor) // MICRO
    shift = p.skew * spread // MICRO * ratio // MICRO
    return Spread(spread, vol_factor, inv_factor, shift if net >= 0 else -shift)


def prices(p: NeutralParams, market: MarketSpec, view: Top, s: Spread, widen_bid: int,
           widen_ask: int) -> tuple[int, int, bool]:
    """(bid, ask, pennied) in YES terms; 0 for a side that cannot be quoted."""
    tick = market.tick
    center = view.mid - s.shift
    half = s.spread // 2
    bid = floor_to_tick(center - half, tick)
    ask = ceil_to_tick(center + half, tick)
    pennied = bool(p.penny_min_ticks) and view.ask - view.bid >= p.penny_min_ticks * tick
    if pennied:
        shift = s.shift // tick * tick if s.shift >= 0 else -(-s.shift // tick * tick)
        bid = min(bid, view.bid + tick - shift)
        ask = max(ask, view.ask - tick - shift)
    bid = min(bid - widen_bid * tick, view.ask - tick)
    ask = max(ask + widen_ask * tick, view.bid + tick, bid + tick)
    return (bid if bid >= tick else 0), (ask if ask <= ONE - tick else 0), pennied


def split_sizes(p: NeutralParams, market: MarketSpec) -> tuple[int, int]:
    """(dynamic, static) shares per side; a part below the market minimum goes into the other."""
    base = max(p.base_size, market.min_size)
    static = base * p.static_fraction // MICRO // SIZE_STEP * SIZE_STEP
    if static < market.min_size or base - static < market.min_size:
        return base, 0
    return base - static, static


def side_quotes(price: int, side: str, held_other: int, sizes: tuple[int, int], market: MarketSpec,
                keep_static: int) -> tuple[Quote | None, Quote | None]:
    """The (dynamic, static) quotes of one YES side at YES price ``price``.

    ``held_other``: shares of the token this side can sell (NO for the bid, YES for the ask). Held tokens
    are sold first (a SELL at the side's own-token price); otherwise the side buys (YES for the bid, NO
    for the ask). Sales never add up to more than is held."""
    if not price:
        return None, None
    dyn, static = sizes
    if held_other >= market.min_size:
        sold: Leg = "no" if side == "bid" else "yes"
        own = ONE - price if side == "bid" else price
        sell_dyn = min(dyn, sell_size(held_other))
        rest = sell_size(held_other) - sell_dyn
        sell_static = min(static, rest) if static else 0
        enough = sell_static >= market.min_size
        static_q = Quote(own, sell_static, sold, "SELL", keep_static) if enough else None
        return Quote(own, sell_dyn, sold, "SELL"), static_q
    leg: Leg = "yes" if side == "bid" else "no"
    own = price if side == "bid" else ONE - price
    return Quote(own, dyn, leg), (Quote(own, static, leg, "BUY", keep_static) if static else None)


@dataclass(frozen=True, slots=True)
class Neutral:
    params: NeutralParams = NeutralParams()
    name: str = "neutral"
    widens_on_reject: bool = True
    merges_pairs: bool = False  # it sells held YES back: its inventory is not merged away

    def base_size(self, market: MarketSpec) -> int:
        return max(self.params.base_size, market.min_size)

    def decide(self, i: Inputs) -> Decision:
        p, m, view, pos = self.params, i.market, i.view, i.position
        if i.toxic:
            return Decision("kill", "ofi toxic", dict.fromkeys(ALL_SLOTS))
        if not view.two_sided:
            return Decision("hold", "book not usable", {})
        s = dynamic_spread(p, i.volatility, pos.net_diff, i.net_max)
        bid, ask, pennied = prices(p, m, view, s, i.widen_bid, i.widen_ask)
        sizes = split_sizes(p, m)
        keep = p.static_ticks * m.tick
        bid_dyn, bid_static = side_quotes(bid, "bid", pos.no_qty, sizes, m, keep)
        ask_dyn, ask_static = side_quotes(ask, "ask", pos.yes_qty, sizes, m, keep)
        want = {YES_BID: bid_dyn, YES_ASK: ask_dyn, YES_BID_STATIC: bid_static, YES_ASK_STATIC: ask_static}
        reason = "penny" if pennied else ""
        if not pos.can_open:
            net = pos.net_diff
            for name, q in want.items():
                if q is not None and q.side == "BUY" and abs(net + net_delta(q)) >= abs(net):
                    want[name] = None
            reason = "can_open false"
        return Decision("quoting", reason, want, spread=ask - bid if bid and ask else 0,
                        volatility=i.volatility,
                        requote_ns=p.requote_ns * (MICRO + s.vol_factor) // MICRO)
