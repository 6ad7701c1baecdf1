"""Latent prices: a simulated spot walk per crypto asset and a fair probability per market.

Up/down windows: fair P(up) = Phi(ln(S/S0) / (sigma * sqrt(t_left))), where S0 is the spot when the
window starts (0.5 before). The winner at the end is Up iff S_end >= S0, like the real resolution
rule. The formula is scale-free, so shortened windows behave like real ones, only faster.
Reward markets follow a slow random walk in logit space. Everything is seeded and advances only when
`advance(now_ns)` is called, so identical call sequences give identical paths.

A scripted fair value (`venue/fair_script.py`: `POST /_venue/fair`, `flow_params.fair_paths`) overrides
the model; a window scripted at its end resolves Up iff its scripted fair is at least 0.5 there.
"""

from __future__ import annotations

import math
import random

import msgspec

from schemas.units import NS, ONE
from venue.config import FAIR_MAX, FAIR_MIN, FlowConfig
from venue.fair_script import FairScript
from venue.markets import Market

YEAR_S = 365 * 86_400


class Oracle:
    def __init__(
        self, params: FlowConfig, assets: tuple[str, ...], *, rng: random.Random, now_ns: int
    ) -> None:
        self._rng = rng
        self._sigma = params.spot_vol_annual / math.sqrt(YEAR_S)  # per sqrt(second)
        self._logit_sigma = params.reward_vol_per_min / math.sqrt(60.0)
        self.spot: dict[str, float] = {a: float(params.spot_start.get(a, 100)) for a in assets}
        self._starts: dict[str, float] = {}  # condition id -> S0
        self._logits: dict[str, float] = {}  # condition id -> logit of a reward market's fair value
        self._last_ns = now_ns
        self.script = FairScript(params.fair_paths)

    def advance(self, now_ns: int, markets: list[Market]) -> None:
        """Move every walk to `now_ns`; record S0 for windows that have started."""
        dt = (now_ns - self._last_ns) / NS
        if dt > 0:
            self._last_ns = now_ns
            drift = -0.5 * self._sigma * self._sigma * dt
            scale = self._sigma * math.sqrt(dt)
            for asset in self.spot:
                self.spot[asset] *= math.exp(drift + scale * self._rng.gauss(0.0, 1.0))
            logit_scale = self._logit_sigma * math.sqrt(dt)
            for cid in self._logits:
                self._logits[cid] += logit_scale * self._rng.gauss(0.0, 1.0)
        now_s = now_ns / NS
        for market in markets:
            if market.kind == "updown":
                if market.condition_id not in self._starts and now_s >= market.window_start_s:
                    self._starts[market.condition_id] = self.spot[market.asset]
            elif market.condition_id not in self._logits:
                start = market.extra.get("fair")  # a configured reward market starts where it says
                self._logits[market.condition_id] = (
                    math.log(start / (ONE - start)) if isinstance(start, int) and 0 < start < ONE
                    else self._rng.uniform(-1.0, 1.0))

    def fair(self, market: Market, now_ns: int) -> int:
        """Fair value of the market's first token (Up / Yes), 1e-6 units within [0.001, 0.999]."""
        scripted = self.script.fair(market, now_ns)
        if scripted is not None:
            return scripted
        if market.kind != "updown":
            logit = self._logits.get(market.condition_id, 0.0)
            return _clamp(int(ONE / (1.0 + math.exp(-logit))))
        start = self._starts.get(market.condition_id)
        if start is None:
            return ONE // 2
        left = market.window_end_s - now_ns / NS
        move = math.log(self.spot[market.asset] / start)
        if left <= 0:
            return FAIR_MAX if move >= 0 else FAIR_MIN
        z = move / (self._sigma * math.sqrt(left))
        return _clamp(int(ONE * 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))))

    def winner(self, market: Market) -> int:
        """Index of the winning token at the window end: 0 (Up) iff S_end >= S0 (or, for a scripted
        window, iff its scripted fair at the end is at least 0.5)."""
        scripted = self.script.fair(market, self._last_ns)
        if scripted is not None:
            return 0 if scripted >= ONE // 2 else 1
        start = self._starts.get(market.condition_id, self.spot.get(market.asset, 0.0))
        return 0 if self.spot.get(market.asset, 0.0) >= start else 1

    def forget(self, condition_id: str) -> None:
        self._starts.pop(condition_id, None)
        self._logits.pop(condition_id, None)
        self.script.forget(condition_id)

    # restart (venue.persist): the walks go on from where they were, over the time the venue was down
    def snapshot(self) -> OracleState:
        return OracleState(spot=dict(self.spot), starts=dict(self._starts), logits=dict(self._logits),
                           last_ns=self._last_ns)

    def restore(self, state: OracleState) -> None:
        self.spot.update({asset: value for asset, value in state.spot.items() if asset in self.spot})
        self._starts.update(state.starts)
        self._logits.update(state.logits)
        self._last_ns = min(self._last_ns, state.last_ns)


class OracleState(msgspec.Struct, frozen=True):
    spot: dict[str, float]
    starts: dict[str, float]  # condition id -> S0
    logits: dict[str, float]
    last_ns: int


def _clamp(value: int) -> int:
    return max(FAIR_MIN, min(FAIR_MAX, value))
