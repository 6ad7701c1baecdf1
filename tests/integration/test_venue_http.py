"""The hand-written HTTP/1.1 + RFC 6455 server over real loopback sockets (no venue logic)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator

import pytest
import websocket  # websocket-client
from websocket import ABNF

from venue.server.http import HttpServer, Request, Response, Router
from venue.server.websocket import WebSocket

TIMEOUT = 5.0


class Echo:
    """WsHandler: echoes text, records closes."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def on_text(self, ws: WebSocket, text: str) -> None:
        ws.send_text("echo:" + text)

    def on_close(self, ws: WebSocket) -> None:
        self.closed.set()


async def _slow(request: Request) -> Response:
    await asyncio.sleep(0.01)  # finishes after a later pipelined request could have: order must hold
    return Response.json({"slow": True})


def _router(echo: Echo) -> Router:
    router = Router()
    router.add("GET", "/ok", lambda r: Response.json("OK"))
    router.add("GET", "/q", lambda r: Response.json({"a": r.arg("a"), "all": r.query.get("s", [])}))
    router.add("POST", "/echo", lambda r: Response.json({"got": r.json()}))
    router.add("GET", "/items/{item_id}", lambda r: Response.json({"id": r.params["item_id"]}))
    router.add("GET", "/slow", _slow)
    router.add("GET", "/boom", lambda r: 1 // 0)  # type: ignore[arg-type,return-value]
    router.websocket("/ws", echo, lambda ws, req: None)
    return router


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[int, Echo]]:
    echo = Echo()
    loop = asyncio.new_event_loop()
    srv = HttpServer(_router(echo), "127.0.0.1", 0)
    loop.run_until_complete(srv.start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield srv.port, echo
    loop.call_soon_threadsafe(srv.close)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(TIMEOUT)
    loop.close()


def _read_response(sock: socket.socket, buf: bytearray) -> tuple[int, dict[str, str], bytes]:
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before the response"
        buf += chunk
    head, _, rest = bytes(buf).partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk
        rest += chunk
    buf[:] = rest[length:]
    return status, headers, rest[:length]


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    return sock


def test_keep_alive_serves_several_requests_on_one_connection(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        buf = bytearray()
        for _ in range(3):
            sock.sendall(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
            status, headers, body = _read_response(sock, buf)
            assert (status, body) == (200, b'"OK"')
            assert headers["content-type"] == "application/json"


def test_pipelined_requests_are_answered_in_order_even_with_async_handlers(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        sock.sendall(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\nGET /items/7 HTTP/1.1\r\nHost: x\r\n\r\n")
        buf = bytearray()
        assert json.loads(_read_response(sock, buf)[2]) == {"slow": True}
        assert json.loads(_read_response(sock, buf)[2]) == {"id": "7"}


def test_query_parsing_path_params_and_json_body(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        buf = bytearray()
        sock.sendall(b"GET /q?a=1&s=x&s=y%20z HTTP/1.1\r\nHost: x\r\n\r\n")
        assert json.loads(_read_response(sock, buf)[2]) == {"a": "1", "all": ["x", "y z"]}
        body = b'{"k":[1,2]}'
        sock.sendall(b"POST /echo HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:4])
        sock.sendall(body[4:])  # a body split across TCP segments
        assert json.loads(_read_response(sock, buf)[2]) == {"got": {"k": [1, 2]}}


def test_unknown_path_is_404_and_wrong_method_is_405(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        buf = bytearray()
        sock.sendall(b"GET /nope HTTP/1.1\r\n\r\n")
        assert _read_response(sock, buf)[0] == 404
        sock.sendall(b"DELETE /ok HTTP/1.1\r\n\r\n")
        status, headers, _ = _read_response(sock, buf)
        assert status == 405 and headers["allow"] == "GET"


def test_handler_exception_is_a_500_and_the_connection_survives(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        buf = bytearray()
        sock.sendall(b"GET /boom HTTP/1.1\r\n\r\n")
        status, _, body = _read_response(sock, buf)
        assert status == 500 and json.loads(body) == {"error": "internal error"}
        sock.sendall(b"GET /ok HTTP/1.1\r\n\r\n")
        assert _read_response(sock, buf)[0] == 200


def test_connection_close_header_closes_after_the_response(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        buf = bytearray()
        sock.sendall(b"GET /ok HTTP/1.1\r\nConnection: close\r\n\r\n")
        assert _read_response(sock, buf)[0] == 200
        assert sock.recv(10) == b""


def test_malformed_request_is_400(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        sock.sendall(b"garbage\r\n\r\n")
        assert _read_response(sock, bytearray())[0] == 400


def _ws(port: int) -> websocket.WebSocket:
    return websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=TIMEOUT)


def test_websocket_text_round_trip_and_large_frames(server: tuple[int, Echo]) -> None:
    port, _ = server
    ws = _ws(port)
    try:
        ws.send("hello")
        assert ws.recv() == "echo:hello"
        big = "x" * 70_000  # 64-bit length on both directions
        ws.send(big)
        assert ws.recv() == "echo:" + big
    finally:
        ws.close()


def test_websocket_fragmented_message_is_reassembled(server: tuple[int, Echo]) -> None:
    port, _ = server
    ws = _ws(port)
    try:
        ws.send_frame(ABNF.create_frame("frag", ABNF.OPCODE_TEXT, fin=0))
        ws.ping(b"in-between")  # control frames may interleave with fragments
        ws.send_frame(ABNF.create_frame("men", ABNF.OPCODE_CONT, fin=0))
        ws.send_frame(ABNF.create_frame("ted", ABNF.OPCODE_CONT, fin=1))
        opcode, frame = ws.recv_data_frame(control_frame=True)
        assert opcode == ABNF.OPCODE_PONG and frame.data == b"in-between"
        assert ws.recv() == "echo:fragmented"
    finally:
        ws.close()


def test_websocket_close_handshake_reaches_the_handler(server: tuple[int, Echo]) -> None:
    port, echo = server
    echo.closed.clear()
    ws = _ws(port)
    ws.close()
    assert echo.closed.wait(TIMEOUT)


def test_unmasked_client_frame_is_a_protocol_error(server: tuple[int, Echo]) -> None:
    port, _ = server
    with _connect(port) as sock:
        sock.sendall(b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        status, headers, _ = _read_response(sock, buf := bytearray())
        assert status == 101 and headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        sock.sendall(b"\x81\x02hi")  # no mask bit
        data = bytes(buf)
        while len(data) < 4:
            chunk = sock.recv(64)
            if not chunk:
                break
            data += chunk
        assert data[0] == 0x88 and int.from_bytes(data[2:4], "big") == 1002
