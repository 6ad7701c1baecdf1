"""Which ``PlaceOrder`` the executor refuses as "invalid" before anything else: the maker-only invariant
(every order post-only GTC/GTD; the only exception is the opt-in taker exit), the shape of the order, the
venue's tick grid, the GTD headroom, and who may ask for an order signed in the past (``signed_age_ms``:
livetest only, bounded) (pure)."""

from __future__ import annotations

from clob.orders import OrderError, check_order, is_v2_position_id
from schemas import PlaceOrder
from schemas.commands import MAX_SIGNED_AGE_MS, SIGNED_AGE_HOLDER
from schemas.units import NS

GTD_HEADROOM_NS = 60 * NS  # gotcha 18: a GTD expiration must leave the venue's 1-minute buffer


def check_place(cmd: PlaceOrder, allow_taker_exit: bool, now: int) -> str | None:
    """Why ``cmd`` is refused as "invalid", or None."""
    maker = cmd.order_type in ("GTC", "GTD") and cmd.post_only
    if not maker:
        if not cmd.taker_exit:
            return "maker-only: orders must be post-only GTC/GTD (taker_exit not set)"
        if not allow_taker_exit:
            return "maker-only: taker exits are disabled (PM_ALLOW_TAKER_EXIT=false)"
        if cmd.post_only:
            return "post-only is only for GTC/GTD orders"
    if (cmd.order_type == "GTD") != (cmd.expiration > 0):
        return "GTD orders need an expiration; other types must have expiration 0"
    if not cmd.market or not cmd.holder:
        return "holder and market are required"
    if cmd.signed_age_ms:
        problem = signed_age_problem(cmd.holder, cmd.signed_age_ms)
        if problem is not None:
            return problem
    try:
        check_order(cmd.asset, cmd.side, cmd.price, cmd.size, cmd.tick, expiration=cmd.expiration)
    except OrderError as error:
        return str(error)
    if is_v2_position_id(cmd.asset):
        return "Protocol-V2 position ids are not supported"
    if cmd.order_type == "GTD" and cmd.expiration * NS <= now + GTD_HEADROOM_NS:
        return "GTD expiration needs more than 60 s of headroom (the venue's security threshold)"
    return None


def signed_age_problem(holder: str, age_ms: int) -> str | None:
    """Why an order may not be signed ``age_ms`` in the past for ``holder``, or None (0 is always fine:
    signed now). Only livetest's age check may (it proves the venue accepts pre-signed orders that old);
    any other holder is refused, never signed old silently."""
    if not age_ms:
        return None
    if holder != SIGNED_AGE_HOLDER:
        return (f"signed_age_ms is only for holder {SIGNED_AGE_HOLDER!r} (its pre-signing age check); "
                f"holder {holder!r} may not have an order signed {age_ms} ms in the past")
    if not 0 < age_ms <= MAX_SIGNED_AGE_MS:
        return f"signed_age_ms must be within 1..{MAX_SIGNED_AGE_MS} ms, got {age_ms}"
    return None
