"""What to send next (pure): the core hands the shell one request at a time.

Per flush, cancels go first (chunked to the cancel burst; ``cancel-all`` only with
``PM_EXEC_FOREIGN_ORDERS=cancel_all`` and when its whole cost fits, gotcha 15: otherwise a ``CancelAll``
command cancels what the engine holds, by id, and leaves the account's other orders alone), except the
cancels that go right behind their place (``replacement``); then places (batches of <= 15 sharing type
and post-only flag, never more than the order bucket holds), then reconciliation lookups, then a sync.
Places are never carried over to a later flush: what cannot go now is refused (``backoff`` /
``rate_limited``) so no stale quote is sent late. Cancels are never dropped: they wait for tokens or the
end of a back-off. Before start-up is done, only the start-up listing goes.
"""

from __future__ import annotations

from actors.executor.core.order_state import OrderState, PendingPlace
from actors.executor.core.replacement import place_first
from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    ListOrders,
    ListTrades,
    LookupOrder,
    PostOrders,
    Request,
)
from bus.effects import Effects
from schemas import PlaceOrder
from schemas.units import MS

MAX_BATCH = 15
_NONE: frozenset[str] = frozenset()


def next_request(state: OrderState, now: int, fx: Effects) -> Request | None:
    if not state.sync.ready:
        return _list(state, now)
    after = {p.replaces for p in state.places if place_first(state, p)} if state.places else _NONE
    return (_next_cancel(state, now, after) or _next_places(state, now, fx) or _next_cancel(state, now)
            or _next_lookup(state, now) or (_list(state, now) if state.sync.wanted else None))


def _list(state: OrderState, now: int) -> Request | None:
    return ListOrders() if state.sync.may_list(now) else None


def _cancel_room(state: OrderState, now: int) -> int:
    """How many ids a cancel sent now may carry."""
    if state.backoffs.cancels_blocked(now):
        return 0
    bucket = state.budget.cancels
    return max(0, min(bucket.burst, bucket.tokens(now)))


def _next_cancel(state: OrderState, now: int, skip: set[str] | frozenset[str] = _NONE) -> Request | None:
    if not (state.to_cancel or state.cancel_all) or state.backoffs.cancels_blocked(now):
        return None
    bucket = state.budget.cancels
    intent = state.take_cancel_all()
    if intent is not None and not state.p.dry_run and state.p.foreign_orders == "cancel_all":
        everything = tuple(sorted(set(state.to_cancel) | set(state.registry.orders)))
        if bucket.take(len(everything) + 1, now):  # else too many for one cancel-all: ids, in chunks
            state.cancel_all_sending(intent)
            return CancelEverything(everything)
    cancelling = state.flight.cancelling
    waiting = [i for i in state.to_cancel if i not in cancelling and i not in skip]
    count = min(len(waiting), bucket.burst, bucket.tokens(now))
    if count <= 0:
        return None
    bucket.take(count, now)
    return CancelIds(tuple(waiting[:count]))


def _next_places(state: OrderState, now: int, fx: Effects) -> Request | None:
    cancel_room = _cancel_room(state, now)  # for the cancels that follow their place
    while state.places:
        batch: list[PlaceOrder] = []
        rest: list[PendingPlace] = []
        for place in state.take_places():
            cmd = place.cmd
            if len(batch) == MAX_BATCH or (batch and (cmd.order_type, cmd.post_only) != (
                    batch[0].order_type, batch[0].post_only)):
                rest.append(place)
                continue
            refusal = state.backoffs.refusal(cmd, now)
            if refusal is not None:
                state.refuse(cmd, *refusal, now, fx)
            elif place.replaces in state.to_cancel and not (place_first(state, place) and cancel_room > 0):
                why = "the previous order on this slot is not cancelled yet"
                state.refuse(cmd, "backoff", 1_000, why, now, fx)
            else:
                if place.replaces in state.to_cancel:
                    cancel_room -= 1
                batch.append(cmd)
        state.put_back(rest)
        bucket = state.budget.orders
        room = max(0, min(len(batch), bucket.tokens(now)))
        if room:
            bucket.take(room, now)
        for cmd in batch[room:]:
            wait_ms = max(1, bucket.wait_ns(1, now) // MS)
            state.refuse(cmd, "rate_limited", wait_ms, "per-signer order budget exhausted", now, fx)
        if room:
            return PostOrders(tuple(batch[:room]))
    return None


def _next_lookup(state: OrderState, now: int) -> Request | None:
    """Reconcile orders of unknown outcome: by id, then in the open list, then among recent trades."""
    due = [p for p in state.limbo.values() if p.due <= now]
    for pending in due:
        if pending.stage == "lookup":
            state.lookup_due(pending, now + state.p.reconcile_ms * MS)
            return LookupOrder(pending.order_id)
    if any(p.stage == "list" for p in due):
        return _list(state, now)
    for pending in due:
        state.lookup_due(pending, now + state.p.reconcile_ms * MS)
    return ListTrades() if due else None
