"""The risk layer's settings (1e-6 units, ns) and each strategy's defaults.

A setting left unset (``None`` in ``config.RiskConfig``) takes the strategy's default: ``neutral`` has
every rule of seed-003 on; ``pair_ofi`` (seed-000 asked for none of them) has them all off. 0 = off.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from schemas.units import NS


@dataclass(frozen=True, slots=True)
class RiskParams:
    reduce_only_threshold: int = 0  # PM_REDUCE_ONLY_THRESHOLD: |net| >= this multiple of the base size
    net_max: int = 0  # PM_NET_MAX: shares
    stop_loss: int = 0  # PM_STOP_LOSS_USD: unrealised PnL <= -this
    take_profit: int = 0  # PM_TAKE_PROFIT_USD: unrealised PnL >= this
    shock_pct: int = 0  # PM_SHOCK_PCT: one |Δmid|/mid above this
    halt_ns: int = 30 * NS  # PM_HALT_SECONDS
    allow_taker_exit: bool = False  # PM_ALLOW_TAKER_EXIT
    taker_max_slippage: int = 20_000  # PM_TAKER_MAX_SLIPPAGE: below the mid, relative

    @property
    def halts_armed(self) -> bool:
        return bool(self.shock_pct or self.stop_loss or self.take_profit)


DEFAULTS = {
    "pair_ofi": RiskParams(),
    "follow": RiskParams(),  # its rounds are bounded by their target; every rule may still be set
    "neutral": RiskParams(reduce_only_threshold=3_000_000, net_max=50_000_000, stop_loss=5_000_000,
                          shock_pct=100_000),
    # seed-004 §4.3 stop_loss_pct 10 % of the per-market exposure cap (25 USDC): 2.5 USDC unrealised loss;
    # its take-profit is the resting hedge SELL itself (a take-profit halt would stop the quoting)
    "rewards": RiskParams(stop_loss=2_500_000),
}


def resolve(strategy: str, *, reduce_only_threshold: int | None = None, net_max: int | None = None,
            stop_loss: int | None = None, take_profit: int | None = None, shock_pct: int | None = None,
            halt_ns: int | None = None, allow_taker_exit: bool = False,
            taker_max_slippage: int | None = None) -> RiskParams:
    """The strategy's defaults with every setting that was given (not None) in its place."""
    d = DEFAULTS[strategy]

    def pick(given: int | None, default: int) -> int:
        return default if given is None else given

    return replace(d, reduce_only_threshold=pick(reduce_only_threshold, d.reduce_only_threshold),
                   net_max=pick(net_max, d.net_max), stop_loss=pick(stop_loss, d.stop_loss),
                   take_profit=pick(take_profit, d.take_profit), shock_pct=pick(shock_pct, d.shock_pct),
                   halt_ns=pick(halt_ns, d.halt_ns), allow_taker_exit=allow_taker_exit,
                   taker_max_slippage=pick(taker_max_slippage, d.taker_max_slippage))
