"""Inventory vs the venue's token balances, per leased market (pure: no sockets, clocks or logs).

Every ``PM_RECONCILE_MS`` the shell fetches our balance of both tokens of every market a coordinator
holds a lease on (``GET /balance-allowance?asset_type=CONDITIONAL&token_id=``) and hands them here with
the latest ``InventoryState`` of that market. Differences are normal for a moment (a trade MATCHED at the
venue before the user-feed delivers it), so only a mismatch seen on ``confirm`` consecutive checks with
no fill of that market applied or reversed in between (``FillApplied`` on ``inv.fill.<market>.``) is a
halt. The contract on ``risk.event.executor.``:

- ``RiskEvent(program="executor", market=<condition id>, kind="inventory_mismatch", severity="halt",
  message="yes <inventory> vs venue <balance>, no <inventory> vs venue <balance> (1e-6 shares; N checks)")``
  when confirmed, and again on every later check while it lasts (a coordinator that restarted learns it
  within one period);
- the same kind with ``severity="info"`` once both legs match again ("... : matched again"), or when the
  market is no longer leased ("... : no longer leased, not checked").

No verdict is given when the market's ``InventoryState`` is older than ``stale_ns`` (inventory is down:
coordinators already withdraw for that) or names other tokens than the lease.

The markets checked are the ones a ``bus.leases.LeaseTable`` holds (a lease naming both tokens,
``yes_asset`` and ``no_asset``): a market two coordinators hold stays checked until the last of them
releases it or lets its lease expire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

from bus.leases import LeaseTable
from schemas import FillApplied, InventoryState, Lease, LeaseRelease, SettlementApplied

KIND = "inventory_mismatch"


class Legs(NamedTuple):
    yes: int
    no: int


@dataclass(frozen=True, slots=True)
class History:
    streak: int = 0  # consecutive mismatching checks with no fill in between
    halted: bool = False  # a halt is in force
    fill_seen: bool = False  # a fill of this market was applied or reversed since the last check


class Verdict(NamedTuple):
    severity: Literal["halt", "info"]
    message: str
    change: bool  # a new halt or a clearance (False: a halt repeated while it lasts)


def describe(inventory: Legs, venue: Legs) -> str:
    return f"yes {inventory.yes} vs venue {venue.yes}, no {inventory.no} vs venue {venue.no} (1e-6 shares"


def judge(venue: Legs, inventory: Legs, history: History, confirm: int) -> tuple[History, Verdict | None]:
    """One check of one market: the next history, and what to announce (if anything)."""
    if venue == inventory:
        if history.halted:
            return History(), Verdict("info", describe(inventory, venue) + "): matched again", True)
        return History(), None
    streak = 1 if history.fill_seen else history.streak + 1
    if history.halted or streak >= confirm:
        message = f"{describe(inventory, venue)}; {streak} checks)"
        return History(streak, True), Verdict("halt", message, not history.halted)
    return History(streak), None


@dataclass(slots=True)
class Watched:
    yes_asset: str
    no_asset: str
    inventory: InventoryState | None = None
    inventory_at: int = 0  # when it was received
    history: History = field(default_factory=History)


Announce = tuple[str, Verdict]  # (market, verdict)


class InventoryCheck:
    def __init__(self, *, confirm: int, stale_ns: int) -> None:
        self.confirm = confirm
        self.stale_ns = stale_ns
        self.leases = LeaseTable()
        self.markets: dict[str, Watched] = {}

    # -- inputs ---------------------------------------------------------------------------------

    def on_lease(self, lease: Lease, now: int) -> list[Announce]:
        if not (lease.market and lease.yes_asset and lease.no_asset):
            return []  # a check needs both tokens
        self.leases.on_lease(lease, now)
        return self._follow()

    def on_release(self, release: LeaseRelease) -> list[Announce]:
        self.leases.on_release(release)
        return self._follow()

    def expire(self, now: int) -> list[Announce]:
        self.leases.expire(now)
        return self._follow()

    def _follow(self) -> list[Announce]:
        """Watch the markets the leases hold: one no longer held, or now named with other tokens, is
        forgotten (a halt in force is cleared), a new one starts afresh."""
        pairs = self.leases.pairs()
        out: list[Announce] = []
        for market, watched in list(self.markets.items()):
            pair = pairs.get(market)
            if pair is None or (pair.yes_asset, pair.no_asset) != (watched.yes_asset, watched.no_asset):
                out += self._forget(market)
        for market, pair in pairs.items():
            if market not in self.markets:
                self.markets[market] = Watched(pair.yes_asset, pair.no_asset)
        return out

    def _forget(self, market: str) -> list[Announce]:
        watched = self.markets.pop(market)
        if not watched.history.halted:
            return []
        return [(market, Verdict("info", "no longer leased, not checked", True))]

    def on_inventory(self, state: InventoryState, now: int) -> None:
        watched = self.markets.get(state.market)
        if watched is not None:
            watched.inventory, watched.inventory_at = state, now

    def on_fill(self, applied: FillApplied) -> None:
        if applied.action in ("applied", "reversed"):
            self._moved(applied.fill.market)

    def on_settled(self, applied: SettlementApplied) -> None:
        """A merge, redemption or adjustment inventory applied moves positions as a fill does."""
        if applied.action == "applied":
            self._moved(applied.settlement.market)

    def _moved(self, market: str) -> None:
        watched = self.markets.get(market)
        if watched is not None:
            watched.history = History(watched.history.streak, watched.history.halted, True)

    # -- checks ---------------------------------------------------------------------------------

    def tokens(self) -> list[str]:
        """The tokens whose balances the next check needs."""
        return sorted({a for w in self.markets.values() for a in (w.yes_asset, w.no_asset)})

    def on_balances(self, balances: dict[str, int], now: int) -> list[Announce]:
        """Balances fetched (token -> 1e-6 shares; a token that could not be fetched is absent)."""
        out: list[Announce] = []
        for market, watched in self.markets.items():
            state = watched.inventory
            if watched.yes_asset not in balances or watched.no_asset not in balances or state is None:
                continue
            if now - watched.inventory_at > self.stale_ns:
                continue
            if (state.yes_asset, state.no_asset) != (watched.yes_asset, watched.no_asset):
                continue
            venue = Legs(balances[watched.yes_asset], balances[watched.no_asset])
            watched.history, verdict = judge(venue, Legs(state.yes_qty, state.no_qty), watched.history,
                                             self.confirm)
            if verdict is not None:
                out.append((market, verdict))
        return out
