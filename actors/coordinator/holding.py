"""The market a coordinator holds, and what it tells the bus about it, once a second. Pure: time is
passed in; bus output goes into an ``Effects``, subscription changes come back as a ``Resubscribe``.

Each second (``every_second``):
- once the window is over, withdraw (the core's ``rotating``) until the next window is traded;
- ask the ``Rotation`` for the next window; a switch withdraws this coordinator's quotes, releases the
  old market's lease, forgets the old market in the core and takes up the new one (its topics, its lease);
- note a failed resolution (``resolve_failed``, throttled: a market that cannot be resolved fails again
  every second);
- renew the lease (``coord.lease.<holder>.``: the feeds carry the market's tokens while it is held) and
  publish the ``CoordinatorState`` (mode, reason, resting quote prices, the strategy's spread and the
  volatility);
- ask the executor to merge the market's complete pairs when there are enough (``merging``).
``stop`` withdraws every quote and releases the lease (a clean stop).
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.core import EXEC_PIPE, Coordinator, push_commands
from actors.coordinator.merging import merge_command
from actors.coordinator.rotation import Rotation, Window
from actors.coordinator.strategies.follow import Follow
from bus import topics
from bus.effects import Effects
from bus.logs import Throttle
from schemas import CoordinatorState, Lease, LeaseRelease


@dataclass(frozen=True, slots=True)
class Resubscribe:
    """Topic prefixes the shell unsubscribes (``drop``) and subscribes (``add``), in that order."""

    drop: list[bytes]
    add: list[bytes]


def market_topics(w: Window) -> list[bytes]:
    """What a coordinator receives about its market: both tokens' books, feed status and tick changes,
    the market's inventory and OFI state. Not ``user.order``: every end of an order it holds (a fill, a
    venue's cancel, an expiry) reaches it as the executor's ``OrderCancelled`` (the executor reads the
    user channel and announces what is gone), so the user channel's copy only woke it twice per re-quote
    for orders it had already forgotten."""
    s = w.spec
    per_token = [t(a) for a in (s.yes_asset, s.no_asset)
                 for t in (topics.md_book, topics.md_status, topics.md_tick)]
    return [*per_token, topics.inv_state(s.market), topics.ofi_state(s.market)]


class Holding:
    def __init__(self, cfg: CoordinatorConfig, core: Coordinator, rotation: Rotation) -> None:
        self.cfg, self.core, self.rotation = cfg, core, rotation
        self.holder = cfg.holder
        self.lease_topic = topics.coord_lease(cfg.holder)
        self.state_topic = topics.coord_state(cfg.holder)
        self.window: Window | None = None
        self.failures_noted = 0
        self.failure_log = Throttle()

    def every_second(self, now: int, fx: Effects) -> Resubscribe | None:
        core = self.core
        if core.window_over(now):
            push_commands(fx, core.cmd_topic, core.rotating(now))
        nxt = self.rotation.poll(now)
        resubscribe = self.switch(nxt, now, fx) if nxt is not None else None
        if self.rotation.failures != self.failures_noted:
            self.failures_noted = self.rotation.failures
            if n := self.failure_log.count():
                fx.warn("resolve_failed", slug=self.cfg.market_slug, error=self.rotation.error, count=n)
        self.lease(now, fx)
        w = self.window
        if w is not None and (merge := merge_command(core.inventory, w.spec.market, holder=self.holder,
                                                     merges=core.strategy.merges_pairs,
                                                     min_size=self.cfg.merge_min_shares, now=now)):
            fx.push(EXEC_PIPE, core.cmd_topic, merge)
        fx.publish(self.state_topic, CoordinatorState(
            holder=self.holder, market=w.spec.market if w else "", strategy=self.cfg.strategy, mode=core.mode,
            reason=core.reason, quotes={name: slot.price for name, slot in core.orders.slots.items()}, ts=now,
            spread=core.spread, volatility=core.mids.volatility(now),
            follow=core.strategy.status() if isinstance(core.strategy, Follow) else None))
        return resubscribe

    def switch(self, window: Window, now: int, fx: Effects) -> Resubscribe:
        """Leave the current market (withdraw, release) and take up ``window``'s."""
        old, core = self.window, self.core
        drop: list[bytes] = []
        if old is not None:
            push_commands(fx, core.cmd_topic, core.withdraw(now, "rotation"))
            fx.publish(self.lease_topic, LeaseRelease(holder=self.holder, market=old.spec.market, ts=now))
            drop = market_topics(old)
        self.window = window
        core.set_market(window.spec, window.end_ns)
        fx.note("market_selected", slug=window.slug, market=window.spec.market, end_ns=window.end_ns,
                tick=window.spec.tick, min_size=window.spec.min_size)
        self.lease(now, fx)
        return Resubscribe(drop=drop, add=market_topics(window))

    def lease(self, now: int, fx: Effects) -> None:
        w = self.window
        if w is not None:
            fx.publish(self.lease_topic, Lease(holder=self.holder, market=w.spec.market,
                                               yes_asset=w.spec.yes_asset, no_asset=w.spec.no_asset,
                                               ttl_ms=self.cfg.lease_ttl_ms, ts=now))

    def stop(self, now: int, fx: Effects) -> None:
        """Clean stop: withdraw every quote of this coordinator and release the market."""
        push_commands(fx, self.core.cmd_topic, self.core.withdraw(now, "coordinator stopping"))
        if self.window is not None:
            fx.publish(self.lease_topic,
                       LeaseRelease(holder=self.holder, market=self.window.spec.market, ts=now))
