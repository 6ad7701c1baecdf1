"""The OFI engine (``python -m actors.ofi``): taker order-flow imbalance per market and side.

- SUBscribes ``md.trade.`` (the public tape) and ``coord.lease.`` (which tokens are a market's YES / NO).
- Publishes ``OfiState`` on ``ofi.state.<condition>.`` when it changes (a trade, or a trade leaving the
  window: checked every ``EXPIRY_MS``) and every second for every leased market.
"""

from __future__ import annotations

from actors.ofi.config import OfiConfig
from actors.ofi.core import Ofi
from bus import topics
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Lease, LeaseRelease, OfiState, Trade

PROGRAM = "ofi"
PUBLISH_MS = 1000
EXPIRY_MS = 100  # how often windows are aged without trades: toxicity clears at most this late


class OfiActor:
    def __init__(self, node: Node, ofi: Ofi, log: Logger) -> None:
        self.node = node
        self.ofi = ofi
        self.log = log
        self.toxic: dict[str, bool] = {}

    def publish(self, states: list[OfiState]) -> None:
        for state in states:
            try:
                topic = topics.ofi_state(state.market)
            except topics.TopicError:
                continue
            self.node.publish(topic, state)
            if self.toxic.get(state.market, False) != state.toxic:
                self.toxic[state.market] = state.toxic
                self.log.info("ofi_toxic" if state.toxic else "ofi_clear", market=state.market,
                              yes_score=state.yes.score, no_score=state.no.score,
                              threshold=state.yes.threshold)

    def on_trade(self, topic: bytes, header: Header, trade: Trade) -> None:
        self.publish(self.ofi.on_trade(trade, self.node.clock()))

    def on_lease(self, topic: bytes, header: Header, lease: Lease) -> None:
        states = self.ofi.on_lease(lease, self.node.clock())
        if states:
            self.log.info("market_active", market=lease.market, holder=lease.holder,
                          yes_asset=lease.yes_asset, no_asset=lease.no_asset)
        self.publish(states)

    def on_release(self, topic: bytes, header: Header, release: LeaseRelease) -> None:
        if self.ofi.on_release(release):
            self.toxic.pop(release.market, None)
            self.log.info("market_inactive", market=release.market, reason="released")

    def age(self, now: int) -> None:
        before = set(self.ofi.markets)
        self.publish(self.ofi.on_timer(now))
        for market in before - set(self.ofi.markets):
            self.toxic.pop(market, None)
            self.log.info("market_inactive", market=market, reason="lease_expired")

    def periodic(self, now: int) -> None:
        self.publish(self.ofi.snapshot(now))


def main() -> int:
    log = Logger(PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    cfg = load_or_exit(OfiConfig, PROGRAM)
    log.info("ofi_config", **describe(cfg))
    node = Node(PROGRAM, bus, subscriptions=[topics.prefix("md", "trade"), topics.prefix("coord", "lease")],
                log=log)
    actor = OfiActor(node, Ofi(cfg.window_ms, cfg.toxicity_threshold, cfg.adaptive_params), log)
    dispatch = Dispatcher({Trade: actor.on_trade, Lease: actor.on_lease, LeaseRelease: actor.on_release}, log)
    node.every(EXPIRY_MS, actor.age)
    node.every(PUBLISH_MS, actor.periodic)
    try:
        return node.run(dispatch)
    finally:
        node.close()
