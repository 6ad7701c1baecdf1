"""Reconciling our open orders with the venue's list (``GET /data/orders``): one code path for start-up,
crash recovery, the periodic sync, a heartbeat lapse and a venue that answers again after a
connection failure (ARCHITECTURE invariant 5).

At start-up the durable registry (SQLite) is loaded into the registry first; from then on every
listing is applied by the same rules:
- a listed order we know (registry, or an order of unknown outcome in limbo) is adopted: it keeps its
  holder and slot, its matched size is refreshed (a limbo order is announced ``OrderPlaced``);
- a listed order we do not know (a *foreign* order) is handled by ``PM_EXEC_FOREIGN_ORDERS``
  (``foreign_orders``): cancelled (registered as ``unowned``, reason ``unknown_order``) if the policy
  says so (by default only in markets a running coordinator or the engine trades), otherwise left alone
  and reported once; it never enters the registry then, so neither a ``CancelAll`` command nor the exit
  cancel touches it;
- a registered order missing from the list is gone (``OrderCancelled`` reason ``gone``) once it is
  older than ``GRACE_MS`` (a just-placed order may not be listed yet on a real venue); a younger one is
  looked for again when its grace ends;
- orders of unknown outcome that were looked up and are not listed either are looked for among the
  recent trades (``/data/order/{id}`` forgets finished orders, gotcha 16).
The one difference is policy, not path: at start-up with ``PM_EXEC_STARTUP=cancel`` every order the
registry knows is cancelled as well (by id, ``DELETE /orders`` in chunks; ``cancel-all`` when it fits the
burst only with ``PM_EXEC_FOREIGN_ORDERS=cancel_all``, since it would take foreign orders with it), and
the order heartbeat is armed only if orders are kept (``adopt``).
"""

from __future__ import annotations

from actors.executor.core.order_state import OrderState
from actors.executor.core.reply_bodies import VenueOrder
from bus.effects import Effects
from schemas.units import MS

GRACE_MS = 5_000  # a just-placed order may not be listed yet on a real venue


def apply_list(state: OrderState, by_id: dict[str, VenueOrder], now: int, fx: Effects, *,
               starting: bool) -> None:
    """Make the registry agree with the venue's list of our open orders (see the module's rules)."""
    stored = len(state.sync.stored)
    if starting:
        state.restore(state.sync.take_stored())
    cancel_every = starting and state.p.startup == "cancel"
    known = 0
    strangers: list[VenueOrder] = []
    for order_id, order in by_id.items():
        pending = state.limbo.get(order_id)
        live = state.registry.get(order_id)
        if pending is not None:
            state.found(pending, order.size_matched, now, fx)
        elif live is not None:
            known += 1
            state.matched(live, order.size_matched)
            state.silence.track(live.holder, now)  # a holder that died while we were down is noticed too
        elif order_id not in state.to_cancel:
            strangers.append(order)
    cancelled = state.foreign_listed(strangers, by_id, now, fx)
    if cancel_every and len(state.registry):  # listed or not yet
        state.cancel_at_startup()
    _missing(state, by_id, now, fx)
    if starting:
        state.startup_done(cancel_every)
        fx.note("startup_orders", mode=state.p.startup, open=len(by_id), known=known, stored=stored,
                unknown=len(strangers), foreign_orders=state.foreign.policy)
    if strangers:
        fx.note("unknown_orders", count=len(strangers), cancelled=cancelled, left=len(strangers) - cancelled,
                order_ids=[o.order_id for o in strangers[:20]])


def _missing(state: OrderState, by_id: dict[str, VenueOrder], now: int, fx: Effects) -> None:
    recheck = 0
    for live in state.registry.of():
        if live.order_id in by_id:
            continue
        if now - live.created_ns > GRACE_MS * MS:
            state.gone(live.order_id, "gone", now, fx)
        elif live.order_id not in state.to_cancel:  # (a cancel settles it anyway)
            recheck = max(recheck, live.created_ns + GRACE_MS * MS + MS)
    if recheck:  # look again once the youngest missing order's grace is over
        state.sync.look_again_at(recheck)
    for pending in state.limbo.values():
        if pending.stage == "list" and pending.order_id not in by_id:
            state.reconcile_next(pending, "trades", now)  # not open: did it fill at once?
