"""The opt-in adaptive toxicity threshold: rolling quantile with a floor, hysteresis, minimum hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.ofi.adaptive import MIN_SAMPLES, SAMPLE_NS, Adaptive, AdaptiveParams, nearest_rank
from actors.ofi.config import OfiConfig
from actors.ofi.core import Ofi
from bus.config import load
from schemas import Lease, Trade
from tests.support.ofi_effects import on_lease, on_timer, on_trade

M = 1_000_000
MS = 1_000_000
S = 1_000_000_000
T0 = 1_700_000_000_000_000_000
PARAMS = AdaptiveParams(floor=50 * M, quantile=950_000, lookback_ms=300_000, exit_ratio=800_000,
                        min_hold_ms=2000)


@pytest.mark.parametrize(
    ("values", "quantile", "expected"),
    [
        (list(range(1, 101)), 950_000, 95),
        (list(range(1, 101)), 1_000_000, 100),
        (list(range(1, 101)), 500_000, 50),
        (list(range(100, 0, -1)), 950_000, 95),  # order does not matter
        ([7], 950_000, 7),
        ([3, 1, 2], 1, 1),  # a tiny quantile is the smallest value
        ([10, 20], 500_001, 20),  # ceil(q * n)
    ],
)
def test_nearest_rank(values: list[int], quantile: int, expected: int) -> None:
    assert nearest_rank(values, quantile) == expected


def feed_samples(adaptive: Adaptive, scores: list[int], start: int = T0) -> int:
    now = start
    for score in scores:
        adaptive.sample({"yes": score}, now)
        now += SAMPLE_NS
    return now


def test_the_floor_holds_until_enough_samples() -> None:
    a = Adaptive(PARAMS)
    feed_samples(a, [200 * M] * (MIN_SAMPLES - 1))
    assert a.threshold("yes") == 50 * M
    feed_samples(a, [200 * M], start=T0 + MIN_SAMPLES * SAMPLE_NS)
    assert a.threshold("yes") == 200 * M


def test_the_threshold_is_the_quantile_of_recent_scores_never_below_the_floor() -> None:
    a = Adaptive(PARAMS)
    feed_samples(a, [s * M for s in range(1, 201)])  # |score| 1..200 shares: p95 = 190
    assert a.threshold("yes") == 190 * M
    b = Adaptive(PARAMS)
    feed_samples(b, [s * M for s in range(1, 41)])  # p95 = 38 < the floor
    assert b.threshold("yes") == 50 * M


def test_samples_are_taken_at_most_once_a_second_and_age_out() -> None:
    a = Adaptive(PARAMS)
    a.sample({"yes": 1}, T0)
    a.sample({"yes": 2}, T0 + SAMPLE_NS - 1)
    assert [v for _, v in a.gates["yes"].samples] == [1]
    a.sample({"yes": 3}, T0 + 300 * S)  # the first sample is exactly lookback old: gone
    assert [v for _, v in a.gates["yes"].samples] == [3]


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ([(0, 50 * M)], [False]),  # == threshold: not toxic
        ([(0, 51 * M)], [True]),
        ([(0, 51 * M), (3000, 45 * M)], [True, True]),  # below the threshold but above the exit level (40)
        ([(0, 51 * M), (1000, 10 * M)], [True, True]),  # calm but inside the minimum hold
        ([(0, 51 * M), (2000, 40 * M)], [True, False]),  # calm (<= 40) and held 2 s: clears
        ([(0, -60 * M), (2500, 0), (2600, 45 * M)], [True, False, False]),  # re-entry needs > threshold
    ],
)
def test_hysteresis_and_minimum_hold(steps: list[tuple[int, int]], expected: list[bool]) -> None:
    a = Adaptive(PARAMS)
    assert [a.toxic("yes", score, T0 + ms * MS) for ms, score in steps] == expected


def test_ofi_in_adaptive_mode_holds_toxicity_past_the_window() -> None:
    ofi = Ofi(500, 50 * M, PARAMS)
    on_lease(ofi, Lease(holder="b", market="m", yes_asset="yes", no_asset="no", ttl_ms=3_600_000, ts=0), T0)
    [state] = on_trade(ofi, Trade(asset="yes", market="m", price=500_000, size=60 * M, side="BUY",
                                 fee_rate_bps=0, ts_event=T0, ts_recv=T0), T0)
    assert state.toxic and state.yes.threshold == 50 * M
    [state] = on_timer(ofi, T0 + 500 * MS)  # the window is empty, the hold is not over
    assert state.yes.score == 0 and state.toxic
    assert on_timer(ofi, T0 + 1999 * MS) == []
    [state] = on_timer(ofi, T0 + 2000 * MS)
    assert not state.toxic


def test_adaptive_mode_is_off_by_default(tmp_path: Path) -> None:
    assert load(OfiConfig, environ={}, dotenv=tmp_path / "x").adaptive_params is None
    cfg = load(OfiConfig, environ={"PM_OFI_ADAPTIVE": "true", "PM_OFI_ADAPTIVE_QUANTILE": "0.9",
                                   "PM_OFI_MIN_TOXIC_HOLD_MS": "500"}, dotenv=tmp_path / "x")
    assert cfg.adaptive_params == AdaptiveParams(floor=50 * M, quantile=900_000, lookback_ms=300_000,
                                                 exit_ratio=800_000, min_hold_ms=500)
