"""The metrics program over real sockets: known bus messages in, the same values out of ``/metrics``
(scraped over loopback); and it publishes nothing but its heartbeat."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import (
    CoordinatorState,
    InventoryState,
    Lease,
    OfiSide,
    OfiState,
    OrderFailed,
    PlaceOrder,
    RiskEvent,
)
from tests.support.metrics import Page, scrape, url_from_line, wait_scrape
from tests.support.procs import Listener, Program, program_env
from tests.support.quiet import Quiet

M = 1_000_000
CID, YES, NO = "0xc1d", "1001", "1002"
ECHO_AT = 1_800_000_000_000_000_000  # the executor's (fixed) clock: every echo is published at this time
PROGRAMS = ("market:btc", "inventory", "ofi", "executor")


class Publishers:
    """The programs the metrics program listens to, one bus node each (named as their streams' owners)."""

    def __init__(self, bus: BusConfig) -> None:
        self.nodes = {name: Node(name, bus, log=Quiet(name), clock=(lambda: ECHO_AT) if name == "executor"
                                 else time.time_ns) for name in PROGRAMS}

    def __getitem__(self, name: str) -> Node:
        return self.nodes[name]

    def heartbeats(self) -> None:
        for node in self.nodes.values():
            node.heartbeat(time.time_ns())

    def close(self) -> None:
        for node in self.nodes.values():
            node.close()


@pytest.fixture
def program(run_dir: Path) -> Iterator[Program]:
    proc = Program(["-m", "actors.metrics"], program_env(run_dir, PM_METRICS_ADDR="127.0.0.1:0"))
    try:
        yield proc
    finally:
        proc.kill()


def state(mode: str, quotes: dict[str, int]) -> CoordinatorState:
    return CoordinatorState(holder="btc", market=CID, strategy="pair_ofi", mode=mode, reason="test",
                            quotes=quotes, ts=time.time_ns(), spread=20_000, volatility=1_500)


def failed(reason: str) -> OrderFailed:
    return OrderFailed(cmd_id="c", holder="btc", market=CID, asset=YES, side="BUY", price=480_000, size=5 * M,
                       slot="yes_bid", reason=reason, message="", retry_after_ms=0, ts=0)  # type: ignore[arg-type]


def placed(origin_ts: int) -> PlaceOrder:
    return PlaceOrder(cmd_id="p", holder="btc", market=CID, asset=YES, side="BUY", price=480_000, size=5 * M,
                      tick=10_000, neg_risk=False, origin_ts=origin_ts)


def risk(program: str, market: str, kind: str) -> tuple[bytes, RiskEvent]:
    return topics.risk_event(program), RiskEvent(program=program, market=market, kind=kind, severity="halt",
                                                 message="", ts=0)


def test_metrics_equal_what_the_bus_said(bus: BusConfig, program: Program) -> None:
    tap = Listener(bus)  # everything on the bus: what does the metrics program publish?
    pubs = Publishers(bus)
    try:
        url = url_from_line(program.read_until(lambda line: '"event":"metrics_listening"' in line))
        program.read_until(lambda line: '"event":"ready"' in line)
        # heartbeats until the program has heard each publisher: sys.hb. is its last subscription, so each
        # publisher then has every subscription and no message below is lost to a slow joiner
        deadline = time.monotonic() + 10
        while set(scrape(url).by("pm_heartbeat_age_seconds", "program")) != set(PROGRAMS):
            assert time.monotonic() < deadline, "heartbeats not heard"
            pubs.heartbeats()
            time.sleep(0.05)  # paces the heartbeats while subscriptions propagate

        coord, inventory, ofi, executor = (pubs[name] for name in PROGRAMS)
        coord.publish(topics.coord_lease("btc"), Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO,
                                                       ttl_ms=60_000, ts=time.time_ns()))
        coord.publish(topics.coord_state("btc"), state("balanced", {"yes_bid": 480_000, "no_bid": 500_000}))
        inventory.publish(topics.inv_state(CID), InventoryState(
            market=CID, yes_asset=YES, no_asset=NO, yes_qty=15 * M, no_qty=5 * M, yes_avg_cost=450_000,
            no_avg_cost=500_000, net_diff=10 * M, portfolio_cost=950_000, can_open=True,
            realized_pnl=1_250_000, unrealized_pnl=-500_000, fills=3, ts=0))
        ofi_topic = topics.ofi_state(CID)
        ofi.publish(ofi_topic, OfiState(market=CID, yes=OfiSide(buy_volume=20 * M, sell_volume=8 * M,
                                                                score=12 * M, threshold=50 * M, toxic=False),
                                        no=OfiSide(buy_volume=0, sell_volume=3 * M, score=-3 * M,
                                                   threshold=50 * M, toxic=False),
                                        toxic=False, window_ms=3000, ts=0))
        # the condition is mapped to its holder once the lease is in: then count risk events naming it
        wait_scrape(url, lambda p: p.value("pm_inventory_net", market="btc") == 10.0, "inventory under btc")

        for topic, event in (risk("market:btc", CID, "stop_loss"), risk("market:btc", "", "stop_loss"),
                             risk("executor", CID, "inventory_mismatch"), risk("executor", "", "account"),
                             risk("executor", "0xother", "inventory_mismatch")):
            (coord if topic.startswith(b"risk.event.market:") else executor).publish(topic, event)
        for reason in ("crosses_book", "crosses_book", "balance"):
            executor.publish(topics.exec_event("btc"), failed(reason))
        for origin in (ECHO_AT - 1_500_000, ECHO_AT - 4 * M, 0, ECHO_AT + M):  # 1.5 ms, 4 ms, unknown, < 0
            executor.publish(topics.exec_cmd("btc"), placed(origin))
        coord.publish(topics.coord_state("btc"), state("hedge", {"no_bid": 510_000}))
        ofi._seq[ofi_topic] += 3  # three sequence numbers skipped, as if three states were lost
        ofi.publish(ofi_topic, OfiState(market=CID, yes=OfiSide(buy_volume=0, sell_volume=0, score=0,
                                                                threshold=50 * M, toxic=False),
                                        no=OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=50 * M,
                                                   toxic=False), toxic=False, window_ms=3000, ts=0))

        page = wait_scrape(url, lambda p: p.value("pm_tick_to_order_seconds_count") == 2.0
                           and p.value("pm_bus_gaps_total", stream="ofi.state") == 3.0
                           and p.value("pm_coordinator_mode", market="btc", mode="hedge") == 1.0
                           and p.value("pm_rejections_total", **{"class": "balance"}) == 1.0
                           and len(p.series("pm_risk_events_total")) == 4
                           and p.value("pm_ofi_score", market="btc", side="yes") == 0.0,
                           "every message counted")
        assert_values(page)
        assert set(page.by("pm_heartbeat_age_seconds", "program")) == set(PROGRAMS)
        assert all(age >= 0 for age in page.by("pm_heartbeat_age_seconds", "program").values())

        elapsed = program.terminate_and_time()
        assert program.proc.returncode == 0 and elapsed < 1.0
        ours = drain_from(tap, "metrics")
        assert ours and ours == {topics.sys_hb("metrics")}  # its heartbeat and nothing else
    finally:
        pubs.close()
        tap.close()


def assert_values(page: Page) -> None:
    assert page.series("pm_coordinator_mode") == {
        (("market", "btc"), ("mode", "balanced")): 0.0, (("market", "btc"), ("mode", "hedge")): 1.0}
    assert page.series("pm_quote_price") == {(("asset", "no"), ("market", "btc"), ("side", "bid")): 0.51}
    assert page.value("pm_spread", market="btc") == 0.02
    assert page.value("pm_volatility", market="btc") == 0.0015
    assert page.by("pm_inventory_qty", "leg") == {"yes": 15.0, "no": 5.0}
    assert page.value("pm_inventory_net", market="btc") == 10.0
    assert page.by("pm_pnl_usd", "kind") == {"realized": 1.25, "unrealized": -0.5}
    assert page.by("pm_ofi_score", "side") == {"yes": 0.0, "no": 0.0}  # the newest state
    assert page.series("pm_risk_events_total") == {
        (("kind", "stop_loss"), ("market", "btc")): 2.0,  # raised by the coordinator itself
        (("kind", "inventory_mismatch"), ("market", "btc")): 1.0,  # its condition id, held by btc's lease
        (("kind", "account"), ("market", "all")): 1.0,  # account-wide
        (("kind", "inventory_mismatch"), ("market", "0xother")): 1.0,  # a condition no lease names
    }
    rejections = page.by("pm_rejections_total", "class")
    assert (rejections["crosses_book"], rejections["balance"], rejections["rate_limited"]) == (2.0, 1.0, 0.0)
    assert page.value("pm_bus_gaps_total", stream="ofi.state") == 3.0
    buckets = page.by("pm_tick_to_order_seconds_bucket", "le")
    assert (buckets["0.001"], buckets["0.0015"], buckets["0.003"], buckets["0.005"], buckets["+Inf"]) == (
        0.0, 1.0, 1.0, 2.0, 2.0)
    assert page.value("pm_tick_to_order_seconds_sum") == pytest.approx(0.0055)


def drain_from(tap: Listener, source: str) -> set[bytes]:
    """The topics ``source`` published, of everything the tap has received so far."""
    seen: set[bytes] = set()
    while True:
        try:
            topic, header, _ = tap.next(timeout=0.2)
        except TimeoutError:
            return seen
        if header.src == source:
            seen.add(topic)
