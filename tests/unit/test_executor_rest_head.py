"""The prebuilt header block of authenticated requests writes the very bytes the header-dict path writes."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from actors.executor.wire.rest import RestClient
from clob.auth import ApiCreds, verify_l2_headers
from tests.support.waits import wait_for_value

CREDS = ApiCreds(api_key="00000000-1111-2222-3333-444444444444", secret="c2VjcmV0LXNlY3JldC1zZWNyZXQ",
                 passphrase="p" * 64)
ADDRESS = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(5)
    yield sock
    sock.close()


def written(listener: socket.socket, rest: RestClient, method: str, path: str, body: bytes | None,
            **kw: object) -> bytes:
    """The raw request: ``send`` only writes (its reply is never read), so one thread is enough."""
    sent = rest.send(method, path, body, **kw)  # type: ignore[arg-type]
    assert sent.conn is not None, sent.result
    conn, _ = listener.accept()
    conn.settimeout(5)
    data = b""
    with conn:
        while b"\r\n\r\n" not in data or len(data) < data.index(b"\r\n\r\n") + 4 + len(body or b""):
            chunk = conn.recv(65536)
            assert chunk, "the client closed early"
            data += chunk
    return data


@pytest.mark.parametrize(("method", "path", "query", "body"), [
    ("POST", "/orders", "", b'[{"order":1}]'), ("DELETE", "/orders", "", b'["0x1"]'),
    ("DELETE", "/cancel-all", "", None), ("POST", "/v1/heartbeats", "", None), ("POST", "/order", "", b""),
    ("GET", "/data/orders", "?next_cursor=MA==", None),
])
def test_prebuilt_head_equals_the_header_dict_head(listener: socket.socket, method: str, path: str,
                                                  query: str, body: bytes | None) -> None:
    rest = RestClient(f"http://127.0.0.1:{listener.getsockname()[1]}/api", ADDRESS, timeout_ms=2000,
                      clock_s=lambda: 1_700_000_000.5)
    rest.creds = CREDS
    fast = written(listener, rest, method, path, body, query=query)
    general = written(listener, rest, method, path, body, query=query, headers={})  # the dict path
    assert fast == general
    head = fast.split(b"\r\n\r\n")[0].decode().split("\r\n")
    assert head[0] == f"{method} /api{path}{query} HTTP/1.1"
    headers = dict(line.split(": ", 1) for line in head[1:])
    verify_l2_headers(headers, method=method, path=path, body=body, lookup={CREDS.api_key: CREDS}.get)
    assert rest.calls[f"{method} {path}"] == 2
    rest.close()


def test_new_credentials_get_a_new_header_block(listener: socket.socket) -> None:
    rest = RestClient(f"http://127.0.0.1:{listener.getsockname()[1]}", ADDRESS, timeout_ms=2000)
    rest.creds = CREDS
    written(listener, rest, "DELETE", "/orders", b"[]")
    rest.creds = ApiCreds(api_key="k2", secret=CREDS.secret, passphrase="q")
    assert b"POLY_API_KEY: k2\r\n" in written(listener, rest, "DELETE", "/orders", b"[]")
    rest.close()


def test_poll_never_waits_and_gives_up_at_the_deadline(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    watched: list[object] = []
    rest = RestClient(f"http://127.0.0.1:{port}", ADDRESS, timeout_ms=50, watch=watched.append,
                      unwatch=watched.remove)
    rest.creds = CREDS
    sent = rest.send("GET", "/data/order/0x01")
    server, _ = listener.accept()
    with server:
        assert watched == [sent.conn]  # the loop watches its socket
        assert rest.poll(sent) is None  # not in yet: never waits
        res = wait_for_value(lambda: rest.poll(sent), "the deadline")
        assert res.status == 0 and "timed out" in res.error
        assert watched == []  # that connection is done for
    rest.close()
