"""``livetest``'s choice of token over a real venue (``actors.ctl.livetest_cmd._market``): YES while its
best bid leaves room below; NO when a market near 0 has someone's YES bid at the lowest price (as the
engine's own YES bid sits there when the market falls: a CI run of the operating test hit it); the harmless
order is then one tick on NO, far below NO's best bid."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors.ctl import livetest
from actors.ctl.livetest_cmd import _market
from schemas import Lease
from tests.support.venue_client import KEY_A, Client, signed_client
from tests.support.venue_fair import get_fair, set_fair
from venue.app import VenueThread
from venue.config import FlowConfig, VenueConfig

QUIET = FlowConfig(noise_rate_per_min=0.0, informed_prob=0.0)  # makers only: the book's mid is the fair


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(flow_params=QUIET), seed=7) as v:
        yield v


@pytest.fixture
def client(venue: VenueThread) -> Iterator[Client]:
    yield from signed_client(venue.urls["clob"], KEY_A)


@pytest.mark.parametrize(("fair", "lowest_bid", "buys"), [
    (0.50, False, "yes"),   # the usual
    (0.02, False, "yes"),   # near 0, the makers bid nothing on YES: one tick cannot cross
    (0.02, True, "no"),     # ... and a YES bid rests at 0.01: nothing below it, NO instead
])
def test_livetest_buys_yes_unless_its_best_bid_is_the_lowest_price(venue: VenueThread, client: Client,
                                                                   fair: float, lowest_bid: bool,
                                                                   buys: str) -> None:
    url = venue.urls["clob"]
    current = get_fair(url, "btc-updown-15m")
    yes, no = current["tokens"]
    set_fair(url, "btc-updown-15m", fair)  # the makers re-quote before the answer
    if lowest_bid:
        status, body = client.place(yes, "BUY", "0.01", "5")
        assert status == 200, body
    lease = Lease(holder="t", market=current["market"], yes_asset=yes, no_asset=no, ttl_ms=1000, ts=0)
    market = _market(url, lease)
    assert market.asset == {"yes": yes, "no": no}[buys]
    placed = livetest.order(market, "c", 1)
    assert placed.price == market.tick and (market.best_bid == 0 or placed.price < market.best_bid)
