"""Coordinator configuration: seed-001 §5 names and defaults (money parsed exactly into 1e-6 units)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from bus.config import Env
from schemas.units import MICRO


class CoordinatorConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One coordinator's settings (seed-001 §5.2 names and defaults). `PM_TICK_SIZE` is a fallback: the
    tick comes from the market (its CLOB entry, then `tick_size_change`); it is used only for a market
    whose CLOB entry gives no tick size."""

    name: Annotated[str, Env("PM_COORDINATOR_NAME")] = ""  # holder name; defaults to the slug
    market_slug: Annotated[str, Env("POLYMARKET_MARKET_SLUG")] = "btc-updown-15m"
    strategy: Annotated[Literal["pair_ofi"], Env("PM_STRATEGY")] = "pair_ofi"
    pair_target: Annotated[int, Env("PM_PAIR_TARGET", micros=True), Meta(gt=0, lt=2_000_000)] = 990_000
    bid_size: Annotated[int, Env("PM_BID_SIZE", micros=True), Meta(gt=0)] = 2_000_000
    tick_size: Annotated[int, Env("PM_TICK_SIZE", micros=True), Meta(gt=0, lt=MICRO)] = 1_000
    reprice_threshold: Annotated[int, Env("PM_REPRICE_THRESHOLD", micros=True), Meta(ge=0)] = 5_000
    debounce_ms: Annotated[int, Env("PM_DEBOUNCE_MS"), Meta(ge=0)] = 200
    lease_ttl_ms: Annotated[int, Env("PM_LEASE_TTL_MS"), Meta(ge=1000)] = 5000
    liveness_ms: Annotated[int, Env("PM_LIVENESS_MS"), Meta(ge=100)] = 3000
    user_blind_ms: Annotated[int, Env("PM_USER_BLIND_MS"), Meta(ge=100)] = 5000
    evaluate_ms: Annotated[int, Env("PM_EVALUATE_MS"), Meta(ge=5)] = 50
    # ask the executor to merge complete pairs (YES + NO -> 1 pUSD) once both legs hold at least this many
    # shares (strategies that keep pairs to the end only: actors/coordinator/merging.py); 0: never
    merge_min_shares: Annotated[int, Env("PM_MERGE_MIN_SHARES", micros=True), Meta(ge=0)] = 5 * MICRO

    @property
    def holder(self) -> str:
        return self.name or self.market_slug
