"""Executor configuration: defaults, and the private-key rules of the three modes (exit 2 otherwise).
The wallet's rules (type x funder x mode) are tests/unit/test_executor_wallet.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.executor.config import (
    POLYMARKET_RELAYER,
    ExecutorConfig,
    core_params,
    relayer_url,
    resolve_key,
    resolve_wallet_config,
)
from bus.config import ConfigError, describe, load
from venue_client.endpoints import LOCAL_TEST_ADDRESS, LOCAL_TEST_PRIVATE_KEY, VenueEndpoints

KEY = "0x" + "42" * 32


def venue(**env: str) -> VenueEndpoints:
    return load(VenueEndpoints, environ=env, dotenv=Path("/nonexistent"))


def config(**env: str) -> ExecutorConfig:
    return load(ExecutorConfig, environ=env, dotenv=Path("/nonexistent"))


def test_defaults() -> None:
    cfg = config()
    assert (cfg.startup, cfg.allow_taker_exit, cfg.rate_tier, cfg.heartbeat_ms, cfg.heartbeat_path) == (
        "cancel", False, "standard", 5_000, "/v1/heartbeats")
    params = core_params(cfg, dry_run=False, heartbeat_ms=1000)
    assert (params.cross_ms, params.rate_ms, params.silence_beats) == (1_000, 10_000, 3)


@pytest.mark.parametrize(("env", "variable"), [
    ({"PM_EXEC_STARTUP": "keep"}, "PM_EXEC_STARTUP"),
    ({"PM_RATE_TIER": "wood"}, "PM_RATE_TIER"),
    ({"PM_ALLOW_TAKER_EXIT": "maybe"}, "PM_ALLOW_TAKER_EXIT"),
    ({"PM_EXEC_HEARTBEAT_MS": "9000"}, "PM_EXEC_HEARTBEAT_MS"),  # must stay well inside the 10 s switch
    ({"PM_EXEC_HEARTBEAT_PATH": "/hb"}, "PM_EXEC_HEARTBEAT_PATH"),
    ({"POLYMARKET_SIGNATURE_TYPE": "4"}, "POLYMARKET_SIGNATURE_TYPE"),
    ({"POLYMARKET_SIGNATURE_TYPE": "SAFE"}, "POLYMARKET_SIGNATURE_TYPE"),
    ({"PM_VENUE_ACCOUNT_TYPE": "-1"}, "PM_VENUE_ACCOUNT_TYPE"),
    ({"POLYMARKET_RELAYER_URL": "relayer.example"}, "POLYMARKET_RELAYER_URL"),
])
def test_bad_values_name_the_variable(env: dict[str, str], variable: str) -> None:
    with pytest.raises(ConfigError) as err:
        config(**env)
    assert err.value.variable == variable


@pytest.mark.parametrize(("venue_env", "key", "address"), [
    ({}, "", LOCAL_TEST_ADDRESS),  # local: the documented test key
    ({"PM_VENUE": "local", "PM_DRY_RUN": "false"}, "", LOCAL_TEST_ADDRESS),
    ({"PM_VENUE": "polymarket"}, "", LOCAL_TEST_ADDRESS),  # dry run: signs with the test key, sends nothing
    ({"PM_VENUE": "polymarket", "PM_DRY_RUN": "false"}, KEY, None),
])
def test_which_key_signs(venue_env: dict[str, str], key: str, address: str | None) -> None:
    signer = resolve_key(config(POLYMARKET_PRIVATE_KEY=key), venue(**venue_env))
    assert signer.address == (address or signer.address)
    if key:
        assert signer.address != LOCAL_TEST_ADDRESS


LOCAL_KEYS = ["", LOCAL_TEST_PRIVATE_KEY, LOCAL_TEST_PRIVATE_KEY.upper().replace("0X", "0x"),
              LOCAL_TEST_PRIVATE_KEY.removeprefix("0x")]


@pytest.mark.parametrize("key", LOCAL_KEYS, ids=["none", "test", "upper", "bare"])
def test_live_trading_needs_a_real_key(key: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_key(config(POLYMARKET_PRIVATE_KEY=key), venue(PM_VENUE="polymarket", PM_DRY_RUN="false"))
    assert err.value.variable == "POLYMARKET_PRIVATE_KEY"


def test_a_malformed_key_is_a_config_error_without_the_key_in_it() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_key(config(POLYMARKET_PRIVATE_KEY="0x1234"), venue())
    assert "1234" not in str(err.value)


def test_the_key_is_masked_in_the_startup_line() -> None:
    assert describe(config(POLYMARKET_PRIVATE_KEY=KEY))["private_key"] == "***"


def test_funder() -> None:
    signer = resolve_key(config(), venue())
    assert resolve_wallet_config(config(), venue(), signer).address == signer.address
    same = resolve_wallet_config(config(POLYMARKET_FUNDER_ADDRESS=signer.address.lower()), venue(), signer)
    assert same.address == signer.address and same.given
    with pytest.raises(ConfigError) as err:
        resolve_wallet_config(config(POLYMARKET_FUNDER_ADDRESS="0x" + "ab" * 20), venue(), signer)
    assert err.value.variable == "POLYMARKET_FUNDER_ADDRESS"  # not a wallet of this key at all
    with pytest.raises(ConfigError):
        resolve_wallet_config(config(POLYMARKET_FUNDER_ADDRESS="0x12"), venue(), signer)


@pytest.mark.parametrize(("venue_env", "given", "expected"), [
    ({}, "", "http://127.0.0.1:8900/relayer"),
    ({"PM_LOCAL_VENUE_URL": "http://127.0.0.1:9/"}, "", "http://127.0.0.1:9/relayer"),
    ({"PM_VENUE": "polymarket"}, "", POLYMARKET_RELAYER),
    ({"PM_VENUE": "polymarket"}, "https://relayer.example/", "https://relayer.example"),
    ({}, "http://[::1]:7/relayer", "http://[::1]:7/relayer"),
])
def test_where_the_relayer_is(venue_env: dict[str, str], given: str, expected: str) -> None:
    assert relayer_url(config(POLYMARKET_RELAYER_URL=given), venue(**venue_env)) == expected


def test_paper_mode_never_asks_a_relayer_off_this_machine() -> None:
    with pytest.raises(ConfigError) as err:
        relayer_url(config(POLYMARKET_RELAYER_URL=POLYMARKET_RELAYER), venue())
    assert err.value.variable == "POLYMARKET_RELAYER_URL"
