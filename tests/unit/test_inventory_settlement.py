"""Inventory's settlements: merges, resolutions, redemptions and adjustments; their PnL to the micro-dollar,
deduplication, refusals, what is published, and recomputation when a fill is reversed after one."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.inventory.core import Inventory, resolution
from bus import topics
from bus.effects import Effects
from schemas import Fill, InventoryState, MarketResolved, Settlement, SettlementApplied
from schemas.settlement import SettlementKind
from tests.support.inventory_cases import CID, LIMITS, NO, YES, M, fill, lease

S = 1_000_000_000


def settle(kind: SettlementKind, key: str = "k1", *, yes: int = 0, no: int = 0, usdc: int = 0,
           winner: str = "", market: str = CID, yes_asset: str = YES, no_asset: str = NO, yes_avg: int = 0,
           no_avg: int = 0) -> Settlement:
    return Settlement(key=key, kind=kind, market=market, yes_asset=yes_asset, no_asset=no_asset, yes=yes,
                      no=no, usdc=usdc, winner=winner, yes_avg=yes_avg, no_avg=no_avg, source="test", ts=1)


def run(events: list[Fill | Settlement]) -> tuple[Inventory, list[str]]:
    inv = Inventory(LIMITS)
    inv.learn(CID, YES, NO)
    actions = [inv.apply(e) if isinstance(e, Fill) else inv.apply_settlement(e) for e in events]
    return inv, actions


def legs(inv: Inventory) -> tuple[int, int, int, int, int]:
    state = inv.state(CID, 0)
    return state.yes_qty, state.no_qty, state.yes_avg_cost, state.no_avg_cost, state.realized_pnl


# (name, events, (yes_qty, no_qty, yes_avg, no_avg, realised PnL)), all in 1e-6 units
CASES = [
    ("a merge of every pair realises n * (1 - yes_avg - no_avg)",
     [fill("t1", size=10 * M, price=400_000), fill("t2", asset=NO, size=10 * M, price=550_000),
      settle("merge", yes=10 * M, no=10 * M, usdc=10 * M)],
     (0, 0, 0, 0, 500_000)),
    ("a partial merge leaves the rest at its average cost",
     [fill("t1", size=7 * M, price=400_000), fill("t2", asset=NO, size=5 * M, price=550_000),
      settle("merge", yes=5 * M, no=5 * M, usdc=5 * M)],
     (2 * M, 0, 400_000, 0, 250_000)),
    ("an average cost that is not a whole micro-dollar is still realised exactly",
     [fill("t1", size=5 * M, price=500_000), fill("t2", size=10 * M, price=510_000),  # avg 0.50666..
      fill("t3", asset=NO, size=15 * M, price=450_000), settle("merge", yes=15 * M, no=15 * M, usdc=15 * M)],
     (0, 0, 0, 0, 650_000)),  # 15 - 7.60 - 6.75
    ("a merge at a loss realises a negative PnL",
     [fill("t1", size=5 * M, price=600_000), fill("t2", asset=NO, size=5 * M, price=450_000),
      settle("merge", yes=5 * M, no=5 * M, usdc=5 * M)],
     (0, 0, 0, 0, -250_000)),
    ("resolution: the winner is worth 1, the loser 0, the difference to cost is realised",
     [fill("t1", size=10 * M, price=400_000), fill("t2", asset=NO, size=4 * M, price=550_000),
      settle("resolution", "resolution:x", winner=YES)],
     (10 * M, 4 * M, 1_000_000, 0, 3_800_000)),  # 10 * 0.6 - 4 * 0.55
    ("redeeming after the resolution realises nothing more and empties both legs",
     [fill("t1", size=10 * M, price=400_000), fill("t2", asset=NO, size=4 * M, price=550_000),
      settle("resolution", "resolution:x", winner=YES), settle("redeem", "r1", yes=10 * M, no=4 * M,
                                                              usdc=10 * M, winner=YES)],
     (0, 0, 0, 0, 3_800_000)),
    ("a redemption of a market not seen resolved resolves it first",
     [fill("t1", size=10 * M, price=400_000), fill("t2", asset=NO, size=4 * M, price=550_000),
      settle("redeem", "r1", yes=10 * M, no=4 * M, usdc=4 * M, winner=NO)],
     (0, 0, 0, 0, -4_000_000 + 4 * M - 2_200_000)),  # the NO leg won: 4 * 0.45 - 10 * 0.4
    ("a loser alone is redeemed for nothing",
     [fill("t2", asset=NO, size=6 * M, price=300_000), settle("resolution", "resolution:x", winner=YES),
      settle("redeem", "r1", no=6 * M, winner=YES)],
     (0, 0, 0, 0, -1_800_000)),
    ("merge, then resolution of the rest, then redemption",
     [fill("t1", size=12 * M, price=420_000), fill("t2", asset=NO, size=8 * M, price=530_000),
      settle("merge", yes=8 * M, no=8 * M, usdc=8 * M), settle("resolution", "resolution:x", winner=NO),
      settle("redeem", "r1", yes=4 * M, winner=NO)],
     (0, 0, 0, 0, 400_000 - 1_680_000)),  # merge 8 * 0.05; YES 4 * 0.42 lost
    ("an adjustment sets both legs and leaves realised PnL alone",
     [fill("t1", size=10 * M, price=400_000), fill("t3", side="SELL", size=2 * M, price=500_000),
      settle("adjust", "a1", yes=5 * M, no=3 * M, yes_avg=410_000, no_avg=520_000)],
     (5 * M, 3 * M, 410_000, 520_000, 200_000)),
]


@pytest.mark.parametrize(("name", "events", "expected"), CASES, ids=[c[0] for c in CASES])
def test_settlement_math(name: str, events: list[Fill | Settlement],
                         expected: tuple[int, int, int, int, int]) -> None:
    inv, actions = run(events)
    assert legs(inv) == expected
    assert all(a == "applied" for a in actions)


def test_a_resolved_market_leaves_net_diff_and_can_open_and_carries_its_winner() -> None:
    inv, _ = run([fill("t1", size=10 * M, price=400_000), settle("resolution", "resolution:x", winner=YES)])
    state = inv.state(CID, 0)
    assert (state.resolved, state.winner, state.net_diff, state.can_open, state.unrealized_pnl) == (
        True, YES, 0, False, 0)
    live, _ = run([fill("t1", size=10 * M, price=400_000)])
    assert (live.state(CID, 0).resolved, live.state(CID, 0).net_diff) == (False, 10 * M)


@pytest.mark.parametrize(("name", "settlement"), [
    ("a winner that is neither token", settle("resolution", "resolution:x", winner="333")),
    ("a redemption without a winner", settle("redeem", "r1", yes=M)),
    ("the two tokens are one", settle("merge", yes=M, no=M, no_asset=YES)),
    ("tokens contradicting the market's", settle("merge", yes=M, no=M, yes_asset="999")),
    ("a token of another market", settle("merge", yes=M, no=M, market="0xother")),
    ("a negative amount", settle("merge", yes=-M, no=-M)),
    ("a market no topic can carry", settle("merge", yes=M, no=M, market="a.b")),
    ("no key", settle("merge", "", yes=M, no=M)),
])
def test_bad_settlements_are_refused_and_change_nothing(name: str, settlement: Settlement) -> None:
    inv, _ = run([fill("t1", size=10 * M, price=400_000)])
    before = legs(inv)
    assert inv.apply_settlement(settlement) == "refused", name
    assert legs(inv) == before and not inv.resolved and not inv.settled


def test_a_settlement_key_applies_once() -> None:
    merge = settle("merge", yes=5 * M, no=5 * M, usdc=5 * M)
    inv, actions = run([fill("t1", size=10 * M), fill("t2", asset=NO, size=10 * M), merge, merge,
                        msgspec.structs.replace(merge, yes=M, no=M)])
    assert actions[2:] == ["applied", "duplicate", "duplicate"]
    assert legs(inv)[:2] == (5 * M, 5 * M)


def test_a_fill_reversed_after_a_merge_recomputes_both_legs_as_if_it_never_came() -> None:
    events: list[Fill | Settlement] = [fill("t1", size=6 * M, price=400_000),
                                       fill("t2", size=4 * M, price=420_000),
                                       fill("t3", asset=NO, size=10 * M, price=550_000),
                                       settle("merge", yes=5 * M, no=5 * M, usdc=5 * M),
                                       settle("resolution", "resolution:x", winner=NO)]
    inv, _ = run([*events, fill("t2", "FAILED", size=4 * M, price=420_000)])
    without, _ = run([e for e in events if not (isinstance(e, Fill) and e.trade_id == "t2")])
    assert legs(inv) == legs(without)
    assert inv.positions[YES] == without.positions[YES] and inv.positions[NO] == without.positions[NO]
    assert inv.resolved == {CID: NO}


def test_on_settlement_echoes_then_publishes_the_state_and_notes_it() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.apply(fill("t1", size=6 * M))
    inv.apply(fill("t2", asset=NO, size=6 * M))
    fx = Effects()
    merge = settle("merge", yes=6 * M, no=6 * M, usdc=6 * M)
    assert inv.on_settlement(merge, 5, fx) == "applied"
    [(echo_topic, echo), (state_topic, state)] = fx.publishes
    assert echo_topic == topics.inv_settle(CID)
    assert echo == SettlementApplied(settlement=merge, action="applied", ts=5)
    assert state_topic == topics.inv_state(CID) and isinstance(state, InventoryState) and state.yes_qty == 0
    assert fx.notes[0][1] == "settlement" and fx.notes[0][2]["action"] == "applied"
    fx = Effects()
    assert inv.on_settlement(merge, 6, fx) == "duplicate"
    assert [type(m) for _, m in fx.publishes] == [SettlementApplied]  # echoed (the ack), nothing moved


def test_a_resolved_market_is_published_while_held_even_unleased_then_dropped_once_redeemed() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(ttl_ms=1000), 0)
    inv.apply(fill("t1", size=5 * M))
    inv.expire(2 * S)
    assert inv.active() == []
    assert inv.unresolved_held()[0].market == CID  # asked of the CLOB
    fx = Effects()
    inv.on_settlement(resolution(CID, YES, NO, YES, "clob", 3 * S), 3 * S, fx)
    assert inv.active() == [CID] and inv.unresolved_held() == []
    assert [s.market for s in inv.due_states(4 * S, S)] == [CID]  # keep-alive: the executor redeems it
    fx = Effects()
    inv.on_settlement(settle("redeem", "r1", yes=5 * M, usdc=5 * M, winner=YES), 5 * S, fx)
    states = [m for _, m in fx.publishes if isinstance(m, InventoryState)]
    assert [(s.yes_qty, s.resolved) for s in states] == [(0, True)]  # its last state goes out
    assert inv.active() == []


def test_market_resolved_becomes_a_resolution_for_a_market_held_or_leased_once() -> None:
    inv = Inventory(LIMITS)
    msg = MarketResolved(market=CID, winning_asset=NO, winning_outcome="Down", ts_event=1)
    assert inv.on_resolved(msg, 9) is None  # unknown market
    inv.learn(CID, YES, NO)
    assert inv.on_resolved(msg, 9) is None  # known, neither held nor leased: nothing to settle
    inv.hold(lease(), 0)
    found = inv.on_resolved(msg, 9)
    assert found == resolution(CID, YES, NO, NO, "market-feed", 9)
    inv.apply_settlement(found)
    assert inv.on_resolved(msg, 10) is None  # resolved already


def test_resolved_legs_are_not_marked() -> None:
    inv = Inventory(LIMITS)
    inv.hold(lease(), 0)
    inv.apply(fill("t1", size=5 * M))
    assert inv.active_assets() == {YES}
    inv.apply_settlement(resolution(CID, YES, NO, YES, "clob", 1))
    assert inv.active_assets() == set()


prices = st.integers(min_value=1, max_value=99).map(lambda c: c * 10_000)
sizes = st.integers(min_value=1, max_value=2_000).map(lambda n: n * 10_000)  # 0.01 .. 20 shares


@settings(max_examples=200, deadline=None)
@given(buys=st.lists(st.tuples(st.booleans(), prices, sizes), min_size=1, max_size=30),
       sells=st.lists(st.tuples(st.booleans(), prices, st.floats(0.0, 1.0)), max_size=5),
       merge_share=st.floats(0.0, 1.0), yes_wins=st.booleans())
def test_realised_pnl_equals_the_cash_change_to_the_micro_dollar(
        buys: list[tuple[bool, int, int]], sells: list[tuple[bool, int, float]], merge_share: float,
        yes_wins: bool) -> None:
    """Whatever is bought, sold, merged, resolved and redeemed: once flat, realised PnL is the cash."""
    inv = Inventory(LIMITS)
    inv.learn(CID, YES, NO)
    cash_e12 = 0
    held = {YES: 0, NO: 0}
    for n, (is_yes, price, size) in enumerate(buys):
        token = YES if is_yes else NO
        inv.apply(fill(f"b{n}", asset=token, price=price, size=size))
        cash_e12 -= price * size
        held[token] += size
    for n, (is_yes, price, share) in enumerate(sells):
        token = YES if is_yes else NO
        size = int(held[token] * share) // 10_000 * 10_000
        if size:
            inv.apply(fill(f"s{n}", asset=token, side="SELL", price=price, size=size))
            cash_e12 += price * size
            held[token] -= size
    pairs = int(min(held.values()) * merge_share) // 10_000 * 10_000
    if pairs:
        inv.apply_settlement(settle("merge", yes=pairs, no=pairs, usdc=pairs))
        cash_e12 += pairs * M
        held = {t: q - pairs for t, q in held.items()}
    winner = YES if yes_wins else NO
    inv.apply_settlement(resolution(CID, YES, NO, winner, "test", 1))
    inv.apply_settlement(settle("redeem", "r", yes=held[YES], no=held[NO], usdc=held[winner], winner=winner))
    cash_e12 += held[winner] * M
    assert legs(inv)[:2] == (0, 0)
    assert cash_e12 % M == 0  # on Polymarket's grids every cash flow is whole micro-dollars
    assert inv.state(CID, 0).realized_pnl == cash_e12 // M
