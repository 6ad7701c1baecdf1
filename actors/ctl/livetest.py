"""``livetest``, the pure half: the order it places (one post-only GTC BUY of the market's minimum size at
the lowest price of its tick grid, far below the touch: nothing at risk but the minimum times one tick),
and the steps it must see, in order."""

from __future__ import annotations

from dataclasses import dataclass

from schemas import CancelOrders, PlaceOrder

HOLDER = "livetest"  # the executor's holder (its events on ``exec.event.livetest.``)
SLOT = "livetest"
STEPS = ("placed by the executor", "in the executor's open orders", "on the user channel",
         "in the venue's open orders", "cancelled by the executor", "cancelled on the user channel")


@dataclass(frozen=True, slots=True)
class Market:
    condition: str
    asset: str  # the YES token
    tick: int  # 1e-6 units of price
    min_size: int  # 1e-6 shares
    neg_risk: bool
    best_bid: int  # 0: no bid


def order(m: Market, cmd_id: str, now: int) -> PlaceOrder:
    """The lowest price of the grid (one tick), at least one tick below the best bid: it cannot cross."""
    if m.best_bid and m.best_bid <= m.tick:
        raise ValueError(f"the best bid is already at the lowest price ({m.best_bid}): no price far below it")
    return PlaceOrder(cmd_id=cmd_id, holder=HOLDER, market=m.condition, asset=m.asset, side="BUY",
                      price=m.tick, size=m.min_size, tick=m.tick, neg_risk=m.neg_risk, post_only=True,
                      slot=SLOT, ts=now)


def cancel(order_id: str, cmd_id: str, market: str, now: int) -> CancelOrders:
    return CancelOrders(cmd_id=cmd_id, holder=HOLDER, market=market, order_ids=[order_id], slots=[SLOT],
                        reason="livetest", ts=now)
