"""venue_client.ws: the one WebSocket client of the feeds, over real loopback sockets.

- ``WebSocket.read``: one recv per wake-up, frames cut by wsframes; a server PING is answered at once.
- The send rule: a frame is written whole within the deadline, or the connection is over (``Closed``);
  the socket is non-blocking again afterwards.
- The close rule: a close frame (1000) if it can be written within its deadline, then the socket
  closes; the venue's reply is never waited for.
- ``Sockets``: opens through the bridge, reports on the loop's thread, drops a connect that finished
  after its close, and reads a TLS socket again while decrypted bytes are held.

A socketpair stands in for the venue's end. What the client wrote is read back there and cut with the
same parser (it unmasks client frames).
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bus.bridge import Bridge
from venue_client import ws
from venue_client.ws import READ_CHUNK, Closed, Sockets, WebSocket
from venue_client.wsframes import BINARY, CLOSE, PING, PONG, TEXT, Control, FrameParser

TIMEOUT_S = 5.0


def frame(payload: bytes, opcode: int = TEXT, fin: bool = True) -> bytes:
    n = len(payload)
    head = bytes([(0x80 if fin else 0) | opcode])
    if n < 126:
        return head + bytes([n]) + payload
    if n < 1 << 16:
        return head + bytes([126]) + n.to_bytes(2, "big") + payload
    return head + bytes([127]) + n.to_bytes(8, "big") + payload


def written_bytes(venue: socket.socket) -> bytes:
    """Every byte the client wrote so far (the venue's end, read until nothing more comes)."""
    out = b""
    while select.select([venue], [], [], 0.05)[0]:
        chunk = venue.recv(1 << 20)
        if not chunk:
            break
        out += chunk
    return out


def written(venue: socket.socket) -> list[bytes | Control]:
    """Every frame the client wrote so far."""
    return FrameParser().feed(written_bytes(venue))


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    venue, ours = socket.socketpair()
    venue.settimeout(TIMEOUT_S)
    yield venue, ours
    venue.close()
    ours.close()


# -- read ----------------------------------------------------------------------------------------

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
    sock = WebSocket(ours)
    venue.sendall(sent)
    assert sock.read() == (messages, closed)
    assert written(venue) == [Control(PONG, p) for p in pongs]
    assert not sock.more  # a plain socket: the poller sees whatever is left


def test_a_frame_split_across_reads(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = WebSocket(ours)
    data = frame(b"q" * 1000) + frame(b"r")
    venue.sendall(data[:500])
    assert sock.read() == ([], "")
    venue.sendall(data[500:])
    assert sock.read() == ([b"q" * 1000, b"r"], "")


def test_one_recv_per_call_the_rest_comes_on_the_next(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    ours.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * READ_CHUNK)
    sock = WebSocket(ours)
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
    sock = WebSocket(ours)
    venue.sendall(frame(b"x"))
    venue.shutdown(socket.SHUT_WR)
    assert sock.read() == ([b"x"], "")
    assert sock.read() == ([], "connection closed by the venue")


class SendFails:
    """A real socket whose sends fail (a broken connection), so a PONG cannot go out."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)

    def send(self, data: bytes) -> int:
        raise OSError("broken pipe")


def test_a_failed_pong_closes(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = WebSocket(SendFails(ours))  # type: ignore[arg-type]
    venue.sendall(frame(b"x") + frame(b"hb", PING) + frame(b"y"))
    messages, closed = sock.read()
    assert messages == [b"x"] and closed.startswith("Closed: send failed: OSError")


class TlsLike:
    """TLS: one record per ``recv``; ``pending`` counts bytes the SSL object holds already decrypted
    (here: every record not read yet), which the poller cannot see. Its fd (a real socket's) never
    becomes readable."""

    def __init__(self, records: list[bytes]) -> None:
        self.records = records
        self.fd_owner, self.peer = socket.socketpair()

    def setblocking(self, flag: bool) -> None:
        pass

    def settimeout(self, value: float) -> None:
        pass

    def fileno(self) -> int:
        return self.fd_owner.fileno()

    def recv(self, n: int) -> bytes:
        if not self.records:
            raise ssl.SSLWantReadError
        return self.records.pop(0)

    def pending(self) -> int:
        return sum(map(len, self.records))

    def send(self, data: bytes) -> int:
        return len(data)

    def close(self) -> None:
        self.fd_owner.close()
        self.peer.close()


def test_tls_records_are_read_until_the_socket_is_empty() -> None:
    tls = TlsLike([frame(b"one"), frame(b"two") + frame(b"three")])
    sock = WebSocket(tls)  # type: ignore[arg-type]
    assert sock.read() == ([b"one", b"two", b"three"], "") and not sock.more
    assert sock.read() == ([], "") and not sock.more
    tls.close()


def test_tls_stops_at_the_read_budget_and_asks_to_be_called_again() -> None:
    big = [bytes([65 + i]) * 40_000 for i in range(3)]
    tls = TlsLike([frame(p) for p in big])
    sock = WebSocket(tls)  # type: ignore[arg-type]
    assert sock.read() == (big[:2], "") and sock.more  # 80 kB >= READ_CHUNK: the rest next turn
    assert sock.read() == (big[2:], "") and not sock.more
    tls.close()


def test_tls_end_of_stream_after_records_keeps_them() -> None:
    tls = TlsLike([frame(b"last"), b""])
    sock = WebSocket(tls)  # type: ignore[arg-type]
    assert sock.read() == ([b"last"], "connection closed by the venue") and not sock.more
    tls.close()


# -- the send rule -------------------------------------------------------------------------------

def test_a_send_writes_one_whole_masked_text_frame_and_leaves_the_socket_non_blocking(
        pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = WebSocket(ours)
    text = '{"operation":"subscribe","assets_ids":["' + "9" * 300 + '"]}'
    sock.send(text)
    sock.send("PING")
    raw = written_bytes(venue)
    assert raw[0] == 0x81 and raw[1] & 0x80  # FIN + text, masked (a client must mask)
    assert FrameParser().feed(raw) == [text.encode(), b"PING"]
    assert ours.gettimeout() == 0.0


def fill_until_full(sock: socket.socket) -> None:
    """Write until the kernel takes nothing more (the venue has stopped reading)."""
    sock.setblocking(False)
    try:
        while True:
            sock.send(b"\0" * 65536)
    except BlockingIOError:
        pass


def test_a_frame_the_venue_does_not_take_within_the_deadline_ends_the_connection(
        pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws, "SEND_DEADLINE_S", 0.05)
    _venue, ours = pair
    fill_until_full(ours)
    sock = WebSocket(ours)
    with pytest.raises(Closed, match=r"^send failed: TimeoutError"):
        sock.send("PING")
    assert ours.gettimeout() == 0.0  # never left blocking


def test_a_send_to_a_venue_that_is_gone_raises_closed(pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = WebSocket(ours)
    venue.close()
    with pytest.raises(Closed, match=r"^send failed: (BrokenPipeError|ConnectionResetError)"):
        sock.send("PING")


# -- the close rule ------------------------------------------------------------------------------

def test_close_sends_a_close_frame_and_does_not_wait_for_the_reply(
        pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    sock = WebSocket(ours)
    sock.close()  # the venue never answers: close returns anyway
    assert written(venue) == [Control(CLOSE, (1000).to_bytes(2, "big"))]
    assert venue.recv(1) == b""  # then end of stream
    assert ours.fileno() == -1
    sock.close()  # twice is harmless


def test_close_on_a_venue_that_stopped_reading_gives_up_the_close_frame_and_still_closes(
        pair: tuple[socket.socket, socket.socket], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws, "CLOSE_DEADLINE_S", 0.05)
    _venue, ours = pair
    fill_until_full(ours)
    WebSocket(ours).close()
    assert ours.fileno() == -1


# -- Sockets -------------------------------------------------------------------------------------

class Loop:
    """Just enough of a Node: readers by fd, and ``pump`` runs the ready ones (as ``Node.run`` does)."""

    def __init__(self) -> None:
        self.readers: dict[int, Callable[[], object]] = {}

    def add_reader(self, fd: int, callback: Callable[[], object]) -> None:
        self.readers[fd] = callback

    def remove_reader(self, fd: int) -> None:
        self.readers.pop(fd, None)

    def pump(self, until: Callable[[], bool]) -> None:
        for _ in range(100):
            if until():
                return
            ready, _, _ = select.select(list(self.readers), [], [], TIMEOUT_S)
            assert ready, "nothing became readable"
            for fd in ready:
                callback = self.readers.get(fd)
                if callback is not None:
                    callback()
        raise AssertionError("condition not reached")


class Rig:
    def __init__(self, open_fn: Callable[[str, float], Any]) -> None:
        self.loop, self.bridge = Loop(), Bridge("test")
        self.bridge.attach(self.loop)  # type: ignore[arg-type]
        self.opened: list[tuple[int, str, str]] = []
        self.received: list[tuple[int, list[bytes], str]] = []
        self.sockets = Sockets(self.loop, self.bridge, "ws://127.0.0.1:9/ws", 1.0,  # type: ignore[arg-type]
                               lambda conn, error: self.opened.append(
                                   (conn, error, threading.current_thread().name)),
                               lambda conn, msgs, closed: self.received.append((conn, msgs, closed)),
                               open_fn=open_fn)

    def close(self) -> None:
        self.sockets.close_all()
        self.bridge.close()


def test_an_open_socket_is_reported_on_the_loop_thread_and_its_frames_reach_received(
        pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    rig = Rig(lambda url, timeout: ours)
    try:
        rig.sockets.connect(7)
        rig.loop.pump(lambda: bool(rig.opened))
        assert rig.opened == [(7, "", threading.current_thread().name)]
        venue.sendall(frame(b"hello"))
        rig.loop.pump(lambda: any(msgs for _, msgs, _ in rig.received))
        assert [(c, m, why) for c, m, why in rig.received if m] == [(7, [b"hello"], "")]
        assert rig.sockets.send(7, "PING") == "" and written(venue) == [b"PING"]
    finally:
        rig.close()


def test_a_failed_connect_is_reported_with_its_error() -> None:
    def refuse(url: str, timeout: float) -> socket.socket:
        raise ConnectionRefusedError("refused")

    rig = Rig(refuse)
    try:
        rig.sockets.connect(1)
        rig.loop.pump(lambda: bool(rig.opened))
        assert [(c, e) for c, e, _ in rig.opened] == [(1, "ConnectionRefusedError: refused")]
        assert rig.sockets.sockets == {}
    finally:
        rig.close()


def test_a_connect_that_finishes_after_its_close_is_closed_and_not_reported(
        pair: tuple[socket.socket, socket.socket]) -> None:
    venue, ours = pair
    release = threading.Event()
    rig = Rig(lambda url, timeout: release.wait(TIMEOUT_S) and ours)
    try:
        rig.sockets.connect(1)
        rig.sockets.close(1)  # a lease went away while the handshake ran
        release.set()
        rig.loop.pump(lambda: ours.fileno() == -1)
        assert rig.opened == [] and rig.sockets.sockets == {}
        assert written(venue) == [Control(CLOSE, (1000).to_bytes(2, "big"))]
    finally:
        rig.close()


def test_a_tls_socket_holding_decrypted_bytes_is_read_again_without_its_fd() -> None:
    big = [bytes([65 + i]) * 40_000 for i in range(3)]
    tls = TlsLike([frame(p) for p in big])
    rig = Rig(lambda url, timeout: tls)
    try:
        rig.sockets.connect(1)
        rig.loop.pump(lambda: sum(len(m) for _, m, _ in rig.received) == 3)
        assert [m for _, m, _ in rig.received if m] == [big[:2], big[2:]]  # one batch per loop turn
        assert not select.select([tls.fd_owner], [], [], 0)[0]  # the poller never saw the fd readable
    finally:
        rig.close()
        tls.close()
