"""The OFI engine (``python -m actors.ofi``): taker order-flow imbalance per market and side.

- SUBscribes ``md.trade.`` (the public tape) and ``coord.lease.`` (which tokens are a market's YES / NO).
- Publishes ``OfiState`` on ``ofi.state.<condition>.`` when it changes (a trade, or a trade leaving the
  window: checked every ``EXPIRY_MS``) and every second for every leased market.

config -> Node -> core (``Ofi``, pure: every handler fills an ``Effects``) -> handler table -> timers ->
run -> close.
"""

from __future__ import annotations

from collections.abc import Callable

from actors.ofi.config import OfiConfig
from actors.ofi.core import Ofi
from bus import topics
from bus.config import describe, load_or_exit
from bus.effects import Effects
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Lease, LeaseRelease, Trade

PROGRAM = "ofi"
PUBLISH_MS = 1000
EXPIRY_MS = 100  # how often windows are aged without trades: toxicity clears at most this late


def perform(node: Node, handler: Callable[..., object], *args: object) -> None:
    """Call a core handler with a fresh ``Effects`` as its last argument, then perform them."""
    fx = Effects()
    handler(*args, fx)
    node.apply(fx)


def main() -> int:
    log = Logger(PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    cfg = load_or_exit(OfiConfig, PROGRAM)
    log.info("ofi_config", **describe(cfg))
    node = Node(PROGRAM, bus, subscriptions=[topics.prefix("md", "trade"), topics.prefix("coord", "lease")],
                log=log)
    ofi, now = Ofi(cfg.window_ms, cfg.toxicity_threshold, cfg.adaptive_params), node.clock
    dispatch = Dispatcher({
        Trade: lambda t, h, m: perform(node, ofi.on_trade, m, now()),
        Lease: lambda t, h, m: perform(node, ofi.on_lease, m, now()),
        LeaseRelease: lambda t, h, m: perform(node, ofi.on_release, m),
    }, log)
    node.every(EXPIRY_MS, lambda at: perform(node, ofi.on_timer, at))
    node.every(PUBLISH_MS, lambda at: perform(node, ofi.snapshot, at))
    try:
        return node.run(dispatch)
    finally:
        node.close()
