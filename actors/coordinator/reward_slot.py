"""Which market a ``rewards`` coordinator trades: fixed slots, each taking the scanner's k-th market.

A line ``rewards-<k>  rewards-<k>  PM_STRATEGY=rewards`` of ``deploy/markets.conf`` is slot k (the number
at the end of the slug column, or ``PM_REWARDS_SLOT``). At start the coordinator waits for the
rewards-scanner's selection (``RewardMarket`` on ``rewards.market.``, repeated every second) and takes the
market of rank k; its holder name stays ``rewards-<k>``. When a later scan gives rank k to another market
(or selects fewer than k), ``SlotWatch`` says so: the coordinator stops bidding, keeps hedging what it
holds, and once flat withdraws and exits; supervisord starts it again, on the new k-th market. The
operator's stop-buys flag (``stop_file``) is a file: while it exists the strategy only hedges.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import zmq

from actors.coordinator.strategies.reward_rules import order_size
from actors.coordinator.strategies.rewards import RewardsParams
from actors.rewards.config import RewardsConfig
from bus import codec, topics
from bus.endpoints import BusConfig
from schemas import RewardMarket
from schemas.units import NS

STOP_FILE = "stop-buys"


def slot_of(slug: str, explicit: int = 0) -> int:
    """``rewards-3`` -> 3 (or ``explicit`` when given)."""
    if explicit:
        return explicit
    found = re.search(r"(\d+)$", slug)
    if not found:
        raise ValueError(f"{slug!r}: a rewards slot ends in its number (rewards-1) or sets PM_REWARDS_SLOT")
    return int(found.group(1))


def stop_file(cfg: RewardsConfig, run_dir: str) -> Path:
    return Path(cfg.stop_file) if cfg.stop_file else Path(run_dir).resolve().parent / STOP_FILE


class SlotWatch:
    """Pure: the newest scan's market for our slot; ``moved`` once a newer scan gives it another one."""

    def __init__(self, slot: int, market: str, ts: int) -> None:
        self.slot, self.market, self.ts = slot, market, ts

    def on_market(self, msg: RewardMarket) -> str:
        """``""``, or why the slot's market is no longer ours."""
        if msg.ts <= self.ts:
            return ""
        if msg.selected < self.slot:
            return f"the scan selected {msg.selected} markets, fewer than slot {self.slot}"
        if msg.rank == self.slot and msg.market != self.market:
            return f"slot {self.slot} is now {msg.slug}"
        if msg.rank == self.slot:
            self.ts = msg.ts
        return ""


def wait_for_selection(bus: BusConfig, slot: int, timeout_s: float | None = None) -> RewardMarket | None:
    """Block until the scanner publishes a market of rank ``slot`` (None on timeout or SIGTERM's
    KeyboardInterrupt-free path: the caller exits)."""
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(bus.subscribe_endpoint)
    sub.setsockopt(zmq.SUBSCRIBE, topics.prefix("rewards", "market"))
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    try:
        while deadline is None or time.monotonic() < deadline:
            if not sub.poll(500):
                continue
            frames = sub.recv_multipart()
            try:
                _, _, msg = codec.decode(frames)
            except codec.FrameError:  # a frame we cannot read is not ours to fail on
                continue
            if isinstance(msg, RewardMarket) and msg.rank == slot:
                return msg
        return None
    finally:
        sub.close()


def params(cfg: RewardsConfig, pick: RewardMarket) -> RewardsParams:
    return RewardsParams(min_size=pick.min_size, max_spread=pick.max_spread, size_mult=cfg.size_mult,
                         max_exposure=cfg.max_exposure, margin=cfg.margin, safety=cfg.safety,
                         reprice_threshold=cfg.reprice_threshold, reprice_ns=cfg.reprice_s * 1000,
                         two_sided=pick.two_sided, hedge=cfg.hedge, dynamic_follow=cfg.dynamic_follow,
                         retry_ns=cfg.hedge_retry_s * 1000,
                         retries=cfg.hedge_retries, cooldown_ns=cfg.hedge_cooldown_s * 1000,
                         sample_ns=max(NS // 10, cfg.book_s * 1000 * 10))


__all__ = ["SlotWatch", "order_size", "params", "slot_of", "stop_file", "wait_for_selection"]
