"""Performing the core's requests: over REST (``LiveTransport``) or not at all (``DryRunTransport``).

Dry run (``PM_VENUE=polymarket``, ``PM_DRY_RUN=true``): orders are signed exactly as they would be
sent (so ids and signing cost are real) and logged (order id, side, price, size; never a signature),
and the transport answers locally as the venue would: placed with status ``dry_run``, cancels
cancelled. No HTTP request of any kind leaves the process.

``start`` writes a request and ``finish`` reads its reply, so cancels and places can be in flight
together (see ``ExecutorCore.may_overlap``); ``perform`` is both.
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
from actors.executor.wire.rest import RestClient, Sent
from actors.executor.wire.signing import OrderSigner, post_body
from bus.logs import Logger
from clob.orders import OrderError, SignedOrder
from schemas import PlaceOrder

Performed = tuple[HttpResult, tuple[str, ...]]  # the result and, for PostOrders, the signed order ids


class Ticket:
    """A request started by ``start``: the REST request in flight, or its result if it is already known."""

    __slots__ = ("done", "ids", "sent")

    def __init__(self, sent: Sent | None, done: HttpResult | None, ids: tuple[str, ...]) -> None:
        self.sent, self.done, self.ids = sent, done, ids


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
        """Sign and write a cancel or a place; the reply is read by ``finish``. Other requests: at once."""
        if isinstance(req, PostOrders):
            signed = sign_all(self.signer, req.cmds, now_ms)
            if isinstance(signed, str):
                return Ticket(None, HttpResult(status=400, body={"error": signed}), ("",) * len(req.cmds))
            owner = self.rest.creds.api_key if self.rest.creds is not None else ""
            path, body = post_body(req.cmds, signed, owner)
            return Ticket(self.rest.send_post(path, body), None, tuple(s.order_id for s in signed))
        if isinstance(req, CancelIds):
            return Ticket(self.rest.send_cancel_ids(list(req.ids)), None, ())
        return Ticket(None, self._perform(req), ())

    def finish(self, ticket: Ticket) -> Performed:
        result = ticket.done if ticket.sent is None else self.rest.receive(ticket.sent)
        assert result is not None
        return result, ticket.ids

    def perform(self, req: Request, now_ms: int) -> Performed:
        return self.finish(self.start(req, now_ms))

    def _perform(self, req: Request) -> HttpResult:
        if isinstance(req, CancelEverything):
            return self.rest.cancel_all()
        if isinstance(req, LookupOrder):
            return self.rest.get_order(req.order_id)
        if isinstance(req, ListTrades):
            return self.rest.list_trades()
        return self.rest.list_orders()


class DryRunTransport:
    def __init__(self, signer: OrderSigner, log: Logger) -> None:
        self.signer = signer
        self.log = log

    def start(self, req: Request, now_ms: int) -> Ticket:
        result, ids = self.perform(req, now_ms)
        return Ticket(None, result, ids)

    def finish(self, ticket: Ticket) -> Performed:
        assert ticket.done is not None
        return ticket.done, ticket.ids

    def perform(self, req: Request, now_ms: int) -> Performed:
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
