"""The executor's HTTP/1.1 connection over a real loopback socket: one write per request, and every
response framing a server may use (length, chunked, close-delimited, 1xx, no body), in any split."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from actors.executor.wire.http1 import Connection, ProtocolError

CASES = [  # (name, raw response, status, body, will_close)
    ("length", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}", 200, b"{}", False),
    ("chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"4\r\n{\"a\"\r\n3;x=1\r\n:1}\r\n0\r\n\r\n", 200, b'{"a":1}', False),
    ("chunked with trailer", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             b"2\r\n[]\r\n0\r\nX-T: 1\r\n\r\n", 200, b"[]", False),
    ("100 continue first", b"HTTP/1.1 100 Continue\r\n\r\n"
                           b"HTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\n1", 201, b"1", False),
    ("no content", b"HTTP/1.1 204 No Content\r\n\r\n", 204, b"", False),
    ("connection close", b"HTTP/1.1 400 Bad\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbad",
     400, b"bad", True),
    ("http/1.0", b"HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", 200, b"x", True),
    ("until close", b"HTTP/1.1 200 OK\r\n\r\nall of it", 200, b"all of it", True),
]


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(4)
    sock.settimeout(5)  # accept() is bounded
    yield sock
    sock.close()


def serve(listener: socket.socket, responses: list[bytes], split: int, close: bool) -> list[bytes]:
    """Answer one connection: each request (head + Content-Length body) gets the next response, written
    ``split`` bytes at a time; returns the raw requests as they arrived, one ``recv`` per entry."""
    arrived: list[bytes] = []

    def run() -> None:
        conn, _ = listener.accept()
        conn.settimeout(5)  # and so is every recv()
        with conn:
            for response in responses:
                data = conn.recv(65536)
                arrived.append(data)
                for i in range(0, len(response), split):
                    conn.sendall(response[i:i + split])
            if close:
                conn.shutdown(socket.SHUT_WR)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return arrived


@pytest.mark.parametrize("split", [1, 7, 65536])
@pytest.mark.parametrize(("name", "raw", "status", "body", "will_close"), CASES, ids=[c[0] for c in CASES])
def test_response_framings(listener: socket.socket, name: str, raw: bytes, status: int, body: bytes,
                           will_close: bool, split: int) -> None:
    serve(listener, [raw], split, close=name == "until close")
    conn = Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
    conn.send("DELETE", "/orders", {"X-A": "1"}, b'["0x1"]', timeout=5)
    res = conn.receive(5, "DELETE")
    assert (res.status, res.body, res.will_close) == (status, body, will_close)
    conn.close()


def test_a_request_is_one_write_and_keep_alive_reads_back_to_back(listener: socket.socket) -> None:
    arrived = serve(listener, [CASES[0][1], CASES[1][1]], 65536, close=False)
    conn = Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
    conn.send("POST", "/order", {"Content-Type": "application/json"}, b'{"x":1}', timeout=5)
    assert conn.receive(5, "POST").body == b"{}"
    assert conn.idle_and_open()
    conn.send("GET", "/data/orders?next_cursor=MA==", {}, None, timeout=5)
    assert conn.receive(5).body == b'{"a":1}'
    port = listener.getsockname()[1]
    assert arrived[0] == (b"POST /order HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 7\r\n\r\n{\"x\":1}" % port)  # head and body in one segment
    assert arrived[1].startswith(b"GET /data/orders?next_cursor=MA== HTTP/1.1\r\n")
    assert b"Content-Length" not in arrived[1]
    conn.close()


@pytest.mark.parametrize("raw", [
    b"HTTP/2 200\r\n\r\n", b"garbage\r\n\r\n", b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n0\r\n\r\n",
])
def test_what_is_not_http_is_a_protocol_error(listener: socket.socket, raw: bytes) -> None:
    serve(listener, [raw], 65536, close=False)
    conn = Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
    conn.send("GET", "/", {}, None, timeout=5)
    with pytest.raises(ProtocolError):
        conn.receive(5)
    conn.close()


def test_a_close_mid_response_and_silence_are_os_errors(listener: socket.socket) -> None:
    serve(listener, [b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"], 65536, close=True)
    conn = Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
    conn.send("GET", "/", {}, None, timeout=5)
    with pytest.raises(ConnectionResetError):
        conn.receive(5)
    conn.close()
    conn = Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
    conn.send("GET", "/", {}, None, timeout=5)
    with pytest.raises(TimeoutError):
        conn.receive(0.05)
    conn.close()


def test_take_never_blocks_and_hands_the_response_over_once_all_of_it_is_in(listener: socket.socket) -> None:
    conn = Connection("127.0.0.1", listener.getsockname()[1], timeout=5)
    server, _ = listener.accept()
    with server:
        server.settimeout(5)
        conn.send("GET", "/data/orders", {}, None, timeout=5)
        assert server.recv(65536).startswith(b"GET /data/orders")
        assert conn.take() is None  # nothing yet: it returns at once
        raw = CASES[1][1]  # chunked
        server.sendall(raw[:40])
        assert conn.wait(5)
        conn.fill()
        assert conn.take() is None  # part of it
        server.sendall(raw[40:])
        assert conn.wait(5)
        response = conn.take()
        assert response is not None and (response.status, response.body) == (200, b'{"a":1}')
        assert conn.take() is None and conn.idle_and_open()
    conn.close()
