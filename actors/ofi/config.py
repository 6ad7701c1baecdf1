"""The OFI engine's configuration (seed-001 §5), read from ``PM_*`` variables."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from actors.ofi.adaptive import AdaptiveParams
from bus.config import Env
from schemas.units import MICRO


class OfiConfig(msgspec.Struct, frozen=True, kw_only=True):
    window_ms: Annotated[int, Env("PM_OFI_WINDOW_MS"), Meta(gt=0, le=3_600_000)] = 3000
    toxicity_threshold: Annotated[int, Env("PM_OFI_TOXICITY_THRESHOLD", micros=True), Meta(ge=0)] = 50_000_000
    # opt-in adaptive threshold (actors/ofi/adaptive.py); off = the seed's fixed rule
    adaptive: Annotated[bool, Env("PM_OFI_ADAPTIVE")] = False
    adaptive_quantile: Annotated[int, Env("PM_OFI_ADAPTIVE_QUANTILE", micros=True),
                                 Meta(gt=0, le=MICRO)] = 950_000
    adaptive_lookback_ms: Annotated[int, Env("PM_OFI_ADAPTIVE_LOOKBACK_MS"), Meta(gt=0)] = 300_000
    adaptive_exit_ratio: Annotated[int, Env("PM_OFI_ADAPTIVE_EXIT_RATIO", micros=True),
                                   Meta(gt=0, le=MICRO)] = 800_000
    min_toxic_hold_ms: Annotated[int, Env("PM_OFI_MIN_TOXIC_HOLD_MS"), Meta(ge=0)] = 1000

    @property
    def adaptive_params(self) -> AdaptiveParams | None:
        if not self.adaptive:
            return None
        return AdaptiveParams(floor=self.toxicity_threshold, quantile=self.adaptive_quantile,
                              lookback_ms=self.adaptive_lookback_ms, exit_ratio=self.adaptive_exit_ratio,
                              min_hold_ms=self.min_toxic_hold_ms)
