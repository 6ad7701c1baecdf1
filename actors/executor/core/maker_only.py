"""Which ``PlaceOrder`` the executor refuses as "invalid" before anything else: the maker-only invariant
(every order post-only GTC/GTD; the only exception is the opt-in taker exit), the shape of the order, the
venue's tick grid and the GTD headroom (pure)."""

from __future__ import annotations

from clob.orders import OrderError, check_order, is_v2_position_id
from schemas import PlaceOrder
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
    try:
        check_order(cmd.asset, cmd.side, cmd.price, cmd.size, cmd.tick, expiration=cmd.expiration)
    except OrderError as error:
        return str(error)
    if is_v2_position_id(cmd.asset):
        return "Protocol-V2 position ids are not supported"
    if cmd.order_type == "GTD" and cmd.expiration * NS <= now + GTD_HEADROOM_NS:
        return "GTD expiration needs more than 60 s of headroom (the venue's security threshold)"
    return None
