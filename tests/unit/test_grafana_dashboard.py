"""deploy/grafana: every panel's query names a metric the metrics program exports (as a real exposition
of a snapshot with every metric populated shows them), every exported metric has a panel, and the
Prometheus scrape example points at the program's default address."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest

from actors.metrics import catalogue
from actors.metrics.config import MetricsConfig
from actors.metrics.core import Metrics
from actors.metrics.exposition import SnapshotCollector
from schemas import (
    CoordinatorState,
    Heartbeat,
    InventoryState,
    Lease,
    OfiSide,
    OfiState,
    PlaceOrder,
    RewardMarket,
    RewardScoring,
    RiskEvent,
)
from tests.support.metrics import Page
from tests.support.procs import REPO

GRAFANA = REPO / "deploy" / "grafana"
T = 1_800_000_000_000_000_000
METRIC = re.compile(r"\bpm_[a-z0-9_]+")


def exported_names() -> set[str]:
    """Sample names of an exposition in which every metric has at least one sample."""
    core = Metrics()
    core.on_state(CoordinatorState(holder="btc", market="0xa", strategy="pair_ofi", mode="balanced",
                                   reason="", quotes={"yes_bid": 1}, ts=0, spread=1, volatility=1), T)
    core.on_lease(Lease(holder="btc", market="0xa", yes_asset="1", no_asset="2", ttl_ms=1000, ts=0), T)
    core.on_inventory(InventoryState(market="0xa", yes_asset="1", no_asset="2", yes_qty=1, no_qty=0,
                                     yes_avg_cost=1, no_avg_cost=0, net_diff=1, portfolio_cost=0,
                                     can_open=True, realized_pnl=1, unrealized_pnl=1, fills=1, ts=0), T)
    side = OfiSide(buy_volume=1, sell_volume=0, score=1, threshold=1, toxic=False)
    core.on_ofi(OfiState(market="0xa", yes=side, no=side, toxic=False, window_ms=1, ts=0), T)
    core.on_risk(RiskEvent(program="market:btc", market="", kind="stop_loss", severity="halt", message="",
                           ts=0))
    core.on_place_echo(PlaceOrder(cmd_id="", holder="btc", market="0xa", asset="1", side="BUY", price=1,
                                  size=1, tick=1, neg_risk=False, origin_ts=T - 1), T)
    core.on_heartbeat(Heartbeat(program="ofi", pid=1, ready=True, gaps=0, ts=0), T)
    core.on_reward_market(RewardMarket(market="0xa", slug="a", assets=["1", "2"], min_size=1, max_spread=1,
                                       daily_rate=1, volume_24h=0, end_ts=0, score=1, ts=1, est_daily=1), T)
    core.on_scoring(RewardScoring(market="0xa", slug="a", orders={"o": True}, scoring=1, est_daily=1, ts=1),
                    T)
    collector = SnapshotCollector(lambda: T)
    collector.publish(core.snapshot({"md.book": 1}))
    registry = CollectorRegistry()
    registry.register(collector)
    page = Page(generate_latest(registry).decode())
    assert all(page.series(name) for name in page.names())
    return page.names()


def dashboard() -> dict[str, Any]:
    return dict(json.loads((GRAFANA / "pm-maker.json").read_text()))


def panels(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if item["type"] == "row":
            yield from panels(item.get("panels", []))
        else:
            yield item


def test_every_panel_queries_only_exported_metrics() -> None:
    exported = exported_names()
    board = dashboard()
    seen = 0
    for panel in panels(board["panels"]):
        exprs = [target["expr"] for target in panel["targets"]]
        assert exprs, f"panel {panel['title']!r} has no query"
        for expr in exprs:
            names = set(METRIC.findall(expr))
            assert names, f"panel {panel['title']!r}: {expr!r} names no pm_ metric"
            assert names <= exported, f"panel {panel['title']!r}: {sorted(names - exported)} not exported"
            seen += 1
    assert seen >= len(catalogue.ALL)
    for variable in board["templating"]["list"]:
        if variable["type"] == "query":
            assert set(METRIC.findall(variable["definition"])) <= exported


def test_every_exported_metric_has_a_panel() -> None:
    queried = {name for panel in panels(dashboard()["panels"]) for target in panel["targets"]
               for name in METRIC.findall(target["expr"])}
    for spec in catalogue.ALL:
        assert set(catalogue.exported_names(spec)) & queried, f"{spec.name} is on no panel"


def test_panels_have_unique_ids_and_the_prometheus_data_source_variable() -> None:
    board = dashboard()
    ids = [p["id"] for p in board["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(board["panels"]):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}


def test_the_scrape_example_targets_the_default_address() -> None:
    text = (GRAFANA / "prometheus.yml").read_text()
    assert "metrics_path: /metrics" in text
    assert f'targets: ["{MetricsConfig().addr}"]' in text
