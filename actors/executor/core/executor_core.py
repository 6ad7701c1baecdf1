"""The executor's functional core: commands + venue replies + time -> requests to send and bus events.

No sockets, clocks, env or logging. The shell feeds it commands (``on_command``), asks for the next
request to perform (``next_request``) until there is none, performs each one (signing, HTTP, or the
dry-run answer) without waiting for its reply, and hands the reply back when it is in (``on_reply``).
Every entry point that may announce something fills the ``Effects`` it is handed (bus events with their
log lines, and log notes); the shell makes the registry durable, then applies them (``Node.apply``).

The state is ``OrderState`` (the only writer of its fields); the rules live beside it: ``commands`` (what
each command does, and when one must wait for replies in flight), ``scheduling`` (what goes next),
``replacement`` (place-first or cancel-first), ``reply_handlers`` (one per request type), ``venue_list``
(start-up and sync), ``rejections`` and ``backoffs`` (what a refusal means and the windows it opens).
"""

from __future__ import annotations

from actors.executor.core import bus_events, commands, replacement, scheduling
from actors.executor.core.order_state import Intent, OrderState
from actors.executor.core.params import Params
from actors.executor.core.registry import Live
from actors.executor.core.reply_handlers import REPLIES
from actors.executor.core.venue_requests import CancelIds, HttpResult, PostOrders, Request
from bus.effects import Effects
from schemas import Command, ExecutorState, Lease, LeaseRelease, OpenOrders, OrderUpdate, PlaceOrder
from schemas.units import MS


class ExecutorCore:
    __slots__ = ("state",)

    def __init__(self, params: Params, now: int, stored: list[Live] | None = None) -> None:
        self.state = OrderState(params, now, stored)

    # -- views for the shell --------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        return self.state.sync.ready

    @property
    def heartbeat_wanted(self) -> bool:
        return self.state.heartbeat_wanted

    @property
    def wallet_refusal(self) -> str:
        """The venue's first refusal of an order for the wallet type ("" if none): the shell exits 2."""
        return self.state.wallet_refusal

    def executor_state(self, now: int, heartbeat_armed: bool) -> ExecutorState:
        state = self.state
        mode = "dry_run" if state.p.dry_run else state.backoffs.mode(now)
        return ExecutorState(mode=mode, heartbeat_armed=heartbeat_armed,
                             order_tokens=state.budget.orders.tokens(now),
                             cancel_tokens=state.budget.cancels.tokens(now), ts=now)

    def open_orders(self, now: int) -> OpenOrders:
        """The ``OpenOrders`` view (published when it changed, and periodically)."""
        return self.state.open_orders(now)

    def exit_cancels(self) -> list[CancelIds]:
        """What to cancel on a clean exit: every order the engine holds (registry, limbo), by id, in
        chunks of one cancel burst; never ``DELETE /cancel-all`` (the account's other orders stay)."""
        return self.state.exit_cancels()

    # -- commands and other inputs --------------------------------------------------------------

    def conflicts(self, cmd: Command) -> bool:
        return commands.conflicts(self.state, cmd)

    def on_command(self, cmd: Command, now: int, fx: Effects) -> None:
        state = self.state
        state.silence.heard(cmd.holder, now)
        if not state.sync.ready:
            if isinstance(cmd, PlaceOrder):
                state.refuse(cmd, "backoff", 1_000, "executor is starting up", now, fx)
            else:
                state.sync.defer(cmd)
            return
        if state.flight.held or commands.conflicts(state, cmd):
            state.flight.hold(cmd)  # applied once the replies it depends on are in
            return
        commands.HANDLERS[type(cmd)](state, cmd, now, fx)

    def on_order_update(self, upd: OrderUpdate, now: int, fx: Effects) -> None:
        """The user-feed's view of one of our orders: fills, venue cancels, expiries."""
        if self.state.flight.held or self._update_waits(upd):
            self.state.flight.hold(upd)
            return
        self._apply_update(upd, now, fx)

    def _update_waits(self, upd: OrderUpdate) -> bool:
        flight = self.state.flight
        return bool(flight) and (flight.exclusive > 0 or upd.order_id in flight.cancelling
                                 or flight.placing(upd.order_id))

    def _apply_update(self, upd: OrderUpdate, now: int, fx: Effects) -> None:
        state = self.state
        done = upd.kind == "CANCELLATION" or upd.status not in ("LIVE", "DELAYED")
        pending = state.limbo.get(upd.order_id)
        if pending is not None and not done:
            return state.found(pending, upd.size_matched, now, fx)
        live = state.registry.get(upd.order_id)
        if live is None:
            return None
        if done:
            why = "filled" if upd.status == "MATCHED" else upd.status.lower()
            return state.gone(upd.order_id, why, now, fx)
        return state.matched(live, upd.size_matched)

    def on_coordinator_heartbeat(self, holder: str, now: int) -> None:
        self.state.silence.heard(holder, now)

    def check_silence(self, now: int, fx: Effects) -> None:
        state = self.state
        holding = state.registry.holders() | {p.cmd.holder for p in state.limbo.values()}
        busy = {c.holder for req, _ in state.flight.places for c in req.cmds}  # judged once those are in
        for holder in state.silence.silent(now, holding - busy):
            orders = state.registry.of(holder)
            state.mark([o.order_id for o in orders] + [p.order_id for p in state.limbo.values()
                                                       if p.cmd.holder == holder],
                       Intent("", holder, "coordinator_silent"))
            markets = sorted({o.market for o in orders})
            bus_events.announce(fx, bus_events.risk(
                "coordinator_silent", "warn", holder,
                f"no heartbeat from market:{holder} for {state.silence.limit_ns // MS} ms: cancelling its "
                f"orders in {len(markets)} market(s)", now))

    def request_sync(self) -> None:
        self.state.sync.want()

    def on_lease(self, lease: Lease, now: int, fx: Effects) -> None:
        """A coordinator trades ``lease.market``: a foreign order held there may have to go now."""
        state = self.state
        state.foreign.leases.on_lease(lease, now)
        if state.foreign.holds_in(lease.market):
            state.sweep_foreign(now, fx)

    def on_lease_release(self, release: LeaseRelease) -> None:
        self.state.foreign.leases.on_release(release)

    def check_foreign(self, now: int, fx: Effects) -> None:
        """Periodic: report foreign orders left alone past their settling time (once each)."""
        self.state.sweep_foreign(now, fx)

    def prune(self, now: int) -> None:
        """Forget expired per-side back-off windows."""
        self.state.backoffs.prune(now)

    # -- requests and replies -------------------------------------------------------------------

    def next_request(self, now: int, fx: Effects) -> Request | None:
        """The next request to send (it counts as in flight from now until its reply is handed back). The
        messages held behind replies that are now in are applied first."""
        state = self.state
        if state.flight.held:
            self._release_held(now, fx)
        req = scheduling.next_request(state, now, fx)
        while req is None and state.flight.held and self._release_held(now, fx):
            req = scheduling.next_request(state, now, fx)  # the queue they waited for was refused, not sent
        if req is not None:
            state.flight.handed_out(req)
        return req

    def may_overlap(self, req: Request) -> bool:
        return replacement.may_overlap(self.state, req)

    def on_sent(self, req: Request, order_ids: tuple[str, ...] = ()) -> None:
        """``req`` was written; for a place, ``order_ids`` are the ids it was signed with."""
        if isinstance(req, PostOrders):
            self.state.flight.signed(req, order_ids)

    def on_reply(self, req: Request, res: HttpResult, now: int, fx: Effects,
                 order_ids: tuple[str, ...] = ()) -> None:
        state = self.state
        if state.sync.on_answer(res.status, res.sent):
            fx.note("venue_reconnected", request=type(req).__name__)
        state.flight.answered(req)
        REPLIES[type(req)](state, req, res, now, order_ids, fx)
        if state.sync.ready and state.sync.deferred:
            for cmd in state.sync.take_deferred():
                self.on_command(cmd, now, fx)
        if state.flight.held:
            self._release_held(now, fx)

    def _release_held(self, now: int, fx: Effects) -> int:
        """Apply the held messages that no longer wait, in order; returns how many."""
        state = self.state
        flight = state.flight
        released = 0
        while (msg := flight.next_held()) is not None:
            if isinstance(msg, OrderUpdate):
                if self._update_waits(msg):
                    break
                flight.release()
                self._apply_update(msg, now, fx)
            else:
                if commands.conflicts(state, msg):
                    break
                flight.release()
                commands.HANDLERS[type(msg)](state, msg, now, fx)
            released += 1
        return released

    def changes(self) -> tuple[list[Live], list[str]]:
        """The registry's changes since the last call, for the durable store."""
        return self.state.registry.drain_changes()

    @property
    def orders_changed(self) -> bool:
        return self.state.registry.dirty

    def __len__(self) -> int:
        return len(self.state.registry)


__all__ = ["ExecutorCore", "Params"]
