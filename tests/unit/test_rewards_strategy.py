"""Strategy ``rewards`` (seed-004 §2.3-§2.5, maker-only): bids on both tokens in the band, the safety
checks, exposure, the hedge SELL of every fill (the seed's layer, then one tick above), the retry queue,
stop-buys and the two-sided rule. Prices in each token's own terms, 1e-6 units."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from actors.coordinator.model import MarketSpec, Position, Quote, Slot, Top
from actors.coordinator.strategies.base import Inputs
from actors.coordinator.strategies.rewards import HedgeRetry, Rewards, RewardsParams, exposure
from schemas.units import NS

U = 1_000_000
MKT = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5 * U)
# YES: bids 0.49 .. 0.45 (60 shares each), ask 0.52; NO: bids 0.47 .. 0.43, ask 0.51 (one book)
YES_BIDS = tuple((490_000 - 10_000 * k, 60 * U) for k in range(5))
NO_BIDS = tuple((470_000 - 10_000 * k, 60 * U) for k in range(5))
FLAT = Position(0, 0, 0, True)
FOLLOW = 100  # a hedge follows the book: re-priced past the reprice threshold (dynamic_follow)
YES_TOP, NO_TOP = Top(490_000, 520_000), Top(470_000, 510_000)
THIN_BELOW = tuple((p, 5 * U) for p, _ in YES_BIDS[2:])
NO_BID_RESTING = {"no_bid": Slot("c", 460_000, 20 * U, side="BUY", leg="no")}


def inputs(pos: Position = FLAT, slots: Mapping[str, Slot] | None = None, now: int = 100 * NS,
           yes_bids: tuple[tuple[int, int], ...] = YES_BIDS, no_bids: tuple[tuple[int, int], ...] = NO_BIDS,
           yes: Top = YES_TOP, no: Top = NO_TOP, toxic: bool = False) -> Inputs:
    return Inputs(MKT, yes, no, yes, pos, toxic, slots or {}, 0, 0, 0, 0, False, now,
                  {"yes": yes_bids, "no": no_bids})


def strategy(**kw: object) -> Rewards:
    return Rewards(RewardsParams(**kw))  # type: ignore[arg-type]


def test_bids_on_both_tokens_inside_the_band() -> None:
    """§2.4.2: YES mid 0.505, band 3.5c: low edge 0.48 = the second-best bid 0.48; NO mid 0.49: 0.46."""
    d = strategy().decide(inputs())
    assert d.want["yes_bid"] == Quote(480_000, 20 * U, "yes", "BUY", keep_within=100)
    assert d.want["no_bid"] == Quote(460_000, 20 * U, "no", "BUY", keep_within=100)
    assert d.want["yes_hedge"] is None and d.want["no_hedge"] is None
    assert d.mode == "quoting" and d.requote_ns == NS // 2


@pytest.mark.parametrize(("case", "kw", "why"), [
    ("§2.4.2 one bid level: skip the token", {"yes_bids": ((490_000, 60 * U),)}, "yes: one bid level"),
    ("§6.3 protection: best two levels too thin", {"yes_bids": ((490_000, 5 * U), (480_000, 5 * U),
                                                                *YES_BIDS[2:])}, "yes: protection"),
    ("§6.2 price cliff below our bid", {"yes_bids": (*YES_BIDS[:2], (400_000, 500 * U), (390_000, 500 * U))},
     "yes: price cliff"),
    ("§6.2 only one level below our bid", {"yes_bids": (*YES_BIDS[:2], (470_000, 500 * U))},
     "yes: price cliff: 1"),
    ("§6.4 hedge depth within max_bid_gap", {"yes_bids": (*YES_BIDS[:2], *THIN_BELOW)},
     "yes: hedge depth"),
])
def test_each_safety_check_drops_the_tokens_bid_with_its_reason(case: str, kw: dict[str, object],
                                                                why: str) -> None:
    d = strategy().decide(inputs(**kw))  # type: ignore[arg-type]
    assert d.want["yes_bid"] is None and d.want["no_bid"] is not None, case
    assert why in d.reason, (case, d.reason)


def test_volatility_over_the_last_30_samples_stops_bids() -> None:
    """§6.5: one mid sample per sample_ns; a coefficient of variation over 0.03 stops the token's bid."""
    s = strategy(sample_ns=1)
    for k in range(30):
        s.decide(inputs(now=k + 1, yes=Top(300_000, 320_000) if k % 2 else Top(600_000, 620_000)))
    d = s.decide(inputs(now=100))
    assert d.want["yes_bid"] is None and "yes: volatility" in d.reason


def test_a_two_sided_market_bids_both_tokens_or_neither() -> None:
    """§2.2.3: mid <= 0.10: only both sides score, so one failing token cancels the other."""
    d = strategy(two_sided=True).decide(inputs(yes_bids=((490_000, 60 * U),)))
    assert d.want["yes_bid"] is None and d.want["no_bid"] is None and "two-sided" in d.reason


@pytest.mark.parametrize(("case", "slots", "pos", "cap", "yes_ok"), [
    ("§2.5 nothing resting or held: 0.48 × 20 = 9.6 <= 25", {}, FLAT, 25 * U, True),
    ("§2.5 the NO bid resting (9.2) + 9.6 <= 25", NO_BID_RESTING, FLAT, 25 * U, True),
    ("§2.5 ... but not under a cap of 18", NO_BID_RESTING, FLAT, 18 * U, False),
    ("§2.5 filled tokens count at cost until sold: 20 × 0.40 = 8 + 9.6 > 17", {},
     Position(20 * U, 400_000, 0, True, 20 * U, 0), 17 * U, False),
    ("§2.5 our own resting YES bid is not counted twice", {"yes_bid": Slot("c", 480_000, 20 * U)}, FLAT,
     10 * U, True),
])
def test_exposure_caps_new_buys(case: str, slots: dict[str, Slot], pos: Position, cap: int,
                                yes_ok: bool) -> None:
    d = strategy(max_exposure=cap).decide(inputs(pos=pos, slots=slots))
    assert (d.want["yes_bid"] is not None) is yes_ok, (case, d.reason)


def test_exposure_sums_resting_buys_and_held_cost() -> None:
    slots = {"yes_bid": Slot("a", 480_000, 20 * U), "no_hedge": Slot("b", 600_000, 10 * U, side="SELL")}
    assert exposure(slots, 10 * U, 500_000, 0, 0) == 9_600_000 + 5_000_000


@pytest.mark.parametrize(("case", "pos", "slot", "want"), [
    ("§2.3.5 a YES fill at 0.48: one tick above the layer 0.49, >= cost + margin: 0.50",
     Position(20 * U, 480_000, 0, True, 20 * U, 0), "yes_hedge",
     Quote(500_000, 20 * U, "yes", "SELL", FOLLOW)),
    ("§2.3 a partial NO fill of 7.5 shares is hedged too (at 0.48)",
     Position(-7_500_000, 0, 460_000, True, 0, 7_500_000), "no_hedge",
     Quote(480_000, 7_500_000, "no", "SELL", FOLLOW)),
    ("§2.3.5 a big position takes a deeper layer, never below cost + margin",
     Position(150 * U, 470_000, 0, True, 150 * U, 0), "yes_hedge",
     Quote(500_000, 150 * U, "yes", "SELL", FOLLOW)),
    ("below the market's minimum size: nothing to hedge", Position(3 * U, 480_000, 0, True, 3 * U, 0),
     "yes_hedge", None),
])
def test_every_fill_is_hedged_by_a_post_only_sell(case: str, pos: Position, slot: str,
                                                  want: Quote | None) -> None:
    assert strategy().decide(inputs(pos=pos)).want[slot] == want, case


def test_pair_hedge_bids_the_complement() -> None:
    """PM_REWARDS_HEDGE=pair: a YES fill at 0.48 is hedged by a NO bid at <= 1 - 0.48 - margin."""
    d = strategy(hedge="pair").decide(inputs(pos=Position(20 * U, 480_000, 0, True, 20 * U, 0)))
    assert d.want["yes_hedge"] == Quote(500_000, 20 * U, "no", "BUY")


def test_the_hedge_retry_queue_follows_the_seed() -> None:
    """§8.3: retried 1 s after a failure, ten times in a row, then a 30 s cooldown; a placement clears it."""
    q = HedgeRetry(NS, 10, 30 * NS)
    for k in range(9):
        q.failed("yes_hedge", k * NS)
        assert not q.allowed("yes_hedge", k * NS + NS - 1) and q.allowed("yes_hedge", k * NS + NS)
    q.failed("yes_hedge", 9 * NS)  # the tenth
    assert not q.allowed("yes_hedge", 9 * NS + 29 * NS) and q.allowed("yes_hedge", 9 * NS + 30 * NS)
    q.failed("yes_hedge", 40 * NS)
    q.placed("yes_hedge")
    assert q.allowed("yes_hedge", 40 * NS)


def test_a_hedge_held_back_by_the_retry_queue_is_left_as_it_is() -> None:
    s = strategy()
    pos = Position(20 * U, 480_000, 0, True, 20 * U, 0)
    s.on_failed("yes_hedge", 100 * NS)
    assert "yes_hedge" not in s.decide(inputs(pos=pos, now=100 * NS)).want
    assert s.decide(inputs(pos=pos, now=101 * NS)).want["yes_hedge"] is not None


def test_stop_buys_cancels_the_bids_and_keeps_the_hedges() -> None:
    s = strategy()
    s.stop_buys = True
    d = s.decide(inputs(pos=Position(20 * U, 480_000, 0, True, 20 * U, 0)))
    assert d.want["yes_bid"] is None and d.want["no_bid"] is None and d.want["yes_hedge"] is not None
    assert d.mode.startswith("stop_buys")


def test_bids_of_one_decision_count_against_the_cap_together() -> None:
    """§2.5: with nothing resting, the YES bid (9.6) and the NO bid (9.2) of the same decision are 18.8."""
    d = strategy(max_exposure=15 * U).decide(inputs())
    assert d.want["yes_bid"] is not None and d.want["no_bid"] is None and "no: exposure" in d.reason


def test_without_dynamic_follow_the_hedge_stays_where_it_was_placed() -> None:
    """§4.3 dynamic_follow_enabled false: the resting hedge is not re-priced as the book moves."""
    d = strategy(dynamic_follow=False).decide(inputs(pos=Position(20 * U, 480_000, 0, True, 20 * U, 0)))
    hedge = d.want["yes_hedge"]
    assert hedge is not None and hedge.keep_within == U


def test_leaving_the_selection_keeps_the_hedges_and_drops_the_bids() -> None:
    s = strategy()
    s.leaving = True
    d = s.decide(inputs(pos=Position(20 * U, 480_000, 0, True, 20 * U, 0)))
    assert d.want["yes_bid"] is None and d.want["no_bid"] is None and d.want["yes_hedge"] is not None
    assert d.mode.startswith("leaving")


def test_pair_hedges_only_the_unpaired_excess_and_merges_pairs() -> None:
    """PM_REWARDS_HEDGE=pair: 30 YES and 20 NO are 20 pairs (worth 1 each) and 10 YES to pair."""
    s = strategy(hedge="pair")
    d = s.decide(inputs(pos=Position(10 * U, 480_000, 460_000, True, 30 * U, 20 * U)))
    assert d.want["yes_hedge"] == Quote(500_000, 10 * U, "no", "BUY") and d.want["no_hedge"] is None
    assert s.merges_pairs and not strategy().merges_pairs


def test_a_mid_that_moved_under_010_makes_the_market_two_sided() -> None:
    """§2.2.3 on the live mid: YES at 0.08 needs both bids; one failing token cancels both."""
    yes_bids = ((70_000, 60 * U),)  # one bid level: the YES bid is skipped
    d = strategy().decide(inputs(yes=Top(70_000, 90_000), no=Top(910_000, 930_000), yes_bids=yes_bids,
                                 no_bids=tuple((910_000 - 10_000 * k, 60 * U) for k in range(5))))
    assert d.want["yes_bid"] is None and d.want["no_bid"] is None and "two-sided" in d.reason
