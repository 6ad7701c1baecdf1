"""Metrics of liquidity rewards (issue #16 §4): the scanner's $/day estimate per selected market, and which
of our orders score (``RewardScoring``), labelled by the coordinator that holds the market, else its slug."""

from __future__ import annotations

from actors.metrics import catalogue as c
from actors.metrics.core import Metrics
from schemas import Lease, RewardMarket, RewardScoring
from schemas.units import NS

T = 1_000 * NS


def market(cid: str, slug: str, ts: int, est: int) -> RewardMarket:
    return RewardMarket(market=cid, slug=slug, assets=["y", "n"], min_size=20_000_000, max_spread=35_000,
                        daily_rate=60_000_000, volume_24h=0, end_ts=0, score=1, ts=ts, rank=1, selected=1,
                        est_daily=est)


def values(m: Metrics, spec: c.MetricSpec) -> dict[tuple[str, ...], float]:
    fam = next(f for f in m.snapshot({}).families if f.spec is spec)
    return dict(fam.samples)


def test_estimates_follow_the_newest_scan_and_scoring_per_order() -> None:
    m = Metrics()
    m.on_reward_market(market("0xa", "even", T, 2_500_000), T)
    m.on_reward_market(market("0xb", "longshot", T, 1_000_000), T)
    assert values(m, c.REWARDS_EST) == {("even",): 2.5, ("longshot",): 1.0}
    m.on_reward_market(market("0xa", "even", T + NS, 3_000_000), T + NS)  # a new scan without 0xb
    assert values(m, c.REWARDS_EST) == {("even",): 3.0}
    m.on_lease(Lease(holder="rewards-1", market="0xa", yes_asset="y", no_asset="n", ttl_ms=5000, ts=T), T)
    m.on_scoring(RewardScoring(market="0xa", slug="even", orders={"o1": True, "o2": False}, scoring=1,
                               est_daily=3_000_000, ts=T), T)
    assert values(m, c.REWARDS_ORDERS) == {("rewards-1", "true"): 1.0, ("rewards-1", "false"): 1.0}
    assert values(m, c.REWARDS_ORDER_SCORING) == {("rewards-1", "o1"): 1.0, ("rewards-1", "o2"): 0.0}
    assert values(m, c.REWARDS_EST) == {("rewards-1",): 3.0}
    m.expire(T + 120 * NS)
    assert values(m, c.REWARDS_ORDERS) == {} and values(m, c.REWARDS_EST) == {}
