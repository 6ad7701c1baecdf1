"""CLOB REST: auth, orders, cancels, account queries, heartbeats -> Exchange (PROTOCOL.md §3-§5).

Every private route checks the L2 HMAC headers (401 `Unauthorized/Invalid api key`). Order routes
also pass the fault gate (added latency, 429 + Retry-After, 425 during an engine restart, then the
post-only window). Orders are parsed with `clob.order_json`; `owner` must be the API key, and the
key's account decides the rest (`venue.wallets.order_refusal`: the deposit-wallet flow, the signer
and maker the key may use, the signature checked the exchange's way for its type).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import msgspec

from clob.auth import ApiCreds, AuthError
from clob.order_json import MAX_BATCH, parse_post_order
from clob.orders import OrderError
from venue.contract import SignedOrder as VenueOrder
from venue.server.accounts import AccountStore
from venue.server.admin import FaultState
from venue.server.http import Request, Response, Router
from venue.wallets import order_refusal

log = logging.getLogger("venue.rest")

PAGE = 100
END_CURSOR = "LTE="
UNAUTHORIZED = Response.error(401, "Unauthorized/Invalid api key")
L1_INVALID = Response.error(401, "Invalid L1 Request headers")
BAD_PAYLOAD = (400, {"error": "Invalid order payload"})
_OTHER_TYPES = [frozenset("0123") - {str(n)} for n in range(4)]  # signature types other than n
_EMPTY_LEG = {"makingAmount": "", "takingAmount": "", "status": "", "transactionsHashes": [], "tradeIDs": []}

Route = Callable[[Request], "Response | Awaitable[Response]"]
Private = Callable[[Request, ApiCreds], Response]


def gated(faults: FaultState, kind: str, clock_ns: Callable[[], int], route: Route) -> Route:
    """Wrap a route with the fault gate: added latency, 429 + Retry-After, 425 (restart)."""

    def handler(req: Request) -> Response | Awaitable[Response]:
        fault = faults.http(kind, clock_ns())
        early = None if not fault.status else Response.json(
            fault.body or {"error": "error"}, fault.status, fault.headers or None)
        if fault.delay_ms <= 0:
            return early if early is not None else route(req)
        return _delayed(fault.delay_ms / 1000, req, route, early)
    return handler


async def _delayed(delay_s: float, req: Request, route: Route, early: Response | None) -> Response:
    await asyncio.sleep(delay_s)
    if early is not None:
        return early
    result = route(req)
    return result if isinstance(result, Response) else await result


def paginate(items: list[Any], cursor: str | None) -> dict[str, Any]:
    """`{data, next_cursor, limit, count}` with base64-offset cursors (`MA==` .. `LTE=`)."""
    offset = 0
    if cursor and cursor != "MA==":
        if cursor == END_CURSOR:
            return {"data": [], "next_cursor": END_CURSOR, "limit": PAGE, "count": 0}
        try:
            offset = max(0, int(base64.b64decode(cursor).decode()))
        except ValueError:
            offset = 0
    page = items[offset:offset + PAGE]
    end = offset + PAGE
    nxt = base64.b64encode(str(end).encode()).decode() if end < len(items) else END_CURSOR
    return {"data": page, "next_cursor": nxt, "limit": PAGE, "count": len(page)}


class RestApi:
    def __init__(self, exchange: Any, accounts: AccountStore, faults: FaultState,
                 clock_ns: Callable[[], int], kick: Callable[[], None]) -> None:
        self.exchange = exchange
        self.accounts = accounts
        self.faults = faults
        self.clock_ns = clock_ns
        self.kick = kick  # ask the app for an immediate drain of exchange events
        self.orders_accepted = 0
        self._neg_risk_cache: dict[str, bool] = {}

    def install(self, router: Router) -> None:
        add = router.add

        def other(route: Route) -> Route:
            return gated(self.faults, "other", self.clock_ns, route)

        add("GET", "/", other(lambda r: Response.json("OK")))
        add("GET", "/ok", other(lambda r: Response.json("OK")))
        add("GET", "/time", other(lambda r: Response.json(int(time.time()))))
        add("GET", "/version", other(lambda r: Response.json({"version": 2})))
        add("POST", "/auth/api-key", other(self._create_key))
        add("GET", "/auth/derive-api-key", other(self._create_key))
        add("GET", "/auth/api-keys", other(self._l2(self._list_keys)))
        add("DELETE", "/auth/api-key", other(self._l2(self._delete_key)))
        add("POST", "/order", self._order_route(self._post_order))
        add("POST", "/orders", self._order_route(self._post_orders))
        add("DELETE", "/order", self._order_route(self._cancel_one))
        add("DELETE", "/orders", self._order_route(self._cancel_many))
        add("DELETE", "/cancel-all", self._order_route(self._cancel_all))
        add("DELETE", "/cancel-market-orders", self._order_route(self._cancel_market))
        add("GET", "/data/orders", other(self._l2(self._open_orders)))
        add("GET", "/data/order/{order_id}", other(self._l2(self._one_order)))
        add("GET", "/data/trades", other(self._l2(self._trades)))
        add("POST", "/v1/heartbeats", other(self._l2(self._heartbeat)))
        add("POST", "/heartbeats", other(self._l2(self._heartbeat_ok)))
        add("GET", "/balance-allowance", other(self._l2(self._balance)))
        add("GET", "/balance-allowance/update", other(self._l2(self._balance)))
        add("GET", "/order-scoring", other(self._l2(self._scoring)))
        add("POST", "/orders-scoring", other(self._l2(self._scorings)))

    # ---- wrappers ---------------------------------------------------------------------------
    def _l2(self, fn: Private) -> Route:
        def handler(req: Request) -> Response:
            try:
                creds = self.accounts.l2(req.headers, req.method, req.path, req.body)
            except AuthError:
                return UNAUTHORIZED
            return fn(req, creds)
        return handler

    def _order_route(self, fn: Private) -> Route:
        return gated(self.faults, "cancel" if fn.__name__.startswith("_cancel") else "order",
                     self.clock_ns, self._l2(fn))

    # ---- auth -------------------------------------------------------------------------------
    def _create_key(self, req: Request) -> Response:
        try:
            address, nonce = self.accounts.l1(req.headers)
        except AuthError:
            return L1_INVALID
        creds = self.accounts.register(address, nonce)
        log.info("api_key_issued", extra={"address": address})
        return Response.json({"apiKey": creds.api_key, "secret": creds.secret,
                              "passphrase": creds.passphrase})

    def _list_keys(self, req: Request, creds: ApiCreds) -> Response:
        return Response.json({"apiKeys": self.accounts.keys_of(creds.address or "")})

    def _delete_key(self, req: Request, creds: ApiCreds) -> Response:
        self.accounts.forget(creds.api_key)
        return Response.json("OK")

    # ---- orders -----------------------------------------------------------------------------
    def _neg_risk(self, token_id: str) -> bool:
        """Which exchange domain the order is signed for; cached (a market's neg-risk never changes)."""
        cached = self._neg_risk_cache.get(token_id)
        if cached is None:
            book = self.exchange.book(token_id)
            if book is None:
                return False
            cached = self._neg_risk_cache[token_id] = bool(book.get("neg_risk"))
        return cached

    def _place_one(self, obj: object, creds: ApiCreds, now: int) -> tuple[int, Any]:
        try:
            post = parse_post_order(obj, neg_risk_of=self._neg_risk)
        except OrderError:
            return BAD_PAYLOAD
        if post.owner != creds.api_key:
            return 400, {"error": "the order owner has to be the owner of the API KEY"}
        refusal = order_refusal(self.accounts.account(creds), post.order, self.accounts.wallets.derivation)
        if refusal is not None:
            return 400, {"error": refusal}
        blocked = self.faults.order_gate(post.post_only, now)
        if blocked is not None:
            return blocked
        order = VenueOrder(**msgspec.structs.asdict(post.order))
        reply = self.exchange.place(api_key=creds.api_key, order=order, order_type=post.order_type,
                                    post_only=post.post_only, now_ns=now)
        if reply.status == 200:
            self.orders_accepted += 1
        return reply.status, reply.body

    def _post_order(self, req: Request, creds: ApiCreds) -> Response:
        try:
            obj = req.json()
        except msgspec.DecodeError:
            return Response.json(BAD_PAYLOAD[1], 400)
        status, body = self._place_one(obj, creds, self.clock_ns())
        self.kick()
        return Response.json(body, status)

    def _post_orders(self, req: Request, creds: ApiCreds) -> Response:
        try:
            items = req.json()
        except msgspec.DecodeError:
            items = None
        if not isinstance(items, list) or not items:
            return Response.json(BAD_PAYLOAD[1], 400)
        if len(items) > MAX_BATCH:
            return Response.error(400, f"Too many orders in payload: {len(items)}, max allowed: {MAX_BATCH}")
        now = self.clock_ns()
        out = []
        for obj in items:
            status, body = self._place_one(obj, creds, now)
            if status == 200:
                out.append(body)
            else:
                reason = body.get("error", "") if isinstance(body, dict) else str(body)
                out.append({"errorMsg": reason, "orderID": "", "success": True, **_EMPTY_LEG})
        self.kick()
        return Response.json(out)

    def _cancel_reply(self, reply: Any) -> Response:
        self.kick()
        return Response.json(reply.body, reply.status)

    def _cancel_one(self, req: Request, creds: ApiCreds) -> Response:
        body = _body(req)
        order_id = body.get("orderID") if isinstance(body, dict) else None
        if not isinstance(order_id, str) or not order_id:
            return Response.error(400, "Invalid order payload")
        return self._cancel_reply(self.exchange.cancel(api_key=creds.api_key, order_ids=[order_id],
                                                       now_ns=self.clock_ns()))

    def _cancel_many(self, req: Request, creds: ApiCreds) -> Response:
        ids = _body(req)
        if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
            return Response.error(400, "Invalid order payload")
        return self._cancel_reply(self.exchange.cancel(api_key=creds.api_key, order_ids=ids,
                                                       now_ns=self.clock_ns()))

    def _cancel_all(self, req: Request, creds: ApiCreds) -> Response:
        return self._cancel_reply(self.exchange.cancel_all(api_key=creds.api_key, now_ns=self.clock_ns()))

    def _cancel_market(self, req: Request, creds: ApiCreds) -> Response:
        body = _body(req)
        body = body if isinstance(body, dict) else {}
        market, asset = body.get("market"), body.get("asset_id")
        return self._cancel_reply(self.exchange.cancel_market(
            api_key=creds.api_key, market=market if isinstance(market, str) and market else None,
            asset_id=asset if isinstance(asset, str) and asset else None, now_ns=self.clock_ns()))

    # ---- queries ----------------------------------------------------------------------------
    def _open_orders(self, req: Request, creds: ApiCreds) -> Response:
        items = self.exchange.open_orders(api_key=creds.api_key, order_id=req.arg("id"),
                                          market=req.arg("market"), asset_id=req.arg("asset_id"))
        return Response.json(paginate(items, req.arg("next_cursor")))

    def _one_order(self, req: Request, creds: ApiCreds) -> Response:
        return Response.json(self.exchange.order(api_key=creds.api_key, order_id=req.params["order_id"]))

    def _trades(self, req: Request, creds: ApiCreds) -> Response:
        items = self.exchange.trades(api_key=creds.api_key, market=req.arg("market"),
                                     asset_id=req.arg("asset_id"), before=_int(req.arg("before")),
                                     after=_int(req.arg("after")))
        trade_id, maker = req.arg("id"), req.arg("maker_address")
        if trade_id:
            items = [t for t in items if t.get("id") == trade_id]
        if maker:
            items = [t for t in items if str(t.get("maker_address", "")).lower() == maker.lower()]
        return Response.json(paginate(items, req.arg("next_cursor")))

    def _heartbeat(self, req: Request, creds: ApiCreds) -> Response:
        body = _body(req)
        hb = body.get("heartbeat_id", "") if isinstance(body, dict) else ""
        reply = self.exchange.heartbeat(api_key=creds.api_key, heartbeat_id=hb if isinstance(hb, str) else "",
                                        now_ns=self.clock_ns())
        return Response.json(reply.body, reply.status)

    def _heartbeat_ok(self, req: Request, creds: ApiCreds) -> Response:
        response = self._heartbeat(req, creds)
        if response.status == 200:
            body = msgspec.json.decode(response.body)
            return Response.json({"status": "ok", **(body if isinstance(body, dict) else {})})
        return response

    def _balance(self, req: Request, creds: ApiCreds) -> Response:
        """The account's wallet's balance; asked for another `signature_type` (another wallet of the
        owner's, which the venue has no account for), it is zero."""
        asset_type = req.arg("asset_type") or "COLLATERAL"
        if asset_type not in ("COLLATERAL", "CONDITIONAL", "CONDITIONAL-V2"):
            return Response.error(400, "invalid asset_type")
        account = self.accounts.account(creds)
        reply = self.exchange.balance(address=account.wallet, asset_type=asset_type,
                                      token_id=req.arg("token_id"))
        if req.arg("signature_type") in _OTHER_TYPES[account.signature_type]:
            reply = {**reply, "balance": "0"}
        return Response.json(reply)

    def _scoring(self, req: Request, creds: ApiCreds) -> Response:
        order_id = req.arg("order_id") or ""
        return Response.json({"scoring": self._is_scoring(creds, order_id)})

    def _scorings(self, req: Request, creds: ApiCreds) -> Response:
        ids = _body(req)
        if not isinstance(ids, list):
            return Response.error(400, "invalid body")
        return Response.json({i: self._is_scoring(creds, i) for i in ids if isinstance(i, str)})

    def _is_scoring(self, creds: ApiCreds, order_id: str) -> bool:
        scoring = getattr(self.exchange, "order_scoring", None)
        return bool(scoring(api_key=creds.api_key, order_id=order_id)) if scoring else False


def _body(req: Request) -> Any:
    if not req.body:
        return None
    try:
        return req.json()
    except msgspec.DecodeError:
        return None


def _int(value: str | None) -> int | None:
    return int(value) if value and value.lstrip("-").isdigit() else None
