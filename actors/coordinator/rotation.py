"""Which market a coordinator trades now, and when to rotate to the next window.

Resolution is I/O (Gamma + CLOB over HTTP, with hydration retries), so the program runs it in a worker
thread (``in_thread``); the loop only reads finished results. The next window is pre-resolved ahead of
the current one's end, and switched to at that end. A failed resolution is reported in ``error`` and
tried again at the next ``poll``. ``Rotation`` itself holds no clock and starts no thread: time is
passed in, and how a resolution runs is injected (tests run it inline, or hold it to finish later).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from actors.coordinator.model import MarketSpec
from schemas.units import NS

PRE_RESOLVE_NS = 30 * NS  # the next window is resolved this long before the current one ends


@dataclass(frozen=True, slots=True)
class Window:
    spec: MarketSpec
    slug: str
    end_ns: int  # 0 = does not rotate


# (slug or prefix, at_ns) -> the window trading at that time; raises on failure (retried next poll)
Resolve = Callable[[str, int], Window]
# Runs one resolution (a no-argument callable) to its end, now or later.
Start = Callable[[Callable[[], None]], None]


def in_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, daemon=True, name="resolve").start()


class Rotation:
    def __init__(self, slug: str, resolve: Resolve, *, pre_resolve_ns: int = PRE_RESOLVE_NS,
                 start: Start = in_thread) -> None:
        self.slug = slug
        self.resolve = resolve
        self.pre_resolve_ns = pre_resolve_ns
        self.start = start
        self.current: Window | None = None
        self._ready: Window | None = None  # resolved, not yet switched to
        self._busy = False  # a resolution is under way (at most one at a time)
        self.error = ""

    def _work(self, at_ns: int) -> None:
        try:
            window = self.resolve(self.slug, at_ns)
        except Exception as exc:  # any failure is reported, and retried by the loop
            self.error = f"{type(exc).__name__}: {exc}"
        else:
            self.error = ""
            self._ready = window
        finally:
            self._busy = False

    def _start(self, at_ns: int) -> None:
        if self._busy:
            return
        self._busy = True
        self.start(lambda: self._work(at_ns))

    def window_over(self, now_ns: int) -> bool:
        return self.current is not None and bool(self.current.end_ns) and now_ns >= self.current.end_ns

    def poll(self, now_ns: int) -> Window | None:
        """Call regularly. Returns a Window when the coordinator must switch to it, else None."""
        ready = self._ready
        if self.current is None:
            if ready is not None:
                self.current, self._ready = ready, None
                return ready
            self._start(now_ns)
            return None
        end = self.current.end_ns
        if not end:
            return None
        if ready is None and now_ns >= end - self.pre_resolve_ns:
            self._start(max(end, now_ns))  # the window trading at the current one's end
        elif ready is not None and ready.spec.market == self.current.spec.market:
            self._ready = None  # resolved too early (still the same window): try again
        elif ready is not None and now_ns >= end:
            self.current, self._ready = ready, None
            return ready
        return None
