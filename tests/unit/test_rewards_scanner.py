"""The rewards scanner's core (actors/rewards/core.py): seed-004 §3.1's filters in order, §2.2.2's ratio,
the $/day estimate (PROTOCOL §8.2) and the published selection."""

from __future__ import annotations

import msgspec
import pytest

from actors.rewards.config import RewardsConfig
from actors.rewards.core import Candidate, Scanner, TokenBook, estimate, reward_ratio, two_sided
from bus.config import load
from bus.effects import Effects
from schemas import RewardMarket
from schemas.units import NS

M = 1_000_000
NOW = 1_800_000_000 * NS
DAY = 86_400 * NS


def levels(*pairs: tuple[float, float]) -> tuple[tuple[int, int], ...]:
    return tuple((round(p * M), round(s * M)) for p, s in pairs)


def books(mid: float, name: str = "m") -> tuple[TokenBook, TokenBook]:
    """A deep book around ``mid`` (tick 0.01): five bid and ask levels of 60 shares each."""
    bids = levels(*((mid - 0.02 - 0.01 * k, 60) for k in range(5)))
    asks = levels(*((mid + 0.02 + 0.01 * k, 60) for k in range(5)))
    no_bids = tuple((M - p, s) for p, s in asks)
    no_asks = tuple((M - p, s) for p, s in bids)
    return TokenBook(f"{name}-yes", bids, asks), TokenBook(f"{name}-no", no_bids, no_asks)


def cand(name: str = "m", mid: float = 0.5, **kw: object) -> Candidate:
    yes, no = books(mid, name)
    base: dict[str, object] = dict(market=f"0x{name}", slug=name, question=f"Will {name} happen?", yes=yes,
                                   no=no, tick=10_000, market_min=5 * M, min_size=20 * M, max_spread=35_000,
                                   daily_rate=50 * M, volume_24h=1000 * M, end_ns=NOW + 90 * DAY)
    base.update(kw)
    return Candidate(**base)  # type: ignore[arg-type]


def cfg(**env: str) -> RewardsConfig:
    return load(RewardsConfig, environ=env, dotenv=None)


def test_every_seed_parameter_has_the_seeds_default() -> None:
    """Seed-004 §4.1-§4.5 defaults."""
    c = cfg()
    assert (c.size_mult, c.max_exposure, c.max_markets, c.min_reward_ratio, c.min_profit_margin_bps) == (
        M, 25 * M, 10, 0, 5)
    assert (c.price_cliff, c.protection_mult, c.hedge_mult) == (50_000, M, 5 * M)
    assert (c.max_bid_gap, c.stop_loss_pct, c.take_profit_pct, c.dynamic_follow) == (50_000, 100_000, 100_000,
                                                                                      True)
    assert (c.spread_min, c.spread_max, c.volume_min, c.volume_max) == (None, 50_000, None, None)
    assert (c.min_size_min, c.min_size_max, c.rate_min, c.rate_max) == (None, 20 * M, 5 * M, None)
    assert (c.min_days_until_end, c.blacklist_words, c.rescan_s) == (7, ("trump",), 1200)
    assert (c.check_s, c.reprice_s, c.reprice_threshold, c.volatility_max) == (500_000, 500_000, 100, 30_000)


@pytest.mark.parametrize(("case", "kw", "env", "why"), [
    ("§3.1.2 blacklist, any case", {"question": "Will TRUMP win?"}, {}, "1 blacklist"),
    ("§3.1.2 blacklist as a comma list", {"question": "Will the Fed cut?"},
     {"PM_REWARDS_QUESTION_BLACKLIST": "Trump, fed"}, "1 blacklist"),
    ("§3.1.3 24 h volume under the minimum", {"volume_24h": 10 * M}, {"PM_REWARDS_VOLUME_24HR_MIN": "100"},
     "2 volume_24h"),
    ("§3.1.4 rewards_min_size above 20", {"min_size": 50 * M}, {}, "3 rewards_min_size"),
    ("§3.1.5 a book is missing", {"no": TokenBook("m-no", (), ())}, {}, "4 no book"),
    ("§3.1.6 spread over 0.05", {"yes": TokenBook("m-yes", levels((0.45, 60), (0.44, 60)),
                                                  levels((0.56, 60)))}, {}, "5 spread"),
    ("§3.1.7 fewer than 7 days left", {"end_ns": NOW + 3 * DAY}, {}, "6 days_until_end"),
    ("§3.1.8 daily rate under 5", {"daily_rate": 2 * M}, {}, "7 rate_per_day"),
    ("§3.1.9 reward ratio under the minimum", {}, {"PM_REWARDS_MIN_REWARD_RATIO": "1000"}, "8 reward_ratio"),
    ("§3.1.10 safety: a thin book fails protection on both tokens",
     {"yes": TokenBook("m-yes", levels((0.48, 5), (0.47, 5), (0.46, 500)), levels((0.52, 5))),
      "no": TokenBook("m-no", levels((0.48, 5), (0.47, 5), (0.46, 500)), levels((0.52, 5)))}, {}, "9 safety"),
])
def test_each_filter_in_the_seeds_order(case: str, kw: dict[str, object], env: dict[str, str],
                                        why: str) -> None:
    fx = Effects()
    assert Scanner(cfg(**env)).rank([cand(**kw)], NOW, fx) == [], case
    [fields] = [f for _, e, f in fx.notes if e == "market_rejected"]
    assert str(fields["why"]).startswith(why), (case, fields)


def test_a_two_sided_market_needs_every_token_to_pass() -> None:
    """§3.1 / §2.2.3: a mid <= 0.10 needs both tokens safe; a mid of 0.5 needs one."""
    thin = TokenBook("x-no", levels((0.94, 1), (0.93, 1), (0.92, 1)), levels((0.96, 1)))
    low = cand("x", mid=0.05, no=thin)
    assert two_sided(low)
    assert Scanner(cfg()).rank([low], NOW, Effects()) == []
    thin_no = TokenBook("y-no", levels((0.49, 1), (0.48, 1), (0.47, 1)), levels((0.51, 1)))
    even = cand("y", mid=0.5, no=thin_no)
    assert not two_sided(even)
    [ranked] = Scanner(cfg()).rank([even], NOW, Effects())
    assert ranked.two_sided is False


def test_reward_ratio_is_the_seeds_formula() -> None:
    """§2.2.2: ours = 20 × 1.0 × 2 = 40; book = 60 + 60 + 60 + 60 = 240; ratio = 40 × 2 / 240 × 50 = 16.67."""
    assert reward_ratio(cand(), M) == 16_666_666


def test_ranking_by_ratio_then_estimate_and_the_top_n_published() -> None:
    scanner = Scanner(cfg(PM_REWARDS_MAX_MARKETS="2"))
    markets = [cand("a", daily_rate=20 * M), cand("b", daily_rate=60 * M), cand("c", daily_rate=40 * M)]
    fx = Effects()
    top = scanner.scan(markets, NOW, fx)
    assert [(m.slug, m.rank, m.selected) for m in top] == [("b", 1, 2), ("c", 2, 2)]
    assert all(m.est_daily > 0 and m.order_size == 20 * M and m.ts == NOW for m in top)
    published = [msg for _, msg in fx.publishes]
    assert published == top and all(isinstance(m, RewardMarket) for m in published)
    again = Effects()
    scanner.publish(again)  # late joiners: the same list again
    assert [msg for _, msg in again.publishes] == top  # type: ignore[attr-defined]


def test_the_estimate_is_our_q_min_share_of_the_pool() -> None:
    """PROTOCOL §8.2: we alone in the book earn the whole pool; against a book of equals, a part."""
    c = cand(yes=TokenBook("m-yes", levels((0.49, 1), (0.48, 1)), levels((0.51, 1))))
    assert estimate(c, {"yes": 480_000, "no": 480_000}, 20 * M) == 50 * M  # book orders below min size
    crowded = cand()
    got = estimate(crowded, {"yes": 480_000, "no": 480_000}, 20 * M)
    assert 0 < got < 50 * M


def test_volatile_mids_fail_the_safety_check() -> None:
    """§6.5: the mids sampled by earlier scans and book polls feed the volatility check."""
    scanner = Scanner(cfg())
    for k in range(30):
        yes, no = books(0.4 if k % 2 else 0.6)
        scanner.sample([yes, no])
    assert scanner.rank([cand()], NOW, Effects()) == []
    assert msgspec.structs.replace(cfg(PM_REWARDS_VOLATILITY_CHECK="false")).volatility_check is False


def test_scoring_is_published_per_selected_market() -> None:
    """Issue #16 §4: a tap-visible RewardScoring per selected market, with the scan's $/day estimate."""
    scanner = Scanner(cfg())
    scanner.scan([cand("a"), cand("b")], NOW, Effects())
    fx = Effects()
    scanner.on_scoring({"0xa": {"o1": True, "o2": False}}, NOW + 1, fx)
    got = {m.slug: m for _, m in fx.publishes}
    assert got["a"].orders == {"o1": True, "o2": False} and got["a"].scoring == 1  # type: ignore[attr-defined]
    assert got["b"].orders == {} and got["b"].est_daily > 0  # type: ignore[attr-defined]


def test_books_are_polled_for_the_best_three_per_selected_market() -> None:
    """Between scans only the best (by ratio) 3 × PM_REWARDS_MAX_MARKETS markets' books are polled."""
    scanner = Scanner(cfg(PM_REWARDS_MAX_MARKETS="1"))
    scanner.rank([cand(f"m{k}", daily_rate=(10 + k) * M) for k in range(5)], NOW, Effects())
    assert [c.slug for c in scanner.tracked] == ["m4", "m3", "m2"]
