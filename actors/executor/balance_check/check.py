"""The inventory check, a part of the executor of its own (wired explicitly in ``main.py``): inventory's
positions against the venue's token balances, per leased market (``verdicts``: the rules).

``build_check`` subscribes it to ``inv.state.*``, ``inv.fill.*`` and ``inv.settle.*``; ``main.py`` routes
those messages and the leases
(``coord.lease.*``, which the executor follows anyway) to it, and calls ``tick`` every
``PM_RECONCILE_MS``. Balances are fetched off the loop (a slow venue must not hold up the command
path), one round at a time, on a worker of its ``Bridge`` with its own keep-alive connection; the result
comes back on the loop's thread. Verdicts go out as ``RiskEvent`` ``inventory_mismatch`` (logged when
they change). Never built in dry run: nothing is sent to Polymarket then.
"""

from __future__ import annotations

from collections.abc import Callable

from actors.executor.balance_check.balances import Fetched, fetch
from actors.executor.balance_check.verdicts import KIND, Announce, InventoryCheck
from actors.executor.config import ExecutorConfig
from actors.executor.core import bus_events
from actors.executor.wire.rest import RestClient
from bus import topics
from bus.bridge import Bridge
from bus.codec import Header
from bus.effects import Effects
from bus.logs import Throttle
from bus.node import Handler, Node
from clob.auth import ApiCreds
from schemas import FillApplied, InventoryState, Lease, LeaseRelease, SettlementApplied
from schemas.units import MS
from venue_client.endpoints import VenueEndpoints

STALE_MS = 3_000  # inventory publishes every second: three missed states = no verdict
SUBSCRIPTIONS = (topics.prefix("inv", "state"), topics.prefix("inv", "fill"), topics.prefix("inv", "settle"))


def build_check(node: Node, cfg: ExecutorConfig, venue: VenueEndpoints, address: str,
                creds: Callable[[], ApiCreds | None], *, signature_type: int) -> BalanceCheck | None:
    """The check, subscribed and attached to ``node`` with its timer (``PM_RECONCILE_MS``); None in dry run
    or with ``PM_RECONCILE_MS=0``."""
    if not venue.sends_orders or not cfg.inventory_check_ms:
        return None
    balances = RestClient(venue.rest_url, address, timeout_ms=cfg.http_timeout_ms)
    check = BalanceCheck(balances, creds, confirm=cfg.inventory_check_confirm, signature_type=signature_type,
                         clock=node.clock, apply=node.apply)
    for prefix in SUBSCRIPTIONS:
        node.subscribe(prefix)
    check.bridge.attach(node)
    node.every(cfg.inventory_check_ms, check.tick)
    return check


class BalanceCheck:
    def __init__(self, rest: RestClient, creds: Callable[[], ApiCreds | None], *, confirm: int,
                 signature_type: int, clock: Callable[[], int], apply: Callable[[Effects], None]) -> None:
        self.rest, self.creds, self.signature_type = rest, creds, signature_type
        self.clock, self.apply = clock, apply
        self.check = InventoryCheck(confirm=confirm, stale_ns=STALE_MS * MS)
        self.bridge = Bridge("balances")
        self.failures = Throttle(first=1, every=20)
        self.rounds = 0
        self.handlers: dict[type, Handler] = {InventoryState: self.on_state, FillApplied: self.on_fill,
                                              SettlementApplied: self.on_settled}

    def on_lease(self, msg: Lease) -> None:
        self._announce(self.check.on_lease(msg, self.clock()))

    def on_release(self, msg: LeaseRelease) -> None:
        self._announce(self.check.on_release(msg))

    def on_state(self, topic: bytes, header: Header, msg: InventoryState) -> None:
        self.check.on_inventory(msg, self.clock())

    def on_fill(self, topic: bytes, header: Header, msg: FillApplied) -> None:
        self.check.on_fill(msg)

    def on_settled(self, topic: bytes, header: Header, msg: SettlementApplied) -> None:
        self.check.on_settled(msg)

    def tick(self, now: int) -> None:
        self._announce(self.check.expire(now))
        creds = self.creds()
        tokens = self.check.tokens()
        if creds is None or not tokens or "round" in self.bridge.running:
            return  # a round still running is not doubled: the next tick asks again
        self.rest.creds = creds
        self.bridge.submit("round", lambda: fetch(self.rest, tokens, self.signature_type), self._fetched)

    def _fetched(self, fetched: Fetched | None, error: BaseException | None) -> None:
        if fetched is None:
            fetched = Fetched({}, [f"{type(error).__name__}: {error}"])
        self.rounds += 1
        fx = Effects()
        if fetched.errors:
            if n := self.failures.count():
                fx.warn("balance_check_failed", errors=fetched.errors[:5], failures=n)
        else:
            self.failures = Throttle(first=1, every=20)  # the next failure is logged at once
        self._announce(self.check.on_balances(fetched.balances, self.clock()), fx)

    def _announce(self, verdicts: list[Announce], fx: Effects | None = None) -> None:
        fx = fx if fx is not None else Effects()
        now = self.clock()
        for market, verdict in verdicts:
            fx.publish(*bus_events.risk(KIND, verdict.severity, market, verdict.message, now))
            if verdict.change:
                fx.note("risk_event", "error" if verdict.severity == "halt" else "info", kind=KIND,
                        severity=verdict.severity, market=market, message=verdict.message)
        if fx:
            self.apply(fx)

    def close(self, fx: Effects) -> None:
        self.rest.close()
        self.bridge.close()
        fx.note("inventory_checks", rounds=self.rounds, requests=sum(self.rest.calls.values()),
                markets=len(self.check.markets),
                halted=sorted(m for m, w in self.check.markets.items() if w.history.halted))
