"""The tick-to-order benchmark's scenario is deterministic: every event re-quotes each slot exactly once.

``bench.latency`` moves the Yes mid by one step per event; the market-feed turns the venue's one frame
into a Yes ``Book`` and then a No ``Book``. The strategy must not re-quote on the half-applied move
(new Yes book, old No book) and must re-quote both slots on the whole move, whatever the order."""

from __future__ import annotations

from itertools import pairwise

from actors.coordinator.model import MarketSpec, Top
from actors.coordinator.overlap import Order, overlap_safe
from actors.coordinator.strategies.pair_ofi import balanced_prices
from actors.inventory.config import InventoryConfig
from bench.latency import HALF_SPREAD, HIGH, LOW, MID_STEP, PARAMS, expected, mids
from bench.stats import pct
from schemas import InventoryState

THRESHOLD = 30_000  # bench.system ENGINE_ENV PM_REPRICE_THRESHOLD
MARKET = MarketSpec(market="m", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)


def tops(mid: int) -> tuple[Top, Top]:
    yes = Top(mid - HALF_SPREAD, mid + HALF_SPREAD)
    return yes, Top(1_000_000 - yes.ask, 1_000_000 - yes.bid)


def test_the_walk_moves_one_step_per_event_and_stays_in_range() -> None:
    walk = [500_000, *mids(500)]

    assert all(abs(b - a) == MID_STEP for a, b in pairwise(walk))
    assert all(LOW <= m <= HIGH for m in walk)


def test_each_event_requotes_both_slots_once_and_never_on_half_a_move() -> None:
    walk = [500_000, *mids(200)]
    for old, new in pairwise(walk):
        before = balanced_prices(PARAMS, MARKET, *tops(old))
        after = balanced_prices(PARAMS, MARKET, *tops(new))
        yes_only = balanced_prices(PARAMS, MARKET, tops(new)[0], tops(old)[1])
        no_only = balanced_prices(PARAMS, MARKET, tops(old)[0], tops(new)[1])

        assert all(abs(a - b) >= THRESHOLD for a, b in zip(before, after, strict=True))
        for half in (yes_only, no_only):
            assert all(abs(a - b) < THRESHOLD for a, b in zip(before, half, strict=True))
        assert [p for _, p in expected(new, "Y", "N")] == list(after)


def test_every_replacement_may_be_pipelined_within_the_default_limits() -> None:
    """The bench measures the pipelined path: with flat legs and inventory's default limits, the old and
    the new bid of each slot both filling stays within them (net_diff exactly at PM_MAX_NET_DIFF)."""
    limits = InventoryConfig()
    flat = InventoryState(market="m", yes_asset="Y", no_asset="N", yes_qty=0, no_qty=0, yes_avg_cost=0,
                          no_avg_cost=0, net_diff=0, portfolio_cost=0, can_open=True, realized_pnl=0,
                          unrealized_pnl=0, fills=0, ts=0, max_net_diff=limits.max_net_diff,
                          max_position_value=limits.max_position_value)
    size = max(PARAMS.bid_size, MARKET.min_size)
    walk = [500_000, *mids(200)]
    for old, new in pairwise(walk):
        before = balanced_prices(PARAMS, MARKET, *tops(old))
        after = balanced_prices(PARAMS, MARKET, *tops(new))
        assert overlap_safe(flat, "yes", Order("BUY", before[0], size), Order("BUY", after[0], size))
        assert overlap_safe(flat, "no", Order("BUY", before[1], size), Order("BUY", after[1], size))


def test_our_bids_rest_away_from_the_touch() -> None:
    for mid in mids(50):
        (yes_top, no_top), bids = tops(mid), balanced_prices(PARAMS, MARKET, *tops(mid))

        assert bids[0] < yes_top.bid and bids[1] < no_top.bid  # our own orders never move the mids


def test_percentiles_are_nearest_rank() -> None:
    summary = pct([float(v) for v in range(1, 101)])

    got = (summary["p50"], summary["p95"], summary["p99"], summary["max"], summary["n"])
    assert got == (50, 95, 99, 100, 100)
    assert pct([])["n"] == 0
