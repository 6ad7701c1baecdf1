"""Applying the venue's list of our open orders (``GET /data/orders``) to the core's view.

One code path for start-up and crash recovery (ARCHITECTURE invariant 5) and for the periodic sync:
- start-up, ``PM_EXEC_STARTUP=cancel``: every open order of the key is registered (with its holder
  and slot when the durable registry knows it) and cancelled (``cancel-all`` when it fits the burst,
  else ``DELETE /orders`` in chunks);
- start-up, ``adopt``: every open order is registered and kept; orders the registry does not know
  are held by ``unowned``, so the coordinator-silence rule cancels them after a few seconds;
- later syncs: orders of unknown outcome that are listed are adopted (``OrderPlaced``); listed orders
  we do not know are cancelled (no order we do not know about is left); registered orders missing
  from the list for longer than ``GRACE_MS`` are gone (filled, expired or cancelled by the venue);
  orders of unknown outcome that were looked up and are not listed either are looked for among the
  recent trades (``/data/order/{id}`` forgets finished orders, gotcha 16).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from actors.executor.effects import Intent, found, gone
from actors.executor.registry import UNOWNED, Live
from actors.executor.replies import VenueOrder

if TYPE_CHECKING:
    from actors.executor.core import ExecutorCore

MS = 1_000_000
GRACE_MS = 5_000  # a just-placed order may not be listed yet on a real venue


def apply_list(core: ExecutorCore, by_id: dict[str, VenueOrder], now: int, *, starting: bool) -> None:
    if starting:
        _startup(core, by_id, now)
    else:
        _sync(core, by_id, now)


def _adopt(core: ExecutorCore, order: VenueOrder, now: int) -> Live:
    known = core.stored.get(order.order_id)
    if known is not None:
        live = msgspec.structs.replace(known, size_matched=order.size_matched)
    else:
        live = Live(order_id=order.order_id, holder=UNOWNED, slot="", market=order.market, asset=order.asset,
                    side="SELL" if order.side == "SELL" else "BUY", price=order.price, size=order.size,
                    size_matched=order.size_matched, created_ns=now)
    core.registry.put(live)
    core.silence.track(live.holder, now)
    return live


def _startup(core: ExecutorCore, by_id: dict[str, VenueOrder], now: int) -> None:
    cancel = core.p.startup == "cancel"
    for order in by_id.values():
        live = _adopt(core, order, now)
        if cancel:
            core.to_cancel[live.order_id] = Intent("", live.holder, "startup")
    for order_id in core.stored.keys() - by_id.keys():
        core.registry.removed.add(order_id)  # gone while we were down: drop it from the store
    if cancel and by_id:
        core.cancel_all = Intent("", "executor", "startup")
    core.heartbeat_wanted = bool(by_id) and not cancel
    core.notes.append(("startup_orders", {"mode": core.p.startup, "open": len(by_id),
                                          "known": len(core.stored.keys() & by_id.keys()),
                                          "stored": len(core.stored)}))
    core.stored = {}


def _sync(core: ExecutorCore, by_id: dict[str, VenueOrder], now: int) -> None:
    strangers = []
    for order_id, order in by_id.items():
        pending = core.limbo.get(order_id)
        live = core.registry.get(order_id)
        if pending is not None:
            found(core, pending, order.size_matched, now)
        elif live is not None:
            if live.size_matched != order.size_matched:
                core.registry.put(msgspec.structs.replace(live, size_matched=order.size_matched))
        elif order_id not in core.to_cancel:
            _adopt(core, order, now)
            core.to_cancel[order_id] = Intent("", UNOWNED, "unknown_order")
            strangers.append(order_id)
    for live in core.registry.of():
        if live.order_id not in by_id and now - live.created_ns > GRACE_MS * MS:
            gone(core, live.order_id, "gone", now)
    for pending in core.limbo.values():
        if pending.stage == "list" and pending.order_id not in by_id:
            pending.stage, pending.due = "trades", now  # not open: did it fill at once?
    if strangers:
        core.notes.append(("unknown_orders", {"count": len(strangers), "order_ids": strangers[:20]}))
