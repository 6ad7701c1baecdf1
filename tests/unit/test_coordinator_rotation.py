"""Rotation, the pure part: when the next window is resolved, when the coordinator switches to it, and
what happens while it cannot be resolved. Time is passed in; resolutions are held by the test and run
when it says so, their results handed back as ``Bridge`` hands them to the loop (no thread, no sleep)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from actors.coordinator.model import MarketSpec
from actors.coordinator.rotation import PRE_RESOLVE_NS, Rotation, Window
from bus.bridge import Done

S = 1_000_000_000
END = 1_800 * S  # the first window ends here
W1 = Window(MarketSpec("0xm1", "Y1", "N1", tick=10_000, min_size=5_000_000), "btc-updown-15m-900", END)
W2 = Window(MarketSpec("0xm2", "Y2", "N2", tick=10_000, min_size=5_000_000), "btc-updown-15m-1800",
            END + 900 * S)


@dataclass
class Resolver:
    """Answers resolutions in order (a Window, or an exception to raise); records what was asked."""

    answers: list[Window | Exception]
    asked: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, slug: str, at_ns: int) -> Window:
        self.asked.append((slug, at_ns))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class Held:
    """``Bridge.submit``'s shape, for resolutions started but not yet run: ``finish()`` runs them and
    hands each result (or error) to its ``done`` (a worker thread finishing, the loop draining)."""

    work: list[Callable[[], None]] = field(default_factory=list)

    def __call__(self, name: str, fn: Callable[[], Window], done: Done) -> bool:
        def run() -> None:
            try:
                result, error = fn(), None
            except Exception as exc:
                result, error = None, exc
            done(result, error)

        self.work.append(run)
        return True

    def finish(self) -> None:
        while self.work:
            self.work.pop(0)()


def trading_w1(*answers: Window | Exception) -> tuple[Rotation, Resolver, Held]:
    resolver, held = Resolver([W1, *answers]), Held()
    rotation = Rotation("btc-updown-15m", resolver, submit=held)
    assert rotation.poll(100 * S) is None
    held.finish()
    assert rotation.poll(101 * S) == W1
    return rotation, resolver, held


def test_the_first_window_is_resolved_at_start_once_however_often_polled() -> None:
    resolver, held = Resolver([W1]), Held()
    rotation = Rotation("btc-updown-15m", resolver, submit=held)
    assert [rotation.poll(t * S) for t in (100, 101, 102)] == [None, None, None]  # one resolution in flight
    assert len(held.work) == 1
    held.finish()
    assert resolver.asked == [("btc-updown-15m", 100 * S)]
    assert rotation.poll(103 * S) == W1 and rotation.current == W1
    assert rotation.poll(104 * S) is None and not rotation.window_over(104 * S)


def test_the_next_window_is_resolved_ahead_and_switched_to_at_the_end() -> None:
    rotation, resolver, held = trading_w1(W2)
    assert rotation.poll(END - PRE_RESOLVE_NS - 1) is None and held.work == []  # too early to ask
    assert rotation.poll(END - PRE_RESOLVE_NS) is None
    held.finish()
    assert resolver.asked[-1] == ("btc-updown-15m", END)  # the window trading at the current one's end
    assert rotation.poll(END - 1) is None and rotation.current == W1  # resolved, but W1 still trades
    assert not rotation.window_over(END - 1) and rotation.window_over(END)
    assert rotation.poll(END) == W2 and rotation.current == W2
    assert held.work == [] and len(resolver.asked) == 2  # resolved once, ahead


def test_a_resolution_that_still_answers_the_current_window_is_dropped_and_asked_again() -> None:
    rotation, resolver, held = trading_w1(W1, W2)  # the venue still lists W1 as the window at its end
    rotation.poll(END - 10 * S)
    held.finish()
    assert rotation.poll(END - 9 * S) is None  # dropped
    assert rotation.poll(END) is None and rotation.current == W1  # nothing to switch to yet: asks again
    held.finish()
    assert resolver.asked[1:] == [("btc-updown-15m", END), ("btc-updown-15m", END)]
    assert rotation.poll(END + S) == W2


def test_a_next_window_that_cannot_be_resolved_is_retried_at_each_poll_until_it_resolves() -> None:
    rotation, resolver, held = trading_w1(TimeoutError("gamma down"), ValueError("not listed"), W2)
    rotation.poll(END - 5 * S)
    held.finish()
    assert rotation.error == "TimeoutError: gamma down"
    assert rotation.poll(END) is None and rotation.current == W1 and rotation.window_over(END)
    held.finish()  # the retry started by that poll
    assert rotation.error == "ValueError: not listed"
    assert rotation.poll(END + S) is None and rotation.window_over(END + S)
    held.finish()
    assert rotation.error == ""
    assert rotation.poll(END + 2 * S) == W2 and not rotation.window_over(END + 2 * S)
    assert [at for _, at in resolver.asked[1:]] == [END, END, END + S]  # late: the window trading now


def test_a_plain_slug_never_rotates() -> None:
    plain = Window(W1.spec, "will-it-rain", 0)
    resolver, held = Resolver([plain]), Held()
    rotation = Rotation("will-it-rain", resolver, submit=held)
    rotation.poll(0)
    held.finish()
    assert rotation.poll(S) == plain
    assert [rotation.poll(t * 10**12) for t in (1, 10, 100)] == [None, None, None]
    assert held.work == [] and not rotation.window_over(10**15)
