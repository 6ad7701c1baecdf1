"""From settings to a ``Coordinator``: the strategy ``PM_STRATEGY`` names, its parameters and the risk
layer's, resolved against the strategy's defaults. Used by the program (``main``) and by ``--decide``, so
both decide with the same core."""

from __future__ import annotations

import sys

from actors.coordinator.config import CoordinatorConfig, FollowConfig, NeutralConfig, RiskConfig
from actors.coordinator.core import Coordinator
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.risk.params import RiskParams, resolve
from actors.coordinator.signals import RejectWidening
from actors.coordinator.strategies.base import Strategy
from actors.coordinator.strategies.follow import Follow
from actors.coordinator.strategies.follow_round import FollowParams
from actors.coordinator.strategies.neutral import Neutral, NeutralParams
from actors.coordinator.strategies.pair_ofi import PairOfi, PairParams
from actors.coordinator.strategies.rewards import Rewards, RewardsParams
from bus.config import EXIT_CONFIG, ConfigError
from bus.logs import Logger
from schemas.units import MS, NS


def neutral_params(n: NeutralConfig) -> NeutralParams:
    return NeutralParams(base_size=n.base_size, base_spread=n.base_spread, vol_k=n.vol_k,
                         vol_factor_max=n.vol_factor_max, inv_k=n.inv_k, skew=n.skew,
                         requote_ns=n.requote_ms * MS, penny_min_ticks=n.penny_min_ticks,
                         static_fraction=n.static_fraction, static_ticks=n.static_ticks,
                         reject_max_ticks=n.reject_max_ticks, reject_decay_ns=n.reject_decay_ms * MS,
                         vol_window_ns=n.vol_window_ms * MS)


def follow_params(f: FollowConfig) -> FollowParams:
    return FollowParams(usd=f.usd, shares=f.shares, profit=f.profit, profit_pct=f.profit_pct,
                        drop_pct=f.drop_pct, drop_window_ns=f.drop_window_s * NS,
                        cooldown_ns=f.cooldown_s * NS, repost_min_ns=f.repost_min_s * 1000,
                        min_notional=f.min_notional, outcome=f.outcome)


def strategy_for(cfg: CoordinatorConfig, neutral: NeutralConfig,
                 follow: FollowConfig | None = None, rewards: Rewards | None = None) -> Strategy:
    if cfg.strategy == "neutral":
        return Neutral(neutral_params(neutral))
    if cfg.strategy == "follow":
        return Follow(follow_params(follow or FollowConfig()))
    if cfg.strategy == "rewards":  # built from the scanner's selection (reward_slot), or its defaults
        return rewards if rewards is not None else Rewards(RewardsParams())
    return PairOfi(PairParams(pair_target=cfg.pair_target, bid_size=cfg.bid_size))


def risk_params(strategy: str, r: RiskConfig) -> RiskParams:
    """The strategy's defaults, overridden by every setting given; raises ``ConfigError`` if ``neutral``
    has no hard cap (its inventory factor and skew are fractions of it)."""
    params = resolve(strategy, reduce_only_threshold=r.reduce_only_threshold, net_max=r.net_max,
                     stop_loss=r.stop_loss_usd, take_profit=r.take_profit_usd, shock_pct=r.shock_pct,
                     halt_ns=r.halt_seconds * NS, allow_taker_exit=r.allow_taker_exit,
                     taker_max_slippage=r.taker_max_slippage)
    if strategy == "neutral" and params.net_max <= 0:
        raise ConfigError("PM_NET_MAX", "strategy neutral needs a hard cap above 0")
    return params


def build(cfg: CoordinatorConfig, neutral: NeutralConfig, risk: RiskConfig, *, run: int = 0,
          liveness_ns: int | None = None, blind_ns: int | None = None,
          follow: FollowConfig | None = None, rewards: Rewards | None = None) -> Coordinator:
    strategy = strategy_for(cfg, neutral, follow, rewards)
    core = Coordinator(holder=cfg.holder, strategy=strategy,
                       rules=RequoteRules(reprice_threshold=cfg.reprice_threshold,
                                          debounce_ns=cfg.debounce_ms * MS),
                       risk_params=risk_params(cfg.strategy, risk), vol_window_ns=neutral.vol_window_ms * MS,
                       liveness_ns=cfg.liveness_ms * MS if liveness_ns is None else liveness_ns,
                       blind_ns=cfg.user_blind_ms * MS if blind_ns is None else blind_ns, run=run)
    if isinstance(strategy, Neutral):
        core.rejects = RejectWidening(strategy.params.reject_max_ticks, strategy.params.reject_decay_ns)
    return core


def build_or_exit(cfg: CoordinatorConfig, neutral: NeutralConfig, risk: RiskConfig,
                  program: str, follow: FollowConfig | None = None,
                  rewards: Rewards | None = None) -> Coordinator:
    """``build`` at a program's start: a setting that does not fit the strategy exits with code 2, like a
    bad value (``bus.config.load_or_exit``)."""
    try:
        return build(cfg, neutral, risk, follow=follow, rewards=rewards)
    except ConfigError as exc:
        Logger(program).error("config_error", variable=exc.variable, error=exc.message)
        sys.stderr.write(f"{program}: config error: {exc}\n")
        raise SystemExit(EXIT_CONFIG) from None
