"""Per-signer token buckets (PROTOCOL.md §6.2): burst, refill, all-or-nothing, cancel-all cost, debt."""

from __future__ import annotations

import pytest

from actors.executor.core.rate_limits import TIERS, Budget, TokenBucket, remaining_header

S = 1_000_000_000
T0 = 1_700_000_000 * S


def test_tier_table_matches_the_protocol() -> None:
    rows = {name: (t.order_rate, t.order_burst, t.cancel_rate, t.cancel_burst) for name, t in TIERS.items()}
    assert rows == {
        "standard": (40, 60, 80, 120), "copper": (60, 90, 120, 180), "bronze": (80, 120, 160, 240),
        "silver": (200, 300, 400, 600), "gold": (400, 600, 800, 1200), "platinum": (450, 675, 900, 1350),
        "diamond": (525, 787, 1050, 1575), "elite": (600, 900, 1200, 1800),
    }
    assert [n for n, t in TIERS.items() if t.debt] == ["standard", "copper", "bronze", "silver", "gold"]


def test_a_full_bucket_spends_its_burst_at_once_then_nothing() -> None:
    bucket = TokenBucket(40, 60, T0)
    assert bucket.take(60, T0)
    assert not bucket.take(1, T0)
    assert bucket.tokens(T0) == 0


@pytest.mark.parametrize(("elapsed_ns", "tokens"), [
    (0, 0), (S // 40 - 1, 0), (S // 40, 1), (S // 2, 20), (S, 40), (3 * S // 2, 60), (10 * S, 60),
])
def test_refill_is_exact_and_capped_at_the_burst(elapsed_ns: int, tokens: int) -> None:
    bucket = TokenBucket(40, 60, T0)
    bucket.take(60, T0)
    assert bucket.tokens(T0 + elapsed_ns) == tokens


def test_batches_are_all_or_nothing() -> None:
    bucket = TokenBucket(40, 60, T0)
    bucket.take(50, T0)
    assert not bucket.take(15, T0)  # 10 left: a batch of 15 is refused whole...
    assert bucket.tokens(T0) == 10  # ...and costs nothing
    assert bucket.take(10, T0)


def test_a_cost_above_the_burst_can_never_pass() -> None:
    bucket = TokenBucket(80, 120, T0)
    assert not bucket.admits(121, T0 + 3600 * S)
    assert bucket.wait_ns(121, T0) == -1


def test_wait_until_enough_tokens() -> None:
    bucket = TokenBucket(40, 60, T0)
    bucket.take(60, T0)
    assert bucket.wait_ns(1, T0) == S // 40
    assert bucket.wait_ns(40, T0) == S
    assert bucket.wait_ns(0, T0) == 0


def test_cancel_all_costs_one_plus_the_orders_it_cancelled() -> None:
    # Standard: 200 open orders -> cancel-all would cost 201 > 120: never passes (gotcha 15)
    budget = Budget("standard", T0)
    assert not budget.cancels.admits(1 + 200, T0)
    assert budget.cancels.admits(1 + 119, T0)
    # the per-order part is charged after the fact and may put a Standard..Gold bucket into debt
    budget.cancels.take(1, T0)
    budget.cancels.charge(150, T0)
    assert budget.cancels.tokens(T0) == -31
    assert not budget.cancels.admits(1, T0)
    assert budget.cancels.wait_ns(1, T0) == 32 * S // 80


def test_platinum_and_above_are_floored_at_zero() -> None:
    budget = Budget("platinum", T0)
    budget.cancels.charge(5000, T0)
    assert budget.cancels.tokens(T0) == 0


def test_the_server_header_is_authoritative() -> None:
    bucket = TokenBucket(40, 60, T0)
    bucket.sync(7, T0)
    assert bucket.tokens(T0) == 7
    bucket.sync(500, T0)
    assert bucket.tokens(T0) == 60
    bucket.empty(T0)
    assert bucket.tokens(T0) == 0
    assert remaining_header({"poly-ratelimit-remaining": "12"}) == 12
    assert remaining_header({"poly-ratelimit-remaining": "x"}) is None
    assert remaining_header({}) is None


def test_order_and_cancel_buckets_are_separate() -> None:
    budget = Budget("standard", T0)
    budget.orders.take(60, T0)
    assert budget.cancels.tokens(T0) == 120
