"""A small asyncio HTTP/1.1 server: keep-alive, Content-Length bodies, a router, WebSocket upgrade.

One `HttpProtocol` per TCP connection parses requests straight from `data_received` (no streams,
no per-request task unless the handler is async). Requests on one connection are answered in order:
while an async handler runs, further bytes are buffered and parsed afterwards. A GET with
`Upgrade: websocket` on a WebSocket route switches the connection to `websocket.WebSocket`.

With a `Commit` (the venue's state file, `venue.store`), a reply to a request that left a change a
client will hear of unwritten is preceded by its commit (one append to the state's journal), so no
client hears of a change that a killed venue would forget.
"""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import msgspec

from venue.server.websocket import WebSocket, WsHandler, accept_key

log = logging.getLogger("venue.http")

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 8 * 1024 * 1024

_REASONS = {
    101: "Switching Protocols", 200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
    403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 411: "Length Required",
    413: "Payload Too Large", 425: "Too Early", 426: "Upgrade Required", 429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
}
_json_encode = msgspec.json.Encoder().encode
_json_decode = msgspec.json.Decoder().decode


class Request:
    __slots__ = ("_query", "arrived_ns", "body", "headers", "method", "params", "path", "query_string")

    def __init__(self, method: str, path: str, query_string: str, headers: dict[str, str], body: bytes):
        self.method = method
        self.path = path
        self.query_string = query_string
        self.headers = headers
        self.body = body
        self.params: dict[str, str] = {}
        self._query: dict[str, list[str]] | None = None
        self.arrived_ns = 0  # time.time_ns() of the data_received call that brought its first byte

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = urllib.parse.parse_qs(self.query_string, keep_blank_values=True)
        return self._query

    def arg(self, name: str) -> str | None:
        """First value of query parameter `name`, or None."""
        if not self.query_string:
            return None
        values = self.query.get(name)
        return values[0] if values else None

    def json(self) -> Any:
        """The decoded JSON body; raises msgspec.DecodeError on a bad body."""
        return _json_decode(self.body)


class Response:
    __slots__ = ("body", "content_type", "headers", "status")

    def __init__(self, status: int, body: bytes, content_type: str = "application/json",
                 headers: dict[str, str] | None = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers

    @classmethod
    def json(cls, obj: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return cls(status, _json_encode(obj), "application/json", headers)

    @classmethod
    def error(cls, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return cls(status, _json_encode({"error": message}), "application/json", headers)

    @classmethod
    def text(cls, status: int, text: str) -> Response:
        return cls(status, text.encode(), "text/plain; charset=utf-8")

    def encode(self, keep_alive: bool) -> bytes:
        head = [f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Status')}\r\n"
                f"Content-Type: {self.content_type}\r\nContent-Length: {len(self.body)}\r\n"]
        if self.headers:
            head.extend(f"{k}: {v}\r\n" for k, v in self.headers.items())
        if not keep_alive:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        return "".join(head).encode("latin-1") + self.body


Handler = Callable[[Request], "Response | Awaitable[Response]"]
WsOpen = Callable[[WebSocket, Request], None]


class Router:
    """Exact paths first, then `{name}` patterns; 404 when no path matches, 405 on a wrong method."""

    def __init__(self) -> None:
        self._static: dict[str, dict[str, Handler]] = {}
        self._patterns: list[tuple[tuple[str, ...], dict[str, Handler]]] = []
        self._ws: dict[str, tuple[WsHandler, WsOpen]] = {}
        self.not_found: Callable[[Request], Response] = lambda r: Response.text(404, "404 page not found")

    def add(self, method: str, pattern: str, handler: Handler) -> None:
        if "{" not in pattern:
            self._static.setdefault(pattern, {})[method] = handler
            return
        segments = tuple(pattern.strip("/").split("/"))
        for existing, methods in self._patterns:
            if existing == segments:
                methods[method] = handler
                return
        self._patterns.append((segments, {method: handler}))

    def wrap(self, method: str, path: str, wrapper: Callable[[Handler], Handler]) -> None:
        """Replace the handler of an exact path with ``wrapper(handler)`` (the benchmark's stamps)."""
        methods = self._static[path]
        methods[method] = wrapper(methods[method])

    def websocket(self, path: str, handler: WsHandler, on_open: WsOpen) -> None:
        self._ws[path] = (handler, on_open)

    def ws_route(self, path: str) -> tuple[WsHandler, WsOpen] | None:
        return self._ws.get(path)

    def resolve(self, request: Request) -> Handler | Response:
        path = request.path
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/")
        methods = self._static.get(path)
        if methods is None:
            parts = path.strip("/").split("/")
            for segments, candidate in self._patterns:
                if len(segments) != len(parts):
                    continue
                params: dict[str, str] = {}
                for seg, part in zip(segments, parts, strict=True):
                    if seg[0] == "{":
                        if not part:
                            break
                        params[seg[1:-1]] = part
                    elif seg != part:
                        break
                else:
                    request.params = params
                    methods = candidate
                    break
        if methods is None:
            return self.not_found(request)
        handler = methods.get(request.method)
        if handler is None:
            if request.method == "HEAD" and "GET" in methods:
                return methods["GET"]
            allow = ", ".join(sorted(methods))
            return Response(405, b"405 method not allowed", "text/plain; charset=utf-8", {"Allow": allow})
        return handler


class Commit(Protocol):
    def dirty(self) -> bool:
        """Is a change that a reply may reveal still unwritten?"""
        ...

    def commit(self) -> None:
        """Write it (never raises: a failure to write ends the process)."""
        ...


class HttpProtocol(asyncio.Protocol):
    __slots__ = ("_arrived", "_buf", "_busy", "_chunk", "_server", "transport", "ws")

    def __init__(self, server: HttpServer) -> None:
        self._server = server
        self._buf = bytearray()
        self._busy = False
        self._arrived = 0  # the first byte of the request being read came with this data_received
        self._chunk = 0  # the latest data_received
        self.transport: asyncio.Transport | None = None
        self.ws: WebSocket | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self._server.connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._server.connections.discard(self)
        if self.ws is not None:
            self.ws.connection_lost()
        self.transport = None

    def data_received(self, data: bytes) -> None:
        if self.ws is not None:
            self.ws.feed(data)
            return
        self._chunk = now = time.time_ns()  # the earliest Python sees the bytes (the bench's arrival stamp)
        if not self._buf:
            self._arrived = now
        self._buf += data
        if not self._busy:
            self._process()

    def _process(self) -> None:
        while self.transport is not None and self.ws is None:
            buf = self._buf
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEADER_BYTES:
                    self._fail(431, "request header too large")
                return
            try:
                request, body_len, keep_alive = _parse_head(bytes(buf[:end]))
            except ValueError as exc:
                self._fail(400, str(exc))
                return
            if body_len > MAX_BODY_BYTES:
                self._fail(413, "request body too large")
                return
            total = end + 4 + body_len
            if len(buf) < total:
                return
            request.body = bytes(buf[end + 4:total])
            request.arrived_ns = self._arrived
            del buf[:total]
            self._arrived = self._chunk  # a pipelined next request's first byte came with the latest read
            self._server.requests += 1
            upgrade = request.headers.get("upgrade")
            if upgrade is not None and upgrade.lower() == "websocket":
                self._upgrade(request)
                return
            result = self._dispatch(request)
            if isinstance(result, Response):
                self._reply(result, keep_alive)
                continue
            self._busy = True
            asyncio.get_running_loop().create_task(self._finish(result, keep_alive))
            return

    def _dispatch(self, request: Request) -> Response | Awaitable[Response]:
        target = self._server.router.resolve(request)
        if isinstance(target, Response):
            return target
        try:
            return target(request)
        except Exception:
            log.exception("handler_error %s %s", request.method, request.path)
            return Response.error(500, "internal error")

    async def _finish(self, pending: Awaitable[Response], keep_alive: bool) -> None:
        try:
            response = await pending
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("handler_error (async)")
            response = Response.error(500, "internal error")
        self._busy = False
        if self.transport is None:
            return
        self._reply(response, keep_alive)
        if self._buf:
            self._process()

    def _reply(self, response: Response, keep_alive: bool) -> None:
        commit = self._server.commit
        if commit is not None and commit.dirty():
            commit.commit()  # what the reply reveals is written before it leaves
        self._write(response, keep_alive)

    def _write(self, response: Response, keep_alive: bool) -> None:
        transport = self.transport
        if transport is None:
            return
        if response.status < 0:  # a fault asked for an abrupt drop
            transport.abort()
            return
        transport.write(response.encode(keep_alive))
        if not keep_alive:
            transport.close()

    def _fail(self, status: int, message: str) -> None:
        self._write(Response.error(status, message), keep_alive=False)

    def _upgrade(self, request: Request) -> None:
        route = self._server.router.ws_route(request.path)
        key = request.headers.get("sec-websocket-key")
        if route is None or request.method != "GET" or key is None:
            self._write(Response.text(404 if route is None else 400, "bad websocket request"), False)
            return
        if request.headers.get("sec-websocket-version") != "13":
            self._write(Response(426, b"", "text/plain", {"Sec-WebSocket-Version": "13"}), False)
            return
        assert self.transport is not None
        self.transport.write(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept_key(key).encode() + b"\r\n\r\n")
        handler, on_open = route
        self.ws = WebSocket(self.transport, handler)
        on_open(self.ws, request)
        rest = bytes(self._buf)
        self._buf.clear()
        if rest:
            self.ws.feed(rest)


def _parse_head(head: bytes) -> tuple[Request, int, bool]:
    text = head.decode("latin-1")
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise ValueError("malformed request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep:
            raise ValueError("malformed header line")
        headers[name.strip().lower()] = value.strip()
    if "transfer-encoding" in headers:
        raise ValueError("chunked request bodies are not supported; send Content-Length")
    raw_len = headers.get("content-length", "0")
    if not raw_len.isdigit():
        raise ValueError("bad Content-Length")
    path, _, query = target.partition("?")
    if "%" in path:
        path = urllib.parse.unquote(path)
    conn = headers.get("connection", "").lower()
    keep_alive = ("close" not in conn) if version == "HTTP/1.1" else ("keep-alive" in conn)
    return Request(method, path, query, headers, b""), int(raw_len), keep_alive


class HttpServer:
    """Listens on host:port; `port` holds the bound port (pass 0 for an ephemeral one)."""

    def __init__(self, router: Router, host: str = "127.0.0.1", port: int = 0, *,
                 commit: Commit | None = None) -> None:
        self.router = router
        self.host = host
        self.port = port
        self.commit = commit
        self.connections: set[HttpProtocol] = set()
        self.requests = 0
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: HttpProtocol(self), self.host, self.port, reuse_address=True, backlog=1024)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]

    def close(self) -> None:
        """Stop listening and drop every connection at once (used on shutdown)."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.abort()
        self.connections.clear()
