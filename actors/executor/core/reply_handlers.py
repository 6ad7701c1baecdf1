"""Venue replies -> state changes and bus events: one handler per request type (pure). Each takes the
order state, the request and its reply, changes the state through ``OrderState``'s methods and puts what
is to be announced into the step's ``Effects``.

- ``POST /order(s)``: each leg is placed or refused with its class (``rejections``); a batch
  answered with fewer legs than orders, or no answer at all (timeout, reset, unexplained 5xx), puts
  the orders in limbo under their locally computed ids (``OrderFailed`` ``unknown_outcome`` now,
  ``OrderPlaced`` later if reconciliation finds them); a request that never left (no connection)
  is refused as ``rejected`` with a one-second pause, nothing to reconcile;
- cancels: ``canceled`` and ``not_canceled`` (e.g. "already canceled or matched") both mean gone;
  a failed cancel stays queued behind a back-off, never dropped;
- ``GET /data/order/{id}``: live -> adopted; null/404 -> confirm against the full list;
- ``GET /data/orders``: start-up or sync (``venue_list.apply_list``);
- ``GET /data/trades``: an order neither open nor listed that appears in a trade filled at once
  (``OrderPlaced`` ``matched``); otherwise it was never placed and its slot is free again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from actors.executor.core import bus_events
from actors.executor.core.order_state import OrderState
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
from bus.effects import Effects
from schemas import PlaceOrder

PER_ORDER_EFFECTS = ("side_backoff", "balance_block")
NOT_SENT_PAUSE_MS = 1_000


def _rejection(res: HttpResult) -> Rejection:
    return classify(res.status, error_text(res.body) or res.error, retry_after_ms(res.headers))


def observe(state: OrderState, res: HttpResult, bucket: Literal["orders", "cancels"], now: int) -> None:
    state.backoffs.on_answer(res.status, now)
    remaining = remaining_header(res.headers)
    if remaining is not None:
        (state.budget.orders if bucket == "orders" else state.budget.cancels).sync(remaining, now)


def on_posted(state: OrderState, req: PostOrders, res: HttpResult, now: int, ids: tuple[str, ...],
              fx: Effects) -> None:
    observe(state, res, "orders", now)
    if res.ok:
        legs = parse_legs(res.body)
        for i, cmd in enumerate(req.cmds):
            if i >= len(legs):
                state.to_limbo(cmd, ids[i], now, "no answer for this order in the batch reply", fx)
            elif legs[i].ok:
                state.placed(cmd, legs[i].order_id, legs[i].status, now, fx)
            else:
                reject(state, cmd, classify(400, legs[i].error), 0, now, fx)
        return
    if res.status == 0 and not res.sent:  # never left: nothing to reconcile, pause a second
        pause = Rejection("rejected", "rate_backoff", "", NOT_SENT_PAUSE_MS)
        retry = state.backoffs.apply(pause, "orders", now)
        for cmd in req.cmds:
            state.refuse(cmd, "rejected", retry, f"not sent: {res.error}", now, fx)
        return
    rej = _rejection(res)
    if rej.effect == "reconcile":
        for cmd, order_id in zip(req.cmds, ids, strict=True):
            state.to_limbo(cmd, order_id, now, rej.message, fx)
        return
    if rej.reason == "rate_limited":
        state.budget.orders.empty(now)
    retry = 0 if rej.effect in PER_ORDER_EFFECTS else state.backoffs.apply(rej, "orders", now)
    if rej.effect == "account":
        bus_events.announce(fx, bus_events.risk("account", "halt", "", f"order refused: {rej.message}", now))
    for cmd in req.cmds:
        reject(state, cmd, rej, retry, now, fx)


def reject(state: OrderState, cmd: PlaceOrder, rej: Rejection, retry_ms: int, now: int, fx: Effects) -> None:
    if rej.effect in PER_ORDER_EFFECTS:
        retry_ms = state.backoffs.apply(rej, "orders", now, cmd)
    if rej.effect == "balance_block":
        message = f"{rej.message}: {cmd.side} {cmd.asset} blocked for {retry_ms} ms"
        bus_events.announce(fx, bus_events.risk("balance", "halt", cmd.market, message, now))
    if rej.effect == "wallet" and not state.wallet_refusal:  # the shell exits 2 with the fix (config_error)
        state.refused_for_wallet(rej.message)
        bus_events.announce(fx, bus_events.risk("account", "halt", "", f"order refused: {rej.message}", now))
    state.refuse(cmd, rej.reason, retry_ms, rej.message, now, fx)


def on_cancelled(state: OrderState, req: CancelIds, res: HttpResult, now: int, ids: tuple[str, ...],
                 fx: Effects) -> None:
    observe(state, res, "cancels", now)
    if not res.ok:
        return cancel_failed(state, res, now, fx)
    canceled, not_canceled = parse_cancel(res.body)
    for order_id in canceled:
        state.gone(order_id, None, now, fx)
    for order_id, why in not_canceled.items():
        state.gone(order_id, why, now, fx)
    if any(order_id in state.to_cancel for order_id in req.ids):  # the venue did not say: ask again
        state.backoffs.apply(Rejection("rejected", "none", ""), "cancels", now)
    return None


def on_cancelled_all(state: OrderState, req: CancelEverything, res: HttpResult, now: int,
                     ids: tuple[str, ...], fx: Effects) -> None:
    observe(state, res, "cancels", now)
    state.cancel_all_answered(res.ok)
    if not res.ok:
        return cancel_failed(state, res, now, fx)
    canceled, not_canceled = parse_cancel(res.body)
    state.budget.cancels.charge(max(0, len(canceled) - len(req.ids)), now)
    for order_id in canceled:
        state.gone(order_id, None, now, fx)
    for order_id in req.ids:  # after a cancel-all, nothing of ours is left either way
        state.gone(order_id, not_canceled.get(order_id, "gone"), now, fx)
    return None


def cancel_failed(state: OrderState, res: HttpResult, now: int, fx: Effects) -> None:
    rej = _rejection(res)
    if rej.reason == "rate_limited":
        state.budget.cancels.empty(now)
    state.backoffs.apply(rej, "cancels", now)
    if rej.effect == "account":
        bus_events.announce(fx, bus_events.risk("account", "halt", "", f"cancel refused: {rej.message}", now))
    if n := state.quiet.count("cancel_failed"):  # retried every second while the venue refuses
        fx.note("cancel_failed", status=res.status, reason=rej.reason, message=rej.message,
                pending=len(state.to_cancel), count=n)


def on_lookup(state: OrderState, req: LookupOrder, res: HttpResult, now: int, ids: tuple[str, ...],
              fx: Effects) -> None:
    pending = state.limbo.get(req.order_id)
    if pending is None:
        return
    order = parse_order(res.body) if res.ok else None
    if order is not None and is_open(order.status):
        return state.found(pending, order.size_matched, now, fx)
    if res.ok or res.status == 404:  # not open, or it never arrived: confirm against the full list
        return state.reconcile_next(pending, "list", now)
    state.lookup_failed(pending, now)


def on_listed(state: OrderState, req: ListOrders, res: HttpResult, now: int, ids: tuple[str, ...],
              fx: Effects) -> None:
    if not res.ok:
        if n := state.quiet.count("list_orders_failed"):
            fx.note("list_orders_failed", status=res.status, error=res.error, count=n)
        return
    by_id = {o.order_id: o for o in parse_orders(res.body)}
    starting = state.sync.listed(now)
    apply_list(state, by_id, now, fx, starting=starting)  # may ask for another look
    if starting:
        state.sync.started()


def on_traded(state: OrderState, req: ListTrades, res: HttpResult, now: int, ids: tuple[str, ...],
              fx: Effects) -> None:
    """Orders neither open nor listed: filled at once (announce it, it does not rest) or never placed."""
    if not res.ok:
        if n := state.quiet.count("list_trades_failed"):
            fx.note("list_trades_failed", status=res.status, error=res.error, count=n)
        return
    traded = trade_order_ids(res.body)
    for pending in [p for p in state.limbo.values() if p.stage == "trades"]:
        state.not_found(pending, pending.order_id in traded, now, fx)


Handler = Callable[[OrderState, Any, HttpResult, int, tuple[str, ...], Effects], None]
REPLIES: dict[type, Handler] = {PostOrders: on_posted, CancelIds: on_cancelled,
                                CancelEverything: on_cancelled_all, LookupOrder: on_lookup,
                                ListOrders: on_listed, ListTrades: on_traded}
