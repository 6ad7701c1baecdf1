"""The user WebSocket (websocket-client) read from the Node's poller, and blocking work kept off the loop.

- ``open_socket`` (blocking, run as a ``Jobs`` job): TCP + TLS + WebSocket handshake with a timeout,
  then the subscribe frame. ``skip_utf8_validation=True``: frames are parsed as bytes by msgspec.
- ``UserSocket``: the connected socket, switched to non-blocking so the loop never waits on it; its
  fd goes into ``Node.add_reader``. ``read()`` drains every complete frame (a partial frame stays
  buffered inside websocket-client until the rest arrives) and says when the peer is gone.
- ``Jobs``: runs a blocking call (connect, REST back-fill) in a daemon thread and hands the result back
  on the loop's thread through a socketpair registered with the poller.
"""

from __future__ import annotations

import queue
import socket
import ssl
import struct
import threading
from collections.abc import Callable
from typing import Any

import websocket  # websocket-client

_TEXT = (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY)


class Closed(Exception):
    """Sending failed: the user socket is gone; ``str()`` says why."""


def open_socket(url: str, first_frame: str, timeout_s: float) -> websocket.WebSocket:
    ws = websocket.create_connection(url, timeout=timeout_s, skip_utf8_validation=True,
                                     sockopt=((socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),))
    try:
        ws.send(first_frame)
    except Exception:
        ws.close()
        raise
    return ws


class UserSocket:
    def __init__(self, ws: websocket.WebSocket) -> None:
        assert ws.sock is not None
        self.ws = ws
        self.raw = ws.sock
        self.raw.setblocking(False)
        self.fd = self.raw.fileno()

    def read(self, limit: int = 10_000) -> tuple[list[bytes], str]:
        """Every complete text frame available now (at most ``limit``), and why the socket closed
        ("" while it is open). Frames read before a close are returned with the reason."""
        frames: list[bytes] = []
        while len(frames) < limit:
            try:
                opcode, data = self.ws.recv_data()
            except (BlockingIOError, ssl.SSLWantReadError):
                break
            except (websocket.WebSocketException, OSError) as exc:
                return frames, f"{type(exc).__name__}: {exc}"
            if opcode in _TEXT:
                frames.append(data if isinstance(data, bytes) else data.encode())
            elif opcode == websocket.ABNF.OPCODE_CLOSE:
                code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 0
                return frames, f"close frame {code} {data[2:].decode(errors='replace')}".strip()
        return frames, ""

    def send(self, text: str) -> None:
        try:
            self.ws.send(text)
        except (websocket.WebSocketException, OSError) as exc:
            raise Closed(f"send failed: {type(exc).__name__}: {exc}") from None

    def close(self) -> None:
        try:
            self.raw.setblocking(True)
            self.raw.settimeout(0.2)
            self.ws.close(timeout=0.2)
        except Exception:
            self.ws.shutdown()


Done = Callable[[Any, BaseException | None], None]


class Jobs:
    """Blocking calls in daemon threads; ``done(result, error)`` runs later on the loop's thread."""

    def __init__(self) -> None:
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._done: queue.SimpleQueue[tuple[Done, Any, BaseException | None]] = queue.SimpleQueue()
        self.running: set[str] = set()

    @property
    def fd(self) -> int:
        return self._wake_r.fileno()

    def submit(self, name: str, fn: Callable[[], Any], done: Done) -> bool:
        """Start ``fn`` unless a job of that name is still running; returns whether it started."""
        if name in self.running:
            return False
        self.running.add(name)

        def run() -> None:
            try:
                result, error = fn(), None
            except BaseException as exc:
                result, error = None, exc
            self._done.put((self._finish(name, done), result, error))
            try:
                self._wake_w.send(b"\0")
            except OSError:
                pass

        threading.Thread(target=run, name=f"user-feed-{name}", daemon=True).start()
        return True

    def _finish(self, name: str, done: Done) -> Done:
        def finish(result: Any, error: BaseException | None) -> None:
            self.running.discard(name)
            done(result, error)
        return finish

    def drain(self) -> None:
        """Run the callbacks of finished jobs (call when ``fd`` is readable)."""
        try:
            self._wake_r.recv(4096)
        except BlockingIOError:
            pass
        while True:
            try:
                done, result, error = self._done.get_nowait()
            except queue.Empty:
                return
            done(result, error)

    def close(self) -> None:
        self._wake_r.close()
        self._wake_w.close()
