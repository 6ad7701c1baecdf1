"""Seed-004's quoting rules (actors/coordinator/strategies/reward_rules.py), one table per rule; each case
cites the seed section it checks."""

from __future__ import annotations

import pytest

from actors.coordinator.strategies.reward_rules import (
    SafetyParams,
    band_low,
    buy_price,
    check_cliff,
    check_hedge_depth,
    check_protection,
    check_volatility,
    hedge_layer,
    hedge_price,
    order_size,
    safety,
    volatility,
)

M = 1_000_000
TICK = 10_000
P = SafetyParams()


def lv(*pairs: tuple[float, float]) -> list[tuple[int, int]]:
    return [(round(p * M), round(s * M)) for p, s in pairs]


@pytest.mark.parametrize(("case", "mid", "spread", "tick", "want"), [
    ("§2.4.1 mid 0.50, 3.5c: 0.50 - 0.025 floored to 0.47", 0.50, 0.035, 0.01, 0.47),
    ("§2.4.1 mid 0.505, 3c: 0.485 floored to 0.48", 0.505, 0.03, 0.01, 0.48),
    ("§2.4.1 fine tick 0.001", 0.05, 0.03, 0.001, 0.03),
    ("§2.4.1 clamped at one tick", 0.01, 0.045, 0.01, 0.01),
])
def test_band_low(case: str, mid: float, spread: float, tick: float, want: float) -> None:
    assert band_low(round(mid * M), round(spread * M), round(tick * M)) == round(want * M), case


ASKS = lv((0.52, 100))


@pytest.mark.parametrize(("case", "bids", "want"), [
    ("§2.4.2 only one bid level: skip", lv((0.49, 100)), None),
    ("§2.4.2 second-best bid inside the band", lv((0.49, 100), (0.485, 50)), 0.485),
    ("§2.4.2 second-best bid at the band's edge", lv((0.49, 100), (0.48, 50)), 0.48),
    ("§2.4.2 second-best bid outside the band: the band's low edge", lv((0.49, 100), (0.475, 50)), 0.48),
])
def test_buy_price(case: str, bids: list[tuple[int, int]], want: float | None) -> None:
    # mid (0.49 + 0.52) / 2 = 0.505, band 3.5c: low edge 0.505 - 0.025 = 0.48 (tick 0.005)
    got = buy_price(bids, ASKS, 35_000, 5_000)
    assert got == (None if want is None else round(want * M)), case


@pytest.mark.parametrize(("case", "min_size", "mult", "market_min", "want"), [
    ("§2.4.4 rewards_min_size × 1.0", 20, 1.0, 5, 20),
    ("§2.4.4 × 1.5", 20, 1.5, 5, 30),
    ("§2.4.4 at least the market's minimum", 3, 1.0, 5, 5),
    ("§2.4.4 up to 2 decimals", 10, 0.3333, 1, 3.34),
])
def test_order_size(case: str, min_size: float, mult: float, market_min: float, want: float) -> None:
    assert order_size(round(min_size * M), round(mult * M), round(market_min * M)) == round(want * M), case


@pytest.mark.parametrize(("case", "mids", "fails"), [
    ("§2.7.2 / §6.5 flat mids", [500_000] * 30, False),
    ("§6.5 CV just under 0.03", [485_000, 515_000] * 15, False),  # CV 0.03
    ("§6.5 CV 0.1 over the threshold", [450_000, 550_000] * 15, True),
    ("§6.5 only the last 30 samples count", [100_000, 900_000] * 10 + [500_000] * 30, False),
    ("§6.5 one sample: no volatility", [500_000], False),
])
def test_volatility(case: str, mids: list[int], fails: bool) -> None:
    assert bool(check_volatility(mids, P)) is fails, (case, volatility(mids[-30:]))


BOOK = lv((0.50, 30), (0.49, 30), (0.48, 60), (0.47, 60), (0.46, 100))


@pytest.mark.parametrize(("case", "bids", "price", "fails"), [
    ("§6.2 two levels below, small steps", BOOK, 490_000, False),
    ("§6.2 only one level below our price", lv((0.50, 30), (0.49, 30)), 495_000, True),
    ("§6.2 a 6c step to the first level below", lv((0.50, 30), (0.43, 30), (0.42, 30)), 490_000, True),
    ("§6.2 a 6c step between the two below", lv((0.50, 30), (0.48, 30), (0.42, 30)), 490_000, True),
    ("§6.2 steps of exactly 5c pass", lv((0.50, 30), (0.44, 30), (0.39, 30)), 490_000, False),
])
def test_price_cliff(case: str, bids: list[tuple[int, int]], price: int, fails: bool) -> None:
    assert bool(check_cliff(bids, price, P)) is fails, case


@pytest.mark.parametrize(("case", "size", "fails"), [
    ("§6.3 best two levels hold 60 >= 20 × 1.0", 20, False),
    ("§6.3 60 < 61 × 1.0", 61, True),
])
def test_protection(case: str, size: float, fails: bool) -> None:
    assert bool(check_protection(BOOK, round(size * M), P)) is fails, case


@pytest.mark.parametrize(("case", "price", "size", "fails"), [
    ("§6.4 levels 3+ within 5c of 0.49: 60 + 60 + 100 = 220 >= 20 × 5", 490_000, 20, False),
    ("§6.4 220 < 45 × 5", 490_000, 45, True),
    ("§6.4 only levels within max_bid_gap count (0.52: 0.47 and 0.48 only)", 520_000, 24, False),
    ("§6.4 ... 120 < 25 × 5", 520_000, 25, True),
])
def test_hedge_depth(case: str, price: int, size: float, fails: bool) -> None:
    assert bool(check_hedge_depth(BOOK, price, round(size * M), P)) is fails, case


def test_safety_reports_the_first_failure_in_the_seeds_order() -> None:
    """§2.4.3: volatility, then cliff, protection, hedge depth."""
    assert safety(BOOK, 490_000, 20 * M, [500_000] * 30, P) == ""
    assert safety(BOOK, 490_000, 20 * M, [400_000, 600_000] * 15, P).startswith("volatility")
    assert safety(BOOK, 490_000, 61 * M, [500_000] * 30, P).startswith("protection")
    assert safety(BOOK, 490_000, 50 * M, [500_000] * 30, P).startswith("hedge depth")


@pytest.mark.parametrize(("case", "buy", "size", "want"), [
    ("§2.3.5.1 the best bid covers 20", 0.49, 20, 0.50),
    ("§2.3.5.1 the lowest level covering 50 (30 + 30 at 0.49)", 0.49, 50, 0.49),
    ("§2.3.5.1 covering 100 takes 0.48", 0.49, 100, 0.48),
    ("§2.3.5.2 nothing covers 1000 within 5c: the best bid", 0.49, 1000, 0.50),
    ("§2.3.5.3 the best bid is more than 5c away: none", 0.60, 20, None),
])
def test_hedge_layer(case: str, buy: float, size: float, want: float | None) -> None:
    got = hedge_layer(BOOK, round(buy * M), round(size * M), 50_000)
    assert got == (None if want is None else round(want * M)), case


@pytest.mark.parametrize(("case", "buy", "size", "want"), [
    ("maker rework: one tick above the layer, and above the best bid (0.50 -> 0.51)", 0.49, 20, 0.51),
    ("at least buy + margin: bought at 0.505, layer 0.50 -> 0.51", 0.505, 20, 0.51),
    ("never at or below the best bid: layer 0.48 -> 0.51 (best bid 0.50 + tick)", 0.49, 100, 0.51),
    ("no layer within 5c: max(buy, best bid) + margin, up to the tick", 0.60, 20, 0.61),
    ("bought high: buy + margin rounds up a tick", 0.55, 20, 0.56),
])
def test_hedge_price_is_post_only_and_above_cost(case: str, buy: float, size: float, want: float) -> None:
    got = hedge_price(BOOK, lv((0.52, 10)), round(buy * M), round(size * M), 500, TICK, 50_000)
    assert got == round(want * M), case
