"""Resolutions inventory asks the CLOB for (``venue_client.markets.outcome``): markets with a position that
no coordinator trades and that are not known resolved (``Inventory.unresolved_held``): at start, and every
``PM_INVENTORY_RESOLVE_MS`` after, since the market-feed's ``MarketResolved`` is published only while the
feed is up, and a market a coordinator left is no longer subscribed. One round at a time, off the loop
(``bus.bridge.Bridge``, a session of its own); each winner found comes back on the loop's thread as a
``resolution`` settlement, applied as any other (journalled, echoed).
"""

from __future__ import annotations

from collections.abc import Callable

from actors.inventory.core import Inventory, Market, resolution
from bus.bridge import Bridge
from bus.logs import Logger, Throttle
from schemas import Settlement
from venue_client.markets.gamma import MarketHttp
from venue_client.markets.outcome import fetch_winner

Found = list[tuple[Market, str]]  # (market, winning token)


class ResolutionCheck:
    def __init__(self, http: MarketHttp, inventory: Inventory, apply: Callable[[Settlement], None],
                 clock: Callable[[], int], log: Logger) -> None:
        self.http, self.inventory, self.apply, self.clock, self.log = http, inventory, apply, clock, log
        self.bridge = Bridge("resolutions")
        self.failures = Throttle(first=1, every=30)

    def tick(self, now: int) -> None:
        markets = self.inventory.unresolved_held()
        if markets:
            self.bridge.submit("round", lambda: self._round(markets), self._done)

    def _round(self, markets: list[Market]) -> tuple[Found, list[str]]:
        found: Found = []
        errors: list[str] = []
        for m in markets:
            try:
                winner = fetch_winner(self.http, m.market)
            except Exception as exc:
                errors.append(f"{m.market[:12]}: {type(exc).__name__}: {exc}"[:200])
                continue
            if winner is not None:
                found.append((m, winner))
        return found, errors

    def _done(self, result: tuple[Found, list[str]] | None, error: BaseException | None) -> None:
        found, errors = result if result is not None else ([], [f"{type(error).__name__}: {error}"])
        if errors and (n := self.failures.count()):
            self.log.warning("resolution_check_failed", errors=errors[:5], count=n)
        for m, winner in found:
            if m.market not in self.inventory.resolved:
                self.apply(resolution(m.market, m.yes_asset, m.no_asset, winner, "clob", self.clock()))

    def close(self) -> None:
        self.http.close()
        self.bridge.close()
