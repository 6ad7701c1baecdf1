"""``livetest``, the pure half: the order it places (one post-only GTC BUY of the market's minimum size at
the lowest price of its tick grid, far below the touch: nothing at risk but the minimum times one tick; on
the YES token, or on the NO token when YES's best bid is already that lowest price: ``pick``), and the steps
it must see, in order.

Pre-signing's age check (``AGE_STEP``): with pre-signing on (``PM_EXEC_PRESIGN_MAX_AGE_MS`` > 0, as the
executor's preflight reports it), a second order like the first, in its own slot, signed that many
milliseconds in the past (``PlaceOrder.signed_age_ms``: the executor signs it, only for this holder), must
be accepted by the venue, then is cancelled. Polymarket does not document how old an order's timestamp may
be: this proves, with nothing at risk, that it accepts one as old as pre-signing may send. ``age_verdict``
decides the step: skipped with pre-signing off, failed (with what to do) when the venue refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import msgspec

from schemas import CancelOrders, PlaceOrder
from schemas.commands import MAX_SIGNED_AGE_MS, SIGNED_AGE_HOLDER

HOLDER = SIGNED_AGE_HOLDER  # "livetest": the executor's holder (its events on ``exec.event.livetest.``)
SLOT = "livetest"
AGED_SLOT = "livetest-aged"  # the age check's order: its own slot, so it never replaces the first one
STEPS = ("placed by the executor", "in the executor's open orders", "on the user channel",
         "in the venue's open orders", "cancelled by the executor", "cancelled on the user channel")
AGE_STEP = "accepted when signed max age ago"
Verdict = Literal["ok", "fail", "skip"]


@dataclass(frozen=True, slots=True)
class Market:
    condition: str
    asset: str  # the token it buys
    tick: int  # 1e-6 units of price
    min_size: int  # 1e-6 shares
    neg_risk: bool
    best_bid: int  # 0: no bid


def pick(yes: Market, no: Market) -> Market:
    """The token to place on: YES, unless its best bid is at the lowest price of the grid (a market near 0:
    nothing below it) and NO's is not; ``order`` refuses when both are."""
    return no if at_lowest(yes) and not at_lowest(no) else yes


def at_lowest(m: Market) -> bool:
    return bool(m.best_bid and m.best_bid <= m.tick)


def order(m: Market, cmd_id: str, now: int) -> PlaceOrder:
    """The lowest price of the grid (one tick), at least one tick below the best bid: it cannot cross."""
    if at_lowest(m):
        raise ValueError(f"the best bid is already at the lowest price ({m.best_bid}): no price far below it")
    return PlaceOrder(cmd_id=cmd_id, holder=HOLDER, market=m.condition, asset=m.asset, side="BUY",
                      price=m.tick, size=m.min_size, tick=m.tick, neg_risk=m.neg_risk, post_only=True,
                      slot=SLOT, ts=now)


def aged_order(m: Market, cmd_id: str, now: int, age_ms: int) -> PlaceOrder:
    """The first order's twin in ``AGED_SLOT``, signed ``age_ms`` in the past by the executor."""
    if not 0 < age_ms <= MAX_SIGNED_AGE_MS:
        raise ValueError(f"an age to check must be within 1..{MAX_SIGNED_AGE_MS} ms, got {age_ms}")
    return msgspec.structs.replace(order(m, cmd_id, now), slot=AGED_SLOT, signed_age_ms=age_ms)


def age_to_check(max_age_ms: int | None) -> int | str:
    """The age the step checks (pre-signing's bound), or why the step is skipped."""
    if max_age_ms is None:
        return ("pre-signing not reported by the executor's preflight; this step checks that the venue "
                "accepts orders as old as PM_EXEC_PRESIGN_MAX_AGE_MS")
    if max_age_ms <= 0:
        return ("pre-signing is off (PM_EXEC_PRESIGN_MAX_AGE_MS=0); this step checks that the venue accepts "
                "orders as old as its age bound")
    return max_age_ms


def age_verdict(age_ms: int, order_id: str, refusal: str, cancelled: bool) -> tuple[Verdict, str]:
    """The age step from what happened: ``order_id`` the aged order placed ("" if not), ``refusal`` why
    not (the executor's ``OrderFailed`` reason and message, or "no answer"), ``cancelled`` whether its
    cancel was confirmed (it is cancelled whatever happens)."""
    if not order_id:
        return "fail", (f"an order signed {age_ms} ms ago was refused ({refusal or 'no answer'}): lower "
                        f"PM_EXEC_PRESIGN_MAX_AGE_MS below {age_ms} (or leave pre-signing off: 0)")
    if not cancelled:
        return "fail", (f"order {order_id[:18]}.. signed {age_ms} ms ago was placed but its cancel was not "
                        "confirmed: check `pmctl orders` and cancel it (`pmctl cancel-all`)")
    return "ok", f"order {order_id[:18]}.. signed {age_ms} ms ago: placed, then cancelled"


def cancel(order_id: str, cmd_id: str, market: str, now: int,
           slots: tuple[str, ...] = (SLOT, AGED_SLOT)) -> CancelOrders:
    """Cancel ``order_id`` and whatever holds ``slots``: the first order's cancel (the run's last word)
    empties the age check's slot too, so no order of livetest's is left open whatever happened."""
    return CancelOrders(cmd_id=cmd_id, holder=HOLDER, market=market, order_ids=[order_id] if order_id else [],
                        slots=list(slots), reason="livetest", ts=now)
