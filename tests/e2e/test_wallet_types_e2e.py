"""End to end, once per wallet type: the whole engine trades on a paper account that is an EOA, a proxy,
a Safe or a deposit wallet (``PM_VENUE_ACCOUNT_TYPE``; the executor's type follows it, as with
``make up``). Each run is short: it stops at the first fill of ours in the market being quoted.

For every type it checks that:
- the executor signed for the account's wallet (its ``executor_starting`` line), and every order of ours
  resting on the venue has the wallet as maker;
- quotes went out and were accepted (no refusal for the wallet type, no account halt), and at least one
  fill of ours came back through the user-feed (our fills carry the wallet as maker address) into
  inventory;
- after the coordinator stops, inventory equals the venue's balances for the wallet, token by token, both
  as ``/balance-allowance`` reports them for the account's signature type (what the executor's balance
  check asks) and as the venue's ledger holds them; and the position is not empty.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

import pytest

from schemas import FillApplied, InventoryState, Lease, OrderFailed, OrderPlaced, PlaceOrder, RiskEvent
from tests.support.stack import Stack

pytestmark = pytest.mark.e2e

VENUE = {"window_seconds": 1800, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
         "mined_delay_ms": 300, "confirmed_delay_ms": 600,
         "flow_params": {"noise_rate_per_min": 240.0, "informed_prob": 0.0}}
ENGINE = {"PM_BID_SIZE": "5", "PM_MAX_NET_DIFF": "40", "PM_MAX_POSITION_VALUE": "60",
          "PM_HEARTBEAT_MS": "500"}
TYPES = ["EOA", "POLY_PROXY", "GNOSIS_SAFE", "DEPOSIT_WALLET"]
WALLET_REFUSALS = ("maker address not allowed", "address of the API KEY", "owner of the API KEY", "signature")


@dataclass
class Seen:
    market: str = ""  # the market leased last
    places: int = 0
    placed: int = 0
    refused: list[str] = field(default_factory=list)
    fills: dict[str, int] = field(default_factory=dict)  # market -> fills of ours applied
    risks: list[RiskEvent] = field(default_factory=list)
    inventory: dict[str, InventoryState] = field(default_factory=dict)

    def done(self) -> bool:
        return self.fills.get(self.market, 0) > 0


def observe(stack: Stack, seen: Seen, until: float) -> None:
    assert stack.bus is not None
    while time.monotonic() < until and not seen.done():
        try:
            topic, _, msg = stack.bus.next(timeout=0.5)
        except TimeoutError:
            continue
        if isinstance(msg, Lease):
            seen.market = msg.market
        elif isinstance(msg, PlaceOrder) and topic.startswith(b"exec.cmd."):
            seen.places += 1
        elif isinstance(msg, OrderPlaced):
            seen.placed += 1
        elif isinstance(msg, OrderFailed) and any(text in msg.message for text in WALLET_REFUSALS):
            seen.refused.append(msg.message)
        elif isinstance(msg, FillApplied) and msg.action == "applied":
            seen.fills[msg.fill.market] = seen.fills.get(msg.fill.market, 0) + 1
        elif isinstance(msg, RiskEvent):
            seen.risks.append(msg)
        elif isinstance(msg, InventoryState):
            seen.inventory[msg.market] = msg


def starting_line(stack: Stack) -> dict[str, object]:
    for line in stack.procs["executor"].log.read_text().splitlines():
        if '"event":"executor_starting"' in line:
            return dict(json.loads(line))
    raise AssertionError("no executor_starting line")


@pytest.mark.parametrize("wallet_type", TYPES)
def test_the_engine_trades_as_every_wallet_type(wallet_type: str) -> None:
    with Stack(venue_config=VENUE, env={**ENGINE, "PM_VENUE_ACCOUNT_TYPE": wallet_type}) as stack:
        stack.start_engine(["btc-updown-15m"], window_seconds=1800)
        seen = Seen()
        try:
            stack.wait(lambda: stack.procs["executor"].log.read_text().count("executor_starting") > 0, 20,
                       "the executor did not start")
            line = starting_line(stack)
            assert (line["wallet_type"], line["wallet"], line["address"]) == (
                wallet_type, stack.wallet, stack.address)
            assert (stack.wallet == stack.address) is (wallet_type == "EOA")

            observe(stack, seen, time.monotonic() + 45)
            assert seen.done(), f"no fill of ours: {seen}\n{stack.logs()}"
            assert seen.places and seen.placed, "no quote was accepted"
            assert not seen.refused, seen.refused
            assert not [r for r in seen.risks if r.kind in ("account", "inventory_mismatch")], seen.risks

            makers = {order["maker_address"] for order in stack.open_orders()}
            assert makers <= {stack.wallet}, makers  # what rests now is ours, made by the wallet

            stack.procs["market:btc-updown-15m"].stop()  # withdraws every quote
            stack.wait(lambda: not stack.open_orders(), 15, "orders left open after the coordinator stopped")

            def inventory_matches_venue() -> bool:
                observe(stack, Seen(market="-", inventory=seen.inventory), time.monotonic() + 0.5)
                state = seen.inventory.get(seen.market)
                if state is None:
                    return False
                venue = stack.positions()
                held = {state.yes_asset: state.yes_qty, state.no_asset: state.no_qty}
                return held == {token: venue.get(token, 0) for token in held} == {
                    token: stack.balance(token) for token in held}

            stack.wait(inventory_matches_venue, 20, "inventory differs from the venue's balances")
            state = seen.inventory[seen.market]
            assert state.yes_qty or state.no_qty, "the fill left no position"  # a real comparison
        except AssertionError:
            print(stack.logs())
            raise
