"""Opt-in adaptive toxicity threshold (``PM_OFI_ADAPTIVE=true``). Pure: time is passed in.

The seed's rule (``|score| > PM_OFI_TOXICITY_THRESHOLD``, stateless) is the default and stays exact.
In adaptive mode, per token:
- every second, ``|score|`` is sampled; over the last ``PM_OFI_ADAPTIVE_LOOKBACK_MS`` the threshold is
  the ``PM_OFI_ADAPTIVE_QUANTILE`` quantile (nearest rank) of those samples, never below the fixed
  threshold (the floor), and the floor alone until ``MIN_SAMPLES`` samples exist;
- hysteresis: a side turns toxic when ``|score| > threshold`` and clears only once
  ``|score| <= threshold * PM_OFI_ADAPTIVE_EXIT_RATIO`` **and** it has been toxic for at least
  ``PM_OFI_MIN_TOXIC_HOLD_MS``.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from schemas.units import MICRO, MS

SAMPLE_NS = 1_000 * MS
MIN_SAMPLES = 30


@dataclass(frozen=True, slots=True)
class AdaptiveParams:
    floor: int  # the fixed threshold, 1e-6 shares
    quantile: int  # 1e-6 units (950_000 = the 95th percentile)
    lookback_ms: int
    exit_ratio: int  # 1e-6 units
    min_hold_ms: int


@dataclass(slots=True)
class Gate:
    threshold: int
    samples: deque[tuple[int, int]] = field(default_factory=deque)  # (t, |score|)
    toxic: bool = False
    since: int = 0


def nearest_rank(values: list[int], quantile: int) -> int:
    """The nearest-rank quantile (``quantile`` in 1e-6 units) of a non-empty list."""
    ordered = sorted(values)
    rank = -(-quantile * len(ordered) // MICRO)  # ceil(q * n)
    return ordered[max(rank, 1) - 1]


class Adaptive:
    def __init__(self, params: AdaptiveParams) -> None:
        self.p = params
        self.gates: dict[str, Gate] = {}
        self.next_sample = 0

    def gate(self, asset: str) -> Gate:
        g = self.gates.get(asset)
        if g is None:
            g = self.gates[asset] = Gate(threshold=self.p.floor)
        return g

    def sample(self, scores: dict[str, int], now: int) -> None:
        """Record each watched token's score (at most once per second) and recompute its threshold."""
        if now < self.next_sample:
            return
        self.next_sample = now + SAMPLE_NS
        edge = now - self.p.lookback_ms * MS
        for asset, score in scores.items():
            g = self.gate(asset)
            g.samples.append((now, abs(score)))
            while g.samples[0][0] <= edge:
                g.samples.popleft()
            values = [v for _, v in g.samples]
            g.threshold = self.p.floor if len(values) < MIN_SAMPLES else max(
                self.p.floor, nearest_rank(values, self.p.quantile))
        for asset in [a for a, g in self.gates.items() if a not in scores and not g.toxic]:
            del self.gates[asset]

    def threshold(self, asset: str) -> int:
        g = self.gates.get(asset)
        return self.p.floor if g is None else g.threshold

    def toxic(self, asset: str, score: int, now: int) -> bool:
        """Evaluate the side's hysteresis gate at ``now`` (idempotent for the same inputs)."""
        g = self.gate(asset)
        magnitude = abs(score)
        if not g.toxic:
            if magnitude > g.threshold:
                g.toxic, g.since = True, now
        else:
            calm = magnitude * MICRO <= g.threshold * self.p.exit_ratio
            if calm and now - g.since >= self.p.min_hold_ms * MS:
                g.toxic = False
        return g.toxic
