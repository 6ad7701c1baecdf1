"""Strategy ``follow`` (seed-002): its round's state machine through the pure strategy.

The first eight tests are seed-002 §10's acceptance items, named after them; the rest pin the rules of
issue #17 §2-§4 (buy rounding and the $1 minimum, the floor, the triggers, the operator's commands, the
record kept across restarts). ``Sim`` plays the venue and inventory: it rests what the strategy wants in
its slots and turns fills into the position inventory would publish (quantity and average cost).
"""

from __future__ import annotations

from typing import Any

import pytest

from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import MarketSpec, Position, Slot, Top
from actors.coordinator.strategies.base import Inputs
from actors.coordinator.strategies.follow import Follow
from actors.coordinator.strategies.follow_round import (
    BUY_SLOT,
    SELL_SLOT,
    FollowMachine,
    FollowParams,
    min_buyable,
    target_shares,
)
from actors.coordinator.strategies.neutral import Neutral
from actors.coordinator.strategies.pair_ofi import PairOfi
from bus.effects import Effects
from schemas import Book, FeedStatus, FollowAbort, FollowStart, InventoryState, OfiSide, OfiState, PlaceOrder
from schemas.units import MICRO, NS, ONE

M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=1_000_000)
T0 = 1_000 * NS
ACTIONS = {"follow_place", "follow_repost", "follow_cancel", "follow_fill", "follow_state"}


def manual(params: FollowParams | None = None, **kw: Any) -> FollowParams:
    """Manual rounds only (no drop trigger), re-post at most every 10 s (the seed's poll)."""
    base = dict(drop_pct=0, cooldown_ns=60 * NS, repost_min_ns=10 * NS, profit=20_000)
    base.update(kw)
    return FollowParams(**base)  # type: ignore[arg-type]


class Sim:
    """The venue and inventory around one ``Follow``: YES only; fills at our resting price."""

    def __init__(self, params: FollowParams, market: MarketSpec = M) -> None:
        self.follow, self.market = Follow(params), market
        self.qty = self.cost = 0  # YES held, and what it cost (1e-6 USD)
        self.slots: dict[str, Slot] = {}
        self.now = T0
        self.records: list[tuple[str, dict[str, Any]]] = []
        self.placements = 0

    @property
    def machine(self) -> FollowMachine:
        return self.follow.machine

    def step(self, bid: int, ask: int, dt: float = 0.0) -> dict[str, Any]:
        self.now += int(dt * NS)
        avg = self.cost * MICRO // self.qty if self.qty else 0
        pos = Position(self.qty, avg, 0, True, self.qty, 0)
        yes, no = Top(bid, ask), Top(ONE - ask if ask else 0, ONE - bid if bid else 0)
        d = self.follow.decide(Inputs(self.market, yes, no, yes, pos, False, dict(self.slots), 0, 0, 0, 0,
                                      False, self.now))
        for name, q in d.want.items():
            if q is None:
                self.slots.pop(name, None)
                continue
            s = self.slots.get(name)
            if s is None or (s.price, s.size) != (q.price, q.size):
                self.placements += 1
                self.slots[name] = Slot(f"c{self.placements}", q.price, q.size, f"o{self.placements}", "live",
                                        False, q.side, q.leg)
        self.records.extend(d.notes)
        return d.want

    def fill(self, size: int, *, whole: bool = False) -> None:
        """Our resting order trades ``size`` (at its price); ``whole``: it is used up, its slot ends."""
        name = BUY_SLOT if BUY_SLOT in self.slots else SELL_SLOT
        s = self.slots[name]
        if s.side == "BUY":
            self.qty += size
            self.cost += size * s.price // MICRO
        else:
            avg = self.cost * MICRO // self.qty
            self.qty -= size
            self.cost = self.qty * avg // MICRO
        if whole:
            del self.slots[name]

    def events(self, event: str, **match: Any) -> list[dict[str, Any]]:
        return [f for e, f in self.records if e == event and all(f.get(k) == v for k, v in match.items())]

    def start(self, shares: int, bid: int, ask: int) -> None:
        ok, _ = self.machine.request("cmd-1", "yes", shares, 0)
        assert ok
        self.step(bid, ask)


def bought_and_selling(sim: Sim, shares: int = 10 * MICRO, price: int = 400_000) -> None:
    """A round that bought ``shares`` at ``price`` in one fill: now SELLING."""
    sim.start(shares, price, price + 50_000)
    sim.fill(shares, whole=True)
    sim.step(price, price + 50_000)
    sim.step(price, price + 50_000, dt=3)  # the order ended unasked: inventory shows it at once here
    assert sim.machine.state in ("SELLING", "WAIT_FOR_FLOOR"), sim.records


# -- seed-002 §10: the eight acceptance items ----------------------------------------------------


def test_item1_buy_bid_rises_three_times_three_reposts_then_filled_with_correct_avg_and_filled() -> None:
    """§10.1: the bid rises three times -> three cancel-and-re-post at the new bid; filled in the end;
    avg and filled are those of our fills."""
    sim = Sim(manual())
    sim.start(30 * MICRO, 400_000, 450_000)
    assert sim.slots[BUY_SLOT].price == 400_000 and sim.slots[BUY_SLOT].size == 30 * MICRO
    sim.fill(10 * MICRO)
    sim.step(410_000, 450_000, dt=10)
    sim.fill(10 * MICRO)
    sim.step(420_000, 450_000, dt=10)
    sim.fill(5 * MICRO)
    sim.step(430_000, 450_000, dt=10)
    assert [(r["price"], r["size"], r["reason"]) for r in sim.events("follow_repost")] == [
        (410_000, 20 * MICRO, "bid_up"), (420_000, 10 * MICRO, "bid_up"), (430_000, 5 * MICRO, "bid_up")]
    sim.fill(5 * MICRO, whole=True)
    sim.step(430_000, 450_000, dt=1)
    r = sim.machine.round
    assert r is not None and r.status == "FILLED" and r.bought == 30 * MICRO
    assert r.avg_buy == (10 * 400_000 + 10 * 410_000 + 5 * 420_000 + 5 * 430_000) // 30  # 411_666
    assert sim.machine.state == "SELLING"
    assert sim.follow.status().filled == 30 * MICRO and sim.follow.status().avg_price == 411_666


def test_item2_buy_residual_below_the_one_dollar_minimum_completes_the_buy() -> None:
    """§10.2: the remainder, measured against the $1 notional at the bid, below the least buyable ->
    the buy is done (FILLED_TRUNCATED), what rests is cancelled."""
    sim = Sim(manual())
    sim.start(10 * MICRO, 250_000, 300_000)  # min buyable at 0.25: ceil(1 / 0.25) = 4 shares
    sim.fill(6 * MICRO)
    sim.step(250_000, 300_000, dt=1)
    assert sim.machine.state == "BUYING"  # 4 left: not below 4
    sim.fill(1 * MICRO)
    sim.step(250_000, 300_000, dt=1)  # 3 left < 4
    r = sim.machine.round
    assert r is not None and r.status == "FILLED_TRUNCATED" and r.bought == 7 * MICRO
    assert sim.events("follow_cancel", reason="remainder_below_min")
    assert BUY_SLOT not in sim.slots and sim.slots[SELL_SLOT].size == 7 * MICRO


def test_item3_sell_floor_wait_cancels_at_once_and_resumes_when_the_ask_is_back() -> None:
    """§10.3: the ask under floor X -> cancel at once and wait without an order; ask >= X -> post again."""
    sim = Sim(manual())
    bought_and_selling(sim)  # 10 @ 0.40, X = 0.42
    assert sim.slots[SELL_SLOT].price == 450_000
    sim.step(400_000, 410_000, dt=0.1)  # someone asks 0.41 < X
    assert SELL_SLOT not in sim.slots and sim.machine.state == "WAIT_FOR_FLOOR"
    assert sim.events("follow_cancel", reason="below_floor")
    for _ in range(20):
        sim.step(400_000, 410_000, dt=1)
    assert SELL_SLOT not in sim.slots
    sim.step(400_000, 430_000, dt=1)
    assert sim.machine.state == "SELLING" and sim.machine.reason == "floor_recovered"
    assert sim.slots[SELL_SLOT].price == 430_000 and sim.slots[SELL_SLOT].size == 10 * MICRO
    assert sim.events("follow_place", reason="floor_recovered")


def test_item4_sell_follows_the_ask_down_only_and_never_raises_it() -> None:
    """§10.4: ask down by >= 1 tick and still >= X -> re-post at max(ask, X); an ask going up changes
    nothing; an ask between X and the tick above posts at X rounded up to the grid."""
    sim = Sim(manual(profit=15_000))  # X = 0.415
    bought_and_selling(sim)
    sim.step(400_000, 440_000, dt=10)
    assert sim.slots[SELL_SLOT].price == 440_000
    sim.step(400_000, 470_000, dt=10)
    assert sim.slots[SELL_SLOT].price == 440_000  # never raised
    sim.step(400_000, 420_000, dt=10)
    assert sim.slots[SELL_SLOT].price == 420_000
    sim.step(400_000, 415_000, dt=10)  # off-grid ask at X: max(floor_to_tick(0.415), ceil_to_tick(X))
    assert sim.slots[SELL_SLOT].price == 420_000
    assert [r["price"] for r in sim.events("follow_repost")] == [440_000, 420_000]
    assert all(r["reason"] == "ask_down" for r in sim.events("follow_repost"))


def test_item5_dust_below_one_hundredth_after_flooring_completes_without_an_order() -> None:
    """§10.5: what is left to sell, floored to 2 decimals, under 0.01 -> done, no order placed."""
    sim = Sim(manual())
    bought_and_selling(sim, shares=10 * MICRO + 5_000)  # 10.005 bought: 10.00 is offered
    assert sim.slots[SELL_SLOT].size == 10 * MICRO
    placements = sim.placements
    sim.fill(10 * MICRO, whole=True)
    sim.step(400_000, 450_000, dt=1)
    r = sim.machine.round
    assert r is not None and r.status == "DUST" and sim.machine.state == "COOLDOWN"
    assert sim.placements == placements and not sim.slots


def test_item6_log_throttling_quiet_evaluations_print_nothing() -> None:
    """§10.6: nothing is logged on evaluations that change nothing; only place / cancel / re-post /
    fill / transition records, each with price, size or reason."""
    sim = Sim(manual())
    sim.start(10 * MICRO, 400_000, 450_000)
    n = len(sim.records)
    for _ in range(200):
        sim.step(400_000, 450_000, dt=0.05)
        sim.step(390_000, 450_000, dt=0.05)  # the bid falling is not followed: quiet too
    assert len(sim.records) == n
    bought_and_selling(Sim(manual()))
    assert {e for e, _ in sim.records} <= ACTIONS
    for e, f in sim.records:
        assert "round" in f and "state" in f
        assert e == "follow_fill" or "reason" in f or "price" in f


def _alive(c: Coordinator, now: int) -> Coordinator:
    """Every dependency heard from at ``now``: heartbeats, a flat inventory, calm order flow."""
    side = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=50_000_000, toxic=False)
    for p in DEPENDENCIES:
        c.on_heartbeat(p, now)
    c.on_inventory(InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=0, no_qty=0,
                                  yes_avg_cost=0, no_avg_cost=0, net_diff=0, portfolio_cost=0, can_open=True,
                                  realized_pnl=0, unrealized_pnl=0, fills=0, ts=0), now)
    c.on_ofi(OfiState(market="0xm", yes=side, no=side, toxic=False, window_ms=3000, ts=0), now)
    return c


def _core(strategy: Follow | Neutral | PairOfi) -> Coordinator:
    c = Coordinator(holder="h", strategy=strategy, run=1)
    c.set_market(M)
    return _alive(c, T0)


def _book(asset: str, bid: int, ask: int, rest: bool = False) -> Book:
    return Book(asset=asset, market="0xm", bids=[(bid, 10 * MICRO)], asks=[(ask, 10 * MICRO)], tick=10_000,
                epoch=1, ts_event=0, ts_recv=0, rest=rest)


@pytest.mark.parametrize("strategy,keeps_trading",
                         [("follow", True), ("neutral", False), ("pair_ofi", False)])
def test_item7_ws_down_rest_books_keep_follow_trading_others_withdraw(strategy: str,
                                                                      keeps_trading: bool) -> None:
    """§10.7: the market WebSocket down (feed status not live), the market-feed's REST-polled books (marked
    ``rest``) keep ``follow`` working on bid and ask; ``neutral`` (and ``pair_ofi``) still withdraw."""
    follow = Follow(manual())
    c = _core({"follow": follow, "neutral": Neutral(), "pair_ofi": PairOfi()}[strategy])
    c.on_book(_book("Y", 400_000, 450_000))
    c.on_book(_book("N", 550_000, 600_000))
    follow.machine.request("cmd-1", "yes", 10 * MICRO, 0)
    c.evaluate(T0)
    for asset in ("Y", "N"):
        c.on_feed_status(FeedStatus(asset=asset, live=False, reason="reconnecting", ts=T0))
    c.evaluate(T0 + NS)  # the socket dropped: follow keeps the last book for a grace, the others withdraw
    assert c.mode == ("buying" if keeps_trading else "withdrawn")
    _alive(c, T0 + 4 * NS)
    withdrawn = c.evaluate(T0 + 4 * NS)  # no REST book within the grace: withdrawn (neutral: already)
    assert c.mode == "withdrawn" and bool(withdrawn) == keeps_trading
    c.on_book(_book("Y", 410_000, 450_000, rest=True))
    c.on_book(_book("N", 550_000, 590_000, rest=True))
    _alive(c, T0 + 5 * NS)
    cmds = c.evaluate(T0 + 5 * NS)
    if keeps_trading:  # trading on REST books: the order the withdrawal cancelled is posted again,
        assert c.mode == "buying" and not cmds  # once inventory could have shown a fill of it
        _alive(c, T0 + 11 * NS)  # and the re-post interval since its first placement is over
        [place] = [x for x in c.evaluate(T0 + 11 * NS) if isinstance(x, PlaceOrder)]
        assert (place.side, place.price, place.post_only) == ("BUY", 410_000, True)  # at the REST bid
    else:
        assert c.mode == "withdrawn" and not any(isinstance(x, PlaceOrder) for x in cmds)


def test_item8_cooldown_after_a_round_then_the_next_round_on_schedule() -> None:
    """§10.8: once a round completes, ``PM_FOLLOW_COOLDOWN_S`` passes before the next trigger is taken."""
    sim = Sim(FollowParams(drop_pct=50_000, drop_window_ns=60 * NS, cooldown_ns=30 * NS,
                           repost_min_ns=10 * NS, shares=10 * MICRO))
    sim.step(500_000, 520_000)
    sim.step(470_000, 490_000, dt=5)  # mid 0.51 -> 0.48: -5.9 % within the window
    assert sim.machine.state == "BUYING" and sim.machine.round is not None
    assert sim.machine.round.trigger.startswith("drop:")
    sim.fill(10 * MICRO, whole=True)
    sim.step(470_000, 540_000, dt=3)
    sim.step(470_000, 540_000, dt=0.1)
    sim.fill(10 * MICRO, whole=True)
    sim.step(470_000, 540_000, dt=0.1)
    assert sim.machine.state == "COOLDOWN"
    ended = sim.now
    sim.step(500_000, 520_000, dt=1)
    sim.step(470_000, 490_000, dt=5)  # a new drop during the cooldown: not taken
    sim.step(470_000, 490_000, dt=23.9)
    assert sim.machine.state == "COOLDOWN" and sim.machine.rounds == 1 and sim.now < ended + 30 * NS
    sim.step(500_000, 520_000, dt=0.1)
    sim.step(470_000, 490_000, dt=0.1)  # cooldown over at ended + 30 s; a drop now starts round 2
    assert sim.now >= ended + 30 * NS
    assert sim.machine.state == "BUYING" and sim.machine.rounds == 2
    assert sim.events("follow_state", to="FLAT", reason="cooldown_over")


# -- the rules behind them -----------------------------------------------------------------------


@pytest.mark.parametrize("bid,min_size,expected", [
    (250_000, 1_000_000, 4_000_000),  # $1 / 0.25 = 4
    (300_000, 1_000_000, 3_340_000),  # 3.333.. -> 3.34 (sizes up, 2 dp)
    (900_000, 5_000_000, 5_000_000),  # the market's minimum wins
])
def test_min_buyable_is_one_dollar_at_the_bid_rounded_up_and_at_least_the_minimum(bid: int, min_size: int,
                                                                                  expected: int) -> None:
    assert min_buyable(FollowParams(), bid, MarketSpec("m", "Y", "N", 10_000, min_size)) == expected


@pytest.mark.parametrize("usd,shares,price,expected", [
    (10 * MICRO, 0, 300_000, 34 * MICRO),  # 33.3 -> 34 whole shares
    (10 * MICRO, 0, 250_000, 40 * MICRO),
    (0, 12_345_000, 300_000, 12_350_000),  # shares given: 2 dp, up
])
def test_target_is_usd_worth_in_whole_shares_rounded_up_or_the_shares_given(usd: int, shares: int, price: int,
                                                                            expected: int) -> None:
    assert target_shares(FollowParams(), price, shares, usd) == expected


def test_buy_never_follows_the_bid_down_and_reposts_at_most_once_per_interval() -> None:
    sim = Sim(manual())
    sim.start(10 * MICRO, 400_000, 450_000)
    sim.step(380_000, 450_000, dt=20)
    assert sim.slots[BUY_SLOT].price == 400_000
    sim.step(410_000, 450_000, dt=20)
    sim.step(420_000, 450_000, dt=5)  # within 10 s of the re-post: waits
    assert sim.slots[BUY_SLOT].price == 410_000
    sim.step(420_000, 450_000, dt=5)
    assert sim.slots[BUY_SLOT].price == 420_000


def test_floor_from_a_percentage_when_set() -> None:
    sim = Sim(manual(profit=0, profit_pct=100_000))  # X = 0.40 * 1.1 = 0.44
    bought_and_selling(sim)
    r = sim.machine.round
    assert r is not None and r.floor == 440_000 and sim.slots[SELL_SLOT].price == 450_000


def test_an_order_filled_in_full_is_not_posted_again_before_inventory_shows_it() -> None:
    """The slot ends (order update) before inventory's state shows the fill: no second buy meanwhile."""
    sim = Sim(manual())
    sim.start(10 * MICRO, 400_000, 450_000)
    sim.step(400_000, 450_000, dt=11)
    del sim.slots[BUY_SLOT]  # filled in full; inventory has not said so yet
    for _ in range(5):
        assert sim.step(400_000, 450_000, dt=0.1) == {}
    sim.qty, sim.cost = 10 * MICRO, 4 * MICRO  # inventory catches up
    sim.step(400_000, 450_000, dt=0.1)
    assert sim.machine.state == "SELLING" and BUY_SLOT not in sim.slots
    assert sim.slots[SELL_SLOT].price == 450_000 and sim.slots[SELL_SLOT].size == 10 * MICRO


def test_nothing_bought_ends_the_round_in_cooldown_and_a_sell_below_the_minimum_size_is_dust() -> None:
    sim = Sim(manual(), MarketSpec("0xm", "Y", "N", 10_000, 5_000_000))
    bought_and_selling(sim)
    sim.fill(7 * MICRO)  # 3 left: below the market's 5-share minimum, no order can sell it
    sim.step(400_000, 450_000, dt=1)
    assert sim.machine.state == "COOLDOWN" and sim.machine.round is not None
    assert sim.machine.round.status == "DUST"


def test_manual_round_refused_while_one_runs_and_abort_keeps_what_was_bought() -> None:
    sim = Sim(manual())
    sim.start(10 * MICRO, 400_000, 450_000)
    sim.fill(4 * MICRO)
    assert sim.machine.request("cmd-2", "no", 5 * MICRO, 0) == (False, "refused: round 1 is BUYING")
    ok, what = sim.follow.on_command(FollowAbort(cmd_id="a", holder="h", reason="enough", ts=0))
    assert ok and what == "aborting round 1 (BUYING)"
    sim.step(400_000, 450_000, dt=1)
    assert not sim.slots and sim.machine.state == "COOLDOWN" and sim.qty == 4 * MICRO
    assert sim.machine.round is not None and sim.machine.round.status == "ABORTED"
    ok, what = sim.follow.on_command(FollowStart(cmd_id="b", holder="h", outcome="NO", shares=0,
                                                 usd=5 * MICRO, ts=0))
    assert ok and what == "accepted: round 2 on NO ($5)"  # a manual round skips the cooldown


def test_the_record_restores_the_round_and_its_order_is_posted_again() -> None:
    sim = Sim(manual())
    bought_and_selling(sim)
    record = sim.machine.record()
    again = Sim(manual())
    again.qty, again.cost = sim.qty, sim.cost
    again.machine.restore(record)
    again.step(400_000, 450_000)
    assert again.machine.state == "SELLING" and again.slots[SELL_SLOT].price == 450_000
    assert again.follow.status().floor == 420_000 and again.follow.status().round == 1


def test_the_coordinator_answers_follow_commands_once_and_notes_the_records() -> None:
    follow = Follow(manual())
    c = _core(follow)
    c.on_book(_book("Y", 400_000, 450_000))
    c.on_book(_book("N", 550_000, 600_000))
    fx = Effects()
    cmd = FollowStart(cmd_id="ctl-9", holder="h", outcome="YES", shares=10 * MICRO, usd=0, ts=0)
    c.on_ctl(cmd, T0, fx)
    c.on_ctl(cmd, T0, fx)  # a repeat is answered again, not acted on twice
    answers = [m for _, m in fx.publishes]
    assert [a.message for a in answers] == ["ctl-9: accepted: round 1 on YES (10 shares)"] * 2  # type: ignore[union-attr]
    c.evaluate(T0, fx)
    events = [e for _, e, _ in fx.notes]
    assert "follow_state" in events and "follow_place" in events
    assert c.mode == "buying"


def test_a_round_whose_market_rotated_away_ends_and_the_new_market_starts_flat() -> None:
    sim = Sim(manual())
    bought_and_selling(sim)
    sim.market = MarketSpec(market="0xm2", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=1_000_000)
    sim.qty = sim.cost = 0
    want = sim.step(400_000, 450_000, dt=1)
    assert want == {BUY_SLOT: None, SELL_SLOT: None} and sim.machine.state == "COOLDOWN"
    assert sim.machine.round is not None and sim.machine.round.status == "MARKET_ENDED"


def test_a_follow_command_to_another_strategy_is_refused_and_an_abort_without_a_round_too() -> None:
    c = _core(Neutral())
    fx = Effects()
    c.on_ctl(FollowStart(cmd_id="x1", holder="h", outcome="YES", shares=5 * MICRO, usd=0, ts=0), T0, fx)
    c.on_ctl(FollowAbort(cmd_id="x2", holder="h", reason="", ts=0), T0, fx)
    answers = [(m.kind, m.severity, m.message) for _, m in fx.publishes]  # type: ignore[union-attr]
    assert answers == [("follow", "warn", "x1: refused: strategy is neutral, not follow"),
                       ("follow_abort", "warn", "x2: refused: strategy is neutral, not follow")]
    follow = Follow(manual())
    c = _core(follow)
    fx = Effects()
    c.on_ctl(FollowAbort(cmd_id="x3", holder="h", reason="", ts=0), T0, fx)
    assert [m.message for _, m in fx.publishes] == ["x3: nothing to abort (FLAT)"]  # type: ignore[union-attr]
