"""Scripted fair values (venue/fair_script.py): paths from the config file, runtime pins, which market a
name means, the makers re-quoting at once around a scripted value, and a scripted window's winner."""

from __future__ import annotations

import msgspec
import pytest

from schemas.units import ONE
from tests.support.venue_harness import NS, T0, Harness
from venue.config import FairPoint, FlowConfig, VenueConfig, config_from_dict
from venue.fair_script import FairScript, compile_path, find_market, on_path, series
from venue.markets import Market

WINDOW = 1_773_307_200  # the 5m window T0 is one second into
SLUG = f"btc-updown-5m-{WINDOW}"
QUIET = FlowConfig(noise_rate_per_min=0.0, informed_prob=0.0)  # makers only: the book's mid is the fair


def path(*points: tuple[float, float]) -> tuple[FairPoint, ...]:
    return tuple(FairPoint(t=t, yes=yes) for t, yes in points)


STEP_THEN_RAMP = compile_path(path((10, 0.3), (60, 0.3), (60, 0.8), (120, 0.8), (180, 0.2)))


@pytest.mark.parametrize(("seconds", "fair"), [
    (0, 300_000),  # before the first point: its value
    (10, 300_000),
    (59.999, 300_000),
    (60, 800_000),  # two points at one t: a step
    (90, 800_000),
    (150, 500_000),  # half way down the ramp 0.8 -> 0.2
    (165, 350_000),
    (180, 200_000),
    (10_000, 200_000),  # after the last point: its value
])
def test_a_path_is_linear_between_points_and_flat_outside_them(seconds: float, fair: int) -> None:
    assert on_path(STEP_THEN_RAMP, round(seconds * NS)) == fair


def test_paths_are_read_from_the_config_file_with_exact_prices() -> None:
    config = config_from_dict({"flow_params": {"fair_paths": {
        "btc-updown-5m": [{"t": 0, "yes": 0.25}, {"t": 30.5, "yes": "0.75"}]}}})
    [first, second] = config.flow_params.fair_paths["btc-updown-5m"]
    assert (first.t, first.yes_units, second.t, second.yes_units) == (0, 250_000, 30.5, 750_000)


@pytest.mark.parametrize(("paths", "names"), [
    ({"m": [{"t": 0, "yes": 1.2}]}, "within"),
    ({"m": [{"t": 0, "yes": 0.0}]}, "within"),
    ({"m": [{"t": 0, "yes": 0.1234567}]}, "6 decimal"),
    ({"m": [{"t": -1, "yes": 0.5}]}, "t must be"),
    ({"m": [{"t": 5, "yes": 0.5}, {"t": 4, "yes": 0.5}]}, "must not decrease"),
    ({"m": []}, "at least one point"),
    ({"m": [{"t": 0, "yes": 0.5, "extra": 1}]}, "extra"),
    ({"m": [{"t": 0, "yes": True}]}, "yes"),
])
def test_a_bad_path_names_what_is_wrong(paths: dict[str, object], names: str) -> None:
    with pytest.raises(msgspec.ValidationError, match=names):
        config_from_dict({"flow_params": {"fair_paths": paths}})


def test_a_name_means_a_condition_id_slug_token_or_the_series_window_in_progress() -> None:
    h = Harness(VenueConfig(flow=False))
    market = h.market(SLUG)
    catalogue = h.ex.catalogue
    for key in (market.condition_id, SLUG, market.token_ids[1], "btc-updown-5m"):
        assert find_market(catalogue, key, T0) is market, key
    following = h.market(f"btc-updown-5m-{WINDOW + 300}")
    assert find_market(catalogue, "btc-updown-5m", (WINDOW + 300) * NS) is following
    assert find_market(catalogue, "btc-updown-2m", T0) is None
    assert series(market) == "btc-updown-5m" and series(h.market("venue-reward-market-1")) == ""


def test_a_pin_wins_over_a_path_until_it_is_cleared() -> None:
    h = Harness(VenueConfig(flow=False))
    market = h.market(SLUG)
    script = FairScript({"btc-updown-5m": path((0, 0.4))})
    assert script.fair(market, T0) == 400_000 and script.source(market.condition_id) == "path"
    script.pin(market.condition_id, 900_000)
    assert script.fair(market, T0) == 900_000 and script.source(market.condition_id) == "pin"
    script.pin(market.condition_id, None)
    assert script.fair(market, T0) == 400_000
    other: Market = h.market("venue-reward-market-1")
    assert script.fair(other, T0) is None and script.source(other.condition_id) == ""


def _touch(h: Harness, market: Market) -> tuple[int, int]:
    book = h.ex.engine.books[market.condition_id]
    best_bid, best_ask = book.bids.best(), book.asks.best()
    assert best_bid is not None and best_ask is not None
    return best_bid, best_ask


def test_makers_re_quote_around_a_set_fair_on_the_next_tick_not_the_next_refresh() -> None:
    h = Harness(VenueConfig(flow_params=msgspec.structs.replace(QUIET, maker_refresh_ms=60_000)))
    h.advance(1, step=0.1)  # first ladders placed; the next refresh is a minute away
    market = h.market(SLUG)
    for fair in (700_000, 300_000):
        assert h.ex.set_fair(market="btc-updown-5m", yes=fair, now_ns=h.now) is market
        h.advance(0.025, step=0.025)  # one venue tick
        two_ticks = 2 * market.tick  # maker_half_spread_ticks
        assert _touch(h, market) == (fair - two_ticks, fair + two_ticks)
        [_, value, source] = h.ex.fair(market=market.condition_id, now_ns=h.now) or ()
        assert (value, source) == (fair, "pin")
    assert h.ex.set_fair(market="no-such-market", yes=500_000, now_ns=h.now) is None


def test_makers_follow_a_path_from_the_config_file() -> None:
    paths = {"btc-updown-5m": path((0, 0.3), (60, 0.3), (60, 0.8), (120, 0.8), (180, 0.2))}
    h = Harness(VenueConfig(flow_params=msgspec.structs.replace(QUIET, fair_paths=paths)))
    market = h.market(SLUG)
    seen = {}
    for second in (10, 90, 150):
        h.advance(WINDOW + second - h.now / NS, step=0.1)
        bid, ask = _touch(h, market)
        seen[second] = (bid + ask) // 2
    assert seen == {10: 300_000, 90: 800_000, 150: 500_000}


@pytest.mark.parametrize(("fair", "winner"), [(ONE // 2, 0), (ONE // 2 - 1, 1), (990_000, 0), (10_000, 1)])
def test_a_window_scripted_at_its_end_resolves_the_way_its_script_says(fair: int, winner: int) -> None:
    h = Harness(VenueConfig(flow=False))
    market = h.market(SLUG)
    h.ex.set_fair(market=SLUG, yes=fair, now_ns=h.now)
    h.advance(300, step=5)  # past the window end
    assert market.closed and market.winner == winner
