"""Which market a coordinator trades now, and when to rotate to the next window.

Resolution is I/O (Gamma + CLOB over HTTP, with hydration retries), so it runs in a worker thread;
the loop only reads finished results. The next window is pre-resolved ahead of the current one's end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from actors.coordinator.model import MarketSpec


@dataclass(frozen=True, slots=True)
class Window:
    spec: MarketSpec
    slug: str
    end_ns: int  # 0 = does not rotate


# (slug or prefix, at_ns) -> the window trading at that time; raises on failure (retried next second)
Resolve = Callable[[str, int], Window]


class Rotation:
    def __init__(self, slug: str, resolve: Resolve, *, pre_resolve_ns: int = 30_000_000_000) -> None:
        self.slug = slug
        self.resolve = resolve
        self.pre_resolve_ns = pre_resolve_ns
        self.current: Window | None = None
        self._ready: Window | None = None  # resolved, not yet switched to
        self._pending: threading.Thread | None = None
        self.error = ""

    def _work(self, at_ns: int) -> None:
        try:
            window = self.resolve(self.slug, at_ns)
        except Exception as exc:  # any failure is reported, and retried by the loop
            self.error = f"{type(exc).__name__}: {exc}"
            return
        self.error = ""
        self._ready = window

    def _start(self, at_ns: int) -> None:
        if self._pending is not None and self._pending.is_alive():
            return
        self._pending = threading.Thread(target=self._work, args=(at_ns,), daemon=True, name="resolve")
        self._pending.start()

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
