"""The inventory core: fill lifecycle (seed-000 §5), markets from leases, marks, state, when it is due."""

from __future__ import annotations

from typing import Literal

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.inventory.core import KEEPALIVE_NS, Inventory, top
from actors.inventory.ledger import resolution
from actors.inventory.positions import Limits, Trade, fold
from bus import topics
from bus.effects import Effects
from schemas import Book, Fill, FillApplied, InventoryState, LeaseRelease, Settlement
from schemas.user import TradeStatus
from tests.support.inventory_cases import CID, LIFECYCLE, LIMITS, NO, YES, M, fill, lease

S = 1_000_000_000  # one second in ns


def run(events: list[Fill]) -> tuple[Inventory, list[str]]:
    inv = Inventory(LIMITS)
    return inv, [inv.apply(f) for f in events]


@pytest.mark.parametrize(("name", "events", "actions", "expected"), LIFECYCLE, ids=[c[0] for c in LIFECYCLE])
def test_fill_lifecycle(name: str, events: list[Fill], actions: list[str],
                        expected: tuple[int, int, int, int]) -> None:
    inv, got = run(events)
    pos = inv.position(YES)
    assert got == actions
    assert (pos.qty, pos.avg_cost, pos.realized, pos.fills) == expected


def test_a_fill_for_an_unknown_market_is_applied_to_its_token_and_shown_once_the_market_is_known() -> None:
    inv = Inventory(LIMITS)
    assert inv.apply(fill("t1", asset=NO, price=510_000)) == "applied"
    assert inv.market_for(NO) is None and inv.active_states(0) == []
    assert inv.hold(lease(), now=0) is True
    state = inv.state(CID, 7)
    assert (state.yes_asset, state.no_asset, state.ts) == (YES, NO, 7)
    assert (state.yes_qty, state.no_qty, state.no_avg_cost, state.net_diff) == (0, 5 * M, 510_000, -5 * M)


def test_state_of_a_market_holds_both_legs() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.apply(fill("t1", size=6 * M, price=480_000))
    inv.apply(fill("t2", asset=NO, size=4 * M, price=500_000))
    inv.apply(fill("t3", side="SELL", size=1 * M, price=530_000))
    s = inv.state(CID, 0)
    assert (s.yes_qty, s.no_qty, s.net_diff) == (5 * M, 4 * M, 1 * M)
    assert (s.yes_avg_cost, s.no_avg_cost, s.portfolio_cost) == (480_000, 500_000, 980_000)
    assert (s.realized_pnl, s.unrealized_pnl, s.fills, s.can_open) == (50_000, 0, 3, True)


def test_state_can_open_uses_the_configured_limits() -> None:
    inv = Inventory(Limits(max_net_diff=3 * M, max_portfolio_cost=1_020_000, max_position_value=5 * M))
    inv.hold(lease(), 0)
    inv.apply(fill("t1", size=3 * M))
    assert inv.state(CID, 0).can_open is False
    inv.apply(fill("t2", asset=NO, size=1 * M))
    assert inv.state(CID, 0).can_open is True


def test_state_publishes_the_limits_it_is_checked_against() -> None:
    inv = Inventory(Limits(max_net_diff=3 * M, max_portfolio_cost=1_020_000, max_position_value=7 * M))
    inv.hold(lease(), 0)

    state = inv.state(CID, 0)

    assert (state.max_net_diff, state.max_position_value) == (3 * M, 7 * M)


def test_leases_activate_renew_change_and_expire() -> None:
    inv = Inventory(LIMITS)
    inv.apply(fill("t1"))
    inv.apply(fill("t2", asset=NO))
    assert inv.hold(lease(ttl_ms=5000), now=0) is True
    assert inv.hold(lease(ttl_ms=5000), now=1 * S) is False  # renewal: deadline 6 s
    assert inv.active_assets() == {YES, NO}
    assert inv.expire(6 * S - 1) == []
    assert inv.expire(6 * S) == [CID]  # a lease exactly at its deadline has expired
    assert inv.active_states(6 * S) == [] and inv.active_assets() == set()
    assert inv.market_for(YES) == CID  # the tokens stay known
    assert inv.hold(lease(), now=7 * S) is True  # active again
    assert inv.hold(lease(assets=(YES, "333")), now=7 * S) is True  # tokens changed
    assert inv.market_for(NO) is None and inv.market_for("333") == CID


def test_invalid_leases_are_ignored() -> None:
    inv = Inventory(LIMITS)
    assert inv.hold(lease(assets=(YES,)), 0) is False
    assert inv.hold(lease(market=""), 0) is False
    assert inv.markets == {}


def test_release_deactivates_and_drops_marks() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.on_book(book(YES, [(490_000, M)], [(510_000, M)]))
    assert inv.release(LeaseRelease(holder="btc", market=CID, ts=0)) is True
    assert inv.marks == {} and inv.active_states(0) == []
    assert inv.release(LeaseRelease(holder="btc", market=CID, ts=0)) is False


def test_a_market_two_coordinators_hold_stays_active_until_the_last_lets_go() -> None:
    """Keyed by holder and market: one of two coordinators releasing must not drop the market."""
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    other = msgspec.structs.replace(lease(ttl_ms=10_000), holder="rewards")
    assert inv.hold(other, 0) is False  # already active
    assert inv.release(LeaseRelease(holder="btc", market=CID, ts=0)) is False
    assert [s.market for s in inv.active_states(0)] == [CID]
    assert inv.expire(5 * S) == [] and [s.market for s in inv.active_states(5 * S)] == [CID]
    assert inv.expire(10 * S) == [CID] and inv.active_states(10 * S) == []


def book(asset: str, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> Book:
    return Book(asset=asset, market=CID, bids=bids, asks=asks, tick=10_000, epoch=1, ts_event=0, ts_recv=0)


def test_unrealised_pnl_marks_each_leg_to_its_mid_and_skips_one_sided_books() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.apply(fill("t1", size=10 * M, price=480_000))
    inv.apply(fill("t2", asset=NO, size=4 * M, price=500_000))
    inv.on_book(book(YES, [(490_000, M), (480_000, M)], [(510_000, M)]))  # mid 0.50: +0.20
    inv.on_book(book(NO, [(540_000, M)], [(560_000, M)]))  # mid 0.55: +0.20
    assert inv.state(CID, 0).unrealized_pnl == 400_000
    inv.on_book(book(NO, [], [(560_000, M)]))  # no bid: NO is not marked
    assert inv.state(CID, 0).unrealized_pnl == 200_000


def test_only_held_legs_are_marked_and_a_leg_that_goes_flat_forgets_its_mark() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    assert inv.active_assets() == set()  # nothing held: no book is even received
    inv.on_book(book(YES, [(490_000, M)], [(510_000, M)]))
    assert inv.marks == {}
    inv.apply(fill("t1", size=2 * M))
    assert inv.active_assets() == {YES}
    assert inv.state(CID, 0).unrealized_pnl == 0  # opened, but no book since: not marked yet
    inv.on_book(book(YES, [(490_000, M)], [(510_000, M)]))
    assert inv.state(CID, 0).unrealized_pnl == 2 * 20_000
    inv.apply(fill("t2", side="SELL", size=2 * M, price=500_000))  # flat again
    assert inv.active_assets() == set() and inv.marks == {}
    inv.apply(fill("t3", size=1 * M, price=450_000))  # held again: the old mark is not reused
    assert inv.state(CID, 0).unrealized_pnl == 0
    inv.apply(fill("t3", "FAILED"))  # reversed: flat
    assert inv.active_assets() == set()


def test_books_of_inactive_markets_are_not_marked() -> None:
    inv = Inventory(LIMITS)
    inv.on_book(book(YES, [(490_000, M)], [(510_000, M)]))
    assert inv.marks == {}


def test_marks_alone_publish_nothing_until_the_next_due_check_then_only_what_changed() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.hold(lease(market="0xother", assets=("333", "444")), 0)
    inv.apply(fill("t1", size=10 * M, price=480_000))
    assert [s.market for s in inv.due_states(0, S)] == [CID, "0xother"]  # never sent: both due
    assert inv.due_states(S // 4, S) == []  # nothing changed
    for bid in range(400_000, 500_000, 10_000):  # many books: marks only
        inv.on_book(book(YES, [(bid, M)], [(bid + 20_000, M)]))
    [due] = inv.due_states(S // 2, S)  # one state, with the newest mark; the other market unchanged
    assert (due.market, due.unrealized_pnl, due.ts) == (CID, 10 * (500_000 - 480_000), S // 2)
    assert inv.due_states(3 * S // 4, S) == []


def test_every_active_market_is_sent_at_least_once_per_keepalive() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(ttl_ms=60_000), 0)
    assert len(inv.due_states(0, S)) == 1
    assert inv.due_states(S - 1, S) == []
    [again] = inv.due_states(S, S)
    assert again.ts == S


def test_a_state_sent_on_a_fill_counts_as_sent() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(ttl_ms=60_000), 0)
    inv.due_states(0, S)
    fx = Effects()
    inv.on_fill(fill("t1"), S // 2, fx)  # the fill's state goes out at once
    assert [type(msg) for _, msg in fx.publishes] == [FillApplied, InventoryState]
    assert inv.due_states(S // 2 + 1, S) == []
    assert len(inv.due_states(3 * S // 2, S)) == 1


def test_a_reactivated_market_is_due_at_once() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.due_states(0, S)
    inv.release(LeaseRelease(holder="btc", market=CID, ts=0))
    assert inv.due_states(1, S) == []
    inv.hold(lease(), 2)
    assert len(inv.due_states(3, S)) == 1


def test_replaying_the_same_fills_rebuilds_the_same_state() -> None:
    events = [f for _, evs, _, _ in LIFECYCLE for f in evs]
    live, _ = run(events)
    replayed, _ = run(events)
    for inv in (live, replayed):
        inv.hold(lease(), 0)
    assert live.state(CID, 0) == replayed.state(CID, 0)


STATUSES: list[TradeStatus] = ["MATCHED", "MINED", "CONFIRMED", "RETRYING", "FAILED"]
PRICES = st.integers(1, 999).map(lambda p: p * 1000)
SIZES = st.integers(1, 2000).map(lambda s: s * 10_000)
SIDES: st.SearchStrategy[Literal["BUY", "SELL"]] = st.sampled_from(["BUY", "SELL"])
event = st.tuples(st.integers(0, 5), st.sampled_from(STATUSES), SIDES, PRICES, SIZES)


@settings(max_examples=200, deadline=None)
@given(st.lists(event, max_size=40))
def test_position_equals_the_fold_of_fills_applied_and_not_failed(
        events: list[tuple[int, TradeStatus, Literal["BUY", "SELL"], int, int]]) -> None:
    inv = Inventory(LIMITS)
    first: dict[int, Trade] = {}  # the oracle: the fill each key applied, in order
    failed: set[int] = set()
    seen: set[tuple[int, str]] = set()
    for key, status, side, price, size in events:
        inv.apply(fill(f"t{key}", status, side=side, price=price, size=size))
        if (key, status) in seen:
            continue
        seen.add((key, status))
        if status == "FAILED":
            failed.add(key)
        elif status != "RETRYING" and key not in first and key not in failed:
            first[key] = (side, price, size, 0)
    expected = fold(trade for key, trade in first.items() if key not in failed)
    assert inv.position(YES) == expected


# -- what the handlers ask the shell to do (bus.effects) -------------------------------------------


def published(fx: Effects) -> list[tuple[bytes, str]]:
    return [(topic, type(msg).__name__) for topic, msg in fx.publishes]


def noted(fx: Effects) -> list[tuple[str, str]]:
    return [(level, event) for level, event, _ in fx.notes]


def test_a_fill_is_echoed_then_its_market_state_follows_when_a_position_moved() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    fx = Effects()

    action = inv.on_fill(fill("t1"), 5, fx)

    assert action == "applied" and not fx.pushes
    assert published(fx) == [(topics.inv_fill(CID), "FillApplied"), (topics.inv_state(CID), "InventoryState")]
    echo, state = (msg for _, msg in fx.publishes)
    assert echo == FillApplied(fill=fill("t1"), action="applied", ts=5)
    assert isinstance(state, InventoryState) and (state.yes_qty, state.ts) == (5 * M, 5)
    [(level, event, fields)] = fx.notes
    assert (level, event, fields["action"], fields["qty"], fields["avg_cost"]) == (
        "info", "fill", "applied", 5 * M, 480_000)


@pytest.mark.parametrize(("events", "last", "states"), [
    ([], "applied", 1),
    ([fill("t1")], "duplicate", 0),  # echoed all the same: the echo is the user-feed's acknowledgement
    ([fill("t1")], "recorded", 0),
    ([fill("t1")], "reversed", 1),
])
def test_every_fill_is_echoed_and_only_a_moved_position_publishes_state(
        events: list[Fill], last: str, states: int) -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    for f in events:
        inv.apply(f)
    status: TradeStatus = {"recorded": "CONFIRMED", "reversed": "FAILED"}.get(last, "MATCHED")  # type: ignore[assignment]
    fx = Effects()
    assert inv.on_fill(fill("t1", status), 9, fx) == last
    assert [name for _, name in published(fx)] == ["FillApplied"] + ["InventoryState"] * states


def test_a_fill_of_a_market_not_known_yet_is_echoed_without_state() -> None:
    inv = Inventory(LIMITS)
    fx = Effects()
    assert inv.on_fill(fill("t1", market="0xnew"), 0, fx) == "applied"
    assert published(fx) == [(topics.inv_fill("0xnew"), "FillApplied")]
    fx.clear()
    inv.on_fill(fill("t2", market="bad.key"), 0, fx)  # a market no topic can carry: the account-wide topic
    assert published(fx) == [(topics.inv_fill(topics.ALL), "FillApplied")]


def test_a_new_lease_publishes_the_state_at_once_a_renewal_nothing() -> None:
    inv = Inventory(LIMITS)
    fx = Effects()
    assert inv.on_lease(lease(), 0, fx) is True
    assert published(fx) == [(topics.inv_state(CID), "InventoryState")]
    assert noted(fx) == [("info", "market_active")]
    renewal = Effects()
    assert inv.on_lease(lease(), S, renewal) is False and not renewal


def test_a_lease_no_topic_can_carry_is_ignored_and_its_warning_throttled() -> None:
    inv = Inventory(LIMITS)
    fx = Effects()
    for _ in range(1000):  # a coordinator renewing a bad lease every second for ~17 minutes
        assert inv.on_lease(lease(market="0x.bad"), 0, fx) is False
    assert not fx.publishes and inv.markets == {}
    assert [fields["count"] for _, event, fields in fx.notes if event == "bad_lease"] == [*range(1, 11), 1000]


def test_a_release_and_an_expiry_note_the_market_inactive() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(ttl_ms=5000), 0)
    inv.hold(lease(market="0xother", assets=("333", "444"), ttl_ms=5000), 0)
    fx = Effects()
    assert inv.on_release(LeaseRelease(holder="btc", market=CID, ts=0), fx) is True
    assert inv.on_release(LeaseRelease(holder="btc", market=CID, ts=0), fx) is False
    assert [(e, f["market"], f["reason"]) for _, e, f in fx.notes] == [("market_inactive", CID, "released")]
    fx.clear()
    assert inv.on_timer([], 5 * S, fx) is True
    assert [(e, f["market"], f["reason"]) for _, e, f in fx.notes] == [
        ("market_inactive", "0xother", "lease_expired")]
    assert not fx.publishes


def test_the_timer_marks_to_the_books_it_is_given_and_publishes_what_is_due() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(ttl_ms=60_000), 0)
    inv.apply(fill("t1", size=10 * M, price=480_000))
    fx = Effects()
    assert inv.on_timer([], 0, fx) is False
    assert published(fx) == [(topics.inv_state(CID), "InventoryState")]  # never sent: due
    fx.clear()
    inv.on_timer([top(book(YES, [(490_000, M)], [(510_000, M)]))], S // 4, fx)
    [(_, state)] = fx.publishes
    assert isinstance(state, InventoryState) and state.unrealized_pnl == 10 * (500_000 - 480_000)
    fx.clear()
    inv.on_timer([], S // 2, fx)
    assert not fx  # unchanged, keep-alive not due
    inv.on_timer([], S // 4 + KEEPALIVE_NS, fx)
    assert len(fx.publishes) == 1  # the keep-alive


class _Rebuilding(Inventory):
    """``due_states`` as it was before the inputs check: every active market's state built and compared
    on every tick; ``active`` with every resolved market's holding looked at on every call (the references
    the skipping and caching versions must agree with)."""

    def active(self) -> list[str]:
        markets = self.markets
        active = {m for m in self.leases.markets() if m in markets}
        active.update(m for m in self.resolved if m in markets and self.held_market(m))
        return sorted(active)

    def due_states(self, now: int, keepalive_ns: int) -> list[InventoryState]:
        due = []
        for market in self.active():
            state = self.state(market, now)
            last = self.last_sent.get(market)
            if last is None or now - last.ts >= keepalive_ns or \
                    msgspec.structs.replace(last, ts=now) != state:
                due.append(self.sent(state))
        return due


_STEP = st.one_of(
    st.tuples(st.just("fill"), st.sampled_from([YES, NO]), st.sampled_from(["BUY", "SELL"]),
              st.integers(1, 99).map(lambda c: c * 10_000)),
    st.tuples(st.just("fail"), st.just(""), st.just(""), st.just(0)),  # the newest fill FAILED: reversed
    st.tuples(st.just("book"), st.sampled_from([YES, NO]), st.just(""),
              st.integers(0, 98).map(lambda c: c * 10_000)),
    st.tuples(st.just("tick"), st.just(""), st.just(""), st.integers(1, 600)),
    st.tuples(st.just("release"), st.just(""), st.just(""), st.just(0)),
    st.tuples(st.just("lease"), st.just(""), st.just(""), st.just(0)),
    st.tuples(st.just("resolve"), st.sampled_from([YES, NO]), st.just(""), st.just(0)),  # the winner
    st.tuples(st.just("redeem"), st.just(""), st.just(""), st.just(0)),  # what is held leaves
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_STEP, max_size=50))
def test_the_timer_skips_unchanged_markets_yet_publishes_what_rebuilding_every_state_would(
        steps: list[tuple[str, str, str, int]]) -> None:
    """Fills (and their reversals), marks, releases, re-leases and ticks in any order: the timer's
    publications with the inputs check are those of building and comparing every state each tick."""
    fast, slow = Inventory(LIMITS), _Rebuilding(LIMITS)
    now, trades = 0, 0
    for inv in (fast, slow):
        inv.on_lease(lease(ttl_ms=10**9), 0, Effects())
    for kind, asset, side, n in steps:
        outs = []
        for inv in (fast, slow):
            fx = Effects()
            if kind == "fill":
                inv.on_fill(fill(f"t{trades}", asset=asset, side=side, price=n), now, fx)
            elif kind == "fail" and trades:
                inv.on_fill(fill(f"t{trades - 1}", "FAILED"), now, fx)
            elif kind == "book":
                bids = [(n, M)] if n else []
                inv.on_timer([top(book(asset, bids, [(n + 20_000, M)]))], now, fx)
            elif kind == "tick":
                inv.on_timer([], now, fx)
            elif kind == "release":
                inv.on_release(LeaseRelease(holder="btc", market=CID, ts=now), fx)
            elif kind == "lease":
                inv.on_lease(lease(ttl_ms=10**9), now, fx)
            elif kind == "resolve":
                inv.on_settlement(resolution(CID, YES, NO, asset, "market-feed", now), now, fx)
            elif kind == "redeem" and CID in inv.resolved:
                yes, no = (max(inv.position(a).qty, 0) for a in (YES, NO))
                inv.on_settlement(Settlement(key=f"redeem:{now}:{yes}:{no}", kind="redeem", market=CID,
                                             yes_asset=YES, no_asset=NO, yes=yes, no=no, usdc=0,
                                             winner=inv.resolved[CID], source="executor", ts=now), now, fx)
            outs.append(fx.publishes)
        trades += kind == "fill"
        if kind == "tick":
            now += n * S // 1000
        assert outs[0] == outs[1], (kind, asset, side, n)
        assert fast.active() == slow.active() and fast.held_resolved() == {
            m for m in slow.resolved if slow.held_market(m)}, (kind, asset, side, n)
