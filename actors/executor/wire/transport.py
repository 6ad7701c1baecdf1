"""Performing the core's requests: over REST (``LiveTransport``) or not at all (``DryRunTransport``).

``start`` signs (a place) and writes a request and returns its ``Ticket``; ``finish`` hands back the reply
once it is in and None until then, never blocking (``Pump`` calls it when a connection is readable and on
every timer tick, which is also when a deadline is noticed). A listing of every page of our open orders
is one ticket: the next page is asked for when the previous one is in. ``wait`` and ``abandon`` are for
the exit only.

Dry run (``PM_VENUE=polymarket``, ``PM_DRY_RUN=true``): orders are signed exactly as they would be
sent (so ids and signing cost are real) and logged (order id, side, price, size; never a signature),
and the transport answers at once as the venue would: placed with status ``dry_run``, cancels
cancelled. No HTTP request of any kind leaves the process.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from actors.executor.wire.rest import OrderPages, RestClient, Sent
from actors.executor.wire.signing import OrderSigner, post_body
from bus.effects import Effects
from bus.logs import Logger
from clob.orders import OrderError, SignedOrder
from schemas import PlaceOrder


class Ticket:
    """A request started: the REST request in flight (``sent``), or its result if it is already known."""

    __slots__ = ("done", "ids", "pages", "sent")

    def __init__(self, sent: Sent | None, done: HttpResult | None, ids: tuple[str, ...] = (),
                 pages: OrderPages | None = None) -> None:
        self.sent, self.done, self.ids, self.pages = sent, done, ids, pages


def sign_all(signer: OrderSigner, cmds: Sequence[PlaceOrder], now_ms: int) -> list[SignedOrder] | str:
    try:
        return [signer.sign(cmd, now_ms) for cmd in cmds]
    except OrderError as error:  # the core validated these: a bug, reported as an invalid order
        return f"invalid order: {error}"


class LiveTransport:
    def __init__(self, rest: RestClient, signer: OrderSigner) -> None:
        self.rest = rest
        self.signer = signer

    def start(self, req: Request, now_ms: int) -> Ticket:
        rest = self.rest
        if isinstance(req, PostOrders):
            signed = sign_all(self.signer, req.cmds, now_ms)
            if isinstance(signed, str):
                return Ticket(None, HttpResult(status=400, body={"error": signed}), ("",) * len(req.cmds))
            owner = rest.creds.api_key if rest.creds is not None else ""
            path, body = post_body(req.cmds, signed, owner)
            return Ticket(rest.send_post(path, body), None, tuple(s.order_id for s in signed))
        if isinstance(req, CancelIds):
            return Ticket(rest.send_cancel_ids(list(req.ids)), None)
        if isinstance(req, CancelEverything):
            return Ticket(rest.send("DELETE", "/cancel-all"), None)
        if isinstance(req, LookupOrder):
            return Ticket(rest.send("GET", f"/data/order/{req.order_id}"), None)
        if isinstance(req, ListTrades):
            return Ticket(rest.send("GET", "/data/trades"), None)
        assert isinstance(req, ListOrders)
        return Ticket(rest.send_list_orders(), None, pages=OrderPages())

    def finish(self, ticket: Ticket) -> HttpResult | None:
        if ticket.done is not None:
            return ticket.done
        assert ticket.sent is not None
        res = self.rest.poll(ticket.sent)
        if res is None or ticket.pages is None:
            return res
        ticket.pages.add(res)  # one page of the listing is in: ask for the next, or done
        if ticket.pages.cursor is None:
            ticket.done = ticket.pages.result
            return ticket.done
        ticket.sent = self.rest.send_list_orders(ticket.pages.cursor)
        return None

    def wait(self, ticket: Ticket, timeout_s: float) -> None:
        if ticket.done is None and ticket.sent is not None:
            self.rest.wait(ticket.sent, timeout_s)

    def abandon(self, ticket: Ticket) -> HttpResult:
        if ticket.done is not None:
            return ticket.done
        assert ticket.sent is not None
        return self.rest.abandon(ticket.sent, "no reply before the executor stopped")


class DryRunTransport:
    def __init__(self, signer: OrderSigner, log: Logger) -> None:
        self.signer = signer
        self.log = log

    def start(self, req: Request, now_ms: int) -> Ticket:
        result, ids = self.perform(req, now_ms)
        return Ticket(None, result, ids)

    def finish(self, ticket: Ticket) -> HttpResult | None:
        return ticket.done

    def wait(self, ticket: Ticket, timeout_s: float) -> None:
        pass

    def abandon(self, ticket: Ticket) -> HttpResult:
        assert ticket.done is not None
        return ticket.done

    def perform(self, req: Request, now_ms: int) -> tuple[HttpResult, tuple[str, ...]]:
        if isinstance(req, PostOrders):
            signed = sign_all(self.signer, req.cmds, now_ms)
            if isinstance(signed, str):
                return HttpResult(status=400, body={"error": signed}), ("",) * len(req.cmds)
            legs = []
            for cmd, order in zip(req.cmds, signed, strict=True):
                self.log.info("dry_run_order", order_id=order.order_id, holder=cmd.holder, asset=cmd.asset,
                              side=cmd.side, price=cmd.price, size=cmd.size, order_type=cmd.order_type)
                legs.append({"success": True, "orderID": order.order_id, "status": "dry_run", "errorMsg": ""})
            return HttpResult(status=200, body=legs), tuple(s.order_id for s in signed)
        if isinstance(req, CancelIds | CancelEverything):
            self.log.info("dry_run_cancel", order_ids=list(req.ids))
            return HttpResult(status=200, body={"canceled": list(req.ids), "not_canceled": {}}), ()
        if isinstance(req, LookupOrder):
            return HttpResult(status=200, body=None), ()
        assert isinstance(req, ListOrders | ListTrades)
        return HttpResult(status=200, body={"data": []}), ()


EXIT_CANCEL_TIMEOUT_MS = 400  # per request of the exit cancel (supervisord waits 5 s for the whole stop)
EXIT_CANCEL_BATCHES = 4


def cancel_on_exit(rest: RestClient, batches: list[CancelIds], fx: Effects) -> None:
    """Cancel what the engine holds, by id (best effort, blocking: the next start cancels it anyway)."""
    if not batches:
        return
    canceled, statuses = 0, []
    for req in batches[:EXIT_CANCEL_BATCHES]:
        res = rest.cancel_ids(list(req.ids), timeout_ms=EXIT_CANCEL_TIMEOUT_MS)
        statuses.append(res.status)
        canceled += len(res.body.get("canceled") or []) if res.ok and isinstance(res.body, dict) else 0
    fx.note("exit_cancel", orders=sum(len(b.ids) for b in batches), canceled=canceled, statuses=statuses)
