"""The venue's WebSockets, client side: one way to open, read, send on and close them (market-feed and
user-feed).

- **Open**: ``handshake`` (DNS + TCP + TLS + the HTTP upgrade, done by websocket-client; blocking, bounded
  by a timeout) runs in a daemon thread through ``bus.bridge.Bridge``, so a reconnect never stalls the
  loop; the socket is wrapped (``WebSocket``) and reported on the loop's thread. Our own frames are
  all sent from the loop, after the open is reported.
- **Read** (the market-feed's hot path): non-blocking, when the Node's poller says the fd is readable.
  Received bytes are read in bulk and cut into messages by ``wsframes`` (see there why not
  websocket-client's ``recv_data``). Plain TCP: one ``recv`` per wake-up takes whatever the kernel holds,
  and bytes that come later keep the fd readable (the poller is level-triggered), so reading on until
  ``BlockingIOError`` would only add a failing ``recv`` (and an exception) to every frame. TLS returns
  one record per ``recv``, so there records are read until the socket is empty or ``READ_CHUNK`` bytes
  were read (one batch per wake-up, as for TCP); decrypted bytes left in the SSL object are invisible to
  the poller: then ``more`` is set and ``Sockets`` runs the read again on the next loop turn instead of
  waiting for the fd. A server PING is answered with a PONG at once.
- **Send** (the one rule): a frame is written whole within ``SEND_DEADLINE_S``, or the connection is over
  (``Closed``). The socket is switched to blocking with a timeout for the write and back to non-blocking
  after it. Our frames are small and rare (PING, subscription changes, PONG), so the kernel's send
  buffer takes them at once and the deadline only matters when the venue has stopped reading, i.e. when
  the connection is dead anyway. A half-written frame would corrupt the stream, so a frame that could
  not be written whole is never retried. (A non-blocking outbound buffer flushed when writable would need
  write-readiness in the poller for frames that in practice never wait.)
- **Close** (the one rule): a close frame (1000) if it can be written within ``CLOSE_DEADLINE_S``, then
  the TCP socket is closed. The venue's reply is never waited for.
- ``Sockets``: the sockets of one program by connection id, wired into the Node's poller.
"""

from __future__ import annotations

import socket
import ssl
import struct
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import websocket  # websocket-client: the handshake, and our (masked) client frames

from bus.bridge import Bridge, Wakeup
from venue_client.wsframes import CLOSE, PING, Control, FrameParser, ProtocolError

if TYPE_CHECKING:
    from bus.node import Node

SEND_DEADLINE_S = 1.0
CLOSE_DEADLINE_S = 0.1
READ_CHUNK = 1 << 16  # bytes per wake-up and socket at most (~200 price_change frames, ~2 ms of work)
_ABNF = websocket.ABNF


class Closed(Exception):
    """The socket is gone; ``str()`` says why."""


def handshake(url: str, timeout_s: float) -> socket.socket:
    """Open a WebSocket (blocking; run it off the loop); returns the connected TCP or TLS socket."""
    ws = websocket.create_connection(url, timeout=timeout_s, skip_utf8_validation=True,
                                     enable_multithread=False,
                                     sockopt=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),))
    if ws.sock is None:
        raise OSError("websocket is not connected")
    return ws.sock


def client_frame(payload: str | bytes, opcode: int = _ABNF.OPCODE_TEXT) -> bytes:
    """One masked client frame (RFC 6455 §5.3)."""
    return _ABNF.create_frame(payload, opcode).format()


class WebSocket:
    """An open client WebSocket: non-blocking reads (``read``), the send rule and the close rule."""

    __slots__ = ("fd", "more", "parser", "pending", "sock")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        sock.setblocking(False)
        self.fd: int = sock.fileno()
        self.parser = FrameParser()
        # TLS: decrypted bytes held by the SSL object (the poller only sees the kernel's buffer)
        self.pending: Callable[[], int] | None = getattr(sock, "pending", None)
        self.more = False  # call read() again without waiting for the fd

    def read(self) -> tuple[list[bytes], str]:
        """Messages available now and why the socket closed ("" while open).

        Plain TCP: one ``recv`` takes all the kernel holds (up to ``READ_CHUNK``), and anything newer
        keeps the fd readable. TLS: records are read on until the socket is empty or ``READ_CHUNK``
        bytes were read; ``more`` says whether decrypted bytes are left that the poller will not
        report. Messages read before a close are returned with the reason.
        """
        closed = ""
        self.more = False
        recv, feed, pending = self.sock.recv, self.parser.feed, self.pending
        items: list[bytes | Control] = []
        got = 0
        try:
            while True:
                chunk = recv(READ_CHUNK)
                if not chunk:
                    closed = "connection closed by the venue"
                    break
                items += feed(chunk)
                got += len(chunk)
                if pending is None or got >= READ_CHUNK:
                    break
        except (BlockingIOError, ssl.SSLWantReadError):
            pass
        except (OSError, ProtocolError) as exc:
            closed = f"{type(exc).__name__}: {exc}"
        messages: list[bytes] = []
        for item in items:
            if type(item) is bytes:
                messages.append(item)
            elif isinstance(item, Control):
                why = self._control(item)
                if why:
                    return messages, why
        self.more = not closed and pending is not None and pending() > 0
        return messages, closed

    def _control(self, item: Control) -> str:
        if item.opcode == PING:
            try:
                self._write(client_frame(item.payload, _ABNF.OPCODE_PONG), SEND_DEADLINE_S)
            except Closed as exc:
                return f"Closed: {exc}"
            return ""
        if item.opcode == CLOSE:
            data = item.payload
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 0
            return f"close frame {code} {data[2:].decode(errors='replace')}".strip()
        return ""

    def send(self, text: str) -> None:
        """One text frame, written whole within ``SEND_DEADLINE_S``; raises ``Closed`` otherwise."""
        self._write(client_frame(text), SEND_DEADLINE_S)

    def _write(self, data: bytes, deadline_s: float) -> None:
        sock = self.sock
        view = memoryview(data)
        deadline = time.monotonic() + deadline_s
        try:
            try:
                while view:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise TimeoutError(f"frame not written within {deadline_s} s")
                    sock.settimeout(left)
                    view = view[sock.send(view):]
            finally:
                sock.setblocking(False)
        except OSError as exc:  # includes TimeoutError and the ssl errors
            raise Closed(f"send failed: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """A close frame if it can be written within ``CLOSE_DEADLINE_S``, then the TCP socket closes."""
        try:
            self._write(client_frame(struct.pack("!H", 1000), _ABNF.OPCODE_CLOSE), CLOSE_DEADLINE_S)
        except Closed:
            pass
        self.sock.close()


Opened = Callable[[int, str], None]  # (conn, error): "" on success
Received = Callable[[int, list[bytes], str], None]  # (conn, messages, why it closed or "")


class Sockets:
    """The WebSockets of one program, by connection id, wired into a Node's poller.

    ``connect(conn)`` opens in the background (through ``bridge``); ``opened(conn, error)`` runs on the
    loop's thread when it finished (``error`` "" on success). ``received(conn, messages, closed)`` runs
    whenever a socket had something to read (``closed``: why it is gone, "" while open; the owner then
    calls ``close``). A socket whose read stopped with decrypted bytes still held (TLS) is read again on
    the next loop turn. A connect that finishes after ``close`` (or after a newer ``connect``) of the
    same id is closed and not reported.
    """

    def __init__(self, node: Node, bridge: Bridge, url: str, timeout_s: float, opened: Opened,
                 received: Received, open_fn: Callable[[str, float], socket.socket] = handshake) -> None:
        self.node, self.bridge = node, bridge
        self.url, self.timeout_s, self.open_fn = url, timeout_s, open_fn
        self.opened, self.received = opened, received
        self.sockets: dict[int, WebSocket] = {}
        self.pending: dict[int, int] = {}  # conn -> number of the connect in flight
        self.attempt = 0
        self._rearm: dict[int, WebSocket] = {}
        self._wakeup = Wakeup()
        node.add_reader(self._wakeup.fd, self._read_again)

    def connect(self, conn: int) -> None:
        self.attempt += 1
        attempt = self.pending[conn] = self.attempt
        url, timeout_s, open_fn = self.url, self.timeout_s, self.open_fn
        self.bridge.submit(f"connect-{conn}-{attempt}", lambda: open_fn(url, timeout_s),
                           lambda sock, error: self._done(conn, attempt, sock, error))

    def send(self, conn: int, text: str) -> str:
        """Send on a live socket; returns why it failed ("" when sent or when there is no socket)."""
        sock = self.sockets.get(conn)
        if sock is None:
            return ""
        try:
            sock.send(text)
        except Closed as exc:
            return str(exc)
        return ""

    def close(self, conn: int) -> None:
        self.pending.pop(conn, None)
        sock = self.sockets.pop(conn, None)
        if sock is not None:
            self.node.remove_reader(sock.fd)
            sock.close()

    def close_all(self) -> None:
        for conn in list(self.sockets):
            self.close(conn)
        self.pending.clear()
        self.node.remove_reader(self._wakeup.fd)
        self._wakeup.close()

    def _done(self, conn: int, attempt: int, raw: socket.socket | None, error: BaseException | None) -> None:
        sock, why = None, ""
        if raw is None or error is not None:
            why = f"{type(error).__name__}: {error}"
        else:
            try:
                sock = WebSocket(raw)
            except OSError as exc:
                raw.close()
                why = f"{type(exc).__name__}: {exc}"
        if self.pending.get(conn) != attempt:  # closed or superseded while connecting
            if sock is not None:
                sock.close()
            return
        del self.pending[conn]
        if sock is not None:
            self.sockets[conn] = sock
            self.node.add_reader(sock.fd, lambda: self._read(conn, sock))
            self._again(conn, sock)  # TLS may already hold decrypted bytes the poller cannot see
        self.opened(conn, why)

    def _read(self, conn: int, sock: WebSocket) -> None:
        messages, closed = sock.read()
        self.received(conn, messages, closed)
        if sock.more:
            self._again(conn, sock)

    def _again(self, conn: int, sock: WebSocket) -> None:
        self._rearm[conn] = sock
        self._wakeup.wake()

    def _read_again(self) -> None:
        self._wakeup.clear()
        due, self._rearm = self._rearm, {}
        for conn, sock in due.items():
            if self.sockets.get(conn) is sock:
                self._read(conn, sock)
