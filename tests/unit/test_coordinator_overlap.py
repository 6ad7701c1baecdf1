"""The overlap rule: may a replacement rest together with the order it replaces (both filling in full)?

Limits as inventory publishes them by default: |net_diff| <= 10 shares, each leg's value <= 5 USDC.
"""

from __future__ import annotations

from typing import Literal

import pytest

from actors.coordinator.overlap import Order, overlap_safe
from schemas import InventoryState

M = 1_000_000


def inv(yes: int = 0, no: int = 0, yes_cost: int = 0, no_cost: int = 0, *, max_net_diff: int = 10 * M,
        max_position_value: int = 5 * M) -> InventoryState:
    return InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=yes, no_qty=no,
                          yes_avg_cost=yes_cost, no_avg_cost=no_cost, net_diff=yes - no, portfolio_cost=0,
                          can_open=True, realized_pnl=0, unrealized_pnl=0, fills=0, ts=0,
                          max_net_diff=max_net_diff, max_position_value=max_position_value)


def buy(price: int, size: int) -> Order:
    return Order("BUY", price, size)


def sell(price: int, size: int) -> Order:
    return Order("SELL", price, size)


CASES: list[tuple[str, InventoryState | None, Literal["yes", "no"], Order, Order, bool]] = [
    # BUY: the leg grows by both orders
    ("flat, two 5-share bids: net_diff 10 exactly at the limit (the bench)",
     inv(), "yes", buy(370_000, 5 * M), buy(330_000, 5 * M), True),
    ("net_diff one micro over the limit", inv(), "yes", buy(370_000, 5 * M), buy(330_000, 5 * M + 1), False),
    ("value exactly at the limit: 5 @ 0.50 + 5 @ 0.50 = 5 USDC",
     inv(), "yes", buy(500_000, 5 * M), buy(500_000, 5 * M), True),
    ("value one micro-share over the limit", inv(), "yes", buy(500_000, 5 * M), buy(500_001, 5 * M), False),
    ("what the leg holds counts: 4 @ 0.50 + 2 @ 0.50 + 4 @ 0.50 = 5 USDC",
     inv(yes=4 * M, yes_cost=500_000), "yes", buy(500_000, 2 * M), buy(500_000, 4 * M), True),
    ("... and 0.0001 more on the new bid is over", inv(yes=4 * M, yes_cost=500_000), "yes",
     buy(500_000, 2 * M), buy(500_100, 4 * M), False),
    ("only the leg traded counts: the NO leg's value is not the YES bids' business",
     inv(no=9 * M, no_cost=900_000), "yes", buy(400_000, 5 * M), buy(400_000, 5 * M), True),
    ("net_diff crossing zero: -8 + 10 = +2", inv(no=8 * M, no_cost=100_000), "yes",
     buy(200_000, 5 * M), buy(200_000, 5 * M), True),
    ("net_diff crossing zero to beyond the limit: -3 + 14 = +11", inv(no=3 * M, no_cost=100_000), "yes",
     buy(100_000, 7 * M), buy(100_000, 7 * M), False),
    ("already beyond the limit and moving back within: -15 + 10 = -5", inv(no=15 * M, no_cost=100_000),
     "yes", buy(100_000, 5 * M), buy(100_000, 5 * M), True),
    ("NO bids move net_diff down: +3 - 10 = -7", inv(yes=3 * M, yes_cost=100_000), "no",
     buy(200_000, 5 * M), buy(200_000, 5 * M), True),
    ("NO bids past the limit: -3 - 8 = -11", inv(no=3 * M, no_cost=100_000), "no",
     buy(100_000, 4 * M), buy(100_000, 4 * M), False),
    # nothing known: not safe
    ("no inventory state yet", None, "yes", buy(100_000, M), buy(100_000, M), False),
    ("net_diff limit unknown (0)", inv(max_net_diff=0), "yes", buy(100_000, M), buy(100_000, M), False),
    ("value limit unknown (0)", inv(max_position_value=0), "yes", buy(100_000, M), buy(100_000, M), False),
    ("orders on different sides", inv(yes=5 * M, yes_cost=100_000), "yes", buy(100_000, M), sell(200_000, M),
     False),
    # SELL: both together may sell no more than the leg holds; net_diff moves the other way
    ("sell YES within what is held: +10 - 6 = +4", inv(yes=10 * M, yes_cost=400_000), "yes",
     sell(500_000, 3 * M), sell(500_000, 3 * M), True),
    ("sell YES exactly what is held", inv(yes=10 * M, yes_cost=400_000), "yes",
     sell(500_000, 5 * M), sell(500_000, 5 * M), True),
    ("sell YES more than is held (an oversell, a balance refusal)", inv(yes=10 * M, yes_cost=400_000), "yes",
     sell(500_000, 5 * M), sell(500_000, 5 * M + 10_000), False),
    ("sell YES pushing net_diff past the limit: -7 - 4 = -11",
     inv(yes=5 * M, no=12 * M, yes_cost=400_000, no_cost=400_000), "yes",
     sell(500_000, 2 * M), sell(500_000, 2 * M), False),
    ("sell NO raises net_diff, exactly to the limit: 0 + 10 = +10",
     inv(yes=10 * M, no=10 * M, yes_cost=400_000, no_cost=400_000), "no",
     sell(500_000, 5 * M), sell(500_000, 5 * M), True),
    ("a sale never raises the value: a leg over the value limit may still sell",
     inv(yes=20 * M, no=15 * M, yes_cost=500_000, no_cost=400_000), "yes",
     sell(600_000, 2 * M), sell(600_000, 2 * M), True),
]


@pytest.mark.parametrize(("name", "state", "leg", "old", "new", "safe"), CASES, ids=[c[0] for c in CASES])
def test_overlap_is_safe_only_when_both_filling_keeps_the_limits(
        name: str, state: InventoryState | None, leg: Literal["yes", "no"], old: Order, new: Order,
        safe: bool) -> None:
    assert overlap_safe(state, leg, old, new) is safe
