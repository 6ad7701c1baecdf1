"""The metrics program (``python -m actors.metrics``): Prometheus ``/metrics`` on ``PM_METRICS_ADDR``
from what it hears on the bus.

- SUBscribes ``coord.state.``, ``coord.lease.``, ``inv.state.``, ``ofi.state.``, ``risk.event.``,
  ``exec.event.``, ``exec.cmd.`` and ``sys.hb.`` (the last: a publisher whose heartbeats reach it has
  every one of its subscriptions).
- Publishes nothing but its own heartbeat.
- After each wake-up that changed something, the core's new ``Snapshot`` replaces the one the HTTP
  server's collector reads (``exposition``); every second, leases and quiet coordinators expire.

config -> Node -> core (``Metrics``, pure) -> HTTP server -> handler table -> timers -> run -> close.
"""

from __future__ import annotations

from actors.metrics.config import MetricsConfig
from actors.metrics.core import Metrics
from actors.metrics.exposition import MetricsServer, SnapshotCollector
from bus import topics
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    CoordinatorState,
    Heartbeat,
    InventoryState,
    Lease,
    LeaseRelease,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    PlaceOrder,
    RewardMarket,
    RewardScoring,
    RiskEvent,
)

PROGRAM = "metrics"
EXPIRE_MS = 1000
SUBSCRIPTIONS = [topics.prefix(d, k) for d, k in (
    ("coord", "state"), ("coord", "lease"), ("inv", "state"), ("ofi", "state"), ("risk", "event"),
    ("exec", "event"), ("exec", "cmd"), ("sys", "hb"), ("rewards", "market"), ("rewards", "scoring"))]
IGNORED = (OrderPlaced, OrderCancelled, CancelOrders, CancelMarket, CancelAll)  # on exec.* beside ours


def main() -> int:
    log = Logger(PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    cfg = load_or_exit(MetricsConfig, PROGRAM)
    log.info("metrics_config", **describe(cfg))
    node = Node(PROGRAM, bus, subscriptions=SUBSCRIPTIONS, log=log)
    core, now = Metrics(), node.clock
    collector = SnapshotCollector(now)
    try:
        server = MetricsServer(collector, cfg.host, cfg.port)
    except OSError as error:
        log.error("bind_failed", addr=cfg.addr, error=str(error))
        node.close()
        return 1
    log.info("metrics_listening", host=cfg.host, port=server.port)
    seen_gaps = -1

    def refresh() -> None:
        nonlocal seen_gaps
        if core.dirty or node.gaps.total != seen_gaps:
            seen_gaps = node.gaps.total
            collector.publish(core.snapshot(dict(node.gaps.by_kind)))

    def every_second(at: int) -> None:
        core.expire(at)
        refresh()

    dispatch = Dispatcher({
        CoordinatorState: lambda t, h, m: core.on_state(m, now()),
        Lease: lambda t, h, m: core.on_lease(m, now()),
        LeaseRelease: lambda t, h, m: core.on_release(m),
        InventoryState: lambda t, h, m: core.on_inventory(m, now()),
        OfiState: lambda t, h, m: core.on_ofi(m, now()),
        RiskEvent: lambda t, h, m: core.on_risk(m),
        OrderFailed: lambda t, h, m: core.on_failed(m),
        PlaceOrder: lambda t, h, m: core.on_place_echo(m, h.ts_ns),
        Heartbeat: lambda t, h, m: core.on_heartbeat(m, now()),
        RewardMarket: lambda t, h, m: core.on_reward_market(m, now()),
        RewardScoring: lambda t, h, m: core.on_scoring(m, now()),
        **{kind: lambda t, h, m: None for kind in IGNORED},
    }, log)
    node.every(EXPIRE_MS, every_second)
    try:
        return node.run(dispatch, on_drained=refresh)
    finally:
        server.close()
        node.close()
