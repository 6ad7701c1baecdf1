"""Seed-004's quoting rules for liquidity rewards, pure: band prices, safety checks, size, hedge price.

Shared by the rewards scanner (``actors.rewards``: which markets can be quoted safely) and the ``rewards``
strategy (where to quote). Prices and sizes are 1e-6 units; a book side is a tuple of ``(price, size)``
levels, best first. Each check returns ``""`` when it passes, else a short reason that is logged.

- §2.4.1 band: ``mid ± (max_spread - 1¢)``, floored to the market's tick (``band_low``).
- §2.4.2 buy price: skip a book with only one bid level; the second-best bid when it is inside the band
  (at or above the band's low edge), else the band's low edge.
- §2.4.3 / §6 safety: volatility (coefficient of variation of the last 30 mid samples over the
  threshold), price cliff (the two bid levels below our price must exist and no gap among our price and
  them may exceed ``price_cliff``), protection (best two bid levels hold at least ``size ×
  protection_mult``), hedge depth (the levels from the third down, within ``max_bid_gap`` of our price,
  hold at least ``size × hedge_mult``).
- §2.4.4 size: ``rewards_min_size × size_mult``, at least the market's minimum, on the 2-decimal grid.
- §2.3.5 hedge sell (maker-only rework, spec resolution 1): the seed sold into a bid level; we rest a
  post-only SELL one tick above the layer the seed would have hit (``hedge_layer``), never below ``buy +
  margin`` and never at or below the best bid (that would cross).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import msgspec

from schemas.units import ONE

CENT = 10_000
SIZE_STEP = 10_000  # sizes go to the venue with 2 decimals
Levels = Sequence[tuple[int, int]]  # (price, size), best first


class SafetyParams(msgspec.Struct, frozen=True, kw_only=True):
    """Seed-004 §4.2 and §4.6 (defaults); prices 1e-6, multipliers 1e-6 (1.0 = 1_000_000)."""

    price_cliff: int = 50_000  # price_cliff_threshold 0.05
    protection_mult: int = 1_000_000  # min_protection_size_multiplier 1.0
    hedge_mult: int = 5_000_000  # min_protection_size_multiplier_hedge 5.0
    max_bid_gap: int = 50_000  # hedge_sell.max_bid_gap 0.05
    volatility_max: int = 30_000  # volatility_threshold 0.03 (coefficient of variation)
    volatility_samples: int = 30


def floor_tick(price: int, tick: int) -> int:
    return price // tick * tick


def ceil_tick(price: int, tick: int) -> int:
    return -(-price // tick) * tick


def mid(bids: Levels, asks: Levels) -> int:
    """(best bid + best ask) / 2 (§2.4.1); 0 when a side is empty."""
    return (bids[0][0] + asks[0][0]) // 2 if bids and asks else 0


def band_low(mid_price: int, max_spread: int, tick: int) -> int:
    """The band's low edge ``mid - (max_spread - 1¢)`` on the tick grid (floored), within [tick, 1 - tick]."""
    low = floor_tick(mid_price - max(0, max_spread - CENT), tick)
    return min(max(low, tick), ONE - tick)


def buy_price(bids: Levels, asks: Levels, max_spread: int, tick: int) -> int | None:
    """§2.4.2: None when the book has fewer than two bid levels (or no ask); else the second-best bid if it
    is inside the band, else the band's low edge."""
    if len(bids) < 2 or not asks:
        return None
    low = band_low(mid(bids, asks), max_spread, tick)
    second = bids[1][0]
    return second if second >= low else low


def order_size(rewards_min_size: int, size_mult: int, market_min: int) -> int:
    """§2.4.4: ``rewards_min_size × multiplier``, at least the market's minimum, up to the 2-decimal grid."""
    want = max(rewards_min_size * size_mult // ONE, market_min)
    return -(-want // SIZE_STEP) * SIZE_STEP


def volatility(mids: Sequence[int]) -> int:
    """Coefficient of variation (population std / mean) of the samples, 1e-6 units; 0 under two samples."""
    if len(mids) < 2:
        return 0
    mean = sum(mids) / len(mids)
    if mean <= 0:
        return 0
    var = sum((m - mean) ** 2 for m in mids) / len(mids)
    return int(math.sqrt(var) / mean * ONE)


def below(bids: Levels, price: int) -> list[tuple[int, int]]:
    """The bid levels strictly below ``price``, best first."""
    return [lv for lv in bids if lv[0] < price]


def check_volatility(mids: Sequence[int], p: SafetyParams) -> str:
    cv = volatility(list(mids)[-p.volatility_samples:])
    return f"volatility {cv} > {p.volatility_max}" if cv > p.volatility_max else ""


def check_cliff(bids: Levels, price: int, p: SafetyParams) -> str:
    """§6.2: the next two bid levels below our price exist and no step among them exceeds the threshold."""
    nxt = below(bids, price)
    if len(nxt) < 2:
        return f"price cliff: {len(nxt)} bid levels below {price}"
    steps = (price - nxt[0][0], nxt[0][0] - nxt[1][0])
    if max(steps) > p.price_cliff:
        return f"price cliff: step {max(steps)} > {p.price_cliff}"
    return ""


def check_protection(bids: Levels, size: int, p: SafetyParams) -> str:
    """§6.3: the best two bid levels hold at least ``size × protection_mult``."""
    have = sum(s for _, s in bids[:2])
    need = size * p.protection_mult // ONE
    return f"protection {have} < {need}" if have < need else ""


def check_hedge_depth(bids: Levels, price: int, size: int, p: SafetyParams) -> str:
    """§6.4: bid levels from the third down, within ``max_bid_gap`` of our price, hold size × hedge_mult."""
    have = sum(s for px, s in bids[2:] if price - px <= p.max_bid_gap)
    need = size * p.hedge_mult // ONE
    return f"hedge depth {have} < {need}" if have < need else ""


def safety(bids: Levels, price: int, size: int, mids: Sequence[int], p: SafetyParams) -> str:
    """Every §2.4.3 check in the seed's order; the first failure's reason, or ``""``."""
    return (check_volatility(mids, p) or check_cliff(bids, price, p) or check_protection(bids, size, p)
            or check_hedge_depth(bids, price, size, p))


def hedge_layer(bids: Levels, buy: int, size: int, max_bid_gap: int) -> int | None:
    """§2.3.5.1: the lowest bid level whose cumulative size (from the best down) covers ``size``, within
    ``max_bid_gap`` of the buy price; else the best bid if it is within the gap (§2.3.5.2); else None."""
    total = 0
    for px, s in bids:
        if abs(buy - px) > max_bid_gap:
            break
        total += s
        if total >= size:
            return px
    if bids and abs(buy - bids[0][0]) <= max_bid_gap:
        return bids[0][0]
    return None


def hedge_price(bids: Levels, asks: Levels, buy: int, size: int, margin: int, tick: int,
                max_bid_gap: int) -> int:
    """The post-only SELL price for ``size`` tokens bought at ``buy``: one tick above the seed's layer (or
    ``max(buy, best bid) + margin`` without one, §2.3.5.3), at least ``buy + margin`` and one tick above the
    best bid (never crossing), on the grid, at most ``1 - tick``."""
    layer = hedge_layer(bids, buy, size, max_bid_gap)
    best_bid = bids[0][0] if bids else 0
    base = layer + tick if layer is not None else max(buy, best_bid) + margin
    price = ceil_tick(max(base, buy + margin, best_bid + tick), tick)
    return min(price, ONE - tick)
