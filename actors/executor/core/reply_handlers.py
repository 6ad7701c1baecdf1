"""Venue replies -> state changes and bus events: one handler per request type (pure).

- ``POST /order(s)``: each leg is placed or refused with its class (``rejections``); a batch
  answered with fewer legs than orders, or no answer at all (timeout, reset, unexplained 5xx), puts
  the orders in limbo under their locally computed ids (``OrderFailed`` ``unknown_outcome`` now,
  ``OrderPlaced`` later if reconciliation finds them); a request that never left (no connection)
  is refused as ``rejected`` with a one-second pause, nothing to reconcile;
- cancels: ``canceled`` and ``not_canceled`` (e.g. "already canceled or matched") both mean gone;
  a failed cancel stays queued behind a back-off, never dropped;
- ``GET /data/order/{id}``: live -> adopted; null/404 -> confirm against the full list;
- ``GET /data/orders``: start-up or sync (``sync.apply_list``);
- ``GET /data/trades``: an order neither open nor listed that appears in a trade filled at once
  (``OrderPlaced`` ``matched``); otherwise it was never placed and its slot is free again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from actors.executor.core import bus_events as events
from actors.executor.core.order_state import Intent, Pending, fail, found, gone, placed
from actors.executor.core.rate_limits import remaining_header
from actors.executor.core.rejections import Rejection, classify, error_text, retry_after_ms
from actors.executor.core.reply_bodies import (
    is_open,
    parse_cancel,
    parse_legs,
    parse_order,
    parse_orders,
    trade_order_ids,
)
from actors.executor.core.venue_list import apply_list
from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    HttpResult,
    ListOrders,
    ListTrades,
    LookupOrder,
    PostOrders,
)
from schemas import PlaceOrder
from schemas.units import MS

if TYPE_CHECKING:
    from actors.executor.core.executor_core import ExecutorCore

PER_ORDER_EFFECTS = ("side_backoff", "balance_block")
NOT_SENT_PAUSE_MS = 1_000


def _rejection(res: HttpResult) -> Rejection:
    return classify(res.status, error_text(res.body) or res.error, retry_after_ms(res.headers))


def observe(core: ExecutorCore, res: HttpResult, bucket: Literal["orders", "cancels"], now: int) -> None:
    core.backoffs.on_answer(res.status, now)
    remaining = remaining_header(res.headers)
    if remaining is not None:
        (core.budget.orders if bucket == "orders" else core.budget.cancels).sync(remaining, now)


def on_posted(core: ExecutorCore, req: PostOrders, res: HttpResult, now: int, ids: tuple[str, ...]) -> None:
    observe(core, res, "orders", now)
    if res.ok:
        legs = parse_legs(res.body)
        for i, cmd in enumerate(req.cmds):
            if i >= len(legs):
                limbo(core, cmd, ids[i], now, "no answer for this order in the batch reply")
            elif legs[i].ok:
                placed(core, cmd, legs[i].order_id, legs[i].status, now)
            else:
                reject(core, cmd, classify(400, legs[i].error), 0, now)
        return
    if res.status == 0 and not res.sent:  # never left: nothing to reconcile, pause a second
        pause = Rejection("rejected", "rate_backoff", "", NOT_SENT_PAUSE_MS)
        retry = core.backoffs.apply(pause, "orders", now)
        for cmd in req.cmds:
            fail(core, cmd, "rejected", retry, f"not sent: {res.error}", now)
        return
    rej = _rejection(res)
    if rej.effect == "reconcile":
        for cmd, order_id in zip(req.cmds, ids, strict=True):
            limbo(core, cmd, order_id, now, rej.message)
        return
    if rej.reason == "rate_limited":
        core.budget.orders.empty(now)
    retry = 0 if rej.effect in PER_ORDER_EFFECTS else core.backoffs.apply(rej, "orders", now)
    if rej.effect == "account":
        core.out.append(events.risk("account", "halt", "", f"order refused: {rej.message}", now))
    for cmd in req.cmds:
        reject(core, cmd, rej, retry, now)


def reject(core: ExecutorCore, cmd: PlaceOrder, rej: Rejection, retry_ms: int, now: int) -> None:
    if rej.effect in PER_ORDER_EFFECTS:
        retry_ms = core.backoffs.apply(rej, "orders", now, cmd)
    if rej.effect == "balance_block":
        message = f"{rej.message}: {cmd.side} {cmd.asset} blocked for {retry_ms} ms"
        core.out.append(events.risk("balance", "halt", cmd.market, message, now))
    fail(core, cmd, rej.reason, retry_ms, rej.message, now)


def limbo(core: ExecutorCore, cmd: PlaceOrder, order_id: str, now: int, why: str) -> None:
    core.limbo[order_id] = Pending(cmd=cmd, order_id=order_id, due=now + core.p.reconcile_ms * MS)
    core.heartbeat_wanted = not core.p.dry_run
    core.notes.append(("order_unknown_outcome", {"order_id": order_id, "cmd_id": cmd.cmd_id, "why": why}))
    fail(core, cmd, "unknown_outcome", core.p.reconcile_ms, f"{why}; reconciling order {order_id}", now)


def on_cancelled(core: ExecutorCore, req: CancelIds, res: HttpResult, now: int, _: Any) -> None:
    observe(core, res, "cancels", now)
    if not res.ok:
        return cancel_failed(core, res, now)
    canceled, not_canceled = parse_cancel(res.body)
    for order_id in canceled:
        gone(core, order_id, None, now)
    for order_id, why in not_canceled.items():
        gone(core, order_id, why, now)
    if any(order_id in core.to_cancel for order_id in req.ids):  # the venue did not say: ask again
        core.backoffs.apply(Rejection("rejected", "none", ""), "cancels", now)
    return None


def on_cancelled_all(core: ExecutorCore, req: CancelEverything, res: HttpResult, now: int, _: Any) -> None:
    observe(core, res, "cancels", now)
    intent, core.cancel_all_sent = core.cancel_all_sent, None
    if not res.ok:
        core.cancel_all = core.cancel_all or intent or Intent("", events.PROGRAM, "cancel_all")
        return cancel_failed(core, res, now)
    canceled, not_canceled = parse_cancel(res.body)
    core.budget.cancels.charge(max(0, len(canceled) - len(req.ids)), now)
    for order_id in canceled:
        gone(core, order_id, None, now)
    for order_id in req.ids:  # after a cancel-all, nothing of ours is left either way
        gone(core, order_id, not_canceled.get(order_id, "gone"), now)
    return None


def cancel_failed(core: ExecutorCore, res: HttpResult, now: int) -> None:
    rej = _rejection(res)
    if rej.reason == "rate_limited":
        core.budget.cancels.empty(now)
    core.backoffs.apply(rej, "cancels", now)
    if rej.effect == "account":
        core.out.append(events.risk("account", "halt", "", f"cancel refused: {rej.message}", now))
    core.notes.append(("cancel_failed", {"status": res.status, "reason": rej.reason, "message": rej.message,
                                         "pending": len(core.to_cancel)}))


def on_lookup(core: ExecutorCore, req: LookupOrder, res: HttpResult, now: int, _: Any) -> None:
    pending = core.limbo.get(req.order_id)
    if pending is None:
        return
    order = parse_order(res.body) if res.ok else None
    if order is not None and is_open(order.status):
        return found(core, pending, order.size_matched, now)
    if res.ok or res.status == 404:  # not open, or it never arrived: confirm against the full list
        pending.stage, pending.due = "list", now
        return
    pending.attempts += 1
    pending.due = now + core.p.reconcile_ms * MS * (1 << min(pending.attempts, 4))


def on_listed(core: ExecutorCore, req: ListOrders, res: HttpResult, now: int, _: Any) -> None:
    if not res.ok:
        core.notes.append(("list_orders_failed", {"status": res.status, "error": res.error}))
        return
    by_id = {o.order_id: o for o in parse_orders(res.body)}
    starting = not core.ready
    core.list_at = now
    core.sync_wanted = False
    apply_list(core, by_id, now, starting=starting)  # may ask for another look (young missing orders)
    if starting:
        core.ready = True
        deferred, core.deferred = core.deferred, []
        for cmd in deferred:
            core.on_command(cmd, now)


def on_traded(core: ExecutorCore, req: ListTrades, res: HttpResult, now: int, _: Any) -> None:
    """Orders neither open nor listed: filled at once (announce it, it does not rest) or never placed."""
    if not res.ok:
        core.notes.append(("list_trades_failed", {"status": res.status, "error": res.error}))
        return
    traded = trade_order_ids(res.body)
    for pending in [p for p in core.limbo.values() if p.stage == "trades"]:
        del core.limbo[pending.order_id]
        filled = pending.order_id in traded
        core.notes.append(("order_reconciled", {"order_id": pending.order_id, "found": filled,
                                                "filled": filled}))
        if filled:
            placed(core, pending.cmd, pending.order_id, "matched", now)


REPLIES: dict[type, Any] = {PostOrders: on_posted, CancelIds: on_cancelled,
                            CancelEverything: on_cancelled_all, LookupOrder: on_lookup, ListOrders: on_listed,
                            ListTrades: on_traded}
