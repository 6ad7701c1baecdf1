"""Strategy ``neutral`` (seed-003 §3 for binary tokens) as tables: the dynamic spread, skew, pennying,
widening after post-only rejections, the static + dynamic split, which token and side each quote is,
and the re-quote interval. Prices in YES terms unless said otherwise; 1e-6 units."""

from __future__ import annotations

from dataclasses import replace

import pytest
from msgspec.structs import replace as restruct

from actors.coordinator.model import (
    YES_ASK,
    YES_ASK_STATIC,
    YES_BID,
    YES_BID_STATIC,
    MarketSpec,
    Position,
    Quote,
    Top,
    yes_view,
)
from actors.coordinator.strategies.base import Inputs
from actors.coordinator.strategies.neutral import (
    Neutral,
    NeutralParams,
    Spread,
    dynamic_spread,
    prices,
    side_quotes,
    split_sizes,
)
from schemas.units import MS

M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)
P = NeutralParams()
NET_MAX = 50_000_000
KEEP = 3 * 10_000  # static_ticks 3 x tick


def u(x: str) -> int:
    from decimal import Decimal

    return int(Decimal(x) * 1_000_000)


def mirror(yes: Top) -> Top:
    """The NO token's top of the same book."""
    return Top(1_000_000 - yes.ask if yes.ask else 0, 1_000_000 - yes.bid if yes.bid else 0)


@pytest.mark.parametrize(
    ("name", "vol", "net", "expected"),
    [
        ("calm and flat: the base spread", 0, 0, Spread(20_000, 0, 0, 0)),
        ("volatility 0.06 x k 5 = factor 0.3", 60_000, 0, Spread(26_000, 300_000, 0, 0)),
        ("volatility factor capped at vol_factor_max", 1_000_000, 0, Spread(60_000, 2_000_000, 0, 0)),
        ("half of net_max long: inv factor 0.5, center down",
         0, 25_000_000, Spread(30_000, 0, 500_000, 7_500)),
        ("half of net_max short: center up", 0, -25_000_000, Spread(30_000, 0, 500_000, -7_500)),
        ("at net_max: factor 1, shift half the spread", 0, 50_000_000, Spread(40_000, 0, 1_000_000, 20_000)),
        ("beyond net_max: as at net_max", 0, 80_000_000, Spread(40_000, 0, 1_000_000, 20_000)),
        ("both factors add", 60_000, 25_000_000, Spread(36_000, 300_000, 500_000, 9_000)),
    ],
)
def test_dynamic_spread(name: str, vol: int, net: int, expected: Spread) -> None:
    assert dynamic_spread(P, vol, net, NET_MAX) == expected


def test_no_net_max_means_no_inventory_factor() -> None:
    assert dynamic_spread(P, 0, 25_000_000, 0) == Spread(20_000, 0, 0, 0)


@pytest.mark.parametrize(
    ("name", "params", "book", "net", "widen", "expected"),
    [
        ("calm, flat, tight book: mid -/+ half the spread", P, ("0.49", "0.51"), 0, (0, 0),
         ("0.49", "0.51", False)),
        ("half-tick mid: outward to the grid", P, ("0.49", "0.52"), 0, (0, 0), ("0.49", "0.52", True)),
        ("skewed long: both quotes move down",
         P, ("0.49", "0.51"), 25_000_000, (0, 0), ("0.47", "0.51", False)),
        ("at net_max long: the ask reaches the mid", P, ("0.49", "0.51"), 50_000_000, (0, 0),
         ("0.46", "0.50", False)),
        ("at net_max short: the bid reaches the mid", P, ("0.49", "0.51"), -50_000_000, (0, 0),
         ("0.50", "0.54", False)),
        ("the ask never at or below the best bid (post-only)", replace(P, skew=1_000_000), ("0.50", "0.52"),
         50_000_000, (0, 0), ("0.45", "0.51", False)),
        ("two bid rejections: the bid two ticks lower",
         P, ("0.49", "0.51"), 0, (2, 0), ("0.47", "0.51", False)),
        ("one ask rejection: the ask one tick higher",
         P, ("0.49", "0.51"), 0, (0, 1), ("0.49", "0.52", False)),
        ("pennying at exactly penny_min_ticks: one tick inside each best", replace(P, penny_min_ticks=20),
         ("0.40", "0.60"), 0, (0, 0), ("0.41", "0.59", True)),
        ("one tick narrower than penny_min_ticks: the normal spread", replace(P, penny_min_ticks=20),
         ("0.41", "0.60"), 0, (0, 0), ("0.49", "0.52", False)),
        ("pennying off (0)",
         replace(P, penny_min_ticks=0), ("0.40", "0.60"), 0, (0, 0), ("0.49", "0.51", False)),
        ("pennying shifted by the skew", replace(P, penny_min_ticks=20), ("0.40", "0.60"), 50_000_000, (0, 0),
         ("0.39", "0.57", True)),
        ("pennying never tighter than the dynamic spread asks",
         replace(P, penny_min_ticks=5, base_spread=120_000),
         ("0.45", "0.55"), 0, (0, 0), ("0.44", "0.56", True)),
        ("widening applies to a pennied quote too",
         replace(P, penny_min_ticks=20), ("0.40", "0.60"), 0, (1, 2),
         ("0.40", "0.61", True)),
        ("a bid below the lowest price: not quoted",
         P, ("0.01", "0.03"), 50_000_000, (0, 0), ("0", "0.02", False)),
        ("an ask above the highest price: not quoted", P, ("0.97", "0.99"), -50_000_000, (0, 0),
         ("0.98", "0", False)),
    ],
)
def test_prices(name: str, params: NeutralParams, book: tuple[str, str], net: int, widen: tuple[int, int],
                expected: tuple[str, str, bool]) -> None:
    view = Top(u(book[0]), u(book[1]))
    s = dynamic_spread(params, 0, net, NET_MAX)
    bid, ask, pennied = prices(params, M, view, s, *widen)
    assert (bid, ask, pennied) == (u(expected[0]), u(expected[1]), expected[2])
    if bid and ask:
        assert bid < ask and bid < view.ask and ask > view.bid  # never crossing, never touching ourselves
        assert bid % M.tick == 0 and ask % M.tick == 0


@pytest.mark.parametrize(
    ("name", "base", "fraction", "expected"),
    [
        ("half of 10: 5 rest, 5 re-quote", 10_000_000, 500_000, (5_000_000, 5_000_000)),
        ("no static part", 10_000_000, 0, (10_000_000, 0)),
        ("a part below the minimum size merges into the other", 8_000_000, 500_000, (8_000_000, 0)),
        ("base below the minimum size is raised to it", 3_000_000, 500_000, (5_000_000, 0)),
        ("static sizes on the 2-decimal grid", 17_000_000, 333_333, (11_340_000, 5_660_000)),
        ("dynamic part below the minimum: all dynamic", 12_000_000, 700_000, (12_000_000, 0)),
    ],
)
def test_split_sizes(name: str, base: int, fraction: int, expected: tuple[int, int]) -> None:
    assert split_sizes(replace(P, base_size=base, static_fraction=fraction), M) == expected


@pytest.mark.parametrize(
    ("name", "price", "side", "held", "expected"),
    [
        ("bid, no NO held: BUY YES", u("0.49"), "bid", 0,
         (Quote(u("0.49"), 5_000_000), Quote(u("0.49"), 5_000_000, "yes", "BUY", KEEP))),
        ("ask, no YES held: BUY NO at 1 - ask", u("0.51"), "ask", 0,
         (Quote(u("0.49"), 5_000_000, "no"), Quote(u("0.49"), 5_000_000, "no", "BUY", KEEP))),
        ("ask, YES held: SELL YES at the ask, both parts", u("0.51"), "ask", 12_000_000,
         (Quote(u("0.51"), 5_000_000, "yes", "SELL"), Quote(u("0.51"), 5_000_000, "yes", "SELL", KEEP))),
        ("bid, NO held (the short): SELL NO at 1 - bid", u("0.49"), "bid", 10_000_000,
         (Quote(u("0.51"), 5_000_000, "no", "SELL"), Quote(u("0.51"), 5_000_000, "no", "SELL", KEEP))),
        ("sales never exceed what is held: the static part goes", u("0.51"), "ask", 7_000_000,
         (Quote(u("0.51"), 5_000_000, "yes", "SELL"), None)),
        ("held exactly the minimum: sold", u("0.51"), "ask", 5_000_000,
         (Quote(u("0.51"), 5_000_000, "yes", "SELL"), None)),
        ("held below the minimum: buy the other token instead", u("0.51"), "ask", 4_990_000,
         (Quote(u("0.49"), 5_000_000, "no"), Quote(u("0.49"), 5_000_000, "no", "BUY", KEEP))),
        ("no price: nothing", 0, "bid", 0, (None, None)),
    ],
)
def test_side_quotes(name: str, price: int, side: str, held: int,
                     expected: tuple[Quote | None, Quote | None]) -> None:
    assert side_quotes(price, side, held, (5_000_000, 5_000_000), M, KEEP) == expected


def inputs(yes: Top, pos: Position | None = None, toxic: bool = False, vol: int = 0,
           widen: tuple[int, int] = (0, 0)) -> Inputs:
    no = mirror(yes)
    return Inputs(M, yes, no, yes_view(yes, no), pos or Position(0, 0, 0, True), toxic, {}, vol, *widen,
                  NET_MAX, False, 0)


def test_flat_and_calm_quotes_both_sides_static_and_dynamic() -> None:
    d = Neutral().decide(inputs(Top(u("0.49"), u("0.51"))))
    assert d.mode == "quoting"
    assert d.want == {YES_BID: Quote(u("0.49"), 5_000_000), YES_ASK: Quote(u("0.49"), 5_000_000, "no"),
                      YES_BID_STATIC: Quote(u("0.49"), 5_000_000, "yes", "BUY", KEEP),
                      YES_ASK_STATIC: Quote(u("0.49"), 5_000_000, "no", "BUY", KEEP)}
    assert (d.spread, d.requote_ns) == (20_000, 250 * MS)


def test_holding_yes_sells_it_at_the_ask_and_keeps_bidding() -> None:
    pos = Position(10_000_000, u("0.45"), 0, True, yes_qty=10_000_000)
    d = Neutral().decide(inputs(Top(u("0.49"), u("0.51")), pos))
    assert d.want[YES_ASK] == Quote(u("0.51"), 5_000_000, "yes", "SELL")
    assert d.want[YES_ASK_STATIC] == Quote(u("0.51"), 5_000_000, "yes", "SELL", KEEP)
    assert d.want[YES_BID] == Quote(u("0.48"), 5_000_000)  # skewed down by the position


@pytest.mark.parametrize(("vol", "requote_ms"), [(0, 250), (60_000, 325), (1_000_000, 750)])
def test_requote_interval_slows_when_volatile(vol: int, requote_ms: int) -> None:
    d = Neutral().decide(inputs(Top(u("0.49"), u("0.51")), vol=vol))
    assert d.requote_ns == requote_ms * MS
    assert d.volatility == vol


def test_toxic_flow_cancels_every_quote() -> None:
    d = Neutral().decide(inputs(Top(u("0.49"), u("0.51")), toxic=True))
    assert d.mode == "kill" and d.want == dict.fromkeys((YES_BID, YES_ASK, YES_BID_STATIC, YES_ASK_STATIC))


def test_a_one_sided_book_holds_what_rests() -> None:
    no = Top(0, 0)
    i = restruct(inputs(Top(u("0.49"), 0)), no=no, view=yes_view(Top(u("0.49"), 0), no))
    d = Neutral().decide(i)
    assert d.mode == "hold" and d.want == {}


@pytest.mark.parametrize(
    ("name", "pos", "kept"),
    [
        ("flat: every quote would open", Position(0, 0, 0, False), set()),
        ("long YES: only the sales of YES", Position(10_000_000, u("0.4"), 0, False, yes_qty=10_000_000),
         {YES_ASK, YES_ASK_STATIC}),
        ("short (NO held): only the sales of NO",
         Position(-10_000_000, 0, u("0.4"), False, no_qty=10_000_000),
         {YES_BID, YES_BID_STATIC}),
    ],
)
def test_can_open_false_keeps_only_what_reduces(name: str, pos: Position, kept: set[str]) -> None:
    d = Neutral().decide(inputs(Top(u("0.49"), u("0.51")), pos))
    assert {slot for slot, q in d.want.items() if q is not None} == kept


def test_rejections_widen_only_their_side() -> None:
    d = Neutral().decide(inputs(Top(u("0.49"), u("0.51")), widen=(0, 2)))
    assert d.want[YES_BID] == Quote(u("0.49"), 5_000_000)
    assert d.want[YES_ASK] == Quote(u("0.47"), 5_000_000, "no")  # BUY NO at 1 - 0.53
