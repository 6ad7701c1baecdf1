"""The core's settings (from ``ExecutorConfig`` and the bus heartbeat; see ``actors.executor.config``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ForeignPolicy = Literal["cancel_traded", "cancel_all", "keep"]  # see ``foreign_orders``
ReplaceMode = Literal["pipelined", "confirmed"]  # see ``replacement``


@dataclass(frozen=True, slots=True)
class Params:
    dry_run: bool = False
    allow_taker_exit: bool = False
    startup: Literal["cancel", "adopt"] = "cancel"
    rate_tier: str = "standard"
    cross_ms: int = 1_000
    balance_ms: int = 30_000
    rate_ms: int = 10_000
    post_only_ms: int = 120_000
    reconcile_ms: int = 1_000
    heartbeat_ms: int = 1_000  # the bus heartbeat interval of coordinators
    silence_beats: int = 3
    replace: ReplaceMode = "pipelined"
    foreign_orders: ForeignPolicy = "cancel_traded"  # orders the engine did not place
