"""Coordinator configuration: seed-001 §5 names and defaults (money parsed exactly into 1e-6 units),
the ``neutral`` strategy's settings and the risk layer's (docs/strategies.md explains each)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from bus.config import ConfigError, Env
from schemas.units import MICRO

NonNegative = Annotated[int, Meta(ge=0)]


class CoordinatorConfig(msgspec.Struct, frozen=True, kw_only=True):
    """One coordinator's settings (seed-001 §5.2 names and defaults). `PM_TICK_SIZE` is a fallback: the
    tick comes from the market (its CLOB entry, then `tick_size_change`); it is used only for a market
    whose CLOB entry gives no tick size."""

    name: Annotated[str, Env("PM_COORDINATOR_NAME")] = ""  # holder name; defaults to the slug
    market_slug: Annotated[str, Env("POLYMARKET_MARKET_SLUG")] = "btc-updown-15m"
    strategy: Annotated[Literal["pair_ofi", "neutral", "follow", "rewards"], Env("PM_STRATEGY")] = "pair_ofi"
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
    # where a risk halt is kept across restarts ("": halt-<name>.json beside PM_RUN_DIR, i.e. in var/)
    halt_file: Annotated[str, Env("PM_HALT_FILE")] = ""

    @property
    def holder(self) -> str:
        return self.name or self.market_slug


class NeutralConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Strategy `neutral` (seed-003 §3 for binary tokens); read only with `PM_STRATEGY=neutral`.
    Factors are plain numbers (`1` = 1.0); prices, spreads and sizes are decimals."""

    base_size: Annotated[int, Env("PM_NEUTRAL_BASE_SIZE", micros=True), Meta(gt=0)] = 10_000_000
    base_spread: Annotated[int, Env("PM_NEUTRAL_BASE_SPREAD", micros=True), Meta(gt=0, lt=MICRO)] = 20_000
    vol_window_ms: Annotated[int, Env("PM_NEUTRAL_VOL_WINDOW_MS"), Meta(ge=100)] = 10_000
    vol_k: Annotated[int, Env("PM_NEUTRAL_VOL_K", micros=True), Meta(ge=0)] = 5_000_000
    vol_factor_max: Annotated[int, Env("PM_NEUTRAL_VOL_FACTOR_MAX", micros=True), Meta(ge=0)] = 2_000_000
    inv_k: Annotated[int, Env("PM_NEUTRAL_INV_K", micros=True), Meta(ge=0)] = 1_000_000
    skew: Annotated[int, Env("PM_NEUTRAL_SKEW", micros=True), Meta(ge=0, le=MICRO)] = 500_000
    requote_ms: Annotated[int, Env("PM_NEUTRAL_REQUOTE_MS"), Meta(ge=0)] = 250
    penny_min_ticks: Annotated[int, Env("PM_PENNY_MIN_TICKS"), Meta(ge=0)] = 3
    static_fraction: Annotated[int, Env("PM_NEUTRAL_STATIC_FRACTION", micros=True), Meta(ge=0, lt=MICRO)] = (
        500_000)
    static_ticks: Annotated[int, Env("PM_NEUTRAL_STATIC_TICKS"), Meta(ge=0)] = 3
    reject_max_ticks: Annotated[int, Env("PM_NEUTRAL_REJECT_MAX_TICKS"), Meta(ge=0)] = 5
    reject_decay_ms: Annotated[int, Env("PM_NEUTRAL_REJECT_DECAY_MS"), Meta(ge=1)] = 5_000

    def __post_init__(self) -> None:
        if self.penny_min_ticks in (1, 2):
            raise ValueError("PM_PENNY_MIN_TICKS: must be 0 (off) or at least 3 (one tick inside each best "
                             "must leave a tick between our bid and ask)")


class RiskConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The risk layer, between every strategy and the reconciler. Unset (`None`): the strategy's default
    (`neutral`: reduce-only 3, net max 50, stop-loss 5 USDC, shock 0.10; `pair_ofi`: all off); 0 = off."""

    reduce_only_threshold: Annotated[NonNegative | None, Env("PM_REDUCE_ONLY_THRESHOLD", micros=True)] = None
    net_max: Annotated[NonNegative | None, Env("PM_NET_MAX", micros=True)] = None
    stop_loss_usd: Annotated[NonNegative | None, Env("PM_STOP_LOSS_USD", micros=True)] = None
    take_profit_usd: Annotated[NonNegative | None, Env("PM_TAKE_PROFIT_USD", micros=True)] = None
    shock_pct: Annotated[NonNegative | None, Env("PM_SHOCK_PCT", micros=True)] = None
    halt_seconds: Annotated[int, Env("PM_HALT_SECONDS"), Meta(ge=1)] = 30
    allow_taker_exit: Annotated[bool, Env("PM_ALLOW_TAKER_EXIT")] = False
    taker_max_slippage: Annotated[int, Env("PM_TAKER_MAX_SLIPPAGE", micros=True), Meta(ge=0, lt=MICRO)] = (
        20_000)


class FollowConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Strategy `follow` (seed-002, maker-only follow execution); read only with `PM_STRATEGY=follow`.
    Prices, sizes and USD are decimals; percentages are fractions (`0.05` = 5 %); times in seconds."""

    usd: Annotated[int, Env("PM_FOLLOW_USD", micros=True), Meta(ge=0)] = 10 * MICRO
    shares: Annotated[int, Env("PM_FOLLOW_SHARES", micros=True), Meta(ge=0)] = 0
    profit: Annotated[int, Env("PM_FOLLOW_PROFIT", micros=True), Meta(ge=0, lt=MICRO)] = 20_000
    profit_pct: Annotated[int, Env("PM_FOLLOW_PROFIT_PCT", micros=True), Meta(ge=0)] = 0
    drop_pct: Annotated[int, Env("PM_FOLLOW_DROP_PCT", micros=True), Meta(ge=0, lt=MICRO)] = 50_000
    drop_window_s: Annotated[int, Env("PM_FOLLOW_DROP_WINDOW_S"), Meta(ge=1)] = 60
    cooldown_s: Annotated[int, Env("PM_FOLLOW_COOLDOWN_S"), Meta(ge=0)] = 60
    repost_min_s: Annotated[int, Env("PM_FOLLOW_REPOST_MIN_S", micros=True), Meta(ge=0)] = 10 * MICRO
    min_notional: Annotated[int, Env("PM_FOLLOW_MIN_NOTIONAL", micros=True), Meta(ge=0)] = MICRO
    outcome: Annotated[Literal["yes", "no", "both"], Env("PM_FOLLOW_OUTCOME")] = "both"
    # where the round is kept across restarts ("": follow-<name>.json beside PM_RUN_DIR, i.e. in var/)
    state_file: Annotated[str, Env("PM_FOLLOW_STATE_FILE")] = ""

    def __post_init__(self) -> None:
        if not self.usd and not self.shares:
            raise ConfigError("PM_FOLLOW_USD", "PM_FOLLOW_USD or PM_FOLLOW_SHARES must be above 0")
