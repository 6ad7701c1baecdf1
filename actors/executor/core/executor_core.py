"""The executor's functional core: commands + venue replies + time -> requests to send and bus events.

No sockets, clocks, env or logging. The shell feeds it commands (``on_command``), asks for the next
request to perform (``next_request``) until there is none, performs each one (signing, HTTP, or the
dry-run answer) and hands the result back (``on_reply``). Events accumulate in ``out`` and log notes
in ``notes``; the shell drains both.

Per flush, cancels go first (chunked to the cancel burst; ``cancel-all`` only with
``PM_EXEC_FOREIGN_ORDERS=cancel_all`` and when its whole cost fits, gotcha 15: otherwise a ``CancelAll``
command cancels what the engine holds, by id, and leaves the account's other orders alone), then
places (batches of <= 15 sharing type and post-only flag, never more than the order bucket holds),
then reconciliation lookups, then a periodic sync. Places are never carried over to a later flush:
what cannot go now is refused (``backoff`` / ``rate_limited``) so no stale quote is sent late.
Cancels are never dropped: they wait for tokens or the end of a back-off.

Replacing an order (a place on an occupied slot): the old order is cancelled and the new one placed.
With ``replace="pipelined"`` (the default) the place may be written first and the cancel right behind
it, on another connection, neither waiting for the other's reply: the new quote reaches the venue a
whole cancel round trip sooner (about 1.4 ms here), at the price of the old and the new order resting
(and possibly filling) together for the moments between the two requests. The executor knows no
positions or limits, so it does this only when the command says the overlap is safe: its
``overlap_with`` names the very order in the slot (its ``cmd_id``), which the coordinator sets only after
checking that both orders filling in full keeps inventory's limits (``actors.coordinator.overlap``).
Besides that: only on the same asset and side (two bids of ours cannot trade with each other), only
when no other order of that slot is still waiting for its cancel (the proof counts two orders, not
three), and only when the cancel can go at once (no cancel back-off, cancel tokens left); a cancel that
then fails stays queued (never dropped) and is retried behind its back-off. Every other replacement, and
every one with ``replace="confirmed"``, is placed only after the venue answered the cancel (a place whose
old order is still not cancelled is refused as ``backoff``). Other cancels (risk-reducing) always go
first.

A command that touches a place still waiting in this flush (same slot, same holder+market, or a
cancel-all) is a *conflict*: the shell flushes first, so commands keep their order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import msgspec

from actors.executor.core import bus_events as events
from actors.executor.core import foreign_orders as foreign
from actors.executor.core import reply_handlers as outcomes
from actors.executor.core.backoffs import Backoffs
from actors.executor.core.foreign_orders import ForeignOrders, ForeignPolicy
from actors.executor.core.order_state import Intent, Pending, fail, found, gone
from actors.executor.core.rate_limits import Budget
from actors.executor.core.registry import Live, Registry
from actors.executor.core.silence import Silence
from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    HttpResult,
    ListOrders,
    ListTrades,
    LookupOrder,
    PostOrders,
    Request,
)
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    Command,
    ExecutorState,
    Lease,
    LeaseRelease,
    OpenOrders,
    OrderUpdate,
    PlaceOrder,
)
from schemas.units import MS, NS

MAX_BATCH = 15
GTD_HEADROOM_NS = 60 * NS  # gotcha 18: a GTD expiration must leave the venue's 1-minute buffer
LIST_RETRY_MS = 1_000
_NONE: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Params:
    dry_run: bool = False
    allow_taker_exit: bool = False
    startup: Literal["cancel", "adopt"] = "cancel"
    rate_tier: str = "standard"
    cross_ms: int = 1_000
    balance_ms: int = 30_000
    rate_ms: int = 10_000
    post_only_ms: int = 120_000
    reconcile_ms: int = 1_000
    heartbeat_ms: int = 1_000  # the bus heartbeat interval of coordinators
    silence_beats: int = 3
    # "pipelined": a replacing place whose command allows it (``overlap_with``) is written first and the
    # cancel of the order it replaces right behind it, without waiting for either reply; "confirmed" (and
    # every replacement the command does not allow to overlap): only once the venue answered the cancel
    replace: Literal["pipelined", "confirmed"] = "pipelined"
    foreign_orders: ForeignPolicy = "cancel_traded"  # orders the engine did not place (``foreign``)


class PendingPlace(NamedTuple):
    cmd: PlaceOrder
    replaces: str  # id of the order this one replaces in its slot ("" if none)


class ExecutorCore:
    def __init__(self, params: Params, now: int, stored: list[Live] | None = None) -> None:
        self.p = params
        self.registry = Registry()
        self.stored = {live.order_id: live for live in stored or []}  # start-up candidates
        self.budget = Budget(params.rate_tier, now)
        self.backoffs = Backoffs(cross_ms=params.cross_ms, balance_ms=params.balance_ms,
                                 rate_ms=params.rate_ms, post_only_ms=params.post_only_ms)
        self.silence = Silence(interval_ms=params.heartbeat_ms, beats=params.silence_beats,
                               check_ms=max(1, params.heartbeat_ms // 2))
        self.to_cancel: dict[str, Intent] = {}
        self.cancelling: set[str] = set()  # ids of cancels sent whose reply is not in yet
        self.cancel_all: Intent | None = None  # a cancel-all to send
        self.cancel_all_sent: Intent | None = None  # the one in flight
        self.places: list[PendingPlace] = []
        self.limbo: dict[str, Pending] = {}
        self.deferred: list[Command] = []
        self.ready = params.dry_run  # start-up sync done (nothing to sync in dry run)
        self.sync_wanted = False
        self.list_at = 0  # earliest time for the next ListOrders
        self.heartbeat_wanted = False  # an order may be live: arm the venue's dead-man switch
        self.venue_lost = False  # the venue was unreachable: reconcile once it answers again
        self.foreign = ForeignOrders(params.foreign_orders)  # orders of the account the engine did not place
        self.out: list[events.Out] = []
        self.notes: list[tuple[str, dict[str, Any]]] = []  # (log event, fields) for the shell
        self._handlers = {PlaceOrder: self._place, CancelOrders: self._cancel_orders,
                          CancelMarket: self._cancel_market, CancelAll: self._cancel_everything}

    # -- commands -------------------------------------------------------------------------------

    def conflicts(self, cmd: Command) -> bool:
        """Does ``cmd`` touch a place still waiting in this flush? Then flush before applying it."""
        if not self.places:
            return False
        if isinstance(cmd, CancelAll):
            return True
        if isinstance(cmd, CancelMarket):
            return any(p.cmd.holder == cmd.holder and p.cmd.market == cmd.market for p in self.places)
        if isinstance(cmd, PlaceOrder):
            return bool(cmd.slot) and any(p.cmd.holder == cmd.holder and p.cmd.slot == cmd.slot
                                          for p in self.places)
        slots = set(cmd.slots)
        slots.discard("")
        return any(p.cmd.holder == cmd.holder and p.cmd.slot in slots for p in self.places)

    def on_command(self, cmd: Command, now: int) -> None:
        self.silence.heard(cmd.holder, now)
        if not self.ready:
            if isinstance(cmd, PlaceOrder):
                fail(self, cmd, "backoff", 1_000, "executor is starting up", now)
            else:
                self.deferred.append(cmd)
            return
        self._handlers[type(cmd)](cmd, now)  # type: ignore[operator]

    def _place(self, cmd: PlaceOrder, now: int) -> None:
        problem = events.check_place(cmd, self.p.allow_taker_exit)
        if problem is None and cmd.order_type == "GTD" and cmd.expiration * NS <= now + GTD_HEADROOM_NS:
            problem = "GTD expiration needs more than 60 s of headroom (the venue's security threshold)"
        if problem is not None:
            return fail(self, cmd, "invalid", 0, problem, now)
        refusal = self.backoffs.refusal(cmd, now)
        if refusal is not None:
            return fail(self, cmd, *refusal, now)
        pending = self._limbo_in(cmd.holder, cmd.slot)
        if pending is not None:
            return fail(self, cmd, "unknown_outcome", max(1, (pending.due - now) // MS),
                        f"reconciling order {pending.order_id} on this slot", now)
        if cmd.taker_exit:
            self.out.append(events.risk("taker_exit", "warn", cmd.market,
                                        f"{cmd.holder}: taker exit {cmd.order_type} {cmd.side} {cmd.asset} "
                                        f"{cmd.size} @ {cmd.price}", now))
        old = self.registry.in_slot(cmd.holder, cmd.slot)
        if old is not None:
            self.to_cancel.setdefault(old.order_id, Intent(cmd.cmd_id, cmd.holder, "replaced"))
        self.places.append(PendingPlace(cmd, old.order_id if old is not None else ""))
        return None

    def _cancel_orders(self, cmd: CancelOrders, now: int) -> None:
        intent = Intent(cmd.cmd_id, cmd.holder, cmd.reason or "cancel")
        targets = list(cmd.order_ids)
        for slot in cmd.slots:
            live = self.registry.in_slot(cmd.holder, slot)
            pending = self._limbo_in(cmd.holder, slot)
            targets += [x.order_id for x in (live, pending) if x is not None]
        self._mark(targets, intent)

    def _cancel_market(self, cmd: CancelMarket, now: int) -> None:
        targets = [o.order_id for o in self.registry.of(cmd.holder, cmd.market)]
        targets += [p.order_id for p in self.limbo.values()
                    if p.cmd.holder == cmd.holder and p.cmd.market == cmd.market]
        self._mark(targets, Intent(cmd.cmd_id, cmd.holder, cmd.reason or "cancel_market"))

    def _cancel_everything(self, cmd: CancelAll, now: int) -> None:
        intent = Intent(cmd.cmd_id, cmd.holder, cmd.reason or "cancel_all")
        self._mark([*self.registry.orders, *self.limbo], intent)
        self.cancel_all = intent

    def _mark(self, order_ids: list[str], intent: Intent) -> None:
        for order_id in order_ids:
            pending = self.limbo.get(order_id)
            if pending is not None:
                pending.cancel = pending.cancel or intent
            else:
                self.to_cancel.setdefault(order_id, intent)

    def _limbo_in(self, holder: str, slot: str) -> Pending | None:
        if not slot or not self.limbo:
            return None
        return next((p for p in self.limbo.values() if p.cmd.holder == holder and p.cmd.slot == slot), None)

    # -- other inputs ---------------------------------------------------------------------------

    def on_coordinator_heartbeat(self, holder: str, now: int) -> None:
        self.silence.heard(holder, now)

    def on_order_update(self, upd: OrderUpdate, now: int) -> None:
        """The user-feed's view of one of our orders: fills, venue cancels, expiries."""
        done = upd.kind == "CANCELLATION" or upd.status not in ("LIVE", "DELAYED")
        pending = self.limbo.get(upd.order_id)
        if pending is not None and not done:
            return found(self, pending, upd.size_matched, now)
        live = self.registry.get(upd.order_id)
        if live is None:
            return None
        if done:
            reason = "filled" if upd.status == "MATCHED" else upd.status.lower()
            return gone(self, upd.order_id, reason, now)
        if upd.size_matched != live.size_matched:
            self.registry.put(msgspec.structs.replace(live, size_matched=upd.size_matched))
        return None

    def check_silence(self, now: int) -> None:
        holding = self.registry.holders() | {p.cmd.holder for p in self.limbo.values()}
        for holder in self.silence.silent(now, holding):
            intent = Intent("", holder, "coordinator_silent")
            orders = self.registry.of(holder)
            self._mark([o.order_id for o in orders] + [p.order_id for p in self.limbo.values()
                                                       if p.cmd.holder == holder], intent)
            markets = sorted({o.market for o in orders})
            self.out.append(events.risk("coordinator_silent", "warn", holder,
                                        f"no heartbeat from market:{holder} for "
                                        f"{self.silence.limit_ns // MS} ms: cancelling its orders "
                                        f"in {len(markets)} market(s)", now))

    def request_sync(self) -> None:
        if not self.p.dry_run:
            self.sync_wanted = True

    def on_lease(self, lease: Lease, now: int) -> None:
        """A coordinator trades ``lease.market``: a foreign order held there may have to go now."""
        self.foreign.leases.on_lease(lease, now)
        if self.foreign.holds_in(lease.market):
            foreign.sweep(self, now)

    def on_lease_release(self, release: LeaseRelease) -> None:
        self.foreign.leases.on_release(release)

    def check_foreign(self, now: int) -> None:
        """Periodic: report foreign orders left alone past their settling time (once each)."""
        foreign.sweep(self, now)

    def exit_cancels(self) -> list[CancelIds]:
        """What to cancel on a clean exit: every order the engine holds (registry, limbo), by id, in
        chunks of one cancel burst; never ``DELETE /cancel-all`` (the account's other orders stay)."""
        ids = sorted({*self.registry.orders, *self.limbo, *self.to_cancel})
        size = self.budget.cancels.burst
        return [CancelIds(tuple(ids[i:i + size])) for i in range(0, len(ids), size)]

    # -- requests -------------------------------------------------------------------------------

    def may_overlap(self, req: Request) -> bool:
        """May ``req`` be in flight together with the other cancels and places of this flush? Not a
        cancel that a waiting place must see answered first (a replacement on another side or asset)."""
        if self.p.replace != "pipelined":
            return False
        if isinstance(req, CancelIds):
            return not any(p.replaces in req.ids for p in self.places)
        return isinstance(req, PostOrders)

    def _place_first(self, place: PendingPlace) -> bool:
        """May ``place`` go out before the cancel of the order it replaces? Only pipelined; only if the
        command names that very order as safe to overlap with (``overlap_with`` = its ``cmd_id``); only on
        the same asset and side (two bids, or two asks, of ours cannot trade with each other); and only if
        no other order of the slot still waits for its cancel."""
        cmd = place.cmd
        if self.p.replace != "pipelined" or not cmd.overlap_with or place.replaces not in self.to_cancel:
            return False
        old = self.registry.get(place.replaces)
        return (old is not None and old.cmd_id == cmd.overlap_with and old.asset == cmd.asset
                and old.side == cmd.side and not self._retiring_beside(old))

    def _retiring_beside(self, old: Live) -> bool:
        """Does another order of ``old``'s slot still wait for its cancel (one that failed earlier)?"""
        for order_id in self.to_cancel:
            other = self.registry.get(order_id) if order_id != old.order_id else None
            if other is not None and other.holder == old.holder and other.slot == old.slot:
                return True
        return False

    def on_sent(self, req: Request) -> None:
        """``req`` was written (its reply comes later, through ``on_reply``)."""
        if isinstance(req, CancelIds):
            self.cancelling.update(req.ids)

    def next_request(self, now: int) -> Request | None:
        """The next request to send. Between two calls the shell either hands the reply back
        (``on_reply``) or, for requests that ``may_overlap``, only says it was sent (``on_sent``)."""
        if not self.ready:
            return self._list(now)
        # cancels sent right behind their place
        after = {p.replaces for p in self.places if self._place_first(p)} if self.places else _NONE
        return (self._next_cancel(now, after) or self._next_places(now) or self._next_cancel(now)
                or self._next_lookup(now) or (self._list(now) if self.sync_wanted else None))

    def _list(self, now: int) -> Request | None:
        if now < self.list_at:
            return None
        self.list_at = now + LIST_RETRY_MS * MS  # until the reply says otherwise
        return ListOrders()

    def _cancel_room(self, now: int) -> int:
        """How many ids a cancel sent now may carry."""
        if self.backoffs.cancels_blocked(now):
            return 0
        bucket = self.budget.cancels
        return max(0, min(bucket.burst, bucket.tokens(now)))

    def _next_cancel(self, now: int, skip: set[str] | frozenset[str] = frozenset()) -> Request | None:
        if not (self.to_cancel or self.cancel_all) or self.backoffs.cancels_blocked(now):
            return None
        bucket = self.budget.cancels
        intent, self.cancel_all = self.cancel_all, None
        if intent is not None and not self.p.dry_run and self.p.foreign_orders == "cancel_all":
            everything = tuple(sorted(set(self.to_cancel) | set(self.registry.orders)))
            if bucket.take(len(everything) + 1, now):  # else too many for one cancel-all: ids, in chunks
                self.cancel_all_sent = intent
                return CancelEverything(everything)
        waiting = [order_id for order_id in self.to_cancel if order_id not in self.cancelling
                   and order_id not in skip]
        count = min(len(waiting), bucket.burst, bucket.tokens(now))
        if count <= 0:
            return None
        bucket.take(count, now)
        return CancelIds(tuple(waiting[:count]))

    def _next_places(self, now: int) -> Request | None:
        cancel_room = self._cancel_room(now)  # for the cancels that follow their place
        while self.places:
            batch: list[PlaceOrder] = []
            rest: list[PendingPlace] = []
            for place in self.places:
                cmd = place.cmd
                if len(batch) == MAX_BATCH or (batch and (cmd.order_type, cmd.post_only) != (
                        batch[0].order_type, batch[0].post_only)):
                    rest.append(place)
                    continue
                refusal = self.backoffs.refusal(cmd, now)
                if refusal is not None:
                    fail(self, cmd, *refusal, now)
                elif place.replaces in self.to_cancel and not (self._place_first(place) and cancel_room > 0):
                    fail(self, cmd, "backoff", 1_000, "the previous order on this slot is not cancelled yet",
                         now)
                else:
                    if place.replaces in self.to_cancel:
                        cancel_room -= 1
                    batch.append(cmd)
            self.places = rest
            bucket = self.budget.orders
            room = max(0, min(len(batch), bucket.tokens(now)))
            if room:
                bucket.take(room, now)
            for cmd in batch[room:]:
                wait_ms = max(1, bucket.wait_ns(1, now) // MS)
                fail(self, cmd, "rate_limited", wait_ms, "per-signer order budget exhausted", now)
            if room:
                return PostOrders(tuple(batch[:room]))
        return None

    def _next_lookup(self, now: int) -> Request | None:
        """Reconcile orders of unknown outcome: by id, then in the open list, then among recent trades."""
        due = [p for p in self.limbo.values() if p.due <= now]
        for pending in due:
            if pending.stage == "lookup":
                pending.due = now + self.p.reconcile_ms * MS
                return LookupOrder(pending.order_id)
        if any(p.stage == "list" for p in due):
            return self._list(now)
        for pending in due:
            pending.due = now + self.p.reconcile_ms * MS
        return ListTrades() if due else None

    # -- replies --------------------------------------------------------------------------------

    def on_reply(self, req: Request, res: HttpResult, now: int, order_ids: tuple[str, ...] = ()) -> None:
        if res.status == 0 and not res.sent:  # could not even connect
            self.venue_lost = True
        elif self.venue_lost:  # the venue answers again: what happened meanwhile is only in its list
            self.venue_lost = False
            self.request_sync()
            self.notes.append(("venue_reconnected", {"request": type(req).__name__}))
        if isinstance(req, CancelIds | CancelEverything):
            self.cancelling.difference_update(req.ids)
        outcomes.REPLIES[type(req)](self, req, res, now, order_ids)

    # -- views ----------------------------------------------------------------------------------

    def state(self, now: int, heartbeat_armed: bool) -> ExecutorState:
        mode = "dry_run" if self.p.dry_run else self.backoffs.mode(now)
        return ExecutorState(mode=mode, heartbeat_armed=heartbeat_armed,
                             order_tokens=self.budget.orders.tokens(now),
                             cancel_tokens=self.budget.cancels.tokens(now), ts=now)

    def open_orders(self, now: int) -> OpenOrders:
        self.registry.dirty = False
        return OpenOrders(orders=self.registry.view(), ts=now)

    def drain(self) -> tuple[list[events.Out], list[tuple[str, dict[str, Any]]]]:
        out, notes = self.out, self.notes
        self.out, self.notes = [], []
        return out, notes
