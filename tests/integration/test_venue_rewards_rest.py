"""The venue's liquidity-rewards routes over real sockets, read with polymarket-client's own parsers
(issue #16 §5, PROTOCOL.md §8.1): /rewards/markets/{cid}, /rewards/user, /total, /markets, /percentages,
/order-scoring."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from polymarket._internal.actions import rewards as sdk

from tests.support.venue_client import KEY_A, KEY_B, Client, signed_client
from tests.support.waits import wait_for_value
from venue.app import VenueThread
from venue.config import VenueConfig

SLUG = "rewards-even-odds"


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    cfg = VenueConfig(rewards_sample_s=0.5, rewards_min_order_age_s=0, reward_markets=0)
    with VenueThread(cfg, seed=11, flow=False) as v:
        yield v


def market(venue: VenueThread) -> Any:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    return venue.call(lambda: catalogue.slug(SLUG))


def test_rewards_routes_in_polymarkets_shapes(venue: VenueThread) -> None:
    m = market(venue)
    public = Client(venue.urls["clob"])
    status, body = public.get(f"/rewards/markets/{m.condition_id}")
    assert status == 200
    [item] = sdk.parse_market_rewards_page(body).items
    assert item.market_slug == SLUG and float(item.rewards_min_size or 0) == 20
    status, current = public.get("/rewards/markets/current")
    assert {r.condition_id for r in sdk.parse_current_rewards_page(current).items} >= {m.condition_id}
    public.close()
    alice_it, bob_it = signed_client(venue.urls["clob"], KEY_A), signed_client(venue.urls["clob"], KEY_B)
    alice, bob = next(alice_it), next(bob_it)
    status, placed = alice.place(m.token_ids[0], "BUY", "0.49", "50")
    assert status == 200
    assert bob.place(m.token_ids[1], "BUY", "0.48", "50")[0] == 200

    def earned() -> Any:
        status, body, _ = alice.private("GET", "/rewards/user/total")
        assert status == 200
        [total] = sdk.parse_total_user_earnings(body)
        return total if total.earnings > 0 else None

    total = wait_for_value(earned, "alice earns rewards", timeout=30)
    assert total.maker_address.lower() == alice.signer.address.lower()  # type: ignore[union-attr]
    status, body, _ = alice.private("GET", "/rewards/user")
    [row] = sdk.parse_user_earnings_page(body).items
    assert status == 200 and row.condition_id == m.condition_id and row.earnings > 0
    status, body, _ = alice.private("GET", "/rewards/user/markets")
    page = sdk.parse_user_rewards_earnings_page(body)
    ours = next(i for i in page.items if i.condition_id == m.condition_id)
    assert 0 < ours.earning_percentage <= 50 and ours.earnings[0].earnings > 0
    status, pct, _ = alice.private("GET", "/rewards/user/percentages")
    assert status == 200 and 0 < pct[m.condition_id] <= 50
    status, scoring, _ = alice.private("GET", f"/order-scoring?order_id={placed['orderID']}")
    assert status == 200 and sdk.parse_order_scoring(scoring) is True
    status, many, _ = alice.private("POST", "/orders-scoring", msgspec.json.encode([placed["orderID"]]))
    assert status == 200 and sdk.parse_orders_scoring(many) == {placed["orderID"]: True}
    for it in (alice_it, bob_it):
        next(it, None)
