"""The executor core's test harness: a scripted venue answering every request, the shell's flush loop run
against it at a fixed time, and builders for commands and listed orders (shared by test_executor_*)."""

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
from actors.executor.wire.flight import Flusher
from schemas import PlaceOrder

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


def flush(core: ExecutorCore, venue: Venue, now: int = T0) -> list[Request]:
    """The shell's own flush loop (``Flusher``) against the scripted venue, at a fixed time."""
    before = len(venue.sent)
    sent = Flusher(core, start=lambda req, _: venue.answer(req), finish=lambda reply: reply,
                   clock=lambda: now, limit=100)()
    assert sent < 100, "flush did not settle"
    return venue.sent[before:]


def started(venue: Venue | None = None, stored: list[Live] | None = None, **params: Any) -> ExecutorCore:
    core = ExecutorCore(Params(**params), T0, stored=stored)
    flush(core, venue or Venue())
    assert core.ready
    core.drain()
    return core


def sent_events(core: ExecutorCore) -> list[Any]:
    return [msg for _, msg in core.drain()[0]]


def listed(order_id: str, *, market: str = CID, asset: str = YES, price: str = "0.48") -> dict[str, Any]:
    return {"id": order_id, "status": "LIVE", "market": market, "asset_id": asset, "side": "BUY",
            "price": price, "original_size": "10", "size_matched": "0", "order_type": "GTC",
            "expiration": "0"}
