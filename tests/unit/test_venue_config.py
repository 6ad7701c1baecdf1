"""VenueConfig loading/validation and the pure FaultPlan decisions."""

from __future__ import annotations

import json
import random
from pathlib import Path

import msgspec
import pytest

from venue import faults
from venue.config import VenueConfig, config_from_dict, load_config
from venue.faults import FaultPlan

NS = 1_000_000_000


def test_defaults_are_a_working_venue() -> None:
    config = VenueConfig()
    assert (config.start_balance_pusd, config.assets, config.intervals) == (10_000, ("btc", "eth"),
                                                                            ("5m", "15m", "1h"))
    assert config.flow and config.fee_rate_units == 70_000 and config.tick_units == 10_000
    assert config.window_length("5m") == 300 and config.heartbeat_timeout_ms == 10_000
    assert VenueConfig(window_seconds=20).window_length("1h") == 20


def test_load_config_reads_json_and_accepts_flow_off(tmp_path: Path) -> None:
    path = tmp_path / "venue.json"
    path.write_text(json.dumps({"flow": "off", "window_seconds": 20, "assets": ["btc"],
                                "faults": {"failed_trade_rate": 0.1}, "flow_params": {"maker_levels": 2}}))
    config = load_config(path)
    assert not config.flow and config.window_seconds == 20 and config.assets == ("btc",)
    assert config.failed_rate == 0.1 and config.flow_params.maker_levels == 2


@pytest.mark.parametrize(("raw", "names"), [
    ({"fee_rate": "abc"}, "fee_rate"),
    ({"window_seconds": -1}, "window_seconds"),
    ({"start_balance_pusd": "x"}, "$.start_balance_pusd"),
    ({"faults": {"rate_429": 2}}, "rate_429"),
    ({"flow_params": {"maker_levels": 0}}, "maker_levels"),
    ({"intervals": ["2m"]}, "intervals"),
    ({"tick_size": "0.02"}, "tick_size"),
    ({"no_such_field": 1}, "no_such_field"),
    ({"flow": "sometimes"}, "$.flow"),
])
def test_a_bad_value_names_the_field(raw: dict[str, object], names: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=names.replace("$", r"\$")):
        config_from_dict(raw)


PLAN = FaultPlan(restart_interval_s=600, restart_425_s=90, restart_post_only_s=120)


@pytest.mark.parametrize(("seconds", "phase"), [
    (0, "normal"), (599, "normal"), (600, "restarting"), (689, "restarting"), (690, "post_only"),
    (809, "post_only"), (810, "normal"), (1200, "restarting"),
])
def test_restarts_go_425_then_post_only_then_normal(seconds: int, phase: str) -> None:
    assert faults.engine_phase(PLAN, seconds * NS, 0) == phase


@pytest.mark.parametrize(("seconds", "kind", "post_only", "status", "message"), [
    (650, "order", True, 425, faults.RESTART_ERROR),
    (650, "cancel", True, 425, faults.RESTART_ERROR),
    (650, "other", True, 0, None),
    (700, "order", False, 400, faults.POST_ONLY_MODE_ERROR),
    (700, "order", True, 0, None),
    (700, "cancel", False, 0, None),
    (900, "order", False, 0, None),
])
def test_http_decisions_follow_the_engine_phase(seconds: int, kind: str, post_only: bool, status: int,
                                                message: str | None) -> None:
    decided = faults.decide_http(PLAN, random.Random(1), now_ns=seconds * NS, start_ns=0, kind=kind,
                                 post_only=post_only)
    assert decided.status == status
    assert decided.body == (None if message is None else {"error": message})
    gate = faults.order_gate(PLAN, now_ns=seconds * NS, start_ns=0, post_only=post_only)
    if kind == "order":
        assert gate == (None if status == 0 else (status, {"error": message}))


def test_429s_carry_retry_after_and_latency_stays_within_its_jitter() -> None:
    plan = FaultPlan(rate_429=1.0, retry_after_s=3, latency_ms=20, latency_jitter_ms=10)
    decided = faults.decide_http(plan, random.Random(2), now_ns=0, start_ns=0, kind="other")
    assert (decided.status, decided.headers, decided.body) == (429, {"Retry-After": "3"},
                                                                {"error": "Too Many Requests"})
    delays = {faults.decide_http(FaultPlan(latency_ms=20, latency_jitter_ms=10), random.Random(s), now_ns=0,
                                 start_ns=0, kind="other").delay_ms for s in range(50)}
    assert min(delays) >= 20 and max(delays) <= 30 and len(delays) > 1


def test_random_rates_are_roughly_honoured_and_reproducible() -> None:
    plan = FaultPlan(rate_425=0.2, failed_trade_rate=0.3)
    rng = random.Random(5)
    hits = sum(faults.decide_http(plan, rng, now_ns=0, start_ns=0, kind="order").status == 425
               for _ in range(2000))
    assert 300 < hits < 500
    fails = [faults.trade_fails(plan, random.Random(9)) for _ in range(3)]
    assert fails == [faults.trade_fails(plan, random.Random(9)) for _ in range(3)]
    assert not faults.trade_fails(FaultPlan(), random.Random(9))


def test_freezes_and_drops_follow_their_schedules() -> None:
    plan = FaultPlan(freeze_interval_s=60, freeze_duration_s=10, ws_drop_interval_s=30)
    frozen = [faults.feed_frozen(plan, now_ns=s * NS, start_ns=0) for s in (0, 59, 60, 69, 70, 120, 125)]
    assert frozen == [False, False, True, True, False, True, True]
    assert not faults.ws_drop_due(plan, opened_ns=5 * NS, now_ns=34 * NS)
    assert faults.ws_drop_due(plan, opened_ns=5 * NS, now_ns=35 * NS)
    assert not faults.feed_frozen(FaultPlan(), now_ns=10**12, start_ns=0)


@pytest.mark.parametrize("raw", [{"rate_429": -0.1}, {"latency_ms": -1},
                                 {"freeze_interval_s": 10, "freeze_duration_s": 10},
                                 {"restart_interval_s": 100, "restart_425_s": 90, "restart_post_only_s": 20}])
def test_inconsistent_fault_plans_are_refused(raw: dict[str, float]) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert(raw, FaultPlan)
