"""End to end: the whole engine trades btc-updown-15m on the local venue with 40 s windows.

It runs until fills, a hedge, a toxic kill and a rotation have all happened, then checks:
- inventory equals the venue's positions for our key, exactly;
- every order was post-only GTC and none crossed (every fill of ours was as maker);
- no quote was placed while the market's OFI was toxic;
- every message on the bus came from the owner of its stream;
- nothing is left open after the coordinator stops (what `make down` does first).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pytest

from bus import topics
from schemas import CoordinatorState, FillApplied, InventoryState, Lease, OfiState, PlaceOrder
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

VENUE = {
    "window_seconds": 40, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
    "mined_delay_ms": 300, "confirmed_delay_ms": 600,
    "flow_params": {"noise_rate_per_min": 150.0, "informed_prob": 0.6, "informed_check_ms": 200},
}
ENGINE = {"PM_BID_SIZE": "5", "PM_MAX_NET_DIFF": "40", "PM_MAX_POSITION_VALUE": "60",
          "PM_OFI_TOXICITY_THRESHOLD": "40", "PM_HEARTBEAT_MS": "500"}
KILL_REACTION_NS = 300_000_000  # a command already in flight when toxicity starts is not a violation


@dataclass
class Seen:
    markets: list[str] = field(default_factory=list)
    modes: set[str] = field(default_factory=set)
    fills: list[FillApplied] = field(default_factory=list)
    places: list[tuple[int, PlaceOrder]] = field(default_factory=list)
    toxic_since: dict[str, int] = field(default_factory=dict)  # market -> ts toxic started (0 = not toxic)
    violations: list[str] = field(default_factory=list)
    not_owner: set[tuple[str, str]] = field(default_factory=set)  # (topic, src) published by a non-owner
    inventory: dict[str, InventoryState] = field(default_factory=dict)

    def done(self) -> bool:
        applied = [f for f in self.fills if f.action == "applied"]
        return bool(applied) and {"hedge", "kill"} <= self.modes and len(set(self.markets)) >= 2

    def missing(self) -> str:
        return (f"markets={len(set(self.markets))} modes={sorted(self.modes)} "
                f"fills={sum(f.action == 'applied' for f in self.fills)}")


def observe(stack: Stack, seen: Seen, until: float) -> None:
    assert stack.bus is not None
    while time.monotonic() < until and not seen.done():
        try:
            topic, header, msg = stack.bus.next(timeout=1.0)
        except TimeoutError:
            continue
        if topics.owner_of(topic) != header.src:  # one writer per stream (ARCHITECTURE, bus rules)
            seen.not_owner.add((topic.decode(), header.src))
        if isinstance(msg, Lease) and (not seen.markets or seen.markets[-1] != msg.market):
            seen.markets.append(msg.market)
        elif isinstance(msg, CoordinatorState):
            seen.modes.add(msg.mode)
        elif isinstance(msg, FillApplied):
            seen.fills.append(msg)
        elif isinstance(msg, InventoryState):
            seen.inventory[msg.market] = msg
        elif isinstance(msg, OfiState):
            if msg.toxic and not seen.toxic_since.get(msg.market):
                seen.toxic_since[msg.market] = header.ts_ns
            elif not msg.toxic:
                seen.toxic_since[msg.market] = 0
        elif isinstance(msg, PlaceOrder) and topic.startswith(b"exec.cmd."):
            seen.places.append((header.ts_ns, msg))
            since = seen.toxic_since.get(msg.market, 0)
            if since and msg.ts - since > KILL_REACTION_NS:
                seen.violations.append(f"placed {msg.slot} at {msg.ts} while toxic since {since}")


def test_engine_trades_hedges_kills_and_rotates_against_the_venue() -> None:
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        stack.start_engine(["btc-updown-15m"], window_seconds=40)
        seen = Seen()
        try:
            observe(stack, seen, time.monotonic() + 240)
            assert seen.done(), f"not everything happened: {seen.missing()}\n{stack.logs()}"

            assert seen.places, "no order was placed"
            assert all(p.post_only and p.order_type == "GTC" and not p.taker_exit for _, p in seen.places)
            assert all(f.fill.role == "MAKER" for f in seen.fills), "one of our orders crossed"
            assert not seen.violations, seen.violations
            assert not seen.not_owner, f"published by a non-owner: {seen.not_owner}"

            stack.procs["market:btc-updown-15m"].stop()  # a clean stop withdraws every quote
            stack.wait(lambda: not stack.open_orders(), 15, "orders left open after the coordinator stopped")

            market = seen.markets[-1]

            def inventory_matches_venue() -> bool:
                observe(stack, Seen(inventory=seen.inventory), time.monotonic() + 0.5)
                state = seen.inventory.get(market)
                positions = stack.positions()
                if state is None:
                    return False
                return (state.yes_qty, state.no_qty) == (positions.get(state.yes_asset, 0),
                                                          positions.get(state.no_asset, 0))

            stack.wait(inventory_matches_venue, 20, "inventory differs from the venue's positions")
        except AssertionError:
            print(stack.logs())
            raise
