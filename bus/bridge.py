"""Waking a loop from elsewhere, and work off the loop's thread with its results back on it.

- ``Wakeup``: a non-blocking socketpair whose read end the loop's poller watches; another thread, or a
  signal (``signal.set_wakeup_fd``), writes a byte to wake the loop. Used by ``Node`` (stop, signals)
  and the tap.
- ``Bridge``: the one thread -> loop hand-off. ``submit(name, fn, done)`` runs a blocking call (a
  WebSocket handshake, a REST round trip, a market resolution) in a daemon thread and calls
  ``done(result, error)`` later on the loop's thread; ``post(callback)`` lets a long-lived worker thread
  hand any callback to the loop. The loop calls ``drain`` when the fd is readable (``attach`` registers
  it with a ``Node``). Results cross threads only through the queue; nothing else is shared.
"""

from __future__ import annotations

import queue
import signal
import socket
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bus.node import Node

Done = Callable[[Any, BaseException | None], None]


class Wakeup:
    __slots__ = ("_r", "_w")

    def __init__(self) -> None:
        self._r, self._w = socket.socketpair()
        self._r.setblocking(False)
        self._w.setblocking(False)

    @property
    def fd(self) -> int:
        return self._r.fileno()

    def wake(self) -> None:
        """Thread-safe; never blocks (a full buffer already means "wake up")."""
        try:
            self._w.send(b"\0")
        except OSError:
            pass

    def clear(self) -> None:
        try:
            while self._r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def catch_signals(self, handler: Callable[[int, Any], None],
                      signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)) -> None:
        """Route ``signals`` to ``handler`` and wake the poller when one arrives (main thread only)."""
        signal.set_wakeup_fd(self._w.fileno(), warn_on_full_buffer=False)
        for sig in signals:
            signal.signal(sig, handler)

    def close(self) -> None:
        self._r.close()
        self._w.close()


class Bridge:
    __slots__ = ("_done", "_wakeup", "name", "running")

    def __init__(self, name: str = "worker") -> None:
        self.name = name
        self._wakeup = Wakeup()
        self._done: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self.running: set[str] = set()

    @property
    def fd(self) -> int:
        return self._wakeup.fd

    def attach(self, node: Node) -> Bridge:
        """Have ``node``'s loop drain this bridge whenever a result is waiting."""
        node.add_reader(self.fd, self.drain)
        return self

    def post(self, callback: Callable[[], None]) -> None:
        """Run ``callback()`` on the loop's thread (thread-safe)."""
        self._done.put(callback)
        self._wakeup.wake()

    def submit(self, name: str, fn: Callable[[], Any], done: Done) -> bool:
        """Start ``fn`` in a daemon thread unless a job of that name is still running (returns whether it
        started); ``done(result, error)`` runs on the loop's thread when it ends."""
        if name in self.running:
            return False
        self.running.add(name)

        def finish(result: Any, error: BaseException | None) -> None:
            self.running.discard(name)
            done(result, error)

        def run() -> None:
            try:
                result, error = fn(), None
            except BaseException as exc:  # handed to done(); the thread itself must not die loudly
                result, error = None, exc
            self.post(lambda: finish(result, error))

        threading.Thread(target=run, name=f"{self.name}-{name}", daemon=True).start()
        return True

    def drain(self) -> int:
        """Run every callback waiting (on the loop's thread); returns how many ran."""
        self._wakeup.clear()
        ran = 0
        while True:
            try:
                callback = self._done.get_nowait()
            except queue.Empty:
                return ran
            callback()
            ran += 1

    def close(self) -> None:
        self._wakeup.close()
