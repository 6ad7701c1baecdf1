"""Synthetic flow: depth around fair, fills near the touch, toxic sweeps of stale quotes; flow=off; oracle."""

from __future__ import annotations

import pytest

from schemas.units import ONE
from tests.support.venue_harness import NS, T0, Harness
from venue.config import VenueConfig
from venue.markets import Catalogue
from venue.oracle import Oracle


def _flowing(seed: int = 3, warmup_s: float = 10) -> Harness:
    h = Harness(VenueConfig(), seed=seed)
    h.advance(warmup_s, step=0.1)
    return h


def test_flow_off_serves_the_same_markets_with_empty_books() -> None:
    on, off = Harness(VenueConfig(), seed=3), Harness(VenueConfig(flow=False), seed=3)
    assert [m.slug for m in on.ex.catalogue.all()] == [m.slug for m in off.ex.catalogue.all()]
    off.advance(30)
    assert all(not book.bids.prices and not book.asks.prices for book in off.ex.engine.books.values())
    assert off.market_events("last_trade_price") == []


def test_makers_quote_every_open_market_around_fair_and_takers_trade() -> None:
    h = _flowing(warmup_s=30)
    for market in h.ex.catalogue.open_markets():
        book = h.ex.engine.books[market.condition_id]
        fair = h.ex.oracle.fair(market, h.now)
        assert book.bids.prices and book.asks.prices, market.slug
        assert book.bids.best() < book.asks.best()
        assert book.bids.best() - 6 * market.tick <= fair <= book.asks.best() + 6 * market.tick
    assert len(h.market_events("last_trade_price")) > 20
    # internal accounts get no user events and keep no trade history
    assert not any(key.startswith("flow-") for key in h.ex.engine.clearing.trades_by_key)


def test_flow_quotes_rest_on_both_tokens_so_mints_and_merges_happen() -> None:
    h = _flowing(warmup_s=60)
    book = h.ex.engine.books[h.market("venue-reward-market-1").condition_id]
    assert {order.is_yes for order in book.orders()} == {True, False}
    pending = h.ex.engine.clearing.trades.values()
    kinds = {(t.side, m.side) for t in pending for m in t.makers if m.asset_id != t.asset_id}
    assert kinds  # cross-token fills: (BUY, BUY) is a mint, (SELL, SELL) a merge
    assert kinds <= {("BUY", "BUY"), ("SELL", "SELL")}


@pytest.mark.parametrize("is_bid", [True, False])
def test_a_quote_at_the_touch_is_filled_within_a_minute(is_bid: bool) -> None:
    h = _flowing()
    market = h.market("venue-reward-market-1")
    book = h.ex.engine.books[market.condition_id]
    yes, no = market.token_ids
    if is_bid:
        reply = h.place("alice", yes, "BUY", _text(book.bids.best()), "10", post_only=True)
    else:
        reply = h.place("alice", no, "BUY", _text(ONE - book.asks.best()), "10", post_only=True)
    assert reply.status == 200
    for _ in range(600):
        h.advance(0.1, step=0.1)
        if h.user("alice", "trade"):
            break
    [first, *_] = h.user("alice", "trade")
    assert first["trader_side"] == "MAKER" and first["owner"].startswith("flow-")


def test_informed_takers_sweep_quotes_left_stale_by_a_fair_value_jump() -> None:
    h = _flowing(seed=4)
    market = h.market("btc-updown-1h-1773306000")
    book = h.ex.engine.books[market.condition_id]
    h.place("alice", market.token_ids[0], "BUY", _text(book.bids.best()), "20", post_only=True)
    h.ex.oracle.spot["btc"] *= 0.98  # fair P(up) collapses; alice's bid is now far above it
    h.advance(2, step=0.1)
    trades = h.user("alice", "trade")
    assert trades and trades[0]["owner"] == "flow-informed"


def test_fair_value_is_one_half_before_the_window_and_tracks_the_spot_after() -> None:
    config = VenueConfig(flow=False)
    catalogue = Catalogue(config, seed=1)
    markets = catalogue.bootstrap(T0)
    oracle = Oracle(config.flow_params, config.assets, rng=__import__("random").Random(1), now_ns=T0)
    oracle.advance(T0, markets)
    current = catalogue.slug("btc-updown-5m-1773307200")
    later = catalogue.slug("btc-updown-5m-1773307500")
    assert current is not None and later is not None
    assert oracle.fair(later, T0) == ONE // 2
    oracle.spot["btc"] *= 1.001
    assert oracle.fair(current, T0) > ONE // 2 and oracle.winner(current) == 0
    oracle.spot["btc"] *= 0.99
    assert oracle.fair(current, T0) < ONE // 2 and oracle.winner(current) == 1
    assert oracle.fair(current, (1_773_307_500 + 1) * NS) == 1_000  # past the end: decided


def _text(units: int) -> str:
    return f"{units / ONE:.2f}"
