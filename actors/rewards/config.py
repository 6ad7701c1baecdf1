"""Settings of liquidity-rewards market making: every seed-004 §4 parameter as ``PM_REWARDS_*``, with the
seed's default. Read by the ``rewards-scanner`` (selection) and by coordinators with ``PM_STRATEGY=rewards``
(quoting, hedging, exposure). Prices and money are decimals (1e-6 units); multipliers are plain numbers
(``1`` = 1.0); a range bound left unset is no bound. The seed's Redis settings (§4.6 host, port, cache
TTLs) have no counterpart: books and market lists travel on the bus (spec resolution 3)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from actors.coordinator.strategies.reward_rules import SafetyParams
from bus.config import Env
from schemas.units import MICRO

Opt = Annotated[int, Meta(ge=0)] | None


class RewardsConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Seed-004 §4.1-§4.5 (names: the seed's, prefixed ``PM_REWARDS_``)."""

    # §4.1 market making
    size_mult: Annotated[int, Env("PM_REWARDS_ORDER_SIZE_MULTIPLIER", micros=True), Meta(gt=0)] = MICRO
    max_exposure: Annotated[int, Env("PM_REWARDS_MAX_EXPOSURE_PER_MARKET_USDC", micros=True), Meta(ge=0)] = (
        25 * MICRO)
    max_markets: Annotated[int, Env("PM_REWARDS_MAX_MARKETS"), Meta(ge=1, le=100)] = 10
    min_reward_ratio: Annotated[int, Env("PM_REWARDS_MIN_REWARD_RATIO", micros=True), Meta(ge=0)] = 0
    min_profit_margin_bps: Annotated[int, Env("PM_REWARDS_MIN_PROFIT_MARGIN_BPS"), Meta(ge=0)] = 5
    # §4.2 risk
    price_cliff: Annotated[int, Env("PM_REWARDS_PRICE_CLIFF_THRESHOLD", micros=True), Meta(ge=0)] = 50_000
    protection_mult: Annotated[int, Env("PM_REWARDS_MIN_PROTECTION_SIZE_MULTIPLIER", micros=True),
                               Meta(ge=0)] = MICRO
    hedge_mult: Annotated[int, Env("PM_REWARDS_MIN_PROTECTION_SIZE_MULTIPLIER_HEDGE", micros=True),
                          Meta(ge=0)] = 5 * MICRO
    # §4.3 hedge sell
    max_bid_gap: Annotated[int, Env("PM_REWARDS_MAX_BID_GAP", micros=True), Meta(ge=0)] = 50_000
    stop_loss_pct: Annotated[int, Env("PM_REWARDS_STOP_LOSS_PCT", micros=True), Meta(ge=0)] = 100_000
    take_profit_pct: Annotated[int, Env("PM_REWARDS_TAKE_PROFIT_PCT", micros=True), Meta(ge=0)] = 100_000
    dynamic_follow: Annotated[bool, Env("PM_REWARDS_DYNAMIC_FOLLOW")] = True
    hedge: Annotated[Literal["sell", "pair"], Env("PM_REWARDS_HEDGE")] = "sell"
    # §4.4 market filters (unset bound: none)
    spread_min: Annotated[Opt, Env("PM_REWARDS_SPREAD_MIN", micros=True)] = None
    spread_max: Annotated[Opt, Env("PM_REWARDS_SPREAD_MAX", micros=True)] = 50_000
    volume_min: Annotated[Opt, Env("PM_REWARDS_VOLUME_24HR_MIN", micros=True)] = None
    volume_max: Annotated[Opt, Env("PM_REWARDS_VOLUME_24HR_MAX", micros=True)] = None
    min_size_min: Annotated[Opt, Env("PM_REWARDS_MIN_SIZE_MIN", micros=True)] = None
    min_size_max: Annotated[Opt, Env("PM_REWARDS_MIN_SIZE_MAX", micros=True)] = 20 * MICRO
    rate_min: Annotated[Opt, Env("PM_REWARDS_RATE_PER_DAY_MIN", micros=True)] = 5 * MICRO
    rate_max: Annotated[Opt, Env("PM_REWARDS_RATE_PER_DAY_MAX", micros=True)] = None
    min_days_until_end: Annotated[int, Env("PM_REWARDS_MIN_DAYS_UNTIL_END"), Meta(ge=0)] = 7
    blacklist: Annotated[str, Env("PM_REWARDS_QUESTION_BLACKLIST")] = "Trump"  # comma list, any case
    # §4.5 loops
    rescan_s: Annotated[int, Env("PM_REWARDS_RESCAN_S"), Meta(ge=1)] = 1200  # update_interval_seconds
    retry_s: Annotated[int, Env("PM_REWARDS_RETRY_S"), Meta(ge=1)] = 10  # after a failed or empty scan
    check_s: Annotated[int, Env("PM_REWARDS_CHECK_S", micros=True), Meta(gt=0)] = 500_000  # order checks
    reprice_s: Annotated[int, Env("PM_REWARDS_REPRICE_S", micros=True), Meta(gt=0)] = 500_000
    reprice_threshold: Annotated[int, Env("PM_REWARDS_PRICE_DEVIATION_THRESHOLD", micros=True),
                                 Meta(ge=0)] = 100  # 0.0001
    # §4.6 (the book service's volatility check; books every book_s for the scanner's samples)
    book_s: Annotated[int, Env("PM_REWARDS_BOOK_S", micros=True), Meta(gt=0)] = 3 * MICRO
    volatility_check: Annotated[bool, Env("PM_REWARDS_VOLATILITY_CHECK")] = True
    volatility_max: Annotated[int, Env("PM_REWARDS_VOLATILITY_THRESHOLD", micros=True), Meta(ge=0)] = 30_000
    # hedge retry queue (seed §8.3): delay, tries, cooldown
    hedge_retry_s: Annotated[int, Env("PM_REWARDS_HEDGE_RETRY_S", micros=True), Meta(gt=0)] = MICRO
    hedge_retries: Annotated[int, Env("PM_REWARDS_HEDGE_RETRIES"), Meta(ge=1)] = 10
    hedge_cooldown_s: Annotated[int, Env("PM_REWARDS_HEDGE_COOLDOWN_S", micros=True), Meta(ge=0)] = 30 * MICRO
    # where the operator's stop-buys flag lives ("": stop-buys beside PM_RUN_DIR, i.e. in var/)
    stop_file: Annotated[str, Env("PM_REWARDS_STOP_FILE")] = ""
    # how often the scanner asks the venue whether our orders on the selected markets score (politely: two
    # requests per poll, our open orders and /orders-scoring); 0: never
    scoring_s: Annotated[int, Env("PM_REWARDS_SCORING_S"), Meta(ge=0)] = 10
    # a rewards coordinator's slot k (it trades the scanner's rank-k market); 0: the number its slug ends in
    slot: Annotated[int, Env("PM_REWARDS_SLOT"), Meta(ge=0)] = 0

    @property
    def blacklist_words(self) -> tuple[str, ...]:
        return tuple(w.strip().lower() for w in self.blacklist.split(",") if w.strip())

    @property
    def margin(self) -> int:
        """``min_profit_margin_bps`` as a price, 1e-6 (5 bps -> 500)."""
        return self.min_profit_margin_bps * 100

    @property
    def safety(self) -> SafetyParams:
        return SafetyParams(price_cliff=self.price_cliff, protection_mult=self.protection_mult,
                            hedge_mult=self.hedge_mult, max_bid_gap=self.max_bid_gap,
                            volatility_max=self.volatility_max if self.volatility_check else 10 ** 12)
