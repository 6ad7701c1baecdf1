"""A rewards coordinator's slot (actors/coordinator/reward_slot.py): slot k from its name, and when the
scanner's newer selection moves slot k to another market (issue #16 §2: fixed slots market:rewards-1..N)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.coordinator.reward_slot import SlotWatch, params, slot_of, stop_file
from actors.rewards.config import RewardsConfig
from bus.config import load
from schemas import RewardMarket


def pick(rank: int, market: str, ts: int, selected: int = 3) -> RewardMarket:
    return RewardMarket(market=market, slug=market, assets=["y", "n"], min_size=20_000_000,
                        max_spread=35_000, daily_rate=1, volume_24h=0, end_ts=0, score=0, ts=ts, rank=rank,
                        selected=selected, two_sided=True)


@pytest.mark.parametrize(("slug", "explicit", "want"), [("rewards-1", 0, 1), ("rewards-12", 0, 12),
                                                        ("anything", 4, 4)])
def test_slot_of(slug: str, explicit: int, want: int) -> None:
    assert slot_of(slug, explicit) == want


def test_a_slug_without_a_number_needs_the_slot_given() -> None:
    with pytest.raises(ValueError):
        slot_of("rewards")


@pytest.mark.parametrize(("case", "msg", "moved"), [
    ("the same market again (the 1 s repeat)", pick(2, "0xa", 10), False),
    ("an older scan is ignored", pick(2, "0xb", 5), False),
    ("another rank of a newer scan", pick(1, "0xb", 20), False),
    ("our rank, another market, a newer scan", pick(2, "0xb", 20), True),
    ("a newer scan selected fewer than our slot", pick(1, "0xc", 20, selected=1), True),
])
def test_slot_watch(case: str, msg: RewardMarket, moved: bool) -> None:
    watch = SlotWatch(2, "0xa", 10)
    assert bool(watch.on_market(msg)) is moved, case


def test_params_come_from_the_selected_market_and_the_settings(tmp_path: Path) -> None:
    env = {"PM_REWARDS_HEDGE": "pair", "PM_REWARDS_REPRICE_S": "0.25"}
    p = params(load(RewardsConfig, environ=env, dotenv=None), pick(1, "0xa", 1))
    assert (p.min_size, p.max_spread, p.two_sided, p.hedge) == (20_000_000, 35_000, True, "pair")
    assert p.reprice_ns == 250_000_000
    cfg = load(RewardsConfig, environ={}, dotenv=None)
    assert stop_file(cfg, str(tmp_path / "run")) == tmp_path.resolve() / "stop-buys"


def test_the_stop_loss_is_the_seeds_percentage_of_the_exposure_cap(tmp_path: Path) -> None:
    """Seed-004 §4.3 stop_loss_pct 0.10 of max_exposure_per_market_usdc 25: 2.5 USDC, unless set."""
    from actors.coordinator.config import RiskConfig
    from actors.coordinator.reward_shell import RewardsRun
    from bus.endpoints import BusConfig

    run = RewardsRun(load(RewardsConfig, environ={}, dotenv=None), pick(1, "0xa", 1), 1,
                     BusConfig(run_dir=str(tmp_path)))
    assert run.risk(RiskConfig()).stop_loss_usd == 2_500_000
    assert run.risk(RiskConfig(stop_loss_usd=1_000_000)).stop_loss_usd == 1_000_000


def test_a_slot_is_flat_when_nothing_can_be_hedged() -> None:
    from actors.coordinator.core import Coordinator
    from actors.coordinator.model import MarketSpec, Position
    from actors.coordinator.reward_shell import flat

    core = Coordinator("rewards-1")
    assert flat(core)  # no market yet
    core.set_market(MarketSpec(market="0xa", yes_asset="y", no_asset="n", tick=10_000, min_size=5_000_000))
    core.position = Position(0, 0, 0, True, 4_999_999, 0)
    assert flat(core)
    core.position = Position(0, 0, 0, True, 0, 5_000_000)
    assert not flat(core)
