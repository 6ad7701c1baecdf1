"""The shell side of a ``rewards`` coordinator (``PM_STRATEGY=rewards``): its slot's market before start,
the scanner's later selections, and the operator's stop-buys flag (``reward_slot`` holds the rules).

``prepare`` blocks until the scanner names the slot's market, then returns the settings with that market's
slug and the strategy built for it. ``attach`` adds a ``RewardMarket`` handler (a slot given to another
market: the bids go at once, what is held stays hedged; once flat the coordinator withdraws and exits, and
supervisord starts the slot again on the new market) and checks the stop-buys file every second.
"""

from __future__ import annotations

import sys
from typing import Any

import msgspec

from actors.coordinator import reward_slot
from actors.coordinator.config import CoordinatorConfig, RiskConfig
from actors.coordinator.core import Coordinator
from actors.coordinator.model import sell_size
from actors.coordinator.strategies.rewards import Rewards
from actors.rewards.config import RewardsConfig
from bus import topics
from bus.config import EXIT_CONFIG, describe, load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Node
from schemas import RewardMarket
from schemas.units import ONE

SUBSCRIPTION = topics.prefix("rewards", "market")


class RewardsRun:
    def __init__(self, cfg: RewardsConfig, pick: RewardMarket, slot: int, bus: BusConfig) -> None:
        self.strategy = Rewards(reward_slot.params(cfg, pick))
        self.watch = reward_slot.SlotWatch(slot, pick.market, pick.ts)
        self.stop_path = reward_slot.stop_file(cfg, bus.run_dir)
        self.pick = pick
        self.cfg = cfg

    def risk(self, risk: RiskConfig) -> RiskConfig:
        """Seed-004 §4.3's ``stop_loss_pct`` of the exposure cap as the risk layer's stop-loss in USDC,
        unless ``PM_STOP_LOSS_USD`` is set."""
        if risk.stop_loss_usd is not None:
            return risk
        loss = self.cfg.max_exposure * self.cfg.stop_loss_pct // ONE
        return msgspec.structs.replace(risk, stop_loss_usd=loss)

    def attach(self, shell: Any, node: Node) -> None:
        def on_market(topic: bytes, header: Any, msg: RewardMarket) -> None:
            why = self.watch.on_market(msg)
            if why and not self.strategy.leaving:
                node.log.info("reward_slot_moved", why=why, market=self.pick.market, slug=self.pick.slug)
                self.strategy.leaving = True  # bids go now; the held tokens' hedges stay until flat
                shell.core.dirty = True

        def every_second(at: int) -> None:
            self.check_stop(shell, node)
            if self.strategy.leaving and flat(shell.core):
                node.log.info("reward_slot_left", market=self.pick.market, slug=self.pick.slug)
                node.stop()  # a clean stop withdraws (Shell.stop); supervisord starts the slot again

        shell.on_message.handlers[RewardMarket] = on_market
        node.every(1000, every_second)
        self.check_stop(shell, node)

    def check_stop(self, shell: Any, node: Node) -> None:
        stop = self.stop_path.exists()
        if stop != self.strategy.stop_buys:
            self.strategy.stop_buys = stop
            shell.core.dirty = True
            node.log.warning("stop_buys" if stop else "buys_resumed", path=str(self.stop_path))


def flat(core: Coordinator) -> bool:
    """Nothing left to hedge: no position known, or both legs below the market's minimum order."""
    pos, m = core.position, core.market
    if pos is None or m is None:
        return core.market is None
    return sell_size(pos.yes_qty) < m.min_size and sell_size(pos.no_qty) < m.min_size


def prepare(cfg: CoordinatorConfig, bus: BusConfig, program: str,
            log: Logger) -> tuple[CoordinatorConfig, RewardsRun | None]:
    """For ``PM_STRATEGY=rewards``: wait for the slot's market; the settings now name its slug."""
    if cfg.strategy != "rewards":
        return cfg, None
    rcfg = load_or_exit(RewardsConfig, program)
    try:
        slot = reward_slot.slot_of(cfg.market_slug, rcfg.slot)
    except ValueError as exc:
        log.error("config_error", variable="PM_REWARDS_SLOT", error=str(exc))
        sys.stderr.write(f"{program}: config error: {exc}\n")
        raise SystemExit(EXIT_CONFIG) from None
    log.info("reward_slot_waiting", slot=slot, rewards=describe(rcfg))
    pick = reward_slot.wait_for_selection(bus, slot)
    assert pick is not None  # no timeout: it waits for the scanner
    log.info("reward_slot_market", slot=slot, market=pick.market, slug=pick.slug, rank=pick.rank,
             est_daily=pick.est_daily, reward_ratio=pick.reward_ratio)
    cfg = msgspec.structs.replace(cfg, market_slug=pick.slug, name=cfg.holder)
    return cfg, RewardsRun(rcfg, pick, slot, bus)
