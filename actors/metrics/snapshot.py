"""What a scrape reads: an immutable picture of every metric, built by the loop and swapped in whole.

The HTTP server answers scrapes on prometheus-client's threads. It never reads the core's mutable state:
the loop builds a new ``Snapshot`` (tuples and frozen dataclasses only) after the messages of a wake-up
and replaces the reference the collector holds; a scrape takes that reference once, so it always sees
one consistent picture, and the hot path takes no lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.metrics.catalogue import TICK_TO_ORDER_BUCKETS, MetricSpec

Sample = tuple[tuple[str, ...], float]  # (label values in the spec's order, value)


@dataclass(frozen=True, slots=True)
class Family:
    spec: MetricSpec
    samples: tuple[Sample, ...]


@dataclass(frozen=True, slots=True)
class Histogram:
    buckets: tuple[tuple[float, int], ...]  # (upper bound in seconds, cumulative count); the last is +Inf
    sum_s: float
    count: int


@dataclass(frozen=True, slots=True)
class Snapshot:
    families: tuple[Family, ...]  # gauges and counters
    heartbeats: tuple[tuple[str, int], ...]  # (program, local receive time in ns): aged at scrape time
    tick_to_order: Histogram


EMPTY = Snapshot(families=(), heartbeats=(), tick_to_order=Histogram(
    buckets=(*((b, 0) for b in TICK_TO_ORDER_BUCKETS), (float("inf"), 0)), sum_s=0.0, count=0))
