"""The backtest's simulation parameters (``SimParams``: latencies, queue model, seeds) and the default
latency, the measured tick-to-order p50 of ``bench/results.json``."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from pathlib import Path

from schemas.units import NS

DEFAULT_LATENCY_US = 1500  # when bench/results.json has no tick-to-order figure


def bench_latency_ns(path: Path | None = None) -> int:
    """The measured tick-to-order p50 (``bench/results.json``), else ``DEFAULT_LATENCY_US``."""
    p = path or Path(__file__).resolve().parent.parent / "bench" / "results.json"
    try:
        return int(float(json.loads(p.read_text())["tick_to_order_us"]["p50"]) * 1000)
    except (OSError, KeyError, ValueError, TypeError):
        return DEFAULT_LATENCY_US * 1000


def latency_at(timeline: tuple[tuple[int, int], ...], now: int) -> int:
    """The latency of the decision in ``timeline`` ((time, latency), sorted, not empty) nearest to ``now``
    (the earlier one on a tie)."""
    i = bisect.bisect_left(timeline, (now, -1))
    if i == len(timeline):
        return timeline[-1][1]
    if i == 0:
        return timeline[0][1]
    before, after = timeline[i - 1], timeline[i]
    return before[1] if now - before[0] <= after[0] - now else after[1]


@dataclass(frozen=True)
class SimParams:
    entry_ns: int = DEFAULT_LATENCY_US * 1000  # decision -> order rests at the exchange
    cancel_ns: int = DEFAULT_LATENCY_US * 1000  # decision -> cancel done at the exchange
    # a distribution instead of the fixed entry / cancel latency: each decision's commands take one draw
    # (seeded: the same run twice is the same run), so the commands of one decision stay in order
    entry_samples: tuple[int, ...] = ()
    cancel_samples: tuple[int, ...] = ()  # the same for cancels (only with entry_samples; one draw each)
    # a timeline instead (before the samples): (decision time, latency) of the recorded decisions, sorted; a
    # decision takes the latency of the recorded one nearest in time (``latency_at``): a live run's slow
    # moments (a busy CPU, a stall) stay where they were instead of landing on random decisions
    entry_at: tuple[tuple[int, int], ...] = ()
    cancel_at: tuple[tuple[int, int], ...] = ()  # the same for cancels (only with entry_at)
    seed: int = 1
    # a recording made while the engine traded: its own orders (``user.order``) are left out of the
    # recorded levels when queueing ours (``SimExchange.own_delta``)
    exclude_own: bool = True
    # with exclude_own: a print that took our live order alone at the touch fills our simulated order on
    # that side if it is the touch without the live order (``SimExchange.touch_takers``)
    touch_takers: bool = True
    cross_fills: bool = True  # the opposite side reaching our price fills us (``SimExchange.cross_fills``)
    fill_ns: int | None = None  # our fill -> inventory -> the coordinator (user-feed path); None: md_ns
    order_ns: int | None = None  # our order's update (matched) -> the coordinator (user-feed); None: fill_ns
    merge_ns: int = 1 * NS  # a MergePairs -> inventory has the merge (the executor's chain call + echo)
    md_ns: int = 300_000  # exchange event -> seen by the coordinator (feed, inventory, executor answers)
    queue_power: float = 2.0
    # the shell's PM_EVALUATE_MS act() timer: off by default, since between inputs and ``wake_at`` the core's
    # decision cannot change (``Coordinator.decide``'s contract); on: exactly what the shell does
    evaluate_timer: bool = False
    # no coordinator trades before this (0: from the first frame); a recording of a live run starts when the
    # engine starts, and its coordinators trade only once their dependencies are heard
    # (``compare.measured_sim``: the first recorded ``PlaceOrder``'s ``origin_ts``)
    start_ns: int = 0
    # per market (condition id, ns): its coordinator starts then, not when the market is first seen (a live
    # run: a window's first order comes after the coordinator selected it and heard its dependencies)
    opens: tuple[tuple[str, int], ...] = ()
