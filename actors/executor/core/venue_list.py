"""Reconciling our open orders with the venue's list (``GET /data/orders``): one code path for start-up,
crash recovery, the periodic sync, a heartbeat lapse and a venue that answers again after a
connection failure (ARCHITECTURE invariant 5).

At start-up the durable registry (SQLite) is loaded into the registry first; from then on every
listing is applied by the same rules:
- a listed order we know (registry, or an order of unknown outcome in limbo) is adopted: it keeps its
  holder and slot, its matched size is refreshed (a limbo order is announced ``OrderPlaced``);
- a listed order we do not know (a *foreign* order) is handled by ``PM_EXEC_FOREIGN_ORDERS``
  (``foreign``): cancelled (registered as ``unowned``, reason ``unknown_order``) if the policy says so
  (by default only in markets a running coordinator or the engine trades), otherwise left alone and
  reported once; it never enters the registry then, so neither a ``CancelAll`` command nor the exit
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

from typing import TYPE_CHECKING

import msgspec

from actors.executor.core import foreign_orders as foreign
from actors.executor.core.order_state import Intent, found, gone
from actors.executor.core.registry import Live
from actors.executor.core.reply_bodies import VenueOrder
from schemas.units import MS

if TYPE_CHECKING:
    from actors.executor.core.executor_core import ExecutorCore

GRACE_MS = 5_000  # a just-placed order may not be listed yet on a real venue


def apply_list(core: ExecutorCore, by_id: dict[str, VenueOrder], now: int, *, starting: bool) -> None:
    """Make the registry agree with the venue's list of our open orders (see the module's rules)."""
    stored = len(core.stored)
    if starting:
        core.registry.load(core.stored.values())  # what the last run knew is what we know
        core.stored = {}
    cancel_every = starting and core.p.startup == "cancel"
    known = 0
    strangers: list[VenueOrder] = []
    for order_id, order in by_id.items():
        pending = core.limbo.get(order_id)
        live = core.registry.get(order_id)
        if pending is not None:
            found(core, pending, order.size_matched, now)
        elif live is not None:
            known += 1
            _keep(core, live, order.size_matched, now)
        elif order_id not in core.to_cancel:
            strangers.append(order)
    cancelled = foreign.on_list(core, strangers, by_id, now)
    if cancel_every and len(core.registry):  # listed or not yet
        for live in core.registry.of():
            core.to_cancel.setdefault(live.order_id, Intent("", live.holder, "startup"))
        core.cancel_all = Intent("", "executor", "startup")  # sent only if PM_EXEC_FOREIGN_ORDERS=cancel_all
    _missing(core, by_id, now)
    if starting:
        core.heartbeat_wanted = bool(core.registry) and not cancel_every
        core.notes.append(("startup_orders", {"mode": core.p.startup, "open": len(by_id), "known": known,
                                              "stored": stored, "unknown": len(strangers),
                                              "foreign_orders": core.foreign.policy}))
    if strangers:
        core.notes.append(("unknown_orders", {"count": len(strangers), "cancelled": cancelled,
                                              "left": len(strangers) - cancelled,
                                              "order_ids": [o.order_id for o in strangers[:20]]}))


def _keep(core: ExecutorCore, live: Live, size_matched: int, now: int) -> None:
    if live.size_matched != size_matched:
        core.registry.put(msgspec.structs.replace(live, size_matched=size_matched))
    core.silence.track(live.holder, now)  # a holder that died while we were down is noticed too


def _missing(core: ExecutorCore, by_id: dict[str, VenueOrder], now: int) -> None:
    recheck = 0
    for live in core.registry.of():
        if live.order_id in by_id:
            continue
        if now - live.created_ns > GRACE_MS * MS:
            gone(core, live.order_id, "gone", now)
        elif live.order_id not in core.to_cancel:  # (a cancel settles it anyway)
            recheck = max(recheck, live.created_ns + GRACE_MS * MS + MS)
    if recheck:  # look again once the youngest missing order's grace is over
        core.sync_wanted = True
        core.list_at = max(core.list_at, recheck)
    for pending in core.limbo.values():
        if pending.stage == "list" and pending.order_id not in by_id:
            pending.stage, pending.due = "trades", now  # not open: did it fill at once?
