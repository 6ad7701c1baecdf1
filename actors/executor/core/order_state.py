"""The executor's order state, and the only writer of its fields (pure).

``OrderState`` holds every order we believe is open (``registry``), the cancels to send (``to_cancel``),
the places queued for this flush (``places``), the orders of unknown outcome being reconciled
(``limbo``), and the objects that hold the rest of the core's state, each the only writer of its own
fields: the rate-limit ``budget``, the ``backoffs``, coordinator ``silence``, ``foreign`` orders, the
``sync`` with the venue's list and the requests in ``flight``. The rules (``commands``, ``scheduling``,
``reply_handlers``, ``venue_list``) read this state and change it only through the methods below; each
method that changes what the engine announces puts the bus event (with its log line) into the step's
``Effects``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal, NamedTuple

import msgspec

from actors.executor.core import bus_events
from actors.executor.core.backoffs import Backoffs
from actors.executor.core.foreign_orders import ForeignOrders, report_message
from actors.executor.core.in_flight import InFlight
from actors.executor.core.params import Params
from actors.executor.core.rate_limits import Budget
from actors.executor.core.registry import UNOWNED, Live, Registry
from actors.executor.core.reply_bodies import VenueOrder
from actors.executor.core.silence import Silence
from actors.executor.core.sync_state import SyncState
from actors.executor.core.venue_requests import CancelIds
from bus.effects import Effects
from bus.logs import Throttle
from schemas import FailReason, OpenOrders, PlaceOrder
from schemas.units import MS

RESTING = ("live", "delayed", "dry_run")  # answers after which the order rests on the book
REPEATING = "backoff"  # a refusal repeated at every re-quote while a window lasts: its log line is throttled


class Intent(NamedTuple):
    """Why an order is being cancelled, and on whose command."""

    cmd_id: str
    holder: str
    reason: str


@dataclass(slots=True)
class Pending:
    """An order of unknown outcome: its locally computed id is looked up before its slot is reused."""

    cmd: PlaceOrder
    order_id: str
    due: int
    attempts: int = 0
    stage: Literal["lookup", "list", "trades"] = "lookup"  # what is asked next
    cancel: Intent | None = None  # cancel it at once if it turns out to be live


class PendingPlace(NamedTuple):
    """A place queued for this flush, and the order it replaces in its slot ("" if none)."""

    cmd: PlaceOrder
    replaces: str


class OrderState:
    __slots__ = ("backoffs", "budget", "cancel_all", "cancel_all_sent", "flight", "foreign",
                 "heartbeat_wanted", "limbo", "p", "places", "quiet", "registry", "silence", "sync",
                 "to_cancel", "wallet_refusal")

    def __init__(self, params: Params, now: int, stored: list[Live] | None = None) -> None:
        self.p = params
        self.registry = Registry()
        self.budget = Budget(params.rate_tier, now)
        self.backoffs = Backoffs(cross_ms=params.cross_ms, balance_ms=params.balance_ms,
                                 rate_ms=params.rate_ms, post_only_ms=params.post_only_ms)
        self.silence = Silence(interval_ms=params.heartbeat_ms, beats=params.silence_beats,
                               check_ms=max(1, params.heartbeat_ms // 2))
        self.foreign = ForeignOrders(params.foreign_orders)  # orders of the account the engine did not place
        self.sync = SyncState(dry_run=params.dry_run, stored=stored)
        self.flight = InFlight()
        self.to_cancel: dict[str, Intent] = {}
        self.cancel_all: Intent | None = None  # a cancel-all to send
        self.cancel_all_sent: Intent | None = None  # the one in flight
        self.places: list[PendingPlace] = []
        self.limbo: dict[str, Pending] = {}
        self.heartbeat_wanted = False  # an order may be live: arm the venue's dead-man switch
        self.quiet = Throttle(first=10, every=100)  # log lines that can flood, by kind (and holder)
        self.wallet_refusal = ""  # the venue's first refusal of an order for the wallet type (exit 2 follows)

    # -- reads ----------------------------------------------------------------------------------

    def limbo_in(self, holder: str, slot: str) -> Pending | None:
        if not slot or not self.limbo:
            return None
        return next((p for p in self.limbo.values() if p.cmd.holder == holder and p.cmd.slot == slot), None)

    def engine_markets(self) -> set[str]:
        """Markets the engine has an order in, or about to be placed."""
        markets = {o.market for o in self.registry.orders.values() if o.holder != UNOWNED}
        markets.update(p.cmd.market for p in self.limbo.values())
        markets.update(p.cmd.market for p in self.places)
        markets.update(cmd.market for req, _ in self.flight.places for cmd in req.cmds)
        return markets

    def open_orders(self, now: int) -> OpenOrders:
        return OpenOrders(orders=self.registry.snapshot(), ts=now)

    def exit_cancels(self) -> list[CancelIds]:
        """Every order the engine holds (registry, limbo), by id, in chunks of one cancel burst."""
        ids = sorted({*self.registry.orders, *self.limbo, *self.to_cancel})
        size = self.budget.cancels.burst
        return [CancelIds(tuple(ids[i:i + size])) for i in range(0, len(ids), size)]

    def refused_for_wallet(self, message: str) -> None:
        """The venue refused an order for the account's wallet type: a configuration error."""
        self.wallet_refusal = self.wallet_refusal or message or "refused for the wallet type"

    # -- commands -------------------------------------------------------------------------------

    def queue_place(self, cmd: PlaceOrder) -> None:
        """Queue ``cmd`` for this flush; the order in its slot (if any) is to be cancelled, "replaced"."""
        old = self.registry.in_slot(cmd.holder, cmd.slot)
        if old is not None:
            self.to_cancel.setdefault(old.order_id, Intent(cmd.cmd_id, cmd.holder, "replaced"))
        self.places.append(PendingPlace(cmd, old.order_id if old is not None else ""))

    def mark(self, order_ids: list[str], intent: Intent) -> None:
        """Cancel these orders (an order of unknown outcome: as soon as it is found live)."""
        for order_id in order_ids:
            pending = self.limbo.get(order_id)
            if pending is not None:
                pending.cancel = pending.cancel or intent
            else:
                self.to_cancel.setdefault(order_id, intent)

    def request_cancel_all(self, intent: Intent) -> None:
        """Cancel everything the engine holds; ``DELETE /cancel-all`` only if the policy allows it."""
        self.mark([*self.registry.orders, *self.limbo], intent)
        self.cancel_all = intent

    # -- scheduling -----------------------------------------------------------------------------

    def take_places(self) -> list[PendingPlace]:
        places, self.places = self.places, []
        return places

    def put_back(self, places: list[PendingPlace]) -> None:
        """Places of the queue not batched this time (another type, or the batch was full)."""
        self.places = places

    def take_cancel_all(self) -> Intent | None:
        intent, self.cancel_all = self.cancel_all, None
        return intent

    def cancel_all_sending(self, intent: Intent) -> None:
        self.cancel_all_sent = intent

    def lookup_due(self, pending: Pending, due: int) -> None:
        pending.due = due

    # -- outcomes -------------------------------------------------------------------------------

    def refuse(self, cmd: PlaceOrder, reason: FailReason, retry_ms: int, message: str, now: int,
               fx: Effects) -> None:
        """Answer ``cmd`` with ``OrderFailed`` (every one is published; the log lines of ``backoff``
        refusals, one per re-quote while a window lasts, are throttled per holder)."""
        out = bus_events.failed(cmd, reason, retry_ms, message, now)
        if reason == REPEATING:
            bus_events.announce_quietly(fx, out, self.quiet.count(f"refused:{cmd.holder}"))
        else:
            bus_events.announce(fx, out)

    def placed(self, cmd: PlaceOrder, order_id: str, status: str, now: int, fx: Effects) -> None:
        if status in RESTING:
            self.registry.put(Live(order_id=order_id, holder=cmd.holder, slot=cmd.slot, market=cmd.market,
                                   asset=cmd.asset, side=cmd.side, price=cmd.price, size=cmd.size,
                                   post_only=cmd.post_only, cmd_id=cmd.cmd_id, created_ns=now))
            self.heartbeat_wanted = self.heartbeat_wanted or not self.p.dry_run
        bus_events.announce(fx, bus_events.placed(cmd, order_id, status, now))

    def gone(self, order_id: str, why: str | None, now: int, fx: Effects) -> None:
        """The order is no longer on the venue (cancelled, filled, expired): forget it, say so once."""
        intent = self.to_cancel.pop(order_id, None)
        live = self.registry.remove(order_id)
        if live is None and intent is None:
            return
        if live is None:
            live = Live(order_id=order_id, holder=intent.holder if intent else UNOWNED, slot="", market="",
                        asset="", side="BUY", price=0, size=0)
        bus_events.announce(fx, bus_events.cancelled(
            cmd_id=intent.cmd_id if intent else "", holder=live.holder, order_id=order_id, market=live.market,
            asset=live.asset, slot=live.slot, reason=why or (intent.reason if intent else "cancelled"),
            now=now))

    def matched(self, live: Live, size_matched: int) -> None:
        """The venue (or the user-feed) reports how much of an open order has filled."""
        if live.size_matched != size_matched:
            self.registry.put(msgspec.structs.replace(live, size_matched=size_matched))

    def to_limbo(self, cmd: PlaceOrder, order_id: str, now: int, why: str, fx: Effects) -> None:
        """No answer for this order: it may rest. Refuse it as ``unknown_outcome`` now; look it up later."""
        self.limbo[order_id] = Pending(cmd=cmd, order_id=order_id, due=now + self.p.reconcile_ms * MS)
        self.heartbeat_wanted = self.heartbeat_wanted or not self.p.dry_run
        fx.note("order_unknown_outcome", order_id=order_id, cmd_id=cmd.cmd_id, why=why)
        message = f"{why}; reconciling order {order_id}"
        self.refuse(cmd, "unknown_outcome", self.p.reconcile_ms, message, now, fx)

    def found(self, pending: Pending, size_matched: int, now: int, fx: Effects) -> None:
        """An order of unknown outcome is live after all: adopt it into its slot (cancel it if asked to)."""
        del self.limbo[pending.order_id]
        fx.note("order_reconciled", order_id=pending.order_id, found=True)
        self.placed(pending.cmd, pending.order_id, "live", now, fx)
        self.heartbeat_wanted = True
        live = self.registry.get(pending.order_id)
        if live is not None and size_matched:
            self.registry.put(msgspec.structs.replace(live, size_matched=size_matched))
        if pending.cancel is not None:
            self.to_cancel.setdefault(pending.order_id, pending.cancel)

    def not_found(self, pending: Pending, filled: bool, now: int, fx: Effects) -> None:
        """Neither open nor listed: it filled at once (announced, it does not rest) or was never placed."""
        del self.limbo[pending.order_id]
        fx.note("order_reconciled", order_id=pending.order_id, found=filled, filled=filled)
        if filled:
            self.placed(pending.cmd, pending.order_id, "matched", now, fx)

    def reconcile_next(self, pending: Pending, stage: Literal["lookup", "list", "trades"], due: int) -> None:
        pending.stage, pending.due = stage, due

    def lookup_failed(self, pending: Pending, now: int) -> None:
        """The lookup got no answer: ask again later, backing off."""
        pending.attempts += 1
        pending.due = now + self.p.reconcile_ms * MS * (1 << min(pending.attempts, 4))

    def cancel_all_answered(self, ok: bool) -> Intent | None:
        """The cancel-all in flight is answered; if it failed, it is to be sent again."""
        intent, self.cancel_all_sent = self.cancel_all_sent, None
        if not ok:
            self.cancel_all = self.cancel_all or intent or Intent("", bus_events.PROGRAM, "cancel_all")
        return intent

    # -- start-up and sync ----------------------------------------------------------------------

    def restore(self, stored: list[Live]) -> None:
        """What the last run knew is what we know (the durable registry, at start-up)."""
        self.registry.load(stored)

    def startup_done(self, cancel_every: bool) -> None:
        """Arm the dead-man switch only if orders are kept (``PM_EXEC_STARTUP=adopt``)."""
        self.heartbeat_wanted = bool(self.registry) and not cancel_every

    def cancel_at_startup(self) -> None:
        """``PM_EXEC_STARTUP=cancel``: every order the registry knows, listed or not yet."""
        for live in self.registry.of():
            self.to_cancel.setdefault(live.order_id, Intent("", live.holder, "startup"))
        self.cancel_all = Intent("", bus_events.PROGRAM, "startup")  # sent only if foreign_orders=cancel_all

    # -- foreign orders -------------------------------------------------------------------------

    def foreign_listed(self, strangers: list[VenueOrder], listed: Collection[str], now: int,
                       fx: Effects) -> int:
        """Apply the policy to one listing's foreign orders; returns how many are cancelled."""
        traded = self.foreign.traded(self.engine_markets(), now)
        cancelled = self.foreign.on_list(strangers, listed, traded, now)
        for order in cancelled:
            self._cancel_foreign(order, now)
        self.sweep_foreign(now, fx)
        return len(cancelled)

    def sweep_foreign(self, now: int, fx: Effects) -> None:
        """Cancel held foreign orders whose market became traded; report those left alone past settling."""
        if not self.foreign.held:
            return
        cancelled, reported = self.foreign.sweep(self.foreign.traded(self.engine_markets(), now), now)
        for order in cancelled:
            self._cancel_foreign(order, now)
        if cancelled:
            fx.note("foreign_orders_cancelled", order_ids=[o.order_id for o in cancelled][:20],
                    count=len(cancelled))
        for order in reported:
            bus_events.announce(fx, bus_events.risk("foreign_order", "info", order.market,
                                                    report_message(order, self.foreign.policy), now))

    def _cancel_foreign(self, order: VenueOrder, now: int) -> None:
        """Register it as ``unowned`` (so its cancel is announced with its market) and cancel it."""
        side: Literal["BUY", "SELL"] = "SELL" if order.side == "SELL" else "BUY"
        self.registry.put(Live(order_id=order.order_id, holder=UNOWNED, slot="", market=order.market,
                               asset=order.asset, side=side, price=order.price, size=order.size,
                               size_matched=order.size_matched, created_ns=now))
        self.to_cancel[order.order_id] = Intent("", UNOWNED, "unknown_order")
