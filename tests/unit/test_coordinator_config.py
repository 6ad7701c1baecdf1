"""The coordinator's settings: every seed-001 §5.2 default it reads, pinned (inventory's and OFI's are
pinned in their own tests), and bad values naming the variable."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from actors.coordinator.config import CoordinatorConfig, NeutralConfig, RiskConfig
from actors.coordinator.risk.params import DEFAULTS, RiskParams
from actors.coordinator.setup import risk_params
from bus.config import ConfigError, env_fields, load
from schemas.units import NS
from venue_client.endpoints import VenueEndpoints

SEED_5_2 = {"PM_DRY_RUN", "PM_PAIR_TARGET", "PM_BID_SIZE", "PM_TICK_SIZE", "PM_REPRICE_THRESHOLD",
            "PM_DEBOUNCE_MS", "PM_MAX_NET_DIFF", "PM_MAX_PORTFOLIO_COST", "PM_MAX_POSITION_VALUE",
            "PM_OFI_WINDOW_MS", "PM_OFI_TOXICITY_THRESHOLD"}

# (variable, field, the seed's default as written in seed-001 §5.2, the value in 1e-6 units / ms)
SEED_DEFAULTS = [
    ("PM_PAIR_TARGET", "pair_target", "0.99", 990_000),
    ("PM_BID_SIZE", "bid_size", "2.0", 2_000_000),
    ("PM_TICK_SIZE", "tick_size", "0.001", 1_000),
    ("PM_REPRICE_THRESHOLD", "reprice_threshold", "0.005", 5_000),
    ("PM_DEBOUNCE_MS", "debounce_ms", "200", 200),
]


@pytest.mark.parametrize(("variable", "field", "seed", "value"), SEED_DEFAULTS)
def test_defaults_are_seed_001(variable: str, field: str, seed: str, value: int, tmp_path: Path) -> None:
    assert getattr(load(CoordinatorConfig, environ={}, dotenv=tmp_path / "none"), field) == value
    given = load(CoordinatorConfig, environ={variable: seed}, dotenv=tmp_path / "none")
    assert getattr(given, field) == value


def test_every_seed_variable_the_coordinator_reads_is_pinned_and_dry_run_is_on(tmp_path: Path) -> None:
    read = {marker.name for marker in env_fields(CoordinatorConfig).values()}
    assert read & SEED_5_2 == {variable for variable, _, _, _ in SEED_DEFAULTS}
    assert load(VenueEndpoints, environ={}, dotenv=tmp_path / "none").dry_run  # PM_DRY_RUN: true
    assert load(CoordinatorConfig, environ={}, dotenv=tmp_path / "none").market_slug == "btc-updown-15m"


@pytest.mark.parametrize(("variable", "value"), [
    ("PM_PAIR_TARGET", "0"), ("PM_PAIR_TARGET", "2"), ("PM_BID_SIZE", "0"), ("PM_BID_SIZE", "x"),
    ("PM_TICK_SIZE", "0"), ("PM_TICK_SIZE", "1"), ("PM_TICK_SIZE", "0.0000001"),
    ("PM_REPRICE_THRESHOLD", "-0.01"), ("PM_DEBOUNCE_MS", "-1"), ("PM_DEBOUNCE_MS", "0.5"),
])
def test_bad_values_name_the_variable(variable: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(CoordinatorConfig, environ={variable: value}, dotenv=tmp_path / "none")
    assert err.value.variable == variable


@pytest.mark.parametrize(("variable", "value"), [
    ("PM_STRATEGY", "market_making"), ("PM_PENNY_MIN_TICKS", "1"), ("PM_PENNY_MIN_TICKS", "2"),
    ("PM_NEUTRAL_BASE_SPREAD", "1"), ("PM_NEUTRAL_SKEW", "1.5"), ("PM_NEUTRAL_STATIC_FRACTION", "1"),
    ("PM_NET_MAX", "-1"), ("PM_SHOCK_PCT", "x"), ("PM_HALT_SECONDS", "0"), ("PM_TAKER_MAX_SLIPPAGE", "1"),
    ("PM_ALLOW_TAKER_EXIT", "maybe"),
])
def test_bad_strategy_and_risk_values_name_the_variable(variable: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        for struct in (CoordinatorConfig, NeutralConfig, RiskConfig):
            load(struct, environ={variable: value}, dotenv=tmp_path / "none")
    assert err.value.variable == variable


@pytest.mark.parametrize(("strategy", "given", "expected"), [
    ("pair_ofi", {}, RiskParams()),
    ("neutral", {}, DEFAULTS["neutral"]),
    ("pair_ofi", {"PM_SHOCK_PCT": "0.1", "PM_NET_MAX": "40"},
     RiskParams(shock_pct=100_000, net_max=40_000_000)),
    ("neutral", {"PM_STOP_LOSS_USD": "0", "PM_HALT_SECONDS": "5"},
     replace(DEFAULTS["neutral"], stop_loss=0, halt_ns=5 * NS)),
])
def test_risk_settings_default_per_strategy(strategy: str, given: dict[str, str], expected: RiskParams,
                                            tmp_path: Path) -> None:
    risk = load(RiskConfig, environ=given, dotenv=tmp_path / "none")
    assert risk_params(strategy, risk) == expected


def test_neutral_needs_a_hard_cap(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        risk_params("neutral", load(RiskConfig, environ={"PM_NET_MAX": "0"}, dotenv=tmp_path / "none"))
    assert err.value.variable == "PM_NET_MAX"
