"""End to end: strategy ``follow`` (seed-002), the whole engine against the local venue.

On the long-lived market ``venue-reward-market-1``, with the venue's fair value scripted
(``POST /_venue/fair``, ``tests/support/venue_fair.set_fair``; synthetic makers quote fair -/+ 2 ticks; no
noise takers: a second account of the test takes the touch with FAK orders when the scenario wants a
fill, so each step happens when the test says):

1. fair 0.50, then a scripted dip to 0.44: the YES mid falls 12 % within the window, the drop trigger
   starts a round that rests a post-only BUY at the best bid; the taker sells into it;
2. the round sells above its floor (avg buy + 0.02) at the best ask; the coordinator is killed (``kill -9``)
   and started again: it takes the round up from its file and sells again;
3. a scripted drop to 0.38 puts the ask under the floor: the sell is cancelled and the round waits
   (WAIT_FOR_FLOOR, no order of ours resting at the venue);
4. fair back to 0.50: the ask is above the floor, the sell rests again, the taker lifts it, the round
   ends SOLD (FLAT, then COOLDOWN);
every order of ours is post-only and every fill of ours is a MAKER fill.
"""

from __future__ import annotations

import signal
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from bus import topics
from bus.codec import Header
from schemas import CoordinatorState, FillApplied, Lease, PlaceOrder
from tests.support.stack import Stack
from tests.support.venue_client import KEY_B, Client
from tests.support.venue_fair import set_fair

pytestmark = pytest.mark.e2e

SLUG = "venue-reward-market-1"
VENUE = {
    "reward_markets": 1, "intervals": ["1h"], "assets": ["btc"], "mined_delay_ms": 300,
    "confirmed_delay_ms": 600,
    "flow_params": {"reward_vol_per_min": 0.0, "maker_refresh_ms": 500, "maker_size_min": 5,
                    "maker_size_max": 10, "noise_rate_per_min": 0.0, "informed_prob": 0.0},
}
ENGINE = {"PM_STRATEGY": "follow", "PM_FOLLOW_SHARES": "5", "PM_FOLLOW_PROFIT": "0.02",
          "PM_FOLLOW_DROP_PCT": "0.05", "PM_FOLLOW_DROP_WINDOW_S": "30", "PM_FOLLOW_OUTCOME": "yes",
          "PM_FOLLOW_REPOST_MIN_S": "1", "PM_FOLLOW_COOLDOWN_S": "5", "PM_HEARTBEAT_MS": "500",
          "PM_MAX_NET_DIFF": "200", "PM_MAX_POSITION_VALUE": "200"}


@dataclass
class Seen:
    market: str = ""
    places: list[PlaceOrder] = field(default_factory=list)
    states: list[CoordinatorState] = field(default_factory=list)
    fills: list[FillApplied] = field(default_factory=list)

    @property
    def follow(self) -> str:
        s = self.states[-1].follow if self.states else None
        return s.state if s is not None else ""


def pump(stack: Stack, seen: Seen, seconds: float = 0.2) -> None:
    assert stack.bus is not None

    def handle(topic: bytes, _header: Header, msg: Any) -> None:
        if isinstance(msg, Lease) and msg.holder == SLUG:
            seen.market = msg.market
        elif isinstance(msg, PlaceOrder) and topic == topics.exec_cmd(SLUG):
            seen.places.append(msg)
        elif isinstance(msg, CoordinatorState) and msg.holder == SLUG:
            seen.states.append(msg)
        elif isinstance(msg, FillApplied):
            seen.fills.append(msg)

    stack.bus.read_for(seconds, handle)


def until(stack: Stack, seen: Seen, predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            last = seen.states[-1] if seen.states else None
            raise AssertionError(f"{what}: not within {timeout}s; last state {last}")
        pump(stack, seen)


def resting(stack: Stack, market: str, side: str) -> list[dict[str, object]]:
    return [o for o in stack.open_orders() if o.get("market") == market and o.get("side") == side]


def take(taker: Client, token: str, price: str) -> None:
    """The other account takes everything at ``price`` (a BUY, FAK: nothing of it rests)."""
    status, body = taker.place(token, "BUY", price, "40", post_only=False, order_type="FAK")
    assert status == 200, body


def last_price(seen: Seen, side: str) -> int:
    return [p for p in seen.places if p.side == side][-1].price


def test_a_scripted_dip_buys_maker_only_sells_above_the_floor_waits_under_it_and_ends_flat() -> None:
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        set_fair(stack.venue_url, SLUG, 0.50)
        stack.start_engine([SLUG])
        seen = Seen()
        taker = Client(stack.venue_url, KEY_B)
        taker.derive()
        try:
            until(stack, seen, lambda: seen.states and seen.states[-1].mode == "flat" and seen.market, 60,
                  "the coordinator ready (deciding, no round)")
            moved = set_fair(stack.venue_url, SLUG, 0.50)
            yes, no = moved["tokens"]
            pump(stack, seen, 2.0)  # the trigger's window sees the mid at 0.50

            set_fair(stack.venue_url, SLUG, 0.44)  # 1. the dip
            until(stack, seen, lambda: seen.follow == "BUYING", 20, "a round started by the drop")
            until(stack, seen, lambda: resting(stack, seen.market, "BUY"), 10, "a BUY resting")
            pump(stack, seen, 1.5)  # the makers re-centred: the bid followed up, at most once per second
            bid = last_price(seen, "BUY")
            take(taker, no, f"{(1_000_000 - bid) / 1e6:.2f}")  # sells YES into the bid (buys NO)
            until(stack, seen, lambda: seen.follow == "SELLING", 30, "bought: selling")
            status = seen.states[-1].follow
            assert status is not None and status.filled >= 5_000_000 and status.round == 1
            assert status.floor == status.avg_price + 20_000
            until(stack, seen, lambda: resting(stack, seen.market, "SELL"), 15, "the sell resting")

            coordinator = stack.procs[f"market:{SLUG}"]  # 2. kill -9, start again
            coordinator.signal(signal.SIGKILL)
            assert coordinator.popen is not None and coordinator.popen.wait(10) == -signal.SIGKILL
            before = len(seen.states)
            coordinator.start()
            until(stack, seen, lambda: len(seen.states) > before and seen.follow == "SELLING", 60,
                  "the round taken up after the restart")
            again = seen.states[-1].follow
            assert again is not None and (again.round, again.floor, again.filled) == (
                status.round, status.floor, status.filled)

            set_fair(stack.venue_url, SLUG, 0.38)  # 3. the ask under the floor
            until(stack, seen, lambda: seen.follow == "WAIT_FOR_FLOOR", 20, "waiting under the floor")
            until(stack, seen, lambda: not resting(stack, seen.market, "SELL"), 10, "no sell resting")

            set_fair(stack.venue_url, SLUG, 0.50)  # 4. back above: the sell rests again, lifted
            until(stack, seen, lambda: seen.follow == "SELLING", 20, "selling again")
            until(stack, seen, lambda: resting(stack, seen.market, "SELL"), 15, "the sell resting again")
            take(taker, yes, f"{last_price(seen, 'SELL') / 1e6:.2f}")
            until(stack, seen, lambda: seen.follow in ("FLAT", "COOLDOWN") and seen.states[-1].follow
                  is not None and seen.states[-1].follow.status in ("SOLD", "DUST"), 90, "sold: flat")
            end = seen.states[-1].follow
            assert end is not None and end.sold >= 5_000_000 and end.round == 1

            assert seen.places and all(p.post_only and p.order_type == "GTC" for p in seen.places)
            sells = [p for p in seen.places if p.side == "SELL"]
            assert sells and all(p.price >= status.floor for p in sells)
            ours = [f for f in seen.fills if f.fill.market == seen.market]
            assert ours and all(f.fill.role == "MAKER" for f in ours), "one of our orders crossed"
        except AssertionError:
            print(stack.logs())
            raise
        finally:
            taker.close()
