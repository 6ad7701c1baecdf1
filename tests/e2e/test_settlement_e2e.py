"""End to end, money after the trade: the whole engine trades btc-updown-15m on the local venue with 30 s
windows, merges its pairs during a window (the coordinator asks, the executor merges through the SDK),
the window resolves (the market-feed's MarketResolved), the executor redeems what is left, and then:
- every settlement inventory applied was one the venue confirmed (merges, redemptions) or a resolution;
- inventory equals the venue's token balances (nothing left on either side);
- realised PnL equals the venue's pUSD change to the micro-dollar (makers pay no fee).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from actors.inventory.core import Inventory
from actors.inventory.journal import Journal
from actors.inventory.main import recover
from actors.inventory.positions import Limits
from bus import topics
from schemas import Settlement, SettlementApplied
from schemas.units import MICRO
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

VENUE = {
    "window_seconds": 30, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
    "mined_delay_ms": 300, "confirmed_delay_ms": 600,
    "flow_params": {"noise_rate_per_min": 200.0, "informed_prob": 0.2},
}
ENGINE = {"PM_BID_SIZE": "5", "PM_MAX_NET_DIFF": "40", "PM_MAX_POSITION_VALUE": "60",
          "PM_HEARTBEAT_MS": "500", "PM_OFI_TOXICITY_THRESHOLD": "1000", "PM_SETTLE_RETRY_MS": "1000",
          "PM_INVENTORY_RESOLVE_MS": "2000"}
START_CASH = 10_000 * MICRO


@dataclass
class Seen:
    applied: list[SettlementApplied] = field(default_factory=list)
    not_owner: set[tuple[str, str]] = field(default_factory=set)

    def kinds(self, market: str) -> set[str]:
        return {a.settlement.kind for a in self.applied
                if a.settlement.market == market and a.action == "applied"}

    def merged_resolved_redeemed(self) -> bool:
        markets = {a.settlement.market for a in self.applied}
        return any({"merge", "resolution", "redeem"} <= self.kinds(m) for m in markets)


def observe(stack: Stack, seen: Seen, until: float, done: Callable[[], bool]) -> None:
    assert stack.bus is not None
    while time.monotonic() < until and not done():
        try:
            topic, header, msg = stack.bus.next(timeout=1.0)
        except TimeoutError:
            continue
        if topics.owner_of(topic) != header.src:
            seen.not_owner.add((topic.decode(), header.src))
        if isinstance(msg, SettlementApplied):
            seen.applied.append(msg)


def rebuilt(stack: Stack) -> Inventory:
    """Inventory as its journal rebuilds it (read-only, while it runs)."""
    inventory = Inventory(Limits(1, 1, 1))
    journal = Journal.read_only(stack.dir / "inventory.sqlite")
    try:
        recover(journal, inventory)
    finally:
        journal.close()
    return inventory


def test_pairs_are_merged_the_window_resolves_the_winner_is_redeemed_and_pnl_is_the_cash() -> None:
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        stack.start_engine(["btc-updown-15m"], window_seconds=30)
        seen = Seen()
        try:
            observe(stack, seen, time.monotonic() + 150, seen.merged_resolved_redeemed)
            got = [(a.settlement.kind, a.action) for a in seen.applied]
            assert seen.merged_resolved_redeemed(), f"no market was merged, resolved and redeemed: {got}"

            stack.procs["market:btc-updown-15m"].stop()  # what it still holds resolves and is redeemed
            stack.wait(lambda: not stack.open_orders(), 15, "orders left open after the coordinator stopped")

            def settled() -> bool:
                observe(stack, seen, time.monotonic() + 0.5, lambda: False)
                inventory = rebuilt(stack)
                return not stack.positions() and all(p.qty == 0 for p in inventory.positions.values())

            stack.wait(settled, 60, "positions left after the last window resolved")
            inventory = rebuilt(stack)
            realised = sum(p.realized for p in inventory.positions.values())
            cash = int(stack.private_get("/balance-allowance", {"asset_type": "COLLATERAL",
                                                                 "signature_type": "0"})["balance"])
            assert realised == cash - START_CASH  # to the micro-dollar
            assert all(p.fees == 0 for p in inventory.positions.values())  # every fill of ours was as maker
            kinds = {s.kind for s in journal_settlements(stack)}
            assert {"merge", "resolution", "redeem"} <= kinds
            assert all(s.source == "executor" and s.tx.startswith("0x") for s in journal_settlements(stack)
                       if s.kind in ("merge", "redeem"))
            assert not seen.not_owner, f"published by a non-owner: {seen.not_owner}"
        except AssertionError:
            print(stack.logs())
            raise


def journal_settlements(stack: Stack) -> list[Settlement]:
    journal = Journal.read_only(stack.dir / "inventory.sqlite")
    try:
        return list(journal.settlements())
    finally:
        journal.close()
