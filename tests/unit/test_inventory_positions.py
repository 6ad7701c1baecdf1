"""Seed-000 §2.1 position math: can_open, portfolio cost, average cost rounding, PnL."""

from __future__ import annotations

import pytest

from actors.inventory.positions import (
    Limits,
    Position,
    can_open,
    div_half_even,
    fold,
    portfolio_cost,
    unrealized,
)

M = 1_000_000
SEED = Limits(max_net_diff=10 * M, max_portfolio_cost=1_020_000, max_position_value=5 * M)


def leg(qty: float, avg: int) -> Position:
    return Position(qty=round(qty * M), avg_cost=avg)


@pytest.mark.parametrize(
    ("name", "yes", "no", "expected"),
    [
        ("flat", leg(0, 0), leg(0, 0), True),
        # 1. |net_diff| < PM_MAX_NET_DIFF (10 shares), strictly
        ("net 9.99 long yes", leg(9.99, 400_000), leg(0, 0), True),
        ("net exactly 10 long yes", leg(10, 400_000), leg(0, 0), False),
        ("net exactly -10 long no", leg(0, 0), leg(10, 400_000), False),
        ("net -9.99 long no", leg(0, 0), leg(9.99, 400_000), True),
        ("net 10 with both legs held", leg(12, 100_000), leg(2, 100_000), False),
        # 2. portfolio_cost < PM_MAX_PORTFOLIO_COST (1.02), or 0
        ("pair cost 1.01", leg(5, 500_000), leg(5, 510_000), True),
        ("pair cost exactly 1.02", leg(5, 510_000), leg(5, 510_000), False),
        ("pair cost 1.03", leg(5, 520_000), leg(5, 510_000), False),
        ("one leg only: portfolio cost is 0", leg(5, 990_000), leg(0, 0), True),
        ("other leg flat after selling: cost 0", leg(3, 990_000), Position(qty=0, avg_cost=0), True),
        # 3. each leg's qty * avg_cost < PM_MAX_POSITION_VALUE ($5), exact in 1e-12
        ("yes value 4.995", leg(9.99, 500_000), leg(0, 0), True),
        ("yes value exactly 5", leg(10, 500_000), leg(1, 500_000), False),
        ("no value exactly 5", leg(1, 500_000), leg(10, 500_000), False),
        ("no value just over 5", leg(0, 0), leg(5, 1_000_001), False),
        ("value 4.9999995 is below 5 (not rounded up)", Position(qty=9_999_999, avg_cost=500_000),
         leg(0, 0), True),
    ],
)
def test_can_open_follows_the_three_conditions(name: str, yes: Position, no: Position,
                                               expected: bool) -> None:
    assert can_open(yes, no, SEED) is expected, name


@pytest.mark.parametrize(
    ("yes", "no", "cost"),
    [
        (leg(1, 480_000), leg(1, 500_000), 980_000),
        (leg(1, 480_000), leg(0, 0), 0),
        (leg(0, 0), leg(1, 500_000), 0),
        (leg(0, 0), leg(0, 0), 0),
    ],
)
def test_portfolio_cost_only_when_both_legs_are_held(yes: Position, no: Position, cost: int) -> None:
    assert portfolio_cost(yes, no) == cost


@pytest.mark.parametrize(
    ("n", "d", "q"),
    [(5, 2, 2), (7, 2, 4), (-5, 2, -2), (-7, 2, -4), (1, 3, 0), (2, 3, 1), (-1, 3, 0), (-2, 3, -1),
     (6, 3, 2), (0, 7, 0)],
)
def test_div_half_even_rounds_ties_to_even(n: int, d: int, q: int) -> None:
    assert div_half_even(n, d) == q


@pytest.mark.parametrize(
    ("buys", "avg"),
    [
        ([(10, 480_000), (10, 490_000)], 485_000),  # exact
        ([(3, 500_000), (4, 510_000)], 505_714),  # 0.5057142857... rounds down
        ([(1, 1), (1, 2)], 2),  # 1.5 micro: tie to even (2)
        ([(1, 2), (1, 3)], 2),  # 2.5 micro: tie to even (2)
        ([(1, 1), (2, 2)], 2),  # 1.667 micro rounds up
        ([(2, 1), (1, 2)], 1),  # 1.333 micro rounds down
    ],
)
def test_buy_sets_the_weighted_average_cost_rounded_half_even(buys: list[tuple[int, int]], avg: int) -> None:
    pos = fold(("BUY", price, qty * M, 0) for qty, price in buys)
    assert pos.avg_cost == avg
    assert pos.qty == sum(q for q, _ in buys) * M
    assert pos.fills == len(buys)


def test_sell_keeps_the_average_cost_and_realises_pnl() -> None:
    pos = fold([("BUY", 480_000, 10 * M, 0), ("SELL", 550_000, 4 * M, 0)])
    assert (pos.qty, pos.avg_cost) == (6 * M, 480_000)
    assert pos.realized == 280_000  # (0.55 - 0.48) * 4


def test_selling_at_a_loss_realises_a_negative_pnl() -> None:
    pos = fold([("BUY", 600_000, 5 * M, 0), ("SELL", 450_000, 5 * M, 0)])
    assert (pos.qty, pos.avg_cost, pos.realized) == (0, 0, -750_000)


def test_selling_everything_resets_the_average_cost() -> None:
    pos = fold([("BUY", 480_000, 2 * M, 0), ("SELL", 500_000, 2 * M, 0), ("BUY", 300_000, 1 * M, 0)])
    assert (pos.qty, pos.avg_cost, pos.realized) == (M, 300_000, 40_000)


def test_overselling_sells_what_is_held_and_counts_the_excess() -> None:
    pos = fold([("BUY", 400_000, 2 * M, 0), ("SELL", 600_000, 3 * M, 0)])
    assert (pos.qty, pos.avg_cost, pos.oversold) == (0, 0, M)
    assert pos.realized == 400_000  # only the 2 held shares


def test_fees_paid_reduce_realised_pnl() -> None:
    pos = fold([("BUY", 500_000, 2 * M, 10_000), ("SELL", 600_000, 2 * M, 12_000)])
    assert pos.realized == 200_000 - 22_000


def test_realised_pnl_is_exact_then_rounded_half_even() -> None:
    pos = Position(qty=3, avg_cost=0)
    pos.apply("SELL", 500_000, 3)  # 3e-6 shares * 0.5 = 1.5e-6 USDC
    assert pos.realized_e12 == 1_500_000 and pos.realized == 2
    pos.apply("BUY", 0, 1)
    pos.apply("SELL", 500_000, 1)  # + 0.5e-6: 2.0e-6 exactly
    assert pos.realized == 2


@pytest.mark.parametrize(
    ("legs", "pnl"),
    [
        ([(leg(10, 480_000), 490_000 + 510_000)], 200_000),  # mid 0.50
        ([(leg(1, 480_000), 490_000 + 500_000)], 15_000),  # mid 0.495 (half tick) stays exact
        ([(leg(0.01, 480_000), 490_000 + 500_000)], 150),
        ([(leg(10, 480_000), 900_000), (leg(4, 500_000), 1_100_000)], -300_000 + 200_000),
        ([(leg(10, 480_000), None), (leg(4, 500_000), 1_100_000)], 200_000),  # no mark: leg skipped
        ([(leg(0, 0), 1_000_000)], 0),
        ([(Position(qty=1, avg_cost=0), 1)], 0),  # 0.5e-12 USDC rounds to 0
    ],
)
def test_unrealised_pnl_is_marked_to_mid(legs: list[tuple[Position, int | None]], pnl: int) -> None:
    assert unrealized(legs) == pnl
