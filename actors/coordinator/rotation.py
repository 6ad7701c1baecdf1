"""Which market a coordinator trades now, and when to rotate to the next window.

Resolution is I/O (Gamma + CLOB over HTTP, with hydration retries), so it runs off the loop: the program
injects ``bus.bridge.Bridge.submit``, which runs ``resolve`` in a daemon thread and calls back on the
loop's thread with the result. Every field of ``Rotation`` is read and written on that one thread only;
the worker touches nothing but its own resolution. The next window is pre-resolved ahead of the current
one's end, and switched to at that end. A failed resolution is reported in ``error`` (and counted in
``failures``) and tried again at the next ``poll``. ``Rotation`` itself holds no clock and starts no
thread: time is passed in, and how a resolution runs is injected (tests run it inline, or hold it to
finish later).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actors.coordinator.model import MarketSpec
from bus.bridge import Done
from schemas.units import NS

PRE_RESOLVE_NS = 30 * NS  # the next window is resolved this long before the current one ends
JOB = "resolve"


@dataclass(frozen=True, slots=True)
class Window:
    spec: MarketSpec
    slug: str
    end_ns: int  # 0 = does not rotate


# (slug or prefix, at_ns) -> the window trading at that time; raises on failure (retried next poll)
Resolve = Callable[[str, int], Window]
# ``Bridge.submit``'s shape: (job name, blocking work, done(result, error) on the loop's thread) -> started
Submit = Callable[[str, Callable[[], Window], Done], bool]


class Rotation:
    def __init__(self, slug: str, resolve: Resolve, *, submit: Submit,
                 pre_resolve_ns: int = PRE_RESOLVE_NS) -> None:
        self.slug = slug
        self.resolve = resolve
        self.pre_resolve_ns = pre_resolve_ns
        self.submit = submit
        self.current: Window | None = None
        self._ready: Window | None = None  # resolved, not yet switched to
        self._busy = False  # a resolution is under way (at most one at a time)
        self.error = ""
        self.failures = 0  # resolutions that failed so far

    def _done(self, window: Window | None, error: BaseException | None) -> None:
        """A resolution ended (on the loop's thread): keep its window, or report its failure."""
        self._busy = False
        if error is not None or window is None:
            self.error = f"{type(error).__name__}: {error}"
            self.failures += 1
        else:
            self.error = ""
            self._ready = window

    def _start(self, at_ns: int) -> None:
        if self._busy:
            return
        self._busy = True  # before submitting: an inline runner calls _done before submit returns
        slug, resolve = self.slug, self.resolve
        if not self.submit(JOB, lambda: resolve(slug, at_ns), self._done):
            self._busy = False

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
