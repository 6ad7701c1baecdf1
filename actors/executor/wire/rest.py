"""Thin CLOB REST client: keep-alive HTTP/1.1 connections, L2 headers, short timeouts.

Our own minimal HTTP/1.1 connection (``http1``), not ``requests``: on this machine ``requests.Session``
takes about 0.5 ms (p50, ``trust_env`` off) from the call to the request's first byte on a loopback
socket, ``http.client`` about 0.09 ms to write and 0.13 ms to read a cancel, and the whole
command -> wire budget is 0.5 ms p50 (ARCHITECTURE "The hot path"). What ``requests`` gave us is kept:
connections are reused, a connection the server closed while idle is noticed before reuse (as urllib3
does), and nothing is ever retried behind our back, so a request is never sent twice. Requests can
overlap: each one in flight has its own connection (an idle one is reused; at most ``max_idle`` stay
open between requests). ``keep_spares`` opens connections off the loop (a ``Bridge`` worker: DNS, TCP,
TLS) in idle time, so the hot path never opens one: a pipelined replace needs two at once.

Bodies arrive already serialised (``clob.order_json``, ``msgspec.json``) and are HMAC-signed and sent as
the very same bytes. An authenticated request without extra headers (every trading call) is written
from a header block built once per credentials (``Accept``, ``User-Agent``, ``POLY_ADDRESS``,
``POLY_API_KEY``, ``POLY_PASSPHRASE``): per request only the signature, timestamp and length are filled
in, the same head ``Connection.send`` would build from the merged header dict. Nothing raises: every
call returns an ``HttpResult``; no response at all (connect/read timeout, reset, refused) is status 0,
which the core treats as an unknown outcome.

Two ways to get a reply: ``receive`` waits for it (threads, the exit cancel, tests); the executor's loop
never waits: it ``watch``es every connection's socket (the hooks register them with the ``Node``), calls
``readable`` when one is, and ``poll``s a request for its reply, which is status 0 once its deadline has
passed. A connection that becomes readable while idle (the server closed it) is dropped there and then.
"""

from __future__ import annotations

import ssl
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import msgspec

from actors.executor.core.venue_requests import HttpResult
from actors.executor.wire.http1 import Connection, ProtocolError, end_of_head, header_lines
from bus.bridge import Bridge
from clob.auth import ApiCreds, hmac_signature, l1_headers, l2_headers
from clob.signer import Signer

END_CURSOR = "LTE="
MAX_PAGES = 100
_json = msgspec.json.Encoder()
_BASE_HEADERS = {"Accept": "application/json", "User-Agent": "pm-maker-executor"}
_JSON_TYPE = "Content-Type: application/json\r\n"


class Sent:
    """A request on its way: its connection (the reply is read from it) or, if it never left, the result."""

    __slots__ = ("conn", "deadline", "method", "result", "timeout")

    def __init__(self, conn: Connection | None, result: HttpResult | None, timeout: float = 0.0,
                 method: str = "GET", deadline: float = 0.0) -> None:
        self.conn, self.result, self.timeout, self.method = conn, result, timeout, method
        self.deadline = deadline  # time.monotonic() after which no reply is waited for


def _ignore(conn: Connection) -> None:
    pass


class RestClient:
    """Keep-alive connections to one venue. ``send`` writes a request on an idle connection (a new one
    if every open connection waits for a reply) and ``receive`` reads its reply, so the executor can
    have a cancel and a place in flight together; ``request`` is both at once."""

    def __init__(self, base_url: str, address: str, *, timeout_ms: int, connect_timeout_ms: int = 0,
                 clock_s: Callable[[], float] = time.time, max_idle: int = 4,
                 watch: Callable[[Connection], None] = _ignore,
                 unwatch: Callable[[Connection], None] = _ignore) -> None:
        url = urlsplit(base_url)
        self.https = url.scheme == "https"
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or (443 if self.https else 80)
        self.prefix = url.path.rstrip("/")
        self.address = address  # the signer's (EOA) address, sent as POLY_ADDRESS
        self.connect_timeout = (connect_timeout_ms or timeout_ms) / 1000
        self.timeout = timeout_ms / 1000
        self.clock_s = clock_s
        self.max_idle = max_idle
        self.creds: ApiCreds | None = None
        self.calls: Counter[str] = Counter()  # "METHOD /path" -> requests sent (ids folded), for the exit log
        self._block: tuple[ApiCreds, str] | None = None  # (creds, their header block), see ``_auth_block``
        self._idle: list[Connection] = []  # most recently used last
        self._busy: set[Connection] = set()
        self._tls = ssl.create_default_context() if self.https else None
        self._watch, self._unwatch = watch, unwatch  # the loop's reader registration, per connection
        self._watched = watch is not _ignore  # the loop fills a connection when it is readable
        self.spares_opened = 0

    def close(self) -> None:
        for conn in [*self._idle, *self._busy]:
            self._close(conn)
        self._idle.clear()
        self._busy.clear()

    def _close(self, conn: Connection) -> None:
        self._unwatch(conn)
        conn.close()

    def _connection(self) -> Connection:
        while self._idle:
            conn = self._idle.pop()
            if conn.idle_and_open():
                return conn
            self._close(conn)  # closed by the server while idle (or unread bytes): never reuse it
        conn = Connection(self.host, self.port, timeout=self.connect_timeout, tls=self._tls)
        self._watch(conn)
        return conn

    def keep_spares(self, bridge: Bridge, spares: int) -> None:
        """Top the idle connections up to ``spares``: one connection opened at a time by a ``bridge``
        worker, handed to the loop when open (idle time only; a failure is left for the next call)."""
        if len(self._idle) >= min(spares, self.max_idle) or "spare-connection" in bridge.running:
            return
        host, port, timeout, tls = self.host, self.port, self.connect_timeout, self._tls
        bridge.submit("spare-connection", lambda: Connection(host, port, timeout=timeout, tls=tls),
                      self._spare_opened)

    def _spare_opened(self, conn: Connection | None, error: BaseException | None) -> None:
        if conn is None:
            return  # refused or timed out: the next call tries again; a request would open its own
        if len(self._idle) >= self.max_idle:
            conn.close()
            return
        self._watch(conn)
        self._idle.insert(0, conn)  # least recently used end: reused after the warm ones
        self.spares_opened += 1

    def _release(self, conn: Connection, reuse: bool) -> None:
        self._busy.discard(conn)
        if reuse and len(self._idle) < self.max_idle:
            self._idle.append(conn)
        else:
            self._close(conn)

    def readable(self, conn: Connection) -> None:
        """The loop saw ``conn``'s socket readable: buffer a reply's bytes, or drop an idle connection the
        server closed (or that received bytes nobody asked for)."""
        if conn not in self._busy:
            if conn in self._idle:
                self._idle.remove(conn)
            self._close(conn)
            return
        try:
            conn.fill()
        except (OSError, ProtocolError):
            pass  # ``poll`` meets the same failure and reports it
        if conn.eof:
            self._unwatch(conn)  # a closed socket stays readable: ``poll`` finishes it

    def send(self, method: str, path: str, body: bytes | None = None, *, query: str = "",
             headers: dict[str, str] | None = None, auth: bool = True, timeout_ms: int = 0) -> Sent:
        creds = self.creds
        if auth and creds is None:
            return Sent(None, HttpResult(status=0, error="no API credentials yet", sent=False))
        if auth and headers is None:  # the trading calls: prebuilt header block, no dicts
            assert creds is not None
            timestamp_s = int(self.clock_s())
            signature = hmac_signature(creds.secret, timestamp_s, method, path, body)
            fields = (f"{self._auth_block(creds)}POLY_SIGNATURE: {signature}\r\n"
                      f"POLY_TIMESTAMP: {timestamp_s}\r\n"
                      f"{_JSON_TYPE if body is not None else ''}{end_of_head(method, body)}")
            return self._write(method, path, query, fields, body, timeout_ms)
        hdrs = {**_BASE_HEADERS, **(headers or {})}
        if auth:
            assert creds is not None
            hdrs.update(l2_headers(creds, address=self.address, timestamp_s=int(self.clock_s()),
                                   method=method, path=path, body=body))
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        return self._write(method, path, query, header_lines(hdrs) + end_of_head(method, body), body,
                           timeout_ms)

    def _auth_block(self, creds: ApiCreds) -> str:
        """The constant header lines of an authenticated request, built once per credentials."""
        if self._block is None or self._block[0] is not creds:
            lines = {**_BASE_HEADERS, "POLY_ADDRESS": self.address, "POLY_API_KEY": creds.api_key,
                     "POLY_PASSPHRASE": creds.passphrase}
            self._block = (creds, header_lines(lines))
        return self._block[1]

    def _write(self, method: str, path: str, query: str, fields: str, body: bytes | None,
               timeout_ms: int) -> Sent:
        """Write the request (its header ``fields`` built) on an idle or a new connection."""
        try:
            conn = self._connection()
        except OSError as error:  # refused, unreachable, connect timeout: the request never left
            self._count(method, path)
            error_text = f"{type(error).__name__}: {error}"[:300]
            return Sent(None, HttpResult(status=0, error=error_text, sent=False))
        timeout = timeout_ms / 1000 if timeout_ms else self.timeout
        self._busy.add(conn)
        try:
            conn.write(method, f"{self.prefix}{path}{query}", fields, body, timeout)
        except OSError as error:
            self._count(method, path)
            self._release(conn, reuse=False)  # its state is unknown: it may have left in part
            return Sent(None, HttpResult(status=0, error=f"{type(error).__name__}: {error}"[:300]))
        self._count(method, path)  # after the write: bookkeeping stays off the hot path
        return Sent(conn, None, timeout, method, time.monotonic() + timeout)

    def _count(self, method: str, path: str) -> None:
        self.calls[f"{method} {path.split('/0x')[0]}"] += 1

    def receive(self, sent: Sent) -> HttpResult:
        conn = sent.conn
        if conn is None:
            return sent.result or HttpResult(status=0, error="nothing sent", sent=False)
        try:
            resp = conn.receive(sent.timeout, sent.method)
        except (OSError, ProtocolError) as error:
            self._release(conn, reuse=False)  # its state is unknown: the next request opens a fresh one
            return HttpResult(status=0, error=f"{type(error).__name__}: {error}"[:300])
        self._release(conn, reuse=not resp.will_close)
        return HttpResult(status=resp.status, body=_decode(resp.body), headers=resp.headers)

    def poll(self, sent: Sent) -> HttpResult | None:
        """The reply if it is in (never blocks); status 0 once the deadline passed; else None."""
        conn = sent.conn
        if conn is None:
            return sent.result or HttpResult(status=0, error="nothing sent", sent=False)
        try:
            resp = conn.take(sent.method, read=not self._watched)
            if resp is None and time.monotonic() >= sent.deadline:
                resp = conn.take(sent.method)  # the last look: what arrived but was not read yet
        except (OSError, ProtocolError) as error:
            self._release(conn, reuse=False)
            return HttpResult(status=0, error=f"{type(error).__name__}: {error}"[:300])
        if resp is None:
            if time.monotonic() < sent.deadline:
                return None
            self._release(conn, reuse=False)  # an answer may still come: that connection is done for
            return HttpResult(status=0, error="TimeoutError: timed out")
        self._release(conn, reuse=not resp.will_close)
        return HttpResult(status=resp.status, body=_decode(resp.body), headers=resp.headers)

    def wait(self, sent: Sent, timeout_s: float) -> None:
        """Block until ``sent``'s connection may have more of its reply (at most ``timeout_s``)."""
        if sent.conn is not None:
            sent.conn.wait(min(timeout_s, max(0.0, sent.deadline - time.monotonic())))

    def abandon(self, sent: Sent, why: str) -> HttpResult:
        """Give up on the reply (its outcome stays unknown)."""
        if sent.conn is not None:
            self._release(sent.conn, reuse=False)
            return HttpResult(status=0, error=why)
        return sent.result or HttpResult(status=0, error="nothing sent", sent=False)

    def request(self, method: str, path: str, body: bytes | None = None, *, query: str = "",
                headers: dict[str, str] | None = None, auth: bool = True, timeout_ms: int = 0) -> HttpResult:
        return self.receive(self.send(method, path, body, query=query, headers=headers, auth=auth,
                                      timeout_ms=timeout_ms))

    # -- trading ----------------------------------------------------------------------------------

    def post(self, path: str, body: bytes) -> HttpResult:
        return self.request("POST", path, body)

    def send_post(self, path: str, body: bytes) -> Sent:
        return self.send("POST", path, body)

    def cancel_ids(self, ids: list[str], timeout_ms: int = 0) -> HttpResult:
        return self.receive(self.send_cancel_ids(ids, timeout_ms))

    def send_cancel_ids(self, ids: list[str], timeout_ms: int = 0) -> Sent:
        return self.send("DELETE", "/orders", _json.encode(ids), timeout_ms=timeout_ms)

    def cancel_all(self, timeout_ms: int = 0) -> HttpResult:
        return self.request("DELETE", "/cancel-all", timeout_ms=timeout_ms)

    def get_order(self, order_id: str) -> HttpResult:
        return self.request("GET", f"/data/order/{order_id}")

    def list_orders(self) -> HttpResult:
        """Every page of ``/data/orders``, merged into ``{"data": [...]}``; the first failure is returned."""
        pages = OrderPages()
        while (cursor := pages.cursor) is not None:
            pages.add(self.request("GET", OrderPages.PATH, query=f"?next_cursor={cursor}"))
        return pages.result

    def send_list_orders(self, cursor: str = "MA==") -> Sent:
        return self.send("GET", OrderPages.PATH, query=f"?next_cursor={cursor}")

    def list_trades(self) -> HttpResult:
        """The newest page of ``/data/trades`` (an order of unknown outcome was placed seconds ago)."""
        return self.request("GET", "/data/trades")

    def heartbeat(self, path: str, heartbeat_id: str) -> HttpResult:
        return self.request("POST", path, _json.encode({"heartbeat_id": heartbeat_id}))

    # -- credentials (L1) -------------------------------------------------------------------------

    def l1(self, method: str, path: str, signer: Signer, *, timeout_ms: int = 0) -> HttpResult:
        headers = l1_headers(signer, timestamp_s=int(self.clock_s()))
        return self.request(method, path, headers=headers, auth=False, timeout_ms=timeout_ms)


class OrderPages:
    """``/data/orders`` page by page: ``cursor`` is the next page to ask for (None once done), ``result``
    every page merged into ``{"data": [...]}``, or the first failure."""

    PATH = "/data/orders"
    __slots__ = ("cursor", "pages", "result", "rows")

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.pages = 0
        self.cursor: str | None = "MA=="
        self.result = HttpResult(status=0, error="not listed yet")

    def add(self, res: HttpResult) -> None:
        self.pages += 1
        self.cursor = None
        if not res.ok or not isinstance(res.body, dict):
            self.result = res if not res.ok else HttpResult(status=0, error="unexpected /data/orders body")
            return
        self.rows.extend(res.body.get("data") or [])
        cursor = res.body.get("next_cursor") or END_CURSOR
        if cursor == END_CURSOR:
            self.result = HttpResult(status=200, body={"data": self.rows}, headers=res.headers)
        elif self.pages >= MAX_PAGES:
            self.result = HttpResult(status=0, error=f"/data/orders: more than {MAX_PAGES} pages")
        else:
            self.cursor = cursor


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return msgspec.json.decode(raw)
    except (ValueError, RecursionError):  # msgspec's errors, invalid UTF-8, deep nesting
        return raw.decode(errors="replace")[:500]
