"""The inventory check's I/O: token balances fetched off the loop, verdicts published (``inventory_check``).

``GET /balance-allowance?asset_type=CONDITIONAL&token_id=<token>&signature_type=<n>`` (L2) answers
``{"balance": "<base units>", "allowances": {...}}``; base units are 1e-6 shares, the bus's own unit.
The requests run on a thread of their own with its own keep-alive connection, as the order heartbeat
does: a slow venue must not hold up the command path. The loop hands it the tokens every
``PM_RECONCILE_MS`` (never while a round is still running) and gets the result back through a
socketpair registered with the Node. Never built in dry run: nothing is sent to Polymarket then.
"""

from __future__ import annotations

import queue
import socket
import threading
from collections.abc import Callable
from typing import Any, NamedTuple

from actors.executor.balance_check.verdicts import KIND, Announce, InventoryCheck
from actors.executor.core import bus_events as events
from actors.executor.wire.rest import RestClient
from bus import topics
from bus.codec import Header
from bus.logs import Logger
from bus.node import Dispatcher, Node
from clob.auth import ApiCreds
from schemas import FillApplied, InventoryState, Lease, LeaseRelease
from schemas.units import MS

PATH = "/balance-allowance"
MAX_DIGITS = 18  # below 2**63 base units (int64, as on the bus): anything longer is not a balance
STALE_MS = 3_000  # inventory publishes every second: three missed states = no verdict


class Fetched(NamedTuple):
    balances: dict[str, int]  # token -> 1e-6 shares
    errors: list[str]  # one line per token that could not be fetched


def parse_balance(body: Any) -> int:
    """The ``balance`` field: a non-negative integer of base units (a string, or a JSON number)."""
    raw = body.get("balance") if isinstance(body, dict) else None
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    whole, dot, frac = text.partition(".")
    integral = whole.isascii() and whole.isdigit() and len(whole) <= MAX_DIGITS
    whole_units = not dot or (frac.isascii() and frac.isdigit() and not frac.strip("0"))  # "12.000"
    if not (integral and whole_units):
        raise ValueError(f"bad balance in {str(body)[:100]!r}")
    return int(whole)


def fetch(rest: RestClient, tokens: list[str], signature_type: int) -> Fetched:
    balances: dict[str, int] = {}
    errors: list[str] = []
    for token in tokens:
        if not (token.isascii() and token.isdigit()):  # a uint256 in decimal; nothing else goes in a URL
            errors.append(f"{token[:12]!r}: not a token id")
            continue
        res = rest.request("GET", PATH, query=f"?asset_type=CONDITIONAL&token_id={token}"
                                             f"&signature_type={signature_type}")
        try:
            if not res.ok:
                raise ValueError(f"HTTP {res.status} {res.error or str(res.body)[:100]}".strip())
            balances[token] = parse_balance(res.body)
        except ValueError as exc:
            errors.append(f"{token[:12]}: {exc}")
    return Fetched(balances, errors)


class BalanceThread:
    """Fetches one set of tokens at a time on its own thread; results come back on the loop's thread."""

    def __init__(self, rest: RestClient, signature_type: int) -> None:
        self.rest, self.signature_type = rest, signature_type
        self.busy = False
        self._jobs: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._done: queue.SimpleQueue[Fetched] = queue.SimpleQueue()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._thread = threading.Thread(target=self._run, name="balances", daemon=True)
        self._thread.start()

    @property
    def fd(self) -> int:
        return self._wake_r.fileno()

    def submit(self, tokens: list[str]) -> bool:
        if self.busy:
            return False
        self.busy = True
        self._jobs.put(tokens)
        return True

    def take(self) -> Fetched | None:
        try:
            self._wake_r.recv(4096)
        except BlockingIOError:
            pass
        try:
            fetched = self._done.get_nowait()
        except queue.Empty:
            return None
        self.busy = False
        return fetched

    def _run(self) -> None:
        while (tokens := self._jobs.get()) is not None:
            self._done.put(fetch(self.rest, tokens, self.signature_type))
            try:
                self._wake_w.send(b"\0")
            except OSError:
                return

    def stop(self) -> None:
        self._jobs.put(None)
        self._thread.join(0.5)
        self.rest.close()
        self._wake_r.close()
        self._wake_w.close()


class InventoryWatch:
    """Leases, inventory states and fills in; balances fetched every period; risk events out."""

    def __init__(self, node: Node, dispatch: Dispatcher, rest: RestClient,
                 creds: Callable[[], ApiCreds | None], *, confirm: int, signature_type: int,
                 log: Logger) -> None:
        self.node, self.creds, self.log = node, creds, log
        self.check = InventoryCheck(confirm=confirm, stale_ns=STALE_MS * MS)
        self.thread = BalanceThread(rest, signature_type)
        self.failures = self.rounds = 0
        node.add_reader(self.thread.fd, self._on_fetched)
        for domain, kind in (("inv", "state"), ("inv", "fill")):  # leases: the executor hands them on
            node.subscribe(topics.prefix(domain, kind))
        dispatch.handlers.update({InventoryState: self.on_state, FillApplied: self.on_fill})

    def on_lease(self, msg: Lease) -> None:
        self._announce(self.check.on_lease(msg, self.node.clock()))

    def on_release(self, msg: LeaseRelease) -> None:
        self._announce(self.check.on_release(msg))

    def on_state(self, topic: bytes, header: Header, msg: InventoryState) -> None:
        self.check.on_inventory(msg, self.node.clock())

    def on_fill(self, topic: bytes, header: Header, msg: FillApplied) -> None:
        self.check.on_fill(msg)

    def tick(self, now: int) -> None:
        self._announce(self.check.expire(now))
        creds = self.creds()
        tokens = self.check.tokens()
        if creds is None or not tokens or self.thread.busy:
            return  # a round still running is not doubled: the next tick asks again
        self.thread.rest.creds = creds
        self.thread.submit(tokens)

    def _on_fetched(self) -> None:
        fetched = self.thread.take()
        if fetched is None:
            return
        self.rounds += 1
        if fetched.errors:
            self.failures += 1
            if self.failures == 1 or self.failures % 20 == 0:
                self.log.warning("balance_check_failed", errors=fetched.errors[:5], failures=self.failures)
        else:
            self.failures = 0
        self._announce(self.check.on_balances(fetched.balances, self.node.clock()))

    def _announce(self, verdicts: list[Announce]) -> None:
        now = self.node.clock()
        for market, verdict in verdicts:
            topic, msg = events.risk(KIND, verdict.severity, market, verdict.message, now)
            self.node.publish(topic, msg)
            if verdict.change:
                log = self.log.error if verdict.severity == "halt" else self.log.info
                log("risk_event", kind=KIND, severity=verdict.severity, market=market,
                    message=verdict.message)

    def close(self) -> None:
        self.node.remove_reader(self.thread.fd)
        self.thread.stop()
        self.log.info("inventory_checks", rounds=self.rounds, requests=sum(self.thread.rest.calls.values()),
                      markets=len(self.check.markets),
                      halted=sorted(m for m, w in self.check.markets.items() if w.history.halted))
