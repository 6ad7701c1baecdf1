"""Percentiles for the benchmark tables (nearest-rank on the sorted sample)."""

from __future__ import annotations

from collections.abc import Sequence


def pct(sample: Sequence[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max (and the count) of a sample; zeros for an empty one."""
    if not sample:
        return {"p50": 0.0, "p95": 0.0, "p99": 0.0, "max": 0.0, "n": 0}
    ordered = sorted(sample)
    n = len(ordered)

    def at(q: float) -> float:
        return round(ordered[min(n - 1, max(0, int(q * n + 0.5) - 1))], 1)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1], 1), "n": n}
