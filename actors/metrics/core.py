"""The metrics core (pure): bus messages in, a ``Snapshot`` out. No sockets, clock, logger or Prometheus
library: receive times are passed in, and the shell turns the snapshot into the exposition.

- ``CoordinatorState`` (``coord.state.<holder>.``): the newest per holder -> ``pm_coordinator_mode``,
  ``pm_quote_price``, ``pm_spread``, ``pm_volatility``;
- ``Lease`` / ``LeaseRelease``: a ``bus.leases.LeaseTable``, which holders a condition id belongs to;
- ``InventoryState``: the newest per condition id -> ``pm_inventory_qty``, ``pm_inventory_net``,
  ``pm_pnl_usd``, per holder; ``OfiState`` likewise -> ``pm_ofi_score``;
- ``RiskEvent``: a count per (market, kind) -> ``pm_risk_events_total``;
- ``OrderFailed``: a count per reason class -> ``pm_rejections_total`` (every class from 0);
- the executor's echo of a ``PlaceOrder`` (``exec.cmd.``): its header's publish time minus the order's
  ``origin_ts`` -> ``pm_tick_to_order_seconds``;
- ``Heartbeat``: the local receive time per program -> ``pm_heartbeat_age_seconds`` (aged at scrape time);
- ``RewardMarket`` (the scanner's newest selection) -> ``pm_rewards_est_daily_usd``; ``RewardScoring`` ->
  ``pm_rewards_orders`` (scoring or not) and ``pm_rewards_order_scoring`` per order; the ``market`` label is
  the coordinator holding that market (its lease), else the market's slug. Dropped when stale.

A coordinator's state is shown while it is fresh (``STALE_NS``: it publishes every second), so a stopped
coordinator's mode does not linger (its heartbeat age keeps growing). Inventory and OFI states are shown
for the holders whose leases hold their condition, so a rotation moves a holder's series to the new
window at once. A risk event is counted under the coordinator that raised it (program
``market:<name>``), else under the holders of the condition id it names, else under its ``market`` as
given (``all`` when empty: account-wide). Counters count from this program's start.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import get_args

from actors.metrics import catalogue as c
from actors.metrics.snapshot import Family, Histogram, Sample, Snapshot
from bus.leases import LeaseTable
from schemas import (
    CoordinatorState,
    FailReason,
    Heartbeat,
    InventoryState,
    Lease,
    LeaseRelease,
    OfiState,
    OrderFailed,
    PlaceOrder,
    RewardMarket,
    RewardScoring,
    RiskEvent,
)
from schemas.units import NS, ONE

STALE_NS = 10 * NS  # a coordinator state (or an unleased condition's state) older than this is dropped
ACCOUNT = "all"  # the market label of an account-wide risk event
REWARDS_STALE_NS = 60 * NS  # a reward market's selection or scoring older than this is dropped


@dataclass(slots=True)
class _Coordinator:
    state: CoordinatorState
    received: int
    modes: set[str] = field(default_factory=set)  # every mode seen: exported as 0 when not current


class Latency:
    """A Prometheus-style histogram in integer nanoseconds."""

    def __init__(self, bounds_s: tuple[float, ...]) -> None:
        self.bounds_s = bounds_s
        self.bounds_ns = tuple(round(b * NS) for b in bounds_s)
        self.counts = [0] * (len(bounds_s) + 1)  # per bucket (value <= bound), the last one +Inf
        self.sum_ns = 0

    def observe(self, ns: int) -> None:
        self.counts[bisect.bisect_left(self.bounds_ns, ns)] += 1
        self.sum_ns += ns

    def view(self) -> Histogram:
        cumulative, total = [], 0
        for bound, count in zip((*self.bounds_s, float("inf")), self.counts, strict=True):
            total += count
            cumulative.append((bound, total))
        return Histogram(buckets=tuple(cumulative), sum_s=self.sum_ns / NS, count=total)


def slot_labels(slot: str) -> tuple[str, str]:
    """A quote slot's (asset, side): ``yes_bid`` -> (``yes``, ``bid``); no underscore: (slot, "")."""
    asset, _, side = slot.rpartition("_")
    return (asset, side) if asset else (slot, "")


class Metrics:
    def __init__(self) -> None:
        self.leases = LeaseTable()
        self.coordinators: dict[str, _Coordinator] = {}  # holder -> newest state
        self.inventory: dict[str, tuple[InventoryState, int]] = {}  # condition id -> (state, received)
        self.ofi: dict[str, tuple[OfiState, int]] = {}
        self.risk: dict[tuple[str, str], int] = {}  # (market label, kind) -> count
        self.rejections: dict[str, int] = dict.fromkeys(get_args(FailReason), 0)
        self.heartbeats: dict[str, int] = {}  # program -> local receive time
        self.latency = Latency(c.TICK_TO_ORDER_BUCKETS)
        self.rewards: dict[str, tuple[RewardMarket, int]] = {}  # condition id -> (selected, received)
        self.scoring: dict[str, tuple[RewardScoring, int]] = {}
        self.dirty = True  # something exported changed since the last snapshot

    # -- inputs --------------------------------------------------------------------------------------

    def on_state(self, msg: CoordinatorState, now: int) -> None:
        known = self.coordinators.get(msg.holder)
        if known is None:
            known = self.coordinators[msg.holder] = _Coordinator(msg, now)
        known.state, known.received = msg, now
        known.modes.add(msg.mode)
        self.dirty = True

    def on_lease(self, msg: Lease, now: int) -> None:
        if self.leases.on_lease(msg, now):
            self.dirty = True

    def on_release(self, msg: LeaseRelease) -> None:
        self.leases.on_release(msg)
        self.dirty = True

    def on_inventory(self, msg: InventoryState, now: int) -> None:
        self.inventory[msg.market] = (msg, now)
        self.dirty = True

    def on_ofi(self, msg: OfiState, now: int) -> None:
        self.ofi[msg.market] = (msg, now)
        self.dirty = True

    def on_risk(self, msg: RiskEvent) -> None:
        for market in self._risk_markets(msg):
            key = (market, msg.kind)
            self.risk[key] = self.risk.get(key, 0) + 1
        self.dirty = True

    def on_failed(self, msg: OrderFailed) -> None:
        self.rejections[msg.reason] = self.rejections.get(msg.reason, 0) + 1
        self.dirty = True

    def on_place_echo(self, msg: PlaceOrder, published: int) -> None:
        """The executor's echo of a placed order: ``published`` (its header's publish time, written right
        after the POST) minus ``origin_ts`` (the book receive time that drove it). Both are stamped on this
        host; an unknown origin (0) or a negative difference (clocks stepped) is not a measurement."""
        if msg.origin_ts > 0 and published >= msg.origin_ts:
            self.latency.observe(published - msg.origin_ts)
            self.dirty = True

    def on_reward_market(self, msg: RewardMarket, now: int) -> None:
        newest = max((m.ts for m, _ in self.rewards.values()), default=0)
        if msg.ts > newest:  # a new scan: the markets it did not select go
            self.rewards = {cid: v for cid, v in self.rewards.items() if v[0].ts >= msg.ts}
        if msg.ts >= newest:
            self.rewards[msg.market] = (msg, now)
            self.dirty = True

    def on_scoring(self, msg: RewardScoring, now: int) -> None:
        self.scoring[msg.market] = (msg, now)
        self.dirty = True

    def on_heartbeat(self, msg: Heartbeat, now: int) -> None:
        self.heartbeats[msg.program] = now
        self.dirty = True

    def expire(self, now: int) -> None:
        """Drop leases past their time, coordinators gone quiet and states no lease holds any more."""
        self.leases.expire(now)
        horizon = now - STALE_NS
        quiet = [holder for holder, known in self.coordinators.items() if known.received <= horizon]
        for holder in quiet:
            del self.coordinators[holder]
        for rewards in (self.rewards, self.scoring):  # polled every PM_REWARDS_SCORING_S: a longer horizon
            for cid in [cid for cid, (_, received) in rewards.items() if received <= now - REWARDS_STALE_NS]:
                del rewards[cid]
        for states in (self.inventory, self.ofi):
            gone = [cid for cid, (_, received) in states.items()
                    if received <= horizon and not self.leases.holds(cid)]
            for cid in gone:
                del states[cid]
        self.dirty = True

    def _reward_names(self, cid: str, slug: str) -> list[str]:
        return self.leases.holders(cid) or [slug]

    def _reward_families(self) -> tuple[Family, ...]:
        est = [((name,), m.est_daily / ONE) for cid, (m, _) in sorted(self.rewards.items())
               for name in self._reward_names(cid, m.slug)]
        scored = [(name, s) for cid, (s, _) in sorted(self.scoring.items())
                  for name in self._reward_names(cid, s.slug)]
        counts = [((name, flag), float(n)) for name, s in scored
                  for flag, n in (("true", s.scoring), ("false", len(s.orders) - s.scoring))]
        per_order = [((name, oid), 1.0 if ok else 0.0) for name, s in scored
                     for oid, ok in sorted(s.orders.items())]
        return (Family(c.REWARDS_EST, tuple(est)), Family(c.REWARDS_ORDERS, tuple(counts)),
                Family(c.REWARDS_ORDER_SCORING, tuple(per_order)))

    def _risk_markets(self, msg: RiskEvent) -> list[str]:
        if msg.program.startswith("market:"):
            return [msg.program.removeprefix("market:")]
        if not msg.market:
            return [ACCOUNT]
        return self.leases.holders(msg.market) or [msg.market]

    # -- output --------------------------------------------------------------------------------------

    def snapshot(self, gaps: Mapping[str, int]) -> Snapshot:
        """Everything exported, as one immutable value; ``gaps``: the bus node's missed messages per
        ``<domain>.<kind>`` (``bus.streams.GapCounter.by_kind``)."""
        self.dirty = False
        coords = sorted(self.coordinators.items())
        inventory = [(holder, state) for cid, (state, _) in sorted(self.inventory.items())
                     for holder in self.leases.holders(cid)]
        ofi = [(holder, state) for cid, (state, _) in sorted(self.ofi.items())
               for holder in self.leases.holders(cid)]

        def family(spec: c.MetricSpec, samples: list[Sample]) -> Family:
            return Family(spec, tuple(samples))

        families = (
            family(c.MODE, [((h, mode), 1.0 if mode == k.state.mode else 0.0)
                            for h, k in coords for mode in sorted(k.modes)]),
            family(c.QUOTE, [((h, *slot_labels(slot)), price / ONE)
                             for h, k in coords for slot, price in sorted(k.state.quotes.items())]),
            family(c.SPREAD, [((h,), k.state.spread / ONE) for h, k in coords]),
            family(c.VOLATILITY, [((h,), k.state.volatility / ONE) for h, k in coords]),
            family(c.INVENTORY_QTY, [((h, leg), qty / ONE) for h, s in inventory
                                     for leg, qty in (("yes", s.yes_qty), ("no", s.no_qty))]),
            family(c.INVENTORY_NET, [((h,), s.net_diff / ONE) for h, s in inventory]),
            family(c.PNL, [((h, kind), pnl / ONE) for h, s in inventory for kind, pnl in
                           (("realized", s.realized_pnl), ("unrealized", s.unrealized_pnl))]),
            family(c.OFI, [((h, side), score / ONE) for h, s in ofi
                           for side, score in (("yes", s.yes.score), ("no", s.no.score))]),
            family(c.RISK_EVENTS, [(key, float(n)) for key, n in sorted(self.risk.items())]),
            family(c.REJECTIONS, [((reason,), float(n)) for reason, n in sorted(self.rejections.items())]),
            family(c.BUS_GAPS, [((stream,), float(n)) for stream, n in sorted(gaps.items())]),
            *self._reward_families(),
        )
        return Snapshot(families=families, heartbeats=tuple(sorted(self.heartbeats.items())),
                        tick_to_order=self.latency.view())
