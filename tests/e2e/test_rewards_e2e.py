"""End to end: liquidity-rewards market making (issue #16, seed-004), the whole engine against the venue.

The venue lists its varied reward markets (venue/config.py ``VARIED_REWARD_SPECS``) and pays rewards every
second (``rewards_sample_s``). The rewards-scanner selects the markets that pass seed-004's filters; the
coordinator of slot ``rewards-1`` takes the rank-1 market and:

- bids on both tokens, post-only, inside the reward band (``|price - own mid| < max_spread``);
- when another account sells into our YES bid, the fill is hedged by a resting post-only SELL of the
  filled YES at or above cost (the fill-to-hedge time is printed: timings are not asserted);
- the scanner publishes ``RewardScoring``: both bids score (``/orders-scoring``);
- the venue reports rewards earned by our account (``/rewards/user/total``);
- ``python -m actors.ctl stop-buys`` leaves no BUY order of ours and the hedge SELL still rests.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import pytest

from bus import topics
from bus.codec import Header
from schemas import FillApplied, PlaceOrder, RewardMarket, RewardScoring
from schemas.units import parse_exact
from tests.support.procs import REPO
from tests.support.stack import Stack
from tests.support.venue_client import KEY_B, Client

pytestmark = pytest.mark.e2e

HOLDER = "rewards-1"
VENUE = {
    "reward_markets": 0, "intervals": ["1h"], "assets": ["btc"], "mined_delay_ms": 300,
    "confirmed_delay_ms": 600, "rewards_sample_s": 1.0, "rewards_min_order_age_s": 1,
    "flow_params": {"reward_vol_per_min": 0.0, "maker_refresh_ms": 1000, "noise_rate_per_min": 0.0,
                    "informed_prob": 0.0, "maker_size_min": 40, "maker_size_max": 40},
}
# the test's own taker sweep is not toxic flow here (the strategy withdraws its bids on toxic OFI)
ENGINE = {"PM_HEARTBEAT_MS": "500", "PM_REWARDS_RESCAN_S": "3600", "PM_REWARDS_BOOK_S": "1",
          "PM_MAX_NET_DIFF": "200", "PM_MAX_POSITION_VALUE": "200", "PM_OFI_TOXICITY_THRESHOLD": "100000",
          "PM_REWARDS_SCORING_S": "1"}
PASSING = {"rewards-even-odds", "rewards-longshot", "rewards-favourite"}


class Seen:
    def __init__(self) -> None:
        self.selection: dict[int, RewardMarket] = {}
        self.places: list[tuple[int, PlaceOrder]] = []  # (receive time, command)
        self.fills: list[tuple[int, FillApplied]] = []
        self.scoring: dict[str, RewardScoring] = {}


def pump(stack: Stack, seen: Seen, seconds: float = 0.2) -> None:
    assert stack.bus is not None

    def handle(topic: bytes, _header: Header, msg: Any) -> None:
        if isinstance(msg, RewardMarket):
            seen.selection[msg.rank] = msg
        elif isinstance(msg, PlaceOrder) and topic == topics.exec_cmd(HOLDER):
            seen.places.append((time.time_ns(), msg))
        elif isinstance(msg, RewardScoring):
            seen.scoring[msg.market] = msg
        elif isinstance(msg, FillApplied):
            seen.fills.append((time.time_ns(), msg))

    stack.bus.read_for(seconds, handle)


def until(stack: Stack, seen: Seen, predicate: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (got := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        pump(stack, seen)
    return got


def ours(stack: Stack, market: str, side: str) -> list[dict[str, Any]]:
    return [o for o in stack.open_orders() if o.get("market") == market and o.get("side") == side]


def test_rewards_bids_in_band_hedges_a_fill_earns_rewards_and_stops_buying() -> None:
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        stack.start_engine([])
        stack.start_program("rewards-scanner", "actors.rewards")
        stack.start_program(f"market:{HOLDER}", "actors.coordinator", POLYMARKET_MARKET_SLUG=HOLDER,
                            PM_COORDINATOR_NAME=HOLDER, PM_STRATEGY="rewards")
        seen = Seen()
        try:
            pick = until(stack, seen, lambda: seen.selection.get(1), 60, "the scanner's selection")
            assert {m.slug for m in seen.selection.values()} <= PASSING, seen.selection
            market = pick.market

            # our bids rest on both tokens, inside the reward band around each token's own mid
            bids = until(stack, seen, lambda: len(b := ours(stack, market, "BUY")) >= 2 and b, 60,
                         "bids on both tokens")
            assert {b["asset_id"] for b in bids} == set(pick.assets)
            for b in bids:
                book = Client(stack.venue_url).get(f"/book?token_id={b['asset_id']}")[1]
                mid = (parse_exact(book["bids"][-1]["price"]) + parse_exact(book["asks"][-1]["price"])) // 2
                assert abs(parse_exact(b["price"]) - mid) < pick.max_spread, (b, mid)
            assert all(p.post_only for _, p in seen.places)

            # the scanner says (on the bus, for the tap and the metrics) that they score
            scored = until(stack, seen, lambda: (r := seen.scoring.get(market)) and r.scoring >= 2 and r, 30,
                           "RewardScoring: our bids score")
            assert {b["id"] for b in bids} <= set(scored.orders) and scored.est_daily == pick.est_daily

            # the venue pays our account for the time they rested
            total = until(stack, seen, lambda: (t := stack.private_get("/rewards/user/total")) and float(
                t[0]["earnings"]) > 0 and t, 30, "rewards for our account")
            print(f"rewards earned so far: {total[0]['earnings']} USDC")

            # another account sells into our YES bid: every YES bid at or above ours, in one FAK
            yes_bid = next(b for b in bids if b["asset_id"] == pick.assets[0])
            price = parse_exact(yes_bid["price"])
            book = Client(stack.venue_url).get(f"/book?token_id={pick.assets[0]}")[1]
            size = sum(parse_exact(lv["size"]) for lv in book["bids"] if parse_exact(lv["price"]) >= price)
            taker = Client(stack.venue_url, KEY_B)
            taker.derive()
            status, body = taker.place(pick.assets[1], "BUY", f"{(1_000_000 - price) / 1e6:.2f}",
                                       f"{size / 1e6:.2f}", post_only=False, order_type="FAK")
            assert status == 200, body
            until(stack, seen, lambda: any(f.fill.asset == pick.assets[0] and f.fill.side == "BUY"
                                           for _, f in seen.fills), 20, "our YES bid filled")
            sells = until(stack, seen, lambda: ours(stack, market, "SELL"), 20, "a resting hedge SELL")
            assert sells[0]["asset_id"] == pick.assets[0] and parse_exact(sells[0]["price"]) > price
            filled_at = min(t for t, f in seen.fills if f.fill.asset == pick.assets[0])
            hedged_at = min(t for t, p in seen.places if p.slot == "yes_hedge")
            print(f"fill -> hedge PlaceOrder on the bus: {(hedged_at - filled_at) / 1e6:.1f} ms")
            assert hedged_at >= filled_at

            # stop-buys: no BUY of ours is left, the hedge still rests (a NO bid rests before: within the cap)
            until(stack, seen, lambda: ours(stack, market, "BUY"), 20, "a bid resting before stop-buys")
            out = subprocess.run([sys.executable, "-m", "actors.ctl", "stop-buys", "--timeout", "30"],
                                 cwd=REPO, env=stack.env(), capture_output=True, text=True, timeout=120)
            print(out.stdout, out.stderr)
            assert out.returncode == 0, out
            assert not [o for o in stack.open_orders() if o.get("side") == "BUY"]
            assert ours(stack, market, "SELL"), "the hedge SELL no longer rests"
            pump(stack, seen, 2.0)
            assert not [o for o in stack.open_orders() if o.get("side") == "BUY"], "bought again"
        except AssertionError:
            print(stack.logs())
            raise
