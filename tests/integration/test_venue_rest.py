"""CLOB REST and Gamma of the venue over real sockets: auth, orders, cancels, queries, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from clob.auth import ApiCreds
from tests.support.venue_client import KEY_A, KEY_B, Client, signed_client
from venue.app import VenueThread
from venue.config import VenueConfig


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(), seed=7, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def market(venue: VenueThread) -> Any:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    return venue.call(lambda: next(m for m in catalogue.all() if m.accepting_orders and not m.closed))


@pytest.fixture
def alice(venue: VenueThread) -> Iterator[Client]:
    yield from signed_client(venue.urls["clob"], KEY_A)


@pytest.fixture
def bob(venue: VenueThread) -> Iterator[Client]:
    yield from signed_client(venue.urls["clob"], KEY_B)


def test_public_health_endpoints(venue: VenueThread) -> None:
    client = Client(venue.urls["clob"])
    assert client.get("/ok") == (200, "OK")
    assert client.get("/version") == (200, {"version": 2})
    status, now = client.get("/time")
    assert status == 200 and isinstance(now, int)
    client.close()


def test_book_and_market_data_for_a_known_token(venue: VenueThread, market: Any) -> None:
    client = Client(venue.urls["clob"])
    token = market.token_ids[0]
    status, book = client.get(f"/book?token_id={token}")
    assert status == 200 and book["asset_id"] == token and book["market"] == market.condition_id
    assert client.get(f"/tick-size?token_id={token}") == (200, {"minimum_tick_size": 0.01})
    assert client.get(f"/neg-risk?token_id={token}") == (200, {"neg_risk": False})
    status, by_token = client.get(f"/markets-by-token/{token}")
    assert status == 200 and by_token["condition_id"] == market.condition_id
    status, info = client.get(f"/clob-markets/{market.condition_id}")
    assert status == 200 and {t["t"] for t in info["t"]} == set(market.token_ids)
    status, books = client.request("POST", "/books", json.dumps([{"token_id": token}]).encode())[:2]
    assert status == 200 and [b["asset_id"] for b in books] == [token]
    client.close()


def test_unknown_token_and_unknown_path(venue: VenueThread) -> None:
    client = Client(venue.urls["clob"])
    missing = {"error": "No orderbook exists for the requested token id"}
    assert client.get("/book?token_id=123") == (404, missing)
    assert client.get("/no/such/path")[0] == 404
    assert client.request("PUT", "/book")[0] == 405
    client.close()


def test_credentials_are_deterministic_per_address(venue: VenueThread) -> None:
    first, second = Client(venue.urls["clob"], KEY_A), Client(venue.urls["clob"], KEY_A)
    assert first.derive() == second.derive()
    other = Client(venue.urls["clob"], KEY_B).derive()
    assert other.api_key != first.creds.api_key  # type: ignore[union-attr]
    status, keys, _ = first.private("GET", "/auth/api-keys")
    assert status == 200 and keys == {"apiKeys": [first.creds.api_key]}  # type: ignore[union-attr]


def test_bad_hmac_and_bad_l1_are_401(venue: VenueThread, alice: Client) -> None:
    assert alice.creds is not None
    forged = ApiCreds(api_key=alice.creds.api_key, secret="AAAA" + alice.creds.secret[4:],
                      passphrase=alice.creds.passphrase)
    status, body, _ = alice.private("GET", "/data/orders", creds=forged)
    assert (status, body) == (401, {"error": "Unauthorized/Invalid api key"})
    assert alice.request("GET", "/data/orders")[:2] == (401, {"error": "Unauthorized/Invalid api key"})
    bad_l1 = {"POLY_ADDRESS": "0x" + "00" * 20, "POLY_SIGNATURE": "0x" + "11" * 65,
              "POLY_TIMESTAMP": "1", "POLY_NONCE": "0"}
    assert alice.request("GET", "/auth/derive-api-key", headers=bad_l1)[:2] == (
        401, {"error": "Invalid L1 Request headers"})


def test_place_list_and_cancel_an_order(alice: Client, market: Any) -> None:
    token = market.token_ids[0]
    status, placed = alice.place(token, "BUY", "0.40", "10")
    assert status == 200, placed
    assert placed["success"] is True and placed["status"] == "live" and placed["errorMsg"] == ""
    order_id = placed["orderID"]
    status, page, _ = alice.private("GET", "/data/orders")
    assert status == 200 and [o["id"] for o in page["data"]] == [order_id]
    assert page["next_cursor"] == "LTE="
    status, one, _ = alice.private("GET", f"/data/order/{order_id}")
    assert status == 200 and one["id"] == order_id and one["price"] == "0.4"
    body = msgspec.json.encode({"orderID": order_id})
    status, cancelled, _ = alice.private("DELETE", "/order", body)
    assert status == 200 and cancelled["canceled"] == [order_id]
    assert alice.private("GET", "/data/orders")[1]["data"] == []


def test_post_only_order_that_crosses_is_rejected(alice: Client, bob: Client, market: Any) -> None:
    yes, no = market.token_ids
    assert alice.place(yes, "BUY", "0.50", "10")[0] == 200
    status, body = bob.place(no, "BUY", "0.55", "10")  # 0.50 + 0.55 > 1: crosses through the mint
    assert (status, body) == (400, {"error": "invalid post-only order: order crosses book"})


def test_trade_is_listed_for_both_sides(alice: Client, bob: Client, market: Any) -> None:
    yes, no = market.token_ids
    assert alice.place(yes, "BUY", "0.50", "10")[0] == 200
    status, taken = bob.place(no, "BUY", "0.50", "10", post_only=False)
    assert status == 200 and taken["status"] == "matched", taken
    for client in (alice, bob):
        status, page, _ = client.private("GET", "/data/trades")
        assert status == 200 and page["data"], page
        assert page["next_cursor"] == "LTE="


def test_order_signed_by_another_key_is_rejected(alice: Client, bob: Client, market: Any) -> None:
    signed = bob.sign(market.token_ids[0], "BUY", "0.30", "10")
    status, body, _ = alice.private("POST", "/order", alice.order_body(signed))
    assert (status, body) == (400, {"error": "the order signer address has to be the address of the API KEY"})


def test_owner_must_be_the_api_key(alice: Client, bob: Client, market: Any) -> None:
    signed = alice.sign(market.token_ids[0], "BUY", "0.30", "10")
    payload = msgspec.json.decode(alice.order_body(signed))
    payload["owner"] = bob.creds.api_key  # type: ignore[union-attr]
    status, body, _ = alice.private("POST", "/order", msgspec.json.encode(payload))
    assert (status, body) == (400, {"error": "the order owner has to be the owner of the API KEY"})


def test_batch_of_orders_and_the_batch_limit(alice: Client, market: Any) -> None:
    token = market.token_ids[0]
    legs = [msgspec.json.decode(alice.order_body(alice.sign(token, "BUY", f"0.{20 + i}", "10")))
            for i in range(16)]
    status, body, _ = alice.private("POST", "/orders", msgspec.json.encode(legs))
    assert (status, body) == (400, {"error": "Too many orders in payload: 16, max allowed: 15"})
    status, body, _ = alice.private("POST", "/orders", msgspec.json.encode(legs[:2]))
    assert status == 200 and [leg["success"] for leg in body] == [True, True]
    ids = [leg["orderID"] for leg in body]
    status, cancelled, _ = alice.private("DELETE", "/orders", msgspec.json.encode(ids))
    assert status == 200 and sorted(cancelled["canceled"]) == sorted(ids)


def test_heartbeat_id_protocol(alice: Client) -> None:
    status, first, _ = alice.private("POST", "/v1/heartbeats", b'{"heartbeat_id":""}')
    assert status == 200 and first["heartbeat_id"]
    body = msgspec.json.encode({"heartbeat_id": first["heartbeat_id"]})
    status, second, _ = alice.private("POST", "/v1/heartbeats", body)
    assert status == 200 and second["heartbeat_id"]
    status, stale, _ = alice.private("POST", "/v1/heartbeats", b'{"heartbeat_id":"stale"}')
    assert status == 400 and stale["heartbeat_id"] == second["heartbeat_id"]
    body = msgspec.json.encode({"heartbeat_id": second["heartbeat_id"]})
    status, documented, _ = alice.private("POST", "/heartbeats", body)  # the API-reference path
    assert status == 200 and documented["status"] == "ok" and documented["heartbeat_id"]


def test_balance_allowance(alice: Client) -> None:
    status, body, _ = alice.private("GET", "/balance-allowance")
    assert status == 200 and int(body["balance"]) > 0


def test_gamma_lookups(venue: VenueThread, market: Any) -> None:
    client = Client(venue.urls["clob"])
    status, one = client.get(f"/gamma/markets/slug/{market.slug}")
    assert status == 200 and one["slug"] == market.slug and one["conditionId"] == market.condition_id
    assert json.loads(one["clobTokenIds"]) == list(market.token_ids)
    status, many = client.get(f"/gamma/markets?slug={market.slug}")
    assert status == 200 and [m["slug"] for m in many] == [market.slug]
    status, events = client.get(f"/gamma/events?slug={market.slug}")
    assert status == 200 and events[0]["markets"][0]["conditionId"] == market.condition_id
    status, by_id = client.get(f"/gamma/markets/{one['id']}")
    assert status == 200 and by_id["slug"] == market.slug
    assert client.get("/gamma/markets/slug/no-such-market")[0] == 404
    assert client.get("/gamma/markets?slug=no-such-market") == (200, [])
    client.close()


def test_prices_rewards_and_scoring(alice: Client, market: Any) -> None:
    yes, no = market.token_ids
    status, placed = alice.place(yes, "BUY", "0.44", "10")
    assert status == 200
    assert alice.get(f"/midpoint?token_id={yes}") == (200, {"mid": "0.44"})  # one-sided: the bid
    assert alice.get(f"/price?token_id={yes}&side=SELL") == (200, {"price": "0.44"})
    assert alice.get(f"/price?token_id={no}&side=BUY") == (200, {"price": "0.56"})  # the mirrored ask
    status, rewards = alice.get("/rewards/markets/current")
    assert status == 200 and rewards["data"] and rewards["next_cursor"] == "LTE="
    status, sampling = alice.get("/sampling-markets")
    assert status == 200 and all(m["rewards"]["rates"] for m in sampling["data"])
    status, scoring, _ = alice.private("GET", "/order-scoring")
    assert status == 200 and scoring == {"scoring": False}
    status, many, _ = alice.private("POST", "/orders-scoring", msgspec.json.encode([placed["orderID"]]))
    assert status == 200 and set(many) == {placed["orderID"]}
