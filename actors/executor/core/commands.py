"""What each coordinator command does to the order state, and when a command must wait (pure).

- ``PlaceOrder``: refused at once if invalid (``maker_only``), behind a back-off window (``backoffs``) or
  while an order of its slot is being reconciled; otherwise queued for this flush, the order in its slot
  (if any) to be cancelled as "replaced" (``replacement`` decides which goes first).
- ``CancelOrders``: by id and by slot (an order of unknown outcome in that slot: once it is found live).
- ``CancelMarket``: every order of the holder in that market.
- ``CancelAll``: everything the engine holds, by id; ``DELETE /cancel-all`` only with
  ``PM_EXEC_FOREIGN_ORDERS=cancel_all`` and when its whole cost fits (gotcha 15).

A command that touches a place still queued, or a place or cancel still in flight (same slot, same
holder and market, or a cancel-all), *conflicts*: it waits (``InFlight.held``) until those replies are in,
so commands keep their order and each sees the outcome of the ones before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actors.executor.core import bus_events, maker_only
from actors.executor.core.order_state import Intent, OrderState
from bus.effects import Effects
from schemas import CancelAll, CancelMarket, CancelOrders, Command, PlaceOrder
from schemas.units import MS


def place(state: OrderState, cmd: PlaceOrder, now: int, fx: Effects) -> None:
    problem = maker_only.check_place(cmd, state.p.allow_taker_exit, now)
    if problem is not None:
        return state.refuse(cmd, "invalid", 0, problem, now, fx)
    refusal = state.backoffs.refusal(cmd, now)
    if refusal is not None:
        return state.refuse(cmd, *refusal, now, fx)
    pending = state.limbo_in(cmd.holder, cmd.slot)
    if pending is not None:
        return state.refuse(cmd, "unknown_outcome", max(1, (pending.due - now) // MS),
                               f"reconciling order {pending.order_id} on this slot", now, fx)
    if cmd.taker_exit:
        what = f"{cmd.holder}: taker exit {cmd.order_type} {cmd.side} {cmd.asset} {cmd.size} @ {cmd.price}"
        bus_events.announce(fx, bus_events.risk("taker_exit", "warn", cmd.market, what, now))
    state.queue_place(cmd)
    return None


def cancel_orders(state: OrderState, cmd: CancelOrders, now: int, fx: Effects) -> None:
    targets = list(cmd.order_ids)
    for slot in cmd.slots:
        live = state.registry.in_slot(cmd.holder, slot)
        pending = state.limbo_in(cmd.holder, slot)
        targets += [x.order_id for x in (live, pending) if x is not None]
    state.mark(targets, Intent(cmd.cmd_id, cmd.holder, cmd.reason or "cancel"))


def cancel_market(state: OrderState, cmd: CancelMarket, now: int, fx: Effects) -> None:
    targets = [o.order_id for o in state.registry.of(cmd.holder, cmd.market)]
    targets += [p.order_id for p in state.limbo.values()
                if p.cmd.holder == cmd.holder and p.cmd.market == cmd.market]
    state.mark(targets, Intent(cmd.cmd_id, cmd.holder, cmd.reason or "cancel_market"))


def cancel_all(state: OrderState, cmd: CancelAll, now: int, fx: Effects) -> None:
    state.request_cancel_all(Intent(cmd.cmd_id, cmd.holder, cmd.reason or "cancel_all"))


HANDLERS: dict[type, Callable[[OrderState, Any, int, Effects], None]] = {
    PlaceOrder: place, CancelOrders: cancel_orders, CancelMarket: cancel_market, CancelAll: cancel_all}


def conflicts(state: OrderState, cmd: Command) -> bool:
    """Does ``cmd`` touch a place still queued, or a place or cancel in flight? Then it waits."""
    flight = state.flight
    if not state.places and not flight:
        return False
    if isinstance(cmd, CancelAll) or flight.exclusive:
        return True
    places = [p.cmd for p in state.places]
    places += [c for req, _ in flight.places for c in req.cmds]
    cancelling = [o for o in (state.registry.get(i) for i in flight.cancelling) if o is not None]
    if isinstance(cmd, CancelMarket):
        return (any(c.holder == cmd.holder and c.market == cmd.market for c in places)
                or any(o.holder == cmd.holder and o.market == cmd.market for o in cancelling))
    if isinstance(cmd, PlaceOrder):
        slots = {cmd.slot}
    else:
        slots = set(cmd.slots)
        if any(i in flight.cancelling for i in cmd.order_ids):
            return True
    slots.discard("")
    return bool(slots) and (any(c.holder == cmd.holder and c.slot in slots for c in places)
                            or any(o.holder == cmd.holder and o.slot in slots for o in cancelling))
