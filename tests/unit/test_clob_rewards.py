"""The liquidity-rewards formula (PROTOCOL.md §8.2), the one the scanner, the venue and the backtest use."""

from __future__ import annotations

import pytest

from clob.rewards import RestingOrder, bucket, order_score, q_min, score

M = 1_000_000


def order(owner: str, token: str, side: str, price: float, size: float) -> RestingOrder:
    return RestingOrder(owner, token, side, round(price * M), round(size * M))  # type: ignore[arg-type]


def test_the_docs_worked_example_100_shares_at_049_mid_050_v3_is_0444_per_share() -> None:
    assert order_score(10_000, 3) == pytest.approx(4 / 9)
    got = score([order("a", "yes", "BUY", 0.49, 100)], 500_000, 3, 50 * M)["a"]
    assert got.q_one == pytest.approx(100 * 4 / 9) and got.q_two == 0
    assert got.q_min == pytest.approx(100 * 4 / 9 / 3)  # single-sided in [0.10, 0.90]: a third
    assert got.share == 1.0


@pytest.mark.parametrize(("name", "distance", "v", "want"), [
    ("at the mid", 0, 3, 1.0),
    ("one cent of three", 10_000, 3, 4 / 9),
    ("exactly at the band edge scores 0", 30_000, 3, 0.0),
    ("beyond the band", 40_000, 3, 0.0),
    ("half a cent of one", 5_000, 1, 0.25),
])
def test_order_score(name: str, distance: int, v: float, want: float) -> None:
    assert order_score(distance, v) == pytest.approx(want), name


@pytest.mark.parametrize(("token", "side", "want"), [
    ("yes", "BUY", 1), ("no", "SELL", 1), ("yes", "SELL", 2), ("no", "BUY", 2)])
def test_buckets(token: str, side: str, want: int) -> None:
    assert bucket(order("a", token, side, 0.5, 1)) == want


@pytest.mark.parametrize(("name", "one", "two", "mid", "want"), [
    ("balanced in range", 9.0, 9.0, 500_000, 9.0),
    ("one-sided in range: a third", 9.0, 0.0, 500_000, 3.0),
    ("lopsided in range", 9.0, 2.0, 500_000, 3.0),
    ("lopsided, min above a third", 9.0, 4.0, 500_000, 4.0),
    ("edge 0.10 still in range", 9.0, 0.0, 100_000, 3.0),
    ("below 0.10: both sides required", 9.0, 0.0, 50_000, 0.0),
    ("above 0.90: the min", 9.0, 2.0, 950_000, 2.0),
])
def test_q_min(name: str, one: float, two: float, mid: int, want: float) -> None:
    assert q_min(one, two, mid) == pytest.approx(want), name


def test_the_no_token_is_priced_in_no_and_below_min_size_does_not_score() -> None:
    orders = [order("a", "yes", "BUY", 0.49, 100), order("a", "no", "BUY", 0.49, 100),
              order("b", "no", "BUY", 0.49, 100), order("c", "yes", "BUY", 0.49, 10)]
    got = score(orders, 500_000, 3, 50 * M)
    assert got["a"].q_one == pytest.approx(got["a"].q_two) == pytest.approx(400 / 9)
    assert got["a"].q_min == pytest.approx(400 / 9)
    assert got["b"].q_min == pytest.approx(400 / 27)
    assert got["c"].q_min == 0 and got["c"].share == 0
    assert got["a"].share == pytest.approx(0.75) and got["b"].share == pytest.approx(0.25)
