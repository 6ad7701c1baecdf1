"""Every metric the program exports: name, type, help text and labels (one table; the dashboard test
checks its queries against it).

Units are Prometheus's: prices as fractions of 1 (0.52), shares and USD as plain numbers, seconds.
The ``market`` label is a coordinator's name (``btc-updown-15m``), stable across its market's rotations;
per-condition facts (inventory, OFI, risk events naming a condition id) are mapped to the coordinators
whose leases hold that condition.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["gauge", "counter", "histogram"]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str  # as exported: counters end in _total; a histogram adds _bucket, _sum, _count
    kind: Kind
    help: str
    labels: tuple[str, ...] = ()


MODE = MetricSpec("pm_coordinator_mode", "gauge",
                  "1 for the coordinator's current mode, 0 for the other modes it was seen in",
                  ("market", "mode"))
QUOTE = MetricSpec("pm_quote_price", "gauge", "price the coordinator currently has in a quote slot",
                   ("market", "asset", "side"))
SPREAD = MetricSpec("pm_spread", "gauge", "the strategy's quoting spread, in price (0: not two-sided)",
                    ("market",))
VOLATILITY = MetricSpec("pm_volatility", "gauge", "the strategy's volatility estimate (|dmid|/mid; 0: none)",
                        ("market",))
INVENTORY_QTY = MetricSpec("pm_inventory_qty", "gauge", "shares held per leg (yes, no)", ("market", "leg"))
INVENTORY_NET = MetricSpec("pm_inventory_net", "gauge", "net_diff: yes shares minus no shares", ("market",))
PNL = MetricSpec("pm_pnl_usd", "gauge", "profit and loss in USD (realized, unrealized at the marks)",
                 ("market", "kind"))
OFI = MetricSpec("pm_ofi_score", "gauge", "taker order-flow imbalance over the window, shares (buy - sell)",
                 ("market", "side"))
RISK_EVENTS = MetricSpec("pm_risk_events_total", "counter", "risk events heard on the bus",
                         ("market", "kind"))
REJECTIONS = MetricSpec("pm_rejections_total", "counter", "orders the executor reported failed, by reason",
                        ("class",))
HEARTBEAT_AGE = MetricSpec("pm_heartbeat_age_seconds", "gauge",
                           "seconds since each program's last heartbeat was received (3 missed = dead)",
                           ("program",))
BUS_GAPS = MetricSpec("pm_bus_gaps_total", "counter",
                      "bus messages this program missed (sequence gaps), per <domain>.<kind> stream",
                      ("stream",))
TICK_TO_ORDER = MetricSpec("pm_tick_to_order_seconds", "histogram",
                           "book receive (market-feed) to order written (executor's echo), one host's clock")

REWARDS_EST = MetricSpec("pm_rewards_est_daily_usd", "gauge",
                         "the rewards scanner's estimate of our USD/day on each selected reward market",
                         ("market",))
REWARDS_ORDERS = MetricSpec("pm_rewards_orders", "gauge",
                            "our open orders on a selected reward market, by whether they score now",
                            ("market", "scoring"))
REWARDS_ORDER_SCORING = MetricSpec("pm_rewards_order_scoring", "gauge",
                                   "1 while one of our orders scores for liquidity rewards, else 0",
                                   ("market", "order"))

ALL = (MODE, QUOTE, SPREAD, VOLATILITY, INVENTORY_QTY, INVENTORY_NET, PNL, OFI, RISK_EVENTS, REJECTIONS,
       HEARTBEAT_AGE, BUS_GAPS, TICK_TO_ORDER, REWARDS_EST, REWARDS_ORDERS, REWARDS_ORDER_SCORING)

# pm_tick_to_order_seconds buckets (upper bounds, seconds): the budget is p50 <= 1 ms, p99 <= 3 ms
TICK_TO_ORDER_BUCKETS = (0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.05,
                         0.1, 0.25, 1.0)


def exported_names(spec: MetricSpec) -> tuple[str, ...]:
    """The sample names a metric appears under in the exposition."""
    if spec.kind == "histogram":
        return tuple(f"{spec.name}{suffix}" for suffix in ("_bucket", "_sum", "_count"))
    return (spec.name,)
