"""May a replacement rest together with the order it replaces? The overlap rule, pure (no I/O).

With ``PM_EXEC_REPLACE=pipelined`` the executor POSTs a replacing order before the cancel of the order it
replaces, so for a moment both rest and both can fill. The coordinator allows that only when it is
harmless: ``overlap_safe`` assumes the old order and the new one both fill in full, and the replacement
goes out with ``PlaceOrder.overlap_with`` set (the old order's ``cmd_id``) only if the leg then still
keeps inventory's limits. Otherwise the executor cancels the old order first and places the new one once
the venue confirmed the cancel.

The rule, for the leg (YES or NO token) both orders trade, in 1e-6 units:

- no inventory state yet, or a limit unknown (0, a publisher that predates the limits): not safe;
- the two orders on different sides: not safe (the executor never overlaps those either);
- BUY: the leg's quantity grows by ``old.size + new.size``; ``net_diff`` (YES qty - NO qty) moves by that
  much up (YES) or down (NO). Safe iff ``|net_diff after| <= max_net_diff`` and the leg's value
  ``qty * avg_cost + old.size * old.price + new.size * new.price <= max_position_value``. ``net_diff``
  may cross zero: only where it ends counts (fills move it one way, so every value on the way lies between
  where it is now and where it ends, and where it is now is not the overlap's doing);
- SELL: both orders together may sell no more than the leg holds (``old.size + new.size <= qty``):
  otherwise the venue would refuse the new order for balance (the old one still reserves the tokens), or
  an oversell would leave a fill inventory cannot book. ``net_diff`` moves by that much down (YES) or up
  (NO): safe iff ``|net_diff after| <= max_net_diff``. A sale never raises the leg's value (the average
  cost stays, the quantity falls), so the value is not checked.

Both comparisons are ``<=``: exactly at a limit is allowed (``can_open``, which decides whether to open at
all, is strict). The old order counts with its whole size, not what is left of it: a partial fill the
user channel reported may not be in the inventory state yet, so the whole size is exact when none of its
fills are in the state and errs on the safe side (by what did fill) otherwise.

Exactness: every term is an integer; the value is compared in 1e-12 USDC (each term a product of two
1e-6 integers) against ``max_position_value * 1e6``, so nothing is rounded here. The only rounding is
upstream: inventory's ``avg_cost`` is rounded half-even to 1e-6, so ``qty * avg_cost`` is within half a
1e-6 USDC per share of the exact cost of the leg.

Not checked: ``PM_MAX_PORTFOLIO_COST`` (an average price, not an amount; the strategy prices both orders)
and fills of orders no longer in any slot that inventory has not booked yet (the lag every ``can_open``
decision has).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from schemas import InventoryState
from schemas.units import MICRO

Side = Literal["BUY", "SELL"]


class Order(NamedTuple):
    """One of the two orders that may rest together: side, price and size in 1e-6 units."""

    side: Side
    price: int
    size: int


def overlap_safe(inv: InventoryState | None, leg: Literal["yes", "no"], old: Order, new: Order) -> bool:
    """Would ``old`` and ``new`` (on the same ``leg``) both filling in full keep inventory's limits?"""
    if inv is None or inv.max_net_diff <= 0 or inv.max_position_value <= 0 or old.side != new.side:
        return False
    both = old.size + new.size
    qty, avg_cost = (inv.yes_qty, inv.yes_avg_cost) if leg == "yes" else (inv.no_qty, inv.no_avg_cost)
    up = (leg == "yes") == (new.side == "BUY")  # does net_diff grow?
    if abs(inv.net_diff + (both if up else -both)) > inv.max_net_diff:
        return False
    if new.side == "SELL":
        return both <= qty
    value_e12 = qty * avg_cost + old.size * old.price + new.size * new.price
    return value_e12 <= inv.max_position_value * MICRO
