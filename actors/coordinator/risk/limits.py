"""Reduce-only and the hard cap, applied to what a strategy wants (pure).

- **Reduce-only** (``|net| >= threshold * base size``): only quotes that shrink |net_diff| or sell held
  tokens stay (Polymarket has no reduce-only flag); the static quotes are cancelled; a quote that
  reduces |net_diff| is moved to the mid when it rests further away (skewed to flatten), never past the
  touch of the other side (post-only).
- **Hard cap** (``net_max``): a quote that, filled in full together with the quotes before it that move
  ``net_diff`` the same way, would leave |net_diff| above ``net_max`` and above where it is now, is
  refused (its slot is cancelled).

Each change comes back as a ``Change`` (slot, field, old, new, rule) for the layer to announce.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.coordinator.model import (
    STATIC_SLOTS,
    Quote,
    Top,
    ceil_to_tick,
    floor_to_tick,
    net_delta,
    yes_side,
)
from schemas.units import MICRO, ONE


@dataclass(frozen=True, slots=True)
class Change:
    slot: str
    field: str  # "price" | "size"
    old: int
    new: int
    rule: str  # "reduce_only" | "net_cap"


def reduce_only_active(net: int, threshold: int, base_size: int) -> bool:
    return threshold > 0 and abs(net) * MICRO >= threshold * base_size


def reduces(q: Quote, net: int) -> bool:
    return abs(net + net_delta(q)) < abs(net)


def toward_mid(q: Quote, view: Top, tick: int) -> Quote:
    """A quote that reduces |net_diff|, moved to the mid (on the grid, maker-safe) if it is further away."""
    if not view.two_sided:
        return q
    if yes_side(q.leg, q.side) == "bid":
        target = min(floor_to_tick(view.mid, tick), view.ask - tick)
        yes = q.price if q.leg == "yes" else ONE - q.price
        if target <= yes:
            return q
    else:
        target = max(ceil_to_tick(view.mid, tick), view.bid + tick)
        yes = q.price if q.leg == "yes" else ONE - q.price
        if target >= yes:
            return q
    price = target if q.leg == "yes" else ONE - target
    return Quote(price, q.size, q.leg, q.side, q.keep_within)


def reduce_only(want: dict[str, Quote | None], net: int, view: Top, tick: int,
                changes: list[Change]) -> dict[str, Quote | None]:
    out: dict[str, Quote | None] = {}
    for name, q in want.items():
        if q is None:
            out[name] = None
        elif name in STATIC_SLOTS or not (q.side == "SELL" or reduces(q, net)):
            out[name] = None
            changes.append(Change(name, "size", q.size, 0, "reduce_only"))
        elif reduces(q, net):
            moved = toward_mid(q, view, tick)
            if moved.price != q.price:
                changes.append(Change(name, "price", q.price, moved.price, "reduce_only"))
            out[name] = moved
        else:
            out[name] = q
    return out


def net_cap(want: dict[str, Quote | None], net: int, net_max: int,
            changes: list[Change]) -> dict[str, Quote | None]:
    if net_max <= 0:
        return want
    out: dict[str, Quote | None] = {}
    up = down = 0  # what the quotes kept so far add to net_diff if they all fill
    for name, q in want.items():
        if q is None:
            out[name] = None
            continue
        d = net_delta(q)
        after = net + (up + d if d > 0 else down + d)
        if abs(after) > net_max and abs(after) > abs(net):
            out[name] = None
            changes.append(Change(name, "size", q.size, 0, "net_cap"))
            continue
        if d > 0:
            up += d
        else:
            down += d
        out[name] = q
    return out
