"""Catalogue: rotating up/down windows, shortened windows, resolution and redemption, ids."""

from __future__ import annotations

import pytest

from schemas.units import MICRO
from tests.support.venue_harness import ADDRESSES, NS, T0, Harness
from venue.config import VenueConfig
from venue.markets import Catalogue, market_ids, updown_question

START = 1_773_307_200  # 09:20:00 UTC, a 5m / 15m / 1h boundary (15m: 09:15 is the current one)


def test_windows_are_listed_ahead_and_created_as_time_passes() -> None:
    h = Harness()
    for k in range(4):
        assert h.ex.catalogue.slug(f"btc-updown-5m-{START + 300 * k}") is not None
        assert h.ex.catalogue.slug(f"eth-updown-5m-{START + 300 * k}") is not None
    assert h.ex.catalogue.slug(f"btc-updown-5m-{START + 1200}") is None
    assert h.ex.catalogue.slug(f"btc-updown-15m-{START - 300}") is not None  # 09:15, the current 15m window
    assert h.ex.catalogue.slug("btc-updown-1h-1773306000") is not None  # 09:00
    h.advance(300)
    assert h.ex.catalogue.slug(f"btc-updown-5m-{START + 1200}") is not None
    announced = [e.payload["slug"] for e in h.market_events("new_market")]
    assert f"btc-updown-5m-{START + 1200}" in announced
    assert all(e.custom and e.asset_ids == () for e in h.market_events("new_market"))


@pytest.mark.parametrize(("label", "now_s", "expected_starts"), [
    ("5m", START + 7, [START, START + 20, START + 40, START + 60]),
    ("15m", START + 35, [START + 20, START + 40, START + 60, START + 80]),
    ("1h", START + 59, [START + 40, START + 60, START + 80, START + 100]),
])
def test_shortened_windows_keep_their_label_and_align_starts_to_the_short_length(
    label: str, now_s: int, expected_starts: list[int]
) -> None:
    config = VenueConfig(flow=False, window_seconds=20, assets=("btc",), intervals=(label,))
    catalogue = Catalogue(config, seed=1)
    created = catalogue.bootstrap(now_s * NS)
    updown = [m for m in created if m.kind == "updown"]
    assert [m.slug for m in updown] == [f"btc-updown-{label}-{s}" for s in expected_starts]
    assert all(m.window_end_s - m.window_start_s == 20 for m in updown)


def test_a_window_closes_at_its_end_cancels_orders_and_resolves_from_the_spot_walk() -> None:
    h = Harness()
    market = h.market()
    h.place("alice", h.yes, "BUY", "0.4", "10", post_only=True)
    h.advance(1)
    h.ex.oracle.spot["btc"] *= 1.01  # the price ends above the window's start: Up wins
    h.advance(300 - 3)
    assert not market.closed
    h.advance(2)
    assert market.closed and not market.accepting_orders
    assert market.winner == 0
    [resolved] = [e.payload for e in h.market_events("market_resolved")
                  if e.payload["market"] == market.condition_id]
    assert (resolved["winning_asset_id"], resolved["winning_outcome"]) == (h.yes, "Up")
    [cancel] = [e for e in h.user("alice", "order") if e["type"] == "CANCELLATION"]
    assert cancel["status"] == "CANCELED_MARKET_RESOLVED"
    assert h.ex.ledger.reserved(ADDRESSES["alice"]) == 0


def test_down_wins_when_the_spot_ends_below_the_start() -> None:
    h = Harness()
    h.advance(1)
    h.ex.oracle.spot["btc"] *= 0.99
    h.advance(300)
    assert h.market().winner == 1


def test_accounts_keep_their_shares_of_a_resolved_market_until_they_redeem_them() -> None:
    h = Harness(VenueConfig(flow=False, mined_delay_ms=1_000, confirmed_delay_ms=1_000))
    h.place("bob", h.no, "BUY", "0.4", "10", post_only=True)
    h.place("alice", h.yes, "BUY", "0.6", "10")  # mint: alice 10 Up, bob 10 Down
    h.advance(1)
    h.ex.oracle.spot["btc"] *= 1.01
    alice, bob = h.cash("alice"), h.cash("bob")
    h.advance(300)
    assert h.market().winner == 0 and h.market().redeemed  # the venue's own payouts (none here) are done
    assert (h.cash("alice"), h.cash("bob")) == (alice, bob)  # nothing paid: accounts redeem themselves
    assert h.shares("alice", h.yes) == 10 * MICRO and h.shares("bob", h.no) == 10 * MICRO


def test_with_auto_redeem_accounts_winning_shares_are_paid_once_trades_are_final() -> None:
    h = Harness(VenueConfig(flow=False, mined_delay_ms=1_000, confirmed_delay_ms=1_000,
                            auto_redeem_accounts=True))
    h.place("bob", h.no, "BUY", "0.4", "10", post_only=True)
    h.place("alice", h.yes, "BUY", "0.6", "10")
    h.advance(1)
    h.ex.oracle.spot["btc"] *= 1.01
    alice, bob = h.cash("alice"), h.cash("bob")
    h.advance(300)
    assert h.market().redeemed
    assert h.cash("alice") - alice == 10 * MICRO
    assert h.cash("bob") == bob
    assert h.ex.positions(ADDRESSES["alice"]) == {} and h.ex.positions(ADDRESSES["bob"]) == {}


def test_a_market_an_account_still_holds_is_not_forgotten() -> None:
    h = Harness(VenueConfig(flow=False, retain_closed_s=60, mined_delay_ms=0, confirmed_delay_ms=0))
    market = h.market()
    h.grant("alice", market.token_ids[0], "5")
    h.advance(300 + 61 + 1)
    assert h.ex.catalogue.get(market.condition_id) is market
    h.ex.redeem(address=ADDRESSES["alice"], condition_id=market.condition_id)
    h.advance(1)
    assert h.ex.catalogue.get(market.condition_id) is None


def test_closed_markets_are_forgotten_after_the_retention_period() -> None:
    h = Harness(VenueConfig(flow=False, retain_closed_s=60, mined_delay_ms=0, confirmed_delay_ms=0))
    market = h.market()
    h.advance(300)
    assert h.ex.catalogue.get(market.condition_id) is market and market.closed
    h.advance(61)
    assert h.ex.catalogue.get(market.condition_id) is None
    assert h.ex.book(market.token_ids[0]) is None


def test_ids_are_deterministic_in_seed_and_slug() -> None:
    one = market_ids(7, "btc-updown-5m-1773307200", ("Up", "Down"))
    assert one == market_ids(7, "btc-updown-5m-1773307200", ("Up", "Down"))
    assert one != market_ids(8, "btc-updown-5m-1773307200", ("Up", "Down"))
    cid = str(one["condition_id"])
    assert cid.startswith("0x") and len(cid) == 66
    tokens = one["token_ids"]
    assert isinstance(tokens, tuple) and all(t.isdigit() and int(t) < 2**256 for t in tokens)
    a, b = Harness(seed=5), Harness(seed=5)
    assert [m.token_ids for m in a.ex.catalogue.all()] == [m.token_ids for m in b.ex.catalogue.all()]


def test_titles_use_eastern_time_like_the_venue() -> None:
    assert updown_question("btc", START, START + 300) == "Bitcoin Up or Down - March 12, 5:20AM-5:25AM ET"


def test_reward_markets_are_long_lived_and_carry_reward_settings() -> None:
    h = Harness(VenueConfig(flow=False, reward_markets=3, reward_daily_rate=250, reward_specs=()))
    rewards = h.ex.catalogue.reward_markets()
    assert [m.slug for m in rewards] == [f"venue-reward-market-{i}" for i in (1, 2, 3)]
    assert all(m.rewards_daily_rate == 250 and m.rewards_min_size == 50 for m in rewards)
    h.advance(3600, step=30)
    assert all(not m.closed for m in rewards)
    assert T0  # the harness clock starts at T0
