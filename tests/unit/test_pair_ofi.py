"""Seed-000 §3-§6 as tables: every branch of the pair/OFI strategy."""

from __future__ import annotations

import pytest

from actors.coordinator.model import NO_BID, YES_BID, MarketSpec, Position, Quote, Top, clamp_price
from actors.coordinator.strategies.pair_ofi import PairParams, balanced_prices, decide, hedge_quote

M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)
FINE = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=1_000, min_size=5_000_000)
P = PairParams(pair_target=990_000, bid_size=2_000_000)
FLAT = Position(net_diff=0, yes_avg_cost=0, no_avg_cost=0, can_open=True)


def u(x: str) -> int:
    """'0.48' -> 480000"""
    from decimal import Decimal

    return int(Decimal(x) * 1_000_000)


@pytest.mark.parametrize(
    ("name", "yes", "no", "market", "expected"),
    [
        # §3.1 mids sum within target: bid the mids
        ("sum below target", ("0.40", "0.44"), ("0.52", "0.56"), M, ("0.42", "0.54")),
        ("sum equal target", ("0.44", "0.46"), ("0.53", "0.55"), M, ("0.45", "0.54")),
        # §3.1 sum above target: lower both equally until the sum is the target
        ("sum above target: each lowered by half the excess, floored to tick", ("0.49", "0.51"),
         ("0.49", "0.51"), M, ("0.49", "0.49")),
        ("fine tick exact", ("0.499", "0.501"), ("0.499", "0.501"), FINE, ("0.495", "0.495")),
        ("half-tick mids", ("0.50", "0.52"), ("0.47", "0.50"), FINE, ("0.507", "0.482")),
        # clamp to [0.001, 0.999] and the tick grid
        ("clamped low", ("0.001", "0.003"), ("0.95", "0.99"), FINE, ("0.002", "0.970")),
        # maker: never at or above the ask
        ("tight book stays below ask", ("0.50", "0.51"), ("0.48", "0.49"), M, ("0.50", "0.48")),
    ],
)
def test_balanced_pricing(name: str, yes: tuple[str, str], no: tuple[str, str], market: MarketSpec,
                          expected: tuple[str, str]) -> None:
    y, n = balanced_prices(P, market, Top(u(yes[0]), u(yes[1])), Top(u(no[0]), u(no[1])))
    assert (y, n) == (u(expected[0]), u(expected[1]))
    assert y + n <= P.pair_target
    assert y % market.tick == 0 and n % market.tick == 0


@pytest.mark.parametrize(
    ("name", "pos", "toxic", "yes", "no", "mode", "want"),
    [
        ("§3.3 kill: either side toxic cancels both", FLAT, True, Top(u("0.4"), u("0.44")),
         Top(u("0.52"), u("0.56")), "kill", {YES_BID: None, NO_BID: None}),
        ("kill wins over hedge", Position(10_000_000, u("0.5"), 0, True), True, Top(u("0.4"), u("0.44")),
         Top(u("0.52"), u("0.56")), "kill", {YES_BID: None, NO_BID: None}),
        ("book not usable: hold (no change)", FLAT, False, Top(0, u("0.44")), Top(u("0.52"), u("0.56")),
         "hold", {}),
        ("crossed book not usable", FLAT, False, Top(u("0.45"), u("0.44")), Top(u("0.52"), u("0.56")),
         "hold", {}),
        ("§3.1 balanced quotes both legs at max(bid_size, min size)", FLAT, False, Top(u("0.4"), u("0.44")),
         Top(u("0.52"), u("0.56")), "balanced",
         {YES_BID: Quote(u("0.42"), 5_000_000), NO_BID: Quote(u("0.54"), 5_000_000, "no")}),
        ("§4 !can_open with net≈0 cancels both provide orders",
         Position(0, u("0.4"), u("0.5"), False), False, Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")),
         "blocked", {YES_BID: None, NO_BID: None}),
        ("net below min size counts as ≈0", Position(3_000_000, u("0.4"), 0, True), False,
         Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")), "balanced",
         {YES_BID: Quote(u("0.42"), 5_000_000), NO_BID: Quote(u("0.54"), 5_000_000, "no")}),
        ("§3.2 net>0: cancel YES, bid NO at min(target - yes_avg, no_ask - tick)",
         Position(6_000_000, u("0.42"), 0, True), False, Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")),
         "hedge", {YES_BID: None, NO_BID: Quote(u("0.55"), 6_000_000, "no")}),
        ("§3.2 net>0 ceiling binds", Position(6_000_000, u("0.47"), 0, True), False,
         Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")),
         "hedge", {YES_BID: None, NO_BID: Quote(u("0.52"), 6_000_000, "no")}),
        ("§3.2 net<0 symmetric", Position(-7_500_000, 0, u("0.50"), True), False,
         Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")),
         "hedge", {NO_BID: None, YES_BID: Quote(u("0.43"), 7_500_000)}),
        ("§4 !can_open net>0 keeps the NO hedge, cancels YES", Position(12_000_000, u("0.42"), 0, False),
         False, Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")),
         "hedge", {YES_BID: None, NO_BID: Quote(u("0.55"), 12_000_000, "no")}),
        ("§4 !can_open net<0 keeps the YES hedge, cancels NO", Position(-12_000_000, 0, u("0.5"), False),
         False, Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")),
         "hedge", {NO_BID: None, YES_BID: Quote(u("0.43"), 12_000_000)}),
        ("no profitable hedge: rest nothing on the missing leg", Position(6_000_000, u("0.99"), 0, True),
         False, Top(u("0.4"), u("0.44")), Top(u("0.52"), u("0.56")), "hedge", {YES_BID: None, NO_BID: None}),
    ],
)
def test_decide_every_branch(name: str, pos: Position, toxic: bool, yes: Top, no: Top, mode: str,
                             want: dict[str, Quote | None]) -> None:
    decision = decide(P, M, yes, no, pos, toxic)
    assert decision.mode == mode
    assert decision.want == want


def test_hedge_size_rounds_to_cents_and_meets_minimum() -> None:
    q = hedge_quote(P, M, u("0.4"), Top(u("0.5"), u("0.6")), 5_123_456)
    assert q is not None and q.size == 5_120_000
    q = hedge_quote(P, M, u("0.4"), Top(u("0.5"), u("0.6")), 5_000_000)
    assert q is not None and q.size == 5_000_000


def test_hedge_without_an_ask_uses_the_ceiling() -> None:
    q = hedge_quote(P, M, u("0.40"), Top(u("0.5"), 0), 6_000_000)
    assert q == Quote(u("0.59"), 6_000_000)


@pytest.mark.parametrize(("price", "tick", "out"), [(0, 10_000, 10_000), (999_999, 10_000, 990_000),
                                                    (999_999, 1_000, 999_000), (500, 1_000, 1_000),
                                                    (123_456, 1_000, 123_000)])
def test_clamp_price(price: int, tick: int, out: int) -> None:
    assert clamp_price(price, tick) == out
