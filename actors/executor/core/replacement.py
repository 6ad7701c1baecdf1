"""Replacing an order (a place on an occupied slot): which goes first, the new order or the old one's
cancel, and which requests may be in flight together (pure).

The old order is cancelled and the new one placed. With ``replace="pipelined"`` (the default) the place
may be written first and the cancel right behind it, on another connection, neither waiting for the
other's reply: the new quote reaches the venue a whole cancel round trip sooner (about 1.4 ms here), at
the price of the old and the new order resting (and possibly filling) together for the moments between
the two requests. The executor knows no positions or limits, so it does this only when the command says
the overlap is safe: its ``overlap_with`` names the very order in the slot (its ``cmd_id``), which the
coordinator sets only after checking that both orders filling in full keeps inventory's limits
(``actors.coordinator.overlap``). Besides that: only on the same asset and side (two bids of ours cannot
trade with each other), only when no other order of that slot is still waiting for its cancel (the proof
counts two orders, not three), and only when the cancel can go at once (no cancel back-off, cancel tokens
left: ``scheduling``); a cancel that then fails stays queued (never dropped) and is retried behind its
back-off. Every other replacement, and every one with ``replace="confirmed"``, is placed only after the
venue answered the cancel (a place whose old order is still not cancelled is refused as ``backoff``).
Other cancels (risk-reducing) always go first.
"""

from __future__ import annotations

from actors.executor.core.order_state import OrderState, PendingPlace
from actors.executor.core.registry import Live
from actors.executor.core.venue_requests import CancelIds, PostOrders, Request


def may_overlap(state: OrderState, req: Request) -> bool:
    """May ``req`` be in flight together with the other cancels and places of this flush? Not a cancel
    that a waiting place must see answered first (a replacement on another side or asset)."""
    if state.p.replace != "pipelined":
        return False
    if isinstance(req, CancelIds):
        return not any(p.replaces in req.ids for p in state.places)
    return isinstance(req, PostOrders)


def place_first(state: OrderState, place: PendingPlace) -> bool:
    """May ``place`` go out before the cancel of the order it replaces? Only pipelined; only if the
    command names that very order as safe to overlap with (``overlap_with`` = its ``cmd_id``); only on
    the same asset and side; and only if no other order of the slot still waits for its cancel."""
    cmd = place.cmd
    if state.p.replace != "pipelined" or not cmd.overlap_with or place.replaces not in state.to_cancel:
        return False
    old = state.registry.get(place.replaces)
    return (old is not None and old.cmd_id == cmd.overlap_with and old.asset == cmd.asset
            and old.side == cmd.side and not _retiring_beside(state, old))


def _retiring_beside(state: OrderState, old: Live) -> bool:
    """Does another order of ``old``'s slot still wait for its cancel (one that failed earlier)?"""
    for order_id in state.to_cancel:
        other = state.registry.get(order_id) if order_id != old.order_id else None
        if other is not None and other.holder == old.holder and other.slot == old.slot:
            return True
    return False
