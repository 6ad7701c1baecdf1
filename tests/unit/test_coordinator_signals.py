"""What the coordinator learns between decisions: the mid's moves (shock and volatility) and the
per-side widening after post-only rejections, with their time boundaries."""

from __future__ import annotations

import pytest

from actors.coordinator.signals import MidWindow, RejectWidening

S = 1_000_000_000


@pytest.mark.parametrize(
    ("name", "mids", "jumps"),
    [
        ("the first mid is no move", [500_000], [0]),
        ("a one-tick move at 0.50 is 2%", [500_000, 510_000], [0, 20_000]),
        ("relative to the previous mid, either way", [500_000, 400_000, 500_000], [0, 200_000, 250_000]),
        ("an unchanged mid is no move", [500_000, 500_000], [0, 0]),
        ("no two-sided book (0) is skipped, the next mid compares with the last one seen",
         [500_000, 0, 600_000], [0, 0, 200_000]),
    ],
)
def test_observe_returns_the_relative_move(name: str, mids: list[int], jumps: list[int]) -> None:
    w = MidWindow(10 * S)
    assert [w.observe(k * S, mid) for k, mid in enumerate(mids)] == jumps


def test_volatility_is_the_sum_of_moves_within_the_window() -> None:
    w = MidWindow(10 * S)
    w.observe(0, 500_000)
    w.observe(1 * S, 510_000)  # 0.01 / 0.50 = 0.02
    w.observe(2 * S, 500_000)  # 0.01 / 0.51 = 0.019607..., floored
    assert w.volatility(2 * S) == 20_000 + 19_607
    assert w.next_change() == 11 * S
    assert w.volatility(11 * S - 1) == 39_607
    assert w.volatility(11 * S) == 19_607  # the first move left the window
    assert w.volatility(12 * S) == 0 and w.next_change() is None


def test_reset_forgets_the_market() -> None:
    w = MidWindow(10 * S)
    w.observe(0, 500_000)
    w.observe(S, 600_000)
    w.reset()
    assert w.observe(2 * S, 300_000) == 0 and w.volatility(2 * S) == 0


@pytest.mark.parametrize(
    ("name", "rejects_at", "now", "ticks"),
    [
        ("none", [], 0, 0),
        ("one rejection: one tick", [0], 0, 1),
        ("three: three ticks", [0, 1, 2], 2, 3),
        ("capped at max_ticks", [0, 1, 2, 3, 4, 5, 6], 6, 5),
        ("a quiet period just short of the decay: still all", [0, 1], 1 + 5 * S - 1, 2),
        ("after one quiet period: one tick less", [0, 1], 1 + 5 * S, 1),
        ("after two: none", [0, 1], 1 + 10 * S, 0),
        ("a rejection after some decay widens from what is left", [0, 1, 5 * S + 1], 5 * S + 1, 2),
    ],
)
def test_widening_per_rejection_and_its_decay(name: str, rejects_at: list[int], now: int, ticks: int) -> None:
    r = RejectWidening(max_ticks=5, decay_ns=5 * S)
    for t in rejects_at:
        r.on_reject("ask", t)
    assert r.ticks("ask", now) == ticks
    assert r.ticks("bid", now) == 0  # per side


def test_widening_next_change_is_the_next_decay() -> None:
    r = RejectWidening(max_ticks=5, decay_ns=5 * S)
    assert r.next_change(0) is None
    r.on_reject("bid", 0)
    r.on_reject("bid", 0)
    assert r.next_change(0) == 5 * S
    assert r.next_change(5 * S) == 10 * S
    assert r.next_change(10 * S) is None  # fully decayed
    assert r.on_reject("bid", 10 * S) == (0, 1)
