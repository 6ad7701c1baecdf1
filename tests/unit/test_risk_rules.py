"""The risk layer's rules as tables, through the pure functions (seed-003 §3.4, §4; the spec README's
resolutions 1 and 2): reduce-only, the hard cap, stop-loss, take-profit, shock halt, the maker flatten
and the taker exit's depth walk. Boundaries included; 1e-6 units."""

from __future__ import annotations

import pytest
from msgspec.structs import replace as restruct

from actors.coordinator.model import (
    EXIT_NO,
    EXIT_YES,
    YES_ASK,
    YES_ASK_STATIC,
    YES_BID,
    YES_BID_STATIC,
    MarketSpec,
    Position,
    Quote,
    Slot,
    Top,
)
from actors.coordinator.risk.exits import DepthFill, depth_walk, heavy_leg, is_flat, maker_flatten
from actors.coordinator.risk.halts import Halt, expired, trigger, unrealized
from actors.coordinator.risk.limits import (
    Change,
    net_cap,
    reduce_only,
    reduce_only_active,
    reduces,
    toward_mid,
)
from actors.coordinator.risk.params import DEFAULTS, RiskParams, resolve

S = 1_000_000_000
M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)
VIEW = Top(480_000, 520_000)  # YES 0.48 / 0.52, mid 0.50

BUY_YES = Quote(490_000, 5_000_000)
SELL_YES = Quote(510_000, 5_000_000, "yes", "SELL")
BUY_NO = Quote(490_000, 5_000_000, "no")  # a YES ask at 0.51
SELL_NO = Quote(510_000, 5_000_000, "no", "SELL")  # a YES bid at 0.49


@pytest.mark.parametrize(
    ("net", "threshold", "active"),
    [(30_000_000, 3_000_000, True), (29_999_999, 3_000_000, False), (-30_000_000, 3_000_000, True),
     (-29_999_999, 3_000_000, False), (10**12, 0, False), (25_000_000, 2_500_000, True)],
)
def test_reduce_only_starts_at_threshold_times_base_size(net: int, threshold: int, active: bool) -> None:
    assert reduce_only_active(net, threshold, base_size=10_000_000) is active


@pytest.mark.parametrize(
    ("q", "net", "expected"),
    [(SELL_YES, 10_000_000, True), (BUY_NO, 10_000_000, True), (BUY_YES, 10_000_000, False),
     (SELL_NO, 10_000_000, False), (BUY_YES, -10_000_000, True), (SELL_NO, -10_000_000, True),
     (BUY_YES, 0, False),
     (restruct(SELL_YES, size=20_000_000), 10_000_000, False),  # flips past flat: |net| the same
     (restruct(SELL_YES, size=19_990_000), 10_000_000, True)],
)
def test_what_reduces_net(q: Quote, net: int, expected: bool) -> None:
    assert reduces(q, net) is expected


@pytest.mark.parametrize(
    ("name", "want", "net", "out", "changes"),
    [
        ("long: the buys of YES go, the sales of YES and buys of NO stay (moved to the mid)",
         {YES_BID: BUY_YES, YES_ASK: BUY_NO}, 30_000_000,
         {YES_BID: None, YES_ASK: Quote(500_000, 5_000_000, "no")},
         [Change(YES_BID, "size", 5_000_000, 0, "reduce_only"),
          Change(YES_ASK, "price", 490_000, 500_000, "reduce_only")]),
        ("short: the buys of YES stay, moved up to the mid", {YES_BID: BUY_YES, YES_ASK: BUY_NO}, -30_000_000,
         {YES_BID: Quote(500_000, 5_000_000), YES_ASK: None},
         [Change(YES_BID, "price", 490_000, 500_000, "reduce_only"),
          Change(YES_ASK, "size", 5_000_000, 0, "reduce_only")]),
        ("a sale of held tokens stays even when it does not reduce", {YES_BID: SELL_NO}, 30_000_000,
         {YES_BID: SELL_NO}, []),
        ("static quotes are cancelled, even reducing ones",
         {YES_ASK_STATIC: SELL_YES, YES_BID_STATIC: BUY_YES},
         30_000_000, {YES_ASK_STATIC: None, YES_BID_STATIC: None},
         [Change(YES_ASK_STATIC, "size", 5_000_000, 0, "reduce_only"),
          Change(YES_BID_STATIC, "size", 5_000_000, 0, "reduce_only")]),
        ("a reducing quote already past the mid stays where it is",
         {YES_ASK: restruct(SELL_YES, price=490_000)},
         30_000_000, {YES_ASK: restruct(SELL_YES, price=490_000)}, []),
        ("a cancel stays a cancel", {YES_BID: None}, 30_000_000, {YES_BID: None}, []),
    ],
)
def test_reduce_only(name: str, want: dict[str, Quote | None], net: int, out: dict[str, Quote | None],
                     changes: list[Change]) -> None:
    seen: list[Change] = []
    assert reduce_only(want, net, VIEW, M.tick, seen) == out
    assert seen == changes


@pytest.mark.parametrize(
    ("name", "q", "view", "expected"),
    [
        ("YES ask (SELL YES) to the mid", SELL_YES, VIEW, 500_000),
        ("YES ask as a BUY of NO: NO price 1 - mid", BUY_NO, VIEW, 500_000),
        ("YES bid (BUY YES) up to the mid", BUY_YES, VIEW, 500_000),
        ("half-tick mid: the ask rounds up, never below it", SELL_YES, Top(480_000, 530_000), 510_000),
        ("half-tick mid: the bid rounds down", BUY_YES, Top(470_000, 520_000), 490_000),
        ("one-tick book: the ask stays above the best bid (post-only)", restruct(SELL_YES, price=530_000),
         Top(500_000, 510_000), 510_000),
        ("no two-sided book: unchanged", SELL_YES, Top(0, 520_000), 510_000),
    ],
)
def test_toward_mid(name: str, q: Quote, view: Top, expected: int) -> None:
    assert toward_mid(q, view, M.tick).price == expected


@pytest.mark.parametrize(
    ("name", "want", "net", "refused"),
    [
        ("up to the cap exactly: allowed", {YES_BID: restruct(BUY_YES, size=10_000_000)}, 40_000_000, []),
        ("one micro over: refused", {YES_BID: restruct(BUY_YES, size=10_000_001)}, 40_000_000, [YES_BID]),
        ("the quotes of one direction add up", {YES_BID: BUY_YES, YES_BID_STATIC: BUY_YES}, 45_000_000,
         [YES_BID_STATIC]),
        ("a quote the other way is not counted against it",
         {YES_ASK: BUY_NO, YES_BID: BUY_YES}, 45_000_000, []),
        ("above the cap, what reduces stays", {YES_ASK: BUY_NO, YES_BID: BUY_YES}, 60_000_000, [YES_BID]),
        ("short side the same", {YES_ASK: BUY_NO}, -50_000_000, [YES_ASK]),
        ("a flip past flat to beyond the cap on the other side",
         {YES_BID: restruct(BUY_YES, size=90_000_000)}, -30_000_000, [YES_BID]),
    ],
)
def test_net_cap(name: str, want: dict[str, Quote | None], net: int, refused: list[str]) -> None:
    seen: list[Change] = []
    out = net_cap(want, net, 50_000_000, seen)
    assert [c.slot for c in seen] == refused
    assert all(out[s] is None for s in refused) and all(out[s] == want[s] for s in want if s not in refused)


def test_no_cap_changes_nothing() -> None:
    want: dict[str, Quote | None] = {YES_BID: restruct(BUY_YES, size=10**12)}
    assert net_cap(want, 0, 0, []) is want


# -- halts ---------------------------------------------------------------------------------------

P = RiskParams(stop_loss=5_000_000, take_profit=3_000_000, shock_pct=100_000, halt_ns=30 * S)


@pytest.mark.parametrize(
    ("name", "pos", "yes", "no", "pnl"),
    [
        ("flat: nothing to mark", Position(0, 0, 0, True), VIEW, VIEW, None),
        ("long 10 YES bought at 0.60, mid 0.50: -1", Position(10_000_000, 600_000, 0, True, 10_000_000), VIEW,
         VIEW, -1_000_000),
        ("both legs", Position(5_000_000, 400_000, 300_000, True, 10_000_000, 5_000_000), VIEW, VIEW,
         1_000_000 + 1_000_000),
        ("a leg whose book has an empty side is not marked",
         Position(10_000_000, 600_000, 0, True, 10_000_000),
         Top(0, 520_000), VIEW, None),
    ],
)
def test_unrealized_is_marked_to_mid(name: str, pos: Position, yes: Top, no: Top, pnl: int | None) -> None:
    assert unrealized(pos, yes, no) == pnl


@pytest.mark.parametrize(
    ("name", "halt", "jump", "pnl", "kind"),
    [
        ("nothing", None, 0, 0, None),
        ("loss exactly the stop: stop_loss", None, 0, -5_000_000, "stop_loss"),
        ("one micro short of the stop: nothing", None, 0, -4_999_999, None),
        ("no PnL (nothing marked): nothing", None, 0, None, None),
        ("jump exactly the shock pct: nothing (strictly above)", None, 100_000, 0, None),
        ("one micro above: shock_halt", None, 100_001, 0, "shock_halt"),
        ("profit exactly the take-profit: take_profit", None, 0, 3_000_000, "take_profit"),
        ("one micro short: nothing", None, 0, 2_999_999, None),
        ("stop-loss wins over a shock in the same decision", None, 200_000, -6_000_000, "stop_loss"),
        ("stop-loss takes over a shock halt", Halt("shock_halt", 0, 30 * S, False, ""), 0, -6_000_000,
         "stop_loss"),
        ("a stop-loss in force is not started again", Halt("stop_loss", 0, 0, True, ""), 0, -9_000_000, None),
        ("a shock during a shock halt restarts it", Halt("shock_halt", 0, 30 * S, False, ""), 200_000, 0,
         "shock_halt"),
        ("a shock during a stop-loss is ignored", Halt("stop_loss", 0, 0, True, ""), 200_000, 0, None),
        ("take-profit only when nothing is halted", Halt("shock_halt", 0, 30 * S, False, ""), 0, 4_000_000,
         None),
        ("an operator's halt: a stop-loss still flattens",
         Halt("manual_halt", 0, 0, False, ""), 0, -5_000_000,
         "stop_loss"),
    ],
)
def test_trigger(name: str, halt: Halt | None, jump: int, pnl: int | None, kind: str | None) -> None:
    new = trigger(P, halt, jump, pnl, 7 * S)
    assert (new.kind if new else None) == kind
    if new is not None:
        assert new.since == 7 * S
        assert new.until == {"stop_loss": 0, "shock_halt": 37 * S, "take_profit": 37 * S}[new.kind]
        assert new.flatten is (new.kind != "shock_halt")


def test_rules_that_are_off_never_fire() -> None:
    assert trigger(RiskParams(), None, 10**6, -10**12, 0) is None
    assert trigger(RiskParams(), None, 10**6, 10**12, 0) is None


@pytest.mark.parametrize(("until", "now", "over"), [(0, 10**18, False), (30 * S, 30 * S - 1, False),
                                                      (30 * S, 30 * S, True)])
def test_a_halt_ends_when_its_time_is_up_unless_it_needs_a_person(until: int, now: int, over: bool) -> None:
    assert expired(Halt("x", 0, until, False, ""), now) is over


def test_defaults_per_strategy_and_overrides() -> None:
    assert not DEFAULTS["pair_ofi"].halts_armed and not DEFAULTS["pair_ofi"].net_max
    assert DEFAULTS["neutral"] == RiskParams(reduce_only_threshold=3_000_000, net_max=50_000_000,
                                             stop_loss=5_000_000, shock_pct=100_000)
    p = resolve("pair_ofi", shock_pct=50_000, net_max=None)
    assert (p.shock_pct, p.net_max) == (50_000, 0)
    assert resolve("neutral", stop_loss=0).stop_loss == 0  # 0 turns a default rule off


# -- exits ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "pos", "leg", "size", "flat"),
    [
        ("long: sell YES, |net|", Position(12_000_000, 0, 0, True, 12_000_000), "yes", 12_000_000, False),
        ("pairs are not sold: only the excess",
         Position(7_000_000, 0, 0, True, 17_000_000, 10_000_000), "yes",
         7_000_000, False),
        ("short: sell NO", Position(-6_000_000, 0, 0, True, 0, 6_000_000), "no", 6_000_000, False),
        ("to 2 decimals", Position(5_555_555, 0, 0, True, 5_555_555), "yes", 5_550_000, False),
        ("below the minimum size: flat", Position(4_999_999, 0, 0, True, 4_999_999), "yes", 4_990_000, True),
        ("exactly the minimum: not flat",
         Position(5_000_000, 0, 0, True, 5_000_000), "yes", 5_000_000, False),
    ],
)
def test_heavy_leg_and_flat(name: str, pos: Position, leg: str, size: int, flat: bool) -> None:
    assert heavy_leg(pos) == (leg, size)
    assert is_flat(pos, M) is flat


LONG = Position(10_000_000, 600_000, 0, True, 10_000_000)


@pytest.mark.parametrize(
    ("name", "pos", "yes", "slots", "want"),
    [
        ("long: post-only SELL of YES at the best ask", LONG, VIEW, {},
         {EXIT_YES: Quote(520_000, 10_000_000, "yes", "SELL", 0), EXIT_NO: None}),
        ("the ask came down: follow it", LONG, Top(480_000, 500_000),
         {EXIT_YES: Slot("c", 520_000, 10_000_000, side="SELL", leg="yes")},
         {EXIT_YES: Quote(500_000, 10_000_000, "yes", "SELL", 0), EXIT_NO: None}),
        ("the ask went up: stay (follow it down only)", LONG, Top(480_000, 540_000),
         {EXIT_YES: Slot("c", 520_000, 10_000_000, side="SELL", leg="yes")},
         {EXIT_YES: Quote(520_000, 10_000_000, "yes", "SELL", 0), EXIT_NO: None}),
        ("no ask: one tick above the best bid", LONG, Top(480_000, 0), {},
         {EXIT_YES: Quote(490_000, 10_000_000, "yes", "SELL", 0), EXIT_NO: None}),
        ("never at or below the best bid", LONG, Top(500_000, 510_000),
         {EXIT_YES: Slot("c", 500_000, 10_000_000, side="SELL", leg="yes")},
         {EXIT_YES: Quote(510_000, 10_000_000, "yes", "SELL", 0), EXIT_NO: None}),
        ("flat: nothing rests", Position(0, 0, 0, True), VIEW, {}, {EXIT_NO: None, EXIT_YES: None}),
        ("no book: nothing rests", LONG, Top(0, 0), {}, {EXIT_YES: None, EXIT_NO: None}),
    ],
)
def test_maker_flatten(name: str, pos: Position, yes: Top, slots: dict[str, Slot],
                       want: dict[str, Quote | None]) -> None:
    assert maker_flatten(pos, yes, Top(0, 0), M, slots) == want


def test_maker_flatten_sells_no_on_its_own_book() -> None:
    short = Position(-8_000_000, 0, 450_000, True, 0, 8_000_000)
    assert maker_flatten(short, VIEW, Top(470_000, 530_000), M, {}) == {
        EXIT_NO: Quote(530_000, 8_000_000, "no", "SELL", 0), EXIT_YES: None}


BIDS = [(490_000, 4_000_000), (480_000, 6_000_000), (470_000, 100_000_000)]


@pytest.mark.parametrize(
    ("name", "bids", "size", "max_slip", "fill"),
    [
        ("enough at the best bid", BIDS, 4_000_000, 50_000, DepthFill(490_000, 4_000_000, 20_000, 490_000)),
        ("two levels", BIDS, 10_000_000, 50_000, DepthFill(484_000, 10_000_000, 32_000, 480_000)),
        ("cut at the slippage floor (0.475, up to the grid: 0.48)", BIDS, 20_000_000, 50_000,
         DepthFill(484_000, 10_000_000, 32_000, 480_000)),
        ("the floor exactly on a level: that level counts", BIDS, 20_000_000, 60_000,
         DepthFill(477_000, 20_000_000, 46_000, 470_000)),
        ("nothing within the cap (floor 0.495 -> 0.50)",
         BIDS, 5_000_000, 10_000, DepthFill(0, 0, 0, 500_000)),
        ("empty book", [], 5_000_000, 50_000, DepthFill(0, 0, 0, 480_000)),
    ],
)
def test_depth_walk(name: str, bids: list[tuple[int, int]], size: int, max_slip: int,
                    fill: DepthFill) -> None:
    assert depth_walk(bids, size, 500_000, max_slip, M.tick) == fill
