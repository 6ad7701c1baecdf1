"""What changed since the venue's state was last committed: ids of changed things, and whether a client
will hear of them.

The core's components (ledger, catalogue, engine, clearing, heartbeats) mark what they change here; the
store (``venue.persist.collect`` -> ``venue.store``) reads the marks, writes the current values of the
marked things and clears the marks. Only ids are marked, never values, so marking costs a dict insert
(dicts, not sets: what is written first is restored first, e.g. trades in match order).

``urgent`` says that an API client will learn of a change (an HTTP reply or a user-channel event about
a registered account, a market's listing or resolution): such changes are committed before anything
leaves the process. What only the synthetic traders did among themselves is committed at the next
periodic commit (``venue.persist``: at least once a second).
"""

from __future__ import annotations


class Changes:
    __slots__ = ("accounts", "balances", "external", "heartbeats", "markets", "orders", "seen", "trades",
                 "urgent")

    def __init__(self) -> None:
        self.external: set[str] = set()  # addresses of registered (API) accounts: their changes are urgent
        self.urgent = False
        self.accounts: dict[str, None] = {}  # api keys registered
        self.balances: dict[str, None] = {}  # ledger addresses whose balances may have changed
        self.orders: dict[str, None] = {}  # external order ids: resting (upsert) or gone (delete)
        self.trades: dict[str, None] = {}  # trades with an external party (never deleted)
        self.markets: dict[str, None] = {}  # condition ids: changed (upsert) or pruned (delete)
        self.seen: list[tuple[str, int]] = []  # external order ids remembered (duplicate check), forget-at ns
        self.heartbeats: dict[str, None] = {}  # api keys whose dead-man switch changed

    def account(self, api_key: str, address: str) -> None:
        self.external.add(address)
        self.accounts[api_key] = None
        self.balances[address] = None
        self.urgent = True

    def balance(self, address: str) -> None:
        self.balances[address] = None
        if address in self.external:
            self.urgent = True

    def order(self, order_id: str) -> None:
        self.orders[order_id] = None
        self.urgent = True

    def trade(self, trade_id: str) -> None:
        self.trades[trade_id] = None
        self.urgent = True

    def market(self, condition_id: str, *, urgent: bool = True) -> None:
        """A market was listed, closed, resolved, redeemed, re-ticked or pruned (urgent), or only its
        numbers (volume, last trade price) moved (``urgent=False``)."""
        self.markets[condition_id] = None
        if urgent:
            self.urgent = True

    def remembered(self, order_id: str, forget_ns: int) -> None:
        self.seen.append((order_id, forget_ns))
        self.urgent = True

    def heartbeat(self, api_key: str) -> None:
        self.heartbeats[api_key] = None
        self.urgent = True

    def clear(self) -> None:
        self.urgent = False
        self.accounts.clear()
        self.balances.clear()
        self.orders.clear()
        self.trades.clear()
        self.markets.clear()
        self.seen.clear()
        self.heartbeats.clear()
