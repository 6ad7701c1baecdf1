"""actors.market_feed.connection.MarketSocket.read: one recv per wake-up, frames cut by wsframes.

A real socketpair stands in for the venue's end; websocket-client's object is only used for sending
(pongs), so a fake records those.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest

from actors.market_feed.connection import READ_CHUNK, MarketSocket
from actors.market_feed.wsframes import BINARY, CLOSE, PING, PONG, TEXT


def frame(payload: bytes, opcode: int = TEXT, fin: bool = True) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        return head + bytes([n]) + payload
    if n < 1 << 16:
        return head + bytes([126]) + n.to_bytes(2, "big") + payload
    return head + bytes([127]) + n.to_bytes(8, "big") + payload


class FakeWs:
    def __init__(self, sock: socket.socket, fail: bool = False) -> None:
        self.sock = sock
        self.fail = fail
        self.pongs: list[bytes] = []

    def pong(self, payload: bytes) -> None:
        if self.fail:
            raise OSError("broken pipe")
        self.pongs.append(payload)


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    venue, ours = socket.socketpair()
    yield venue, ours
    venue.close()
    ours.close()


CLOSE_1000 = frame(b"\x03\xe8bye", CLOSE)
CASES = [  # (name, bytes the venue sent, messages, why closed, pongs sent)
    ("nothing yet", b"", [], "", []),
    ("three frames in one read", frame(b"a") + frame(b"b" * 300) + frame(b"c", BINARY),
     [b"a", b"b" * 300, b"c"], "", []),
    ("ping answered, data kept", frame(b"x") + frame(b"hb", PING) + frame(b"y"), [b"x", b"y"], "", [b"hb"]),
    ("pong frames are ignored", frame(b"", PONG) + frame(b"PONG"), [b"PONG"], "", []),
    ("messages before a close are kept", frame(b"x") + CLOSE_1000 + frame(b"after"), [b"x"],
     "close frame 1000 bye", []),
    ("a fragmented message across a ping", frame(b"[1,", fin=False) + frame(b"p", PING) + frame(b"2]", 0x0),
     [b"[1,2]"], "", [b"p"]),
    ("protocol error", frame(b"x") + bytes([0xC1, 1]) + b"x", [], "ProtocolError: reserved bits set", []),
]


@pytest.mark.parametrize(("sent", "messages", "closed", "pongs"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_read(pair: tuple[socket.socket, socket.socket], sent: bytes, messages: list[bytes], closed: str,
              pongs: list[bytes]) -> None:
    venue, ours = pair
    ws = FakeWs(ours)
    sock = MarketSocket(ws)  # type: ignore[arg-type]
    venue.sendall(sent)
    assert sock.read() == (messages, closed)
    assert ws.pongs == pongs
    assert not sock.more  # a plain socket: the poller sees whatever is left


def test_a_frame_split_across_reads(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = MarketSocket(FakeWs(ours))  # type: ignore[arg-type]
    data = frame(b"q" * 1000) + frame(b"r")
    venue.sendall(data[:500])
    assert sock.read() == ([], "")
    venue.sendall(data[500:])
    assert sock.read() == ([b"q" * 1000, b"r"], "")


def test_one_recv_per_call_the_rest_comes_on_the_next(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * READ_CHUNK)
    sock = MarketSocket(FakeWs(ours))  # type: ignore[arg-type]
    payloads = [bytes([65 + i % 26]) * 1000 for i in range(100)]  # ~100 kB: more than one READ_CHUNK
    venue.sendall(b"".join(frame(p) for p in payloads))
    got: list[bytes] = []
    reads = 0
    while len(got) < len(payloads):
        messages, closed = sock.read()
        assert closed == ""
        got += messages
        reads += 1
    assert got == payloads and reads >= 2


def test_end_of_stream_is_a_close(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = MarketSocket(FakeWs(ours))  # type: ignore[arg-type]
    venue.sendall(frame(b"x"))
    venue.shutdown(socket.SHUT_WR)
    assert sock.read() == ([b"x"], "")
    assert sock.read() == ([], "connection closed by the venue")


def test_a_failed_pong_closes(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = MarketSocket(FakeWs(ours, fail=True))  # type: ignore[arg-type]
    venue.sendall(frame(b"x") + frame(b"hb", PING) + frame(b"y"))
    messages, closed = sock.read()
    assert messages == [b"x"] and closed.startswith("Closed: send failed: OSError")


class TlsLike:
    """TLS: one record per ``recv``; ``pending`` counts bytes the SSL object holds already decrypted
    (here: every record not read yet), which the poller cannot see."""

    def __init__(self, records: list[bytes]) -> None:
        self.records = records

    def setblocking(self, flag: bool) -> None:
        pass

    def settimeout(self, value: float) -> None:
        pass

    def fileno(self) -> int:
        return 99

    def recv(self, n: int) -> bytes:
        if not self.records:
            raise ssl.SSLWantReadError
        return self.records.pop(0)

    def pending(self) -> int:
        return sum(map(len, self.records))


def test_tls_records_are_read_until_the_socket_is_empty() -> None:
    sock = MarketSocket(FakeWs(TlsLike([frame(b"one"), frame(b"two") + frame(b"three")])))  # type: ignore[arg-type]
    assert sock.read() == ([b"one", b"two", b"three"], "") and not sock.more
    assert sock.read() == ([], "") and not sock.more


def test_tls_stops_at_the_read_budget_and_asks_to_be_called_again() -> None:
    big = [bytes([65 + i]) * 40_000 for i in range(3)]
    sock = MarketSocket(FakeWs(TlsLike([frame(p) for p in big])))  # type: ignore[arg-type]
    assert sock.read() == (big[:2], "") and sock.more  # 80 kB >= READ_CHUNK: the rest next turn
    assert sock.read() == (big[2:], "") and not sock.more


def test_tls_end_of_stream_after_records_keeps_them() -> None:
    sock = MarketSocket(FakeWs(TlsLike([frame(b"last"), b""])))  # type: ignore[arg-type]
    assert sock.read() == ([b"last"], "connection closed by the venue") and not sock.more
