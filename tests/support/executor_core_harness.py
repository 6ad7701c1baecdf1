"""The executor core's test harness: a scripted venue answering every request, the shell's own ``Pump``
run against it at a fixed time, the core with the ``Effects`` it fills collected, and builders for
commands and listed orders (shared by test_executor_*)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from actors.executor.core.executor_core import ExecutorCore, Params
from actors.executor.core.registry import Live
from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    HttpResult,
    LookupOrder,
    PostOrders,
    Request,
)
from actors.executor.wire.flight import Pump
from actors.executor.wire.transport import Ticket
from bus.effects import Effects
from schemas import Command, Lease, OrderUpdate, PlaceOrder

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
CID = "0x" + "cd" * 32
CID2 = "0x" + "ef" * 32
YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"


def place(cmd_id: str, *, holder: str = "alpha", slot: str = "yes_bid", **kw: Any) -> PlaceOrder:
    fields: dict[str, Any] = {"market": CID, "asset": YES, "side": "BUY", "price": 480_000,
                              "size": 10_000_000, "tick": 10_000, "neg_risk": False, **kw}
    return PlaceOrder(cmd_id=cmd_id, holder=holder, slot=slot, **fields)


def oid(cmd: PlaceOrder) -> str:
    return "0x" + cmd.cmd_id


def leg(order_id: str = "", error: str = "") -> dict[str, Any]:
    return {"success": True, "orderID": order_id if not error else "", "status": "live" if not error else "",
            "errorMsg": error}


class Core:
    """The real ``ExecutorCore``, with every ``Effects`` its entry points fill collected in one (what the
    shell would apply), so a test reads what was announced with ``sent_events`` / ``drain``."""

    def __init__(self, params: Params, now: int, stored: list[Live] | None = None) -> None:
        self.core = ExecutorCore(params, now, stored)
        self.state = self.core.state
        self.fx = Effects()

    def __getattr__(self, name: str) -> Any:  # views: ready, heartbeat_wanted, executor_state, ...
        return getattr(self.core, name)

    @property
    def registry(self) -> Any:
        return self.state.registry

    def on_command(self, cmd: Command, now: int) -> None:
        self.core.on_command(cmd, now, self.fx)

    def on_order_update(self, upd: OrderUpdate, now: int) -> None:
        self.core.on_order_update(upd, now, self.fx)

    def check_silence(self, now: int) -> None:
        self.core.check_silence(now, self.fx)

    def check_foreign(self, now: int) -> None:
        self.core.check_foreign(now, self.fx)

    def on_lease(self, lease: Lease, now: int) -> None:
        self.core.on_lease(lease, now, self.fx)

    def next_request(self, now: int) -> Request | None:
        return self.core.next_request(now, self.fx)

    def on_reply(self, req: Request, res: HttpResult, now: int, order_ids: tuple[str, ...] = ()) -> None:
        self.core.on_reply(req, res, now, self.fx, order_ids)

    def drain(self) -> tuple[list[tuple[bytes, Any]], list[tuple[str, dict[str, Any]]]]:
        """((topic, event) published, log notes other than the events' own lines), since the last drain."""
        published = list(self.fx.publishes)
        own = {"order_placed", "order_failed", "order_cancelled", "risk_event"}
        notes = [(event, fields) for _, event, fields in self.fx.notes if event not in own]
        self.fx.clear()
        return published, notes


class Scripted:
    """A transport whose every answer is in at once: ``start`` asks ``answer``, ``finish`` hands it back
    (through ``read``, which a test may hook to see when the core is handed each reply)."""

    def __init__(self, answer: Callable[[Request], tuple[HttpResult, tuple[str, ...]]],
                 read: Callable[[HttpResult], None] = lambda res: None) -> None:
        self.answer, self.read = answer, read

    def start(self, req: Request, now_ms: int) -> Ticket:
        result, ids = self.answer(req)
        return Ticket(None, result, ids)

    def finish(self, ticket: Ticket) -> HttpResult | None:
        assert ticket.done is not None
        self.read(ticket.done)
        return ticket.done

    def wait(self, ticket: Ticket, timeout_s: float) -> None:
        pass

    def abandon(self, ticket: Ticket) -> HttpResult:
        assert ticket.done is not None
        return ticket.done


class Slow:
    """A transport whose answers come in only when the test says (``answer``): the pump must not wait for
    them, and keeps requests in flight meanwhile. Answers come from ``venue``."""

    def __init__(self, venue: Venue) -> None:
        self.venue = venue
        self.started: list[Request] = []  # every request written, in order
        self.waiting: list[tuple[Request, Ticket]] = []  # those whose reply is not in

    def start(self, req: Request, now_ms: int) -> Ticket:
        self.started.append(req)
        ids = tuple(oid(c) for c in req.cmds) if isinstance(req, PostOrders) else ()
        ticket = Ticket(None, None, ids)
        self.waiting.append((req, ticket))
        return ticket

    def answer(self, kind: type | None = None) -> Request:
        """Let the reply of the oldest request still out (of type ``kind``) come in."""
        for i, (req, ticket) in enumerate(self.waiting):
            if kind is None or isinstance(req, kind):
                del self.waiting[i]
                ticket.done = self.venue.answer(req)[0]
                return req
        raise AssertionError(f"no {kind} in flight")

    def finish(self, ticket: Ticket) -> HttpResult | None:
        return ticket.done

    def wait(self, ticket: Ticket, timeout_s: float) -> None:
        pass

    def abandon(self, ticket: Ticket) -> HttpResult:
        return HttpResult(status=0, error="abandoned")


class Venue:
    """Scripted answers; every request is recorded. ``on`` overrides the answer for one request type."""

    def __init__(self) -> None:
        self.sent: list[Request] = []
        self.listed: list[dict[str, Any]] = []
        self.on: dict[type, Callable[[Any], HttpResult]] = {}

    def answer(self, req: Request) -> tuple[HttpResult, tuple[str, ...]]:
        self.sent.append(req)
        ids = tuple(oid(c) for c in req.cmds) if isinstance(req, PostOrders) else ()
        if type(req) in self.on:
            return self.on[type(req)](req), ids
        if isinstance(req, PostOrders):
            legs = [leg(i) for i in ids]
            return HttpResult(status=200, body=legs if len(legs) > 1 else legs[0]), ids
        if isinstance(req, CancelIds | CancelEverything):
            return HttpResult(status=200, body={"canceled": list(req.ids), "not_canceled": {}}), ()
        if isinstance(req, LookupOrder):
            return HttpResult(status=200, body=None), ()
        return HttpResult(status=200, body={"data": self.listed, "next_cursor": "LTE="}), ()


def pump(core: Core, transport: Scripted, now: int = T0, limit: int = 100) -> int:
    """The shell's own pump (``Pump``) against a scripted transport, at a fixed time; returns the number
    of requests started."""
    return Pump(core.core, transport, clock=lambda: now, limit=limit)(core.fx)


def flush(core: Core, venue: Venue, now: int = T0) -> list[Request]:
    """Everything the core wants to send now, against the scripted venue."""
    before = len(venue.sent)
    assert pump(core, Scripted(venue.answer), now) < 100, "flush did not settle"
    return venue.sent[before:]


def started(venue: Venue | None = None, stored: list[Live] | None = None, **params: Any) -> Core:
    core = Core(Params(**params), T0, stored=stored)
    flush(core, venue or Venue())
    assert core.ready
    core.drain()
    return core


def sent_events(core: Core) -> list[Any]:
    return [msg for _, msg in core.drain()[0]]


def listed(order_id: str, *, market: str = CID, asset: str = YES, price: str = "0.48") -> dict[str, Any]:
    return {"id": order_id, "status": "LIVE", "market": market, "asset_id": asset, "side": "BUY",
            "price": price, "original_size": "10", "size_matched": "0", "order_type": "GTC",
            "expiration": "0"}
