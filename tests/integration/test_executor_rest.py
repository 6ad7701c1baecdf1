"""The executor's REST client over a real loopback socket: exact bytes, L2 HMAC, keep-alive, and the
difference between "no answer" (unknown outcome) and "never sent"."""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from actors.executor.wire.rest import RestClient
from actors.executor.wire.signing import OrderSigner, post_body
from bus.bridge import Bridge
from clob.auth import ApiCreds, verify_l2_headers
from clob.signer import Signer
from schemas import PlaceOrder
from tests.support.waits import wait_until
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY

YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
TIMEOUT = 10.0
CREDS = ApiCreds(api_key="k-1", secret="c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==", passphrase="pp")


@dataclass
class Seen:
    conn: int
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    """A loopback HTTP/1.1 server: records each request; with ``hold`` set, answers only once ``release``
    is set; with ``close_idle``, hangs up after each answer. Every accept and read is bounded."""

    sock: socket.socket
    seen: list[Seen] = field(default_factory=list)
    hold: bool = False
    release: threading.Event = field(default_factory=threading.Event)
    close_idle: bool = False  # close each connection right after answering (an idle timeout)
    closed: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def serve(self) -> None:
        self.sock.settimeout(0.2)  # accept() wakes up to notice the fixture closing the server
        n = 0
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(TIMEOUT)
            threading.Thread(target=self.handle, args=(conn, n), daemon=True).start()
            n += 1

    def handle(self, conn: socket.socket, n: int) -> None:
        try:
            self._handle(conn, n)
        except OSError:  # a read timed out, or the client went away
            pass

    def _handle(self, conn: socket.socket, n: int) -> None:
        buf = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in buf:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buf += chunk
                head, _, buf = buf.partition(b"\r\n\r\n")
                lines = head.decode().split("\r\n")
                method, path, _ = lines[0].split(" ")
                headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
                length = int(headers.get("content-length", "0"))
                while len(buf) < length:
                    buf += conn.recv(65536)
                body, buf = buf[:length], buf[length:]
                close_after = self.close_idle  # read once per request: a flip while answering the one
                # before must not close the connection the client is already reusing (a race, not a test)
                self.seen.append(Seen(n, method, path, headers, body))
                if self.hold:
                    self.release.wait(TIMEOUT)
                data = b'{"ok":true}'
                try:
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                                 + str(len(data)).encode() + b"\r\n\r\n" + data)
                except OSError:
                    return
                if close_after:
                    return


@pytest.fixture
def server() -> Iterator[Server]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    srv = Server(sock)
    thread = threading.Thread(target=srv.serve, daemon=True)
    thread.start()
    yield srv
    srv.release.set()
    srv.closed.set()
    thread.join(5)
    sock.close()


def client(url: str, timeout_ms: int = 2000) -> RestClient:
    rest = RestClient(url, Signer(LOCAL_TEST_PRIVATE_KEY).address, timeout_ms=timeout_ms)
    rest.creds = CREDS
    return rest


def test_the_signed_body_is_sent_byte_for_byte_under_a_valid_hmac(server: Server) -> None:
    signer = OrderSigner(Signer(LOCAL_TEST_PRIVATE_KEY))
    cmd = PlaceOrder(cmd_id="c", holder="h", market="0x" + "ab" * 32, asset=YES, side="BUY", price=480_000,
                     size=10_000_000, tick=10_000, neg_risk=False)
    path, body = post_body([cmd], [signer.sign(cmd, 1_700_000_000_000)], CREDS.api_key)
    rest = client(server.url)
    assert rest.post(path, body).body == {"ok": True}
    assert rest.list_orders().body == {"data": []}  # a page without a cursor is the last page
    first, listing = server.seen
    assert (first.method, first.path, first.body) == ("POST", "/order", body)
    for seen in (first, listing):  # the query string is not signed (gotcha 21)
        verify_l2_headers({k.upper(): v for k, v in seen.headers.items()}, method=seen.method, path=seen.path,
                          body=seen.body, lookup={CREDS.api_key: CREDS}.get)
    assert listing.path == "/data/orders?next_cursor=MA=="
    rest.close()


def test_one_connection_is_kept_alive_and_a_closed_one_is_replaced(server: Server) -> None:
    rest = client(server.url)
    for _ in range(3):
        assert rest.get_order("0x01").ok
    assert {s.conn for s in server.seen} == {server.seen[0].conn}
    server.close_idle = True
    assert rest.get_order("0x02").ok  # answered, then the server hangs up (an idle timeout)
    sock = rest._idle[-1].sock if rest._idle else None
    deadline = time.monotonic() + 5
    while sock is not None and not select.select([sock], [], [], 0.05)[0]:
        assert time.monotonic() < deadline, "the server's close never arrived"
    assert rest.get_order("0x03").ok  # noticed before reuse: a fresh connection, not a failed request
    paths = [s.path for s in server.seen]
    assert paths == ["/data/order/0x01"] * 3 + ["/data/order/0x02", "/data/order/0x03"]
    assert server.seen[-1].conn != server.seen[0].conn
    rest.close()


def test_requests_in_flight_together_use_their_own_connections(server: Server) -> None:
    rest = client(server.url)
    first = rest.send_cancel_ids(["0x01"])
    second = rest.send("GET", "/data/order/0x02")  # written before the first reply was read
    assert first.conn is not None and second.conn is not None and first.conn is not second.conn
    assert rest.receive(first).ok and rest.receive(second).ok
    assert sorted(s.path for s in server.seen) == ["/data/order/0x02", "/orders"]  # one thread each
    assert rest.get_order("0x03").ok  # a connection of the two is reused: no third one
    assert server.seen[-1].conn in {server.seen[0].conn, server.seen[1].conn}
    rest.close()


def test_no_answer_in_time_is_an_unknown_outcome(server: Server) -> None:
    server.hold = True  # the server reads the request and answers only after the client gave up
    rest = client(server.url, timeout_ms=100)
    res = rest.post("/order", b"{}")
    assert res.status == 0 and res.sent and "timed out" in res.error
    # it did arrive: only reconciliation can tell what happened
    wait_until(lambda: len(server.seen) == 1, "the request to reach the server")
    server.release.set()
    rest.close()


def test_nobody_listening_means_never_sent() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # bound, never listening: connections are refused
        rest = client(f"http://127.0.0.1:{port}")
        res = rest.post("/order", b"{}")
    assert res.status == 0 and not res.sent
    assert dict(rest.calls) == {"POST /order": 1}


def test_spare_connections_are_opened_off_the_loop_and_the_next_requests_use_them(server: Server) -> None:
    """In idle time the executor keeps two connections open (``keep_spares``, a Bridge worker connects):
    a pipelined replace then writes its POST and its cancel on connections that already exist."""
    rest, bridge = client(server.url), Bridge("test")
    try:
        while len(rest._idle) < 2:  # one worker at a time: called again as the loop's timer would
            rest.keep_spares(bridge, 2)
            wait_until(lambda: not bridge.running or bridge.drain() > 0, "a spare connection opened")
            bridge.drain()
        assert rest.spares_opened == 2
        rest.keep_spares(bridge, 2)
        assert not bridge.running  # enough spares: nothing started
        spares = set(rest._idle)
        first = rest.send_cancel_ids(["0x01"])
        second = rest.send("GET", "/data/order/0x02")
        assert {first.conn, second.conn} == spares  # no connection opened on the request path
        assert rest.receive(first).ok and rest.receive(second).ok
    finally:
        rest.close()
        bridge.close()
