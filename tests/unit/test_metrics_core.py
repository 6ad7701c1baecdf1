"""The metrics core (pure): bus messages -> the values a scrape shows; the exposition of a snapshot; the
``PM_METRICS_ADDR`` setting."""

from __future__ import annotations

from typing import get_args

import msgspec
import pytest
from prometheus_client import CollectorRegistry, generate_latest

from actors.metrics.config import MetricsConfig, split_addr
from actors.metrics.core import STALE_NS, Metrics, slot_labels
from actors.metrics.exposition import SnapshotCollector
from actors.metrics.snapshot import Snapshot
from bus.config import ConfigError, load
from schemas import (
    CoordinatorState,
    FailReason,
    Heartbeat,
    InventoryState,
    Lease,
    LeaseRelease,
    OfiSide,
    OfiState,
    OrderFailed,
    PlaceOrder,
    RiskEvent,
)
from schemas.units import MS, NS
from tests.support.metrics import Page

M = 1_000_000
T = 1_800_000_000 * NS


def values(snapshot: Snapshot, name: str) -> dict[tuple[str, ...], float]:
    [family] = [f for f in snapshot.families if f.spec.name == name]
    return dict(family.samples)


def state(holder: str, mode: str, quotes: dict[str, int] | None = None, spread: int = 0) -> CoordinatorState:
    return CoordinatorState(holder=holder, market="0xa", strategy="pair_ofi", mode=mode, reason="",
                            quotes=quotes or {}, ts=0, spread=spread)


def lease(holder: str, cid: str, ttl_ms: int = 3000) -> Lease:
    return Lease(holder=holder, market=cid, yes_asset=f"{cid}y", no_asset=f"{cid}n", ttl_ms=ttl_ms, ts=0)


def inventory(cid: str, yes: int, no: int) -> InventoryState:
    return InventoryState(market=cid, yes_asset="", no_asset="", yes_qty=yes * M, no_qty=no * M,
                          yes_avg_cost=0, no_avg_cost=0, net_diff=(yes - no) * M, portfolio_cost=0,
                          can_open=True, realized_pnl=0, unrealized_pnl=0, fills=0, ts=0)


def ofi(cid: str, yes_score: int) -> OfiState:
    side = OfiSide(buy_volume=0, sell_volume=0, score=yes_score * M, threshold=0, toxic=False)
    return OfiState(market=cid, yes=side, no=OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=0,
                                                     toxic=False), toxic=False, window_ms=3000, ts=0)


def test_the_current_mode_is_1_and_the_modes_seen_before_are_0() -> None:
    core = Metrics()
    for mode in ("balanced", "hedge", "kill", "hedge"):
        core.on_state(state("btc", mode), T)
    core.on_state(state("eth", "withdrawn"), T)
    assert values(core.snapshot({}), "pm_coordinator_mode") == {
        ("btc", "balanced"): 0.0, ("btc", "hedge"): 1.0, ("btc", "kill"): 0.0, ("eth", "withdrawn"): 1.0}


@pytest.mark.parametrize(("slot", "labels"), [
    ("yes_bid", ("yes", "bid")), ("no_ask", ("no", "ask")), ("hedge", ("hedge", "")),
    ("yes_static_bid", ("yes_static", "bid")),
])
def test_a_quote_slot_names_its_asset_and_side(slot: str, labels: tuple[str, str]) -> None:
    assert slot_labels(slot) == labels


def test_quotes_spread_and_volatility_are_the_newest_state_in_price_units() -> None:
    core = Metrics()
    core.on_state(state("btc", "balanced", {"yes_bid": 480_000, "no_bid": 500_000}, spread=20_000), T)
    core.on_state(state("btc", "hedge", {"no_bid": 510_000}, spread=0), T)
    snap = core.snapshot({})
    assert values(snap, "pm_quote_price") == {("btc", "no", "bid"): 0.51}  # a slot no longer held is gone
    assert values(snap, "pm_spread") == {("btc",): 0.0} and values(snap, "pm_volatility") == {("btc",): 0.0}


def test_inventory_and_ofi_follow_the_holders_leases_across_a_rotation() -> None:
    core = Metrics()
    core.on_inventory(inventory("0xold", 15, 5), T)
    core.on_inventory(inventory("0xnew", 1, 0), T)
    core.on_ofi(ofi("0xold", 7), T)
    assert values(core.snapshot({}), "pm_inventory_net") == {}  # no lease heard: no holder to name
    core.on_lease(lease("btc", "0xold"), T)
    core.on_lease(lease("btc-copy", "0xold"), T)  # two coordinators on one market: both show it
    snap = core.snapshot({})
    assert values(snap, "pm_inventory_net") == {("btc",): 10.0, ("btc-copy",): 10.0}
    assert values(snap, "pm_inventory_qty")[("btc", "yes")] == 15.0
    assert values(snap, "pm_ofi_score") == {("btc", "yes"): 7.0, ("btc", "no"): 0.0,
                                            ("btc-copy", "yes"): 7.0, ("btc-copy", "no"): 0.0}
    core.on_release(LeaseRelease(holder="btc", market="0xold", ts=0))  # btc rotates to the next window
    core.on_lease(lease("btc", "0xnew"), T)
    assert values(core.snapshot({}), "pm_inventory_net") == {("btc",): 1.0, ("btc-copy",): 10.0}


def test_pnl_is_in_usd_by_kind() -> None:
    core = Metrics()
    core.on_lease(lease("btc", "0xa"), T)
    pnl = msgspec.structs.replace(inventory("0xa", 0, 0), realized_pnl=1_250_000, unrealized_pnl=-2)
    core.on_inventory(pnl, T)
    assert values(core.snapshot({}), "pm_pnl_usd") == {("btc", "realized"): 1.25,
                                                       ("btc", "unrealized"): -2e-6}


@pytest.mark.parametrize(("program", "market", "label"), [
    ("market:btc", "0xa", "btc"),  # raised by a coordinator: its name, whatever it names
    ("market:btc", "", "btc"),
    ("executor", "0xa", "btc"),  # a condition id: its holders
    ("executor", "", "all"),  # account-wide
    ("executor", "0xz", "0xz"),  # a condition no lease names: as given
    ("executor", "eth", "eth"),  # a coordinator name given by another program
])
def test_a_risk_event_is_counted_under_the_coordinator_it_concerns(program: str, market: str,
                                                                  label: str) -> None:
    core = Metrics()
    core.on_lease(lease("btc", "0xa"), T)
    for _ in range(2):
        core.on_risk(RiskEvent(program=program, market=market, kind="stop_loss", severity="halt", message="",
                               ts=0))
    assert values(core.snapshot({}), "pm_risk_events_total") == {(label, "stop_loss"): 2.0}


def test_rejections_count_every_reason_class_from_zero() -> None:
    core = Metrics()
    for reason in ("balance", "balance", "backoff"):
        core.on_failed(OrderFailed(cmd_id="", holder="btc", market="", asset="", side="BUY", price=0, size=0,
                                   slot="", reason=reason, message="", retry_after_ms=0, ts=0))  # type: ignore[arg-type]
    counts = values(core.snapshot({}), "pm_rejections_total")
    assert counts[("balance",)] == 2.0 and counts[("backoff",)] == 1.0 and counts[("crosses_book",)] == 0.0
    assert {reason for (reason,) in counts} == set(get_args(FailReason))


def place(origin_ts: int) -> PlaceOrder:
    return PlaceOrder(cmd_id="", holder="btc", market="", asset="", side="BUY", price=0, size=0, tick=1,
                      neg_risk=False, origin_ts=origin_ts)


def test_tick_to_order_is_echo_time_minus_origin_with_inclusive_buckets() -> None:
    core = Metrics()
    for delay_ns in (1 * MS, 1 * MS + 1, 250_000, 7 * NS):
        core.on_place_echo(place(T - delay_ns), T)
    core.on_place_echo(place(0), T)  # unknown origin: not a measurement
    core.on_place_echo(place(T + 1), T)  # origin after the echo (clock stepped): not a measurement
    hist = core.snapshot({}).tick_to_order
    buckets = dict(hist.buckets)
    wanted = {0.00025: 1, 0.001: 2, 0.0015: 3, 1.0: 3, float("inf"): 4}  # cumulative; 1 ms is in le=0.001
    assert {bound: buckets[bound] for bound in wanted} == wanted
    assert hist.count == 4 and hist.sum_s == pytest.approx(7.002250001)


def test_quiet_coordinators_expired_leases_and_unheld_states_are_dropped() -> None:
    core = Metrics()
    core.on_state(state("btc", "balanced"), T)
    core.on_state(state("eth", "balanced"), T + 5 * NS)
    core.on_lease(lease("btc", "0xa", ttl_ms=3000), T)
    core.on_inventory(inventory("0xa", 1, 0), T)
    core.on_inventory(inventory("0xb", 1, 0), T)
    core.expire(T + 3 * NS)  # the lease is over: 0xa has no holder to be shown under
    assert values(core.snapshot({}), "pm_inventory_net") == {}
    core.expire(T + STALE_NS)
    assert set(values(core.snapshot({}), "pm_coordinator_mode")) == {("eth", "balanced")}
    assert set(core.inventory) == set()  # neither is held, both are old: forgotten


def test_a_snapshot_never_changes_after_it_was_taken() -> None:
    core = Metrics()
    core.on_state(state("btc", "balanced"), T)
    before = core.snapshot({"md.book": 1})
    core.on_state(state("btc", "kill"), T)
    core.on_heartbeat(Heartbeat(program="ofi", pid=1, ready=True, gaps=0, ts=0), T)
    assert values(before, "pm_coordinator_mode") == {("btc", "balanced"): 1.0}
    assert before.heartbeats == () and values(before, "pm_bus_gaps_total") == {("md.book",): 1.0}
    assert core.dirty
    after = core.snapshot({})
    assert values(after, "pm_coordinator_mode") == {("btc", "balanced"): 0.0, ("btc", "kill"): 1.0}
    assert not core.dirty


def test_the_exposition_ages_heartbeats_at_scrape_time() -> None:
    clock = [T]
    core = Metrics()
    core.on_heartbeat(Heartbeat(program="ofi", pid=1, ready=True, gaps=0, ts=0), T - 2 * NS)
    core.on_lease(lease("btc", "0xa"), T)
    core.on_inventory(inventory("0xa", 3, 1), T)
    collector = SnapshotCollector(lambda: clock[0])
    collector.publish(core.snapshot({"sys.hb": 2}))
    registry = CollectorRegistry()
    registry.register(collector)
    first = Page(generate_latest(registry).decode())
    clock[0] += NS // 2
    second = Page(generate_latest(registry).decode())
    assert first.value("pm_heartbeat_age_seconds", program="ofi") == 2.0
    assert second.value("pm_heartbeat_age_seconds", program="ofi") == 2.5
    assert first.value("pm_inventory_net", market="btc") == 2.0
    assert first.value("pm_bus_gaps_total", stream="sys.hb") == 2.0
    assert first.types["pm_bus_gaps"] == "counter" and first.types["pm_tick_to_order_seconds"] == "histogram"
    assert first.value("pm_tick_to_order_seconds_count") == 0.0


@pytest.mark.parametrize(("addr", "host", "port"), [
    ("127.0.0.1:9464", "127.0.0.1", 9464), ("0.0.0.0:80", "0.0.0.0", 80), ("[::1]:0", "::1", 0),
    ("localhost:9464", "localhost", 9464),
])
def test_the_address_is_an_ip_or_localhost_and_a_port(addr: str, host: str, port: int) -> None:
    assert split_addr(addr) == (host, port)
    cfg = load(MetricsConfig, environ={"PM_METRICS_ADDR": addr}, dotenv=None)
    assert (cfg.host, cfg.port) == (host, port)


@pytest.mark.parametrize("addr", ["metrics.example.com:9464", "127.0.0.1", "127.0.0.1:99999", ":9464",
                                  "127.0.0.1:x", "[::1]"])
def test_a_bad_address_names_pm_metrics_addr(addr: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(MetricsConfig, environ={"PM_METRICS_ADDR": addr, "PM_ENV_FILE": "/dev/null"})
    assert caught.value.variable == "PM_METRICS_ADDR"


def test_the_default_address_is_loopback_9464() -> None:
    cfg = load(MetricsConfig, environ={"PM_ENV_FILE": "/dev/null"})
    assert (cfg.host, cfg.port) == ("127.0.0.1", 9464)
