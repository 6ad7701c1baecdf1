"""Market-channel sockets (websocket-client), read from the Node's poller on the loop's thread.

- ``Connector`` opens sockets in daemon threads (DNS + TCP + TLS + WebSocket handshake block, and a
  reconnect must not stall the other sockets' frames) and hands each result back on the loop's thread
  through a socketpair registered with the poller. Nothing else leaves the loop's thread.
- ``SocketPool`` keeps the open sockets by connection id and registers them with the poller.
- ``MarketSocket`` is an open socket switched to non-blocking. websocket-client did the handshake and
  does the sending; received bytes are read in bulk and cut into messages by ``wsframes`` (see there
  why). Plain TCP: one ``recv`` per wake-up takes whatever the kernel holds, and bytes that come
  later keep the fd readable (the poller is level-triggered), so reading on until ``BlockingIOError``
  would only add a failing ``recv`` (and an exception) to every frame. TLS returns one record per
  ``recv``, so there the records are read until the socket is empty (one batch per wake-up, as for
  TCP); decrypted bytes left in the SSL object are invisible to the poller: then ``more`` is set and
  the shell re-arms itself instead of waiting for the fd.
"""

from __future__ import annotations

import queue
import socket
import ssl
import struct
import threading
from collections.abc import Callable

import websocket  # websocket-client

from actors.market_feed.wsframes import CLOSE, PING, Control, FrameParser, ProtocolError
from bus.node import Node

SEND_TIMEOUT_S = 1.0
READ_CHUNK = 1 << 16  # bytes per wake-up and socket at most (~200 price_change frames, ~2 ms of work)


class Closed(Exception):
    """The socket is gone; ``str()`` says why."""


def open_socket(url: str, timeout_s: float) -> websocket.WebSocket:
    return websocket.create_connection(url, timeout=timeout_s, skip_utf8_validation=True,
                                       enable_multithread=False,
                                       sockopt=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),))


class MarketSocket:
    __slots__ = ("fd", "more", "parser", "pending", "sock", "ws")

    def __init__(self, ws: websocket.WebSocket) -> None:
        self.ws = ws
        sock = ws.sock
        if sock is None:
            raise OSError("websocket is not connected")
        self.sock: socket.socket = sock
        sock.setblocking(False)
        self.fd: int = sock.fileno()
        self.parser = FrameParser()
        # TLS: decrypted bytes held by the SSL object (the poller only sees the kernel's buffer)
        self.pending: Callable[[], int] | None = getattr(sock, "pending", None)
        self.more = False  # call read() again without waiting for the fd

    def read(self) -> tuple[list[bytes], str]:
        """Messages available now and why the socket closed ("" while open).

        Plain TCP: one ``recv`` takes all the kernel holds (up to ``READ_CHUNK``), and anything newer
        keeps the fd readable. TLS: one ``recv`` returns one record, so records are read on until the
        socket is empty or ``READ_CHUNK`` bytes were read (one batch, as for TCP); ``more`` says
        whether decrypted bytes are left that the poller will not report. Messages read before a
        close are returned with the reason. A server PING is answered here.
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
                try:
                    why = self._control(item)
                except Closed as exc:
                    why = f"Closed: {exc}"
                if why:
                    return messages, why
        self.more = not closed and pending is not None and pending() > 0
        return messages, closed

    def _control(self, item: Control) -> str:
        if item.opcode == PING:
            self._send(lambda: self.ws.pong(item.payload))
            return ""
        if item.opcode == CLOSE:
            data = item.payload
            code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 0
            return f"close frame {code} {data[2:].decode(errors='replace')}".strip()
        return ""

    def send(self, text: str) -> None:
        self._send(lambda: self.ws.send(text))

    def _send(self, fn: Callable[[], object]) -> None:
        """Send one frame whole. Our frames are small and rare (PING, subscriptions, pongs), so the
        socket is made blocking (bounded) for the send: a half-sent frame would corrupt the stream."""
        try:
            self.sock.settimeout(SEND_TIMEOUT_S)
            try:
                fn()
            finally:
                self.sock.setblocking(False)
        except (websocket.WebSocketException, OSError) as exc:
            raise Closed(f"send failed: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        """Close frame (best effort, bounded), then the TCP socket. Never blocks for long."""
        try:
            self.sock.settimeout(0.1)
            self.ws.send_close()
        except Exception:
            pass
        self.ws.shutdown()


Opened = Callable[[int, int, "MarketSocket | None", str], None]  # (conn, attempt, socket, error)


class Connector:
    """Opens sockets off the loop's thread; ``opened`` runs on the loop's thread via ``drain``."""

    def __init__(self, url: str, timeout_s: float, opened: Opened,
                 open_fn: Callable[[str, float], websocket.WebSocket] = open_socket) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.opened = opened
        self.open_fn = open_fn
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._done: queue.SimpleQueue[tuple[int, int, websocket.WebSocket | None, str]] = queue.SimpleQueue()

    @property
    def fd(self) -> int:
        return self._wake_r.fileno()

    def start(self, conn: int, attempt: int) -> None:
        def run() -> None:
            try:
                ws, error = self.open_fn(self.url, self.timeout_s), ""
            except Exception as exc:
                ws, error = None, f"{type(exc).__name__}: {exc}"
            self._done.put((conn, attempt, ws, error))
            try:
                self._wake_w.send(b"\0")
            except OSError:
                pass

        threading.Thread(target=run, name=f"market-feed-connect-{conn}", daemon=True).start()

    def drain(self) -> None:
        try:
            self._wake_r.recv(4096)
        except BlockingIOError:
            pass
        while True:
            try:
                conn, attempt, ws, error = self._done.get_nowait()
            except queue.Empty:
                return
            if ws is None:
                self.opened(conn, attempt, None, error)
                continue
            try:
                sock = MarketSocket(ws)
            except OSError as exc:
                ws.shutdown()
                self.opened(conn, attempt, None, f"{type(exc).__name__}: {exc}")
                continue
            self.opened(conn, attempt, sock, "")

    def close(self) -> None:
        self._wake_r.close()
        self._wake_w.close()


class SocketPool:
    """The market sockets of one feed, by connection id, wired into the Node's poller.

    ``connect`` opens in the background; ``opened(conn, error)`` runs on the loop's thread when it
    finished (``error`` "" on success); ``readable(conn, sock)`` runs whenever a socket has bytes, or
    again soon after ``read()`` stopped at its budget. A connect that finishes after ``close`` (or
    after a newer ``connect``) of the same id is closed and not reported.
    """

    def __init__(self, node: Node, url: str, timeout_s: float, opened: Callable[[int, str], None],
                 readable: Callable[[int, MarketSocket], None]) -> None:
        self.node = node
        self.opened = opened
        self.readable = readable
        self.connector = Connector(url, timeout_s, self._done)
        self.sockets: dict[int, MarketSocket] = {}
        self.pending: dict[int, int] = {}  # conn -> number of the connect in flight
        self.attempt = 0
        self.rearm: set[int] = set()
        self._kick_r, self._kick_w = socket.socketpair()
        self._kick_r.setblocking(False)
        self._kick_w.setblocking(False)
        node.add_reader(self.connector.fd, self.connector.drain)
        node.add_reader(self._kick_r.fileno(), self._on_kick)

    def connect(self, conn: int) -> None:
        self.attempt += 1
        self.pending[conn] = self.attempt
        self.connector.start(conn, self.attempt)

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

    def again(self, conn: int) -> None:
        """Call ``readable`` for this socket on the next loop turn, without waiting for its fd."""
        self.rearm.add(conn)
        self._kick_w.send(b"\0")

    def _done(self, conn: int, attempt: int, sock: MarketSocket | None, error: str) -> None:
        if self.pending.get(conn) != attempt:  # closed or superseded while connecting
            if sock is not None:
                sock.close()
            return
        del self.pending[conn]
        if sock is not None:
            self.sockets[conn] = sock
            self.node.add_reader(sock.fd, lambda: self.readable(conn, sock))
            self.again(conn)  # TLS may already hold decrypted bytes the poller cannot see
        self.opened(conn, error)

    def _on_kick(self) -> None:
        try:
            self._kick_r.recv(4096)
        except BlockingIOError:
            pass
        conns, self.rearm = self.rearm, set()
        for conn in conns:
            sock = self.sockets.get(conn)
            if sock is not None:
                self.readable(conn, sock)

    def close_all(self) -> None:
        for conn in list(self.sockets):
            self.close(conn)
        self.connector.close()
        self._kick_r.close()
        self._kick_w.close()
