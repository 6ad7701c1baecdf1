"""Slug arithmetic for rotating up/down markets: windows, boundaries, overrides, 4h ET blocks, 1h forms."""

from __future__ import annotations

import pytest

from venue_client.markets.slugs import MarketError, parse_target, window

T = 1_773_307_200  # btc-updown-5m-1773307200 = 2026-03-12 09:20:00 UTC (gamma_market.json), EDT
JAN = 1_768_478_400  # 2026-01-15 12:00:00 UTC = 07:00 EST


# (target, now_s, k, override_s, expected candidate slugs, start, end)
CASES = [
    ("btc-updown-5m", T, 0, 0, ["btc-updown-5m-1773307200"], T, T + 300),  # the fixture's own window
    ("btc-updown-5m", T + 299, 0, 0, ["btc-updown-5m-1773307200"], T, T + 300),  # last second inside
    ("btc-updown-5m", T + 300, 0, 0, ["btc-updown-5m-1773307500"], T + 300, T + 600),  # on the boundary: next
    ("btc-updown-5m", T - 1, 0, 0, ["btc-updown-5m-1773306900"], T - 300, T),
    ("btc-updown-5m", T + 10, 1, 0, ["btc-updown-5m-1773307500"], T + 300, T + 600),  # pre-resolve the next
    ("btc-updown-15m", T + 1, 0, 0, ["btc-updown-15m-1773306900"], 1_773_306_900, 1_773_307_800),
    ("btc-updown-15m", 1_773_307_800, 0, 0, ["btc-updown-15m-1773307800"], 1_773_307_800, 1_773_308_700),
    ("btc-updown-15m", T + 1, 2, 0, ["btc-updown-15m-1773308700"], 1_773_308_700, 1_773_309_600),
    ("sol-updown-15m", T + 1, 0, 20, ["sol-updown-15m-1773307200"], T, T + 20),  # shortened: label kept
    ("sol-updown-15m", T + 19, 0, 20, ["sol-updown-15m-1773307200"], T, T + 20),
    ("sol-updown-15m", T + 20, 0, 20, ["sol-updown-15m-1773307220"], T + 20, T + 40),
    ("sol-updown-15m", T + 20, 1, 20, ["sol-updown-15m-1773307240"], T + 40, T + 60),
    ("btc-updown-4h", T + 1, 0, 0, ["btc-updown-4h-1773302400"], 1_773_302_400, 1_773_316_800),  # EDT: same
    ("btc-updown-4h", JAN, 0, 0, ["btc-updown-4h-1768467600", "btc-updown-4h-1768478400"],  # EST: ET block
     1_768_467_600, 1_768_482_000),                                                       # first, lattice too
    ("btc-updown-4h", JAN, 1, 0, ["btc-updown-4h-1768482000", "btc-updown-4h-1768492800"],
     1_768_482_000, 1_768_496_400),
    ("btc-updown-4h", JAN, 0, 60, ["btc-updown-4h-1768478400"], JAN, JAN + 60),  # override: lattice only
    ("eth-updown-1h", T + 1, 0, 0, ["eth-updown-1h-1773306000", "ethereum-up-or-down-march-12-2026-5am-et"],
     1_773_306_000, 1_773_309_600),
    ("eth-updown-1h", 1_773_331_200, 0, 0,
     ["eth-updown-1h-1773331200", "ethereum-up-or-down-march-12-2026-12pm-et"], 1_773_331_200, 1_773_334_800),
    ("btc-updown-1h", 1_773_288_000, 0, 0,
     ["btc-updown-1h-1773288000", "bitcoin-up-or-down-march-12-2026-12am-et"], 1_773_288_000, 1_773_291_600),
]


@pytest.mark.parametrize(("prefix", "now", "k", "override", "slugs", "start", "end"), CASES,
                         ids=[f"{c[0]}@{c[1]}+{c[2]}/{c[3]}" for c in CASES])
def test_window_slugs(prefix: str, now: int, k: int, override: int, slugs: list[str], start: int,
                      end: int) -> None:
    got = window(parse_target(prefix), now, k, override)
    assert (list(got.slugs), got.start_s, got.end_s) == (slugs, start, end)


@pytest.mark.parametrize(("text", "rotating"), [
    ("btc-updown-15m", True),
    ("  BTC-updown-5m ", True),
    ("hype-updown-4h", True),
    ("btc-updown-15m-1773306900", False),  # one window's full slug: a plain slug
    ("btc-updown-2m", False),
    ("will-bitcoin-reach-150k", False),
    ("venue-reward-market-1", False),
])
def test_targets(text: str, rotating: bool) -> None:
    assert parse_target(text).rotating is rotating


def test_bad_targets_and_windows_of_plain_slugs_are_errors() -> None:
    for bad in ("", "a b", "markets/x"):
        with pytest.raises(MarketError):
            parse_target(bad)
    with pytest.raises(MarketError):
        window(parse_target("will-bitcoin-reach-150k"), T)
