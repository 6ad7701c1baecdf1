"""The venue tests' harness (tests/support/venue_harness.py) does what the other tests assume."""

from __future__ import annotations

from schemas.units import MICRO
from tests.support.venue_harness import ADDRESSES, Harness, signed
from venue.config import VenueConfig


def test_harness_accounts_start_with_the_configured_balance() -> None:
    h = Harness(VenueConfig(flow=False, start_balance_pusd=1234))
    assert h.cash("alice") == 1234 * MICRO
    assert h.ex.positions(ADDRESSES["alice"]) == {}


def test_signed_amounts_follow_the_sdk_convention() -> None:
    buy = signed("1", "BUY", "0.52", "10")
    sell = signed("1", "SELL", "0.52", "10")
    assert (buy.maker_amount, buy.taker_amount) == (5_200_000, 10_000_000)
    assert (sell.maker_amount, sell.taker_amount) == (10_000_000, 5_200_000)
