"""The venue's benchmark routes (``/_venue/bench/*``) over real sockets: the bench maker moves the
touch in one ``price_change`` frame, order requests are stamped and matched to the expected orders,
and the feed route writes numbered frames. No timings are asserted: only that stamps exist and agree."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.venue_client import KEY_A, Client, events, recv_until, ws_connect
from venue.app import VenueThread
from venue.config import VenueConfig
from venue.server.bench import posted_orders


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(reward_markets=1), seed=3, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def tokens(venue: VenueThread) -> tuple[str, str]:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    market = venue.call(lambda: catalogue.slug("venue-reward-market-1"))
    assert market is not None
    yes, no = market.token_ids
    return yes, no


def post(venue: VenueThread, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    client = Client(venue.urls["clob"])
    try:
        status, data, _ = client.request("POST", path, json.dumps(body).encode())
        return status, data
    finally:
        client.close()


def test_a_move_is_one_price_change_frame_with_the_new_touch_for_both_tokens(venue: VenueThread,
                                                                            tokens: tuple[str, str]) -> None:
    yes, no = tokens
    ws = ws_connect(venue.urls["ws_market"])
    try:
        ws.send(json.dumps({"type": "market", "assets_ids": [yes, no], "initial_dump": True}))
        recv_until(ws, lambda f: isinstance(f, list))  # the initial dump

        status, reply = post(venue, "/_venue/bench/requote", {"token_id": yes, "moves": [[400_000, 600_000]],
                                                             "settle_ms": 0})

        assert status == 200 and reply["error"] == "" and reply["events"][0]["write_ns"] > 0
        frame = recv_until(ws, lambda f: any(e.get("event_type") == "price_change" for e in events(f)))
        change = next(e for e in events(frame) if e.get("event_type") == "price_change")
        tops = {c["asset_id"]: (c["best_bid"], c["best_ask"]) for c in change["price_changes"]}
        assert tops == {yes: ("0.4", "0.6"), no: ("0.4", "0.6")}
    finally:
        ws.close()


def test_order_posts_are_stamped_and_matched_to_the_expected_orders(venue: VenueThread,
                                                                    tokens: tuple[str, str]) -> None:
    yes, _ = tokens
    trader = Client(venue.urls["clob"], KEY_A)
    trader.derive()
    body = trader.order_body(trader.sign(yes, "BUY", "0.25", "5"))

    def place_when_asked() -> None:  # stands in for the engine: one order after the move
        other = Client(venue.urls["clob"], KEY_A)
        other.creds = trader.creds
        other.private("POST", "/order", body)
        other.close()

    timer = threading.Timer(0.2, place_when_asked)
    timer.start()
    try:
        status, reply = post(venue, "/_venue/bench/requote", {
            "token_id": yes, "moves": [[450_000, 550_000]], "expect": [[[yes, 250_000]]], "timeout_ms": 5000,
            "settle_ms": 0})
    finally:
        timer.join()
        trader.private("DELETE", "/cancel-all")
        trader.close()

    assert status == 200, reply
    event = reply["events"][0]
    assert event["complete"] is True
    (stamp, key, orders), = event["requests"]
    assert key == "POST /order" and orders == [[yes, 250_000]] and stamp > event["write_ns"]


def test_a_refused_move_is_reported(venue: VenueThread, tokens: tuple[str, str]) -> None:
    status, reply = post(venue, "/_venue/bench/requote", {"token_id": tokens[0],
                                                         "moves": [[600_000, 500_000]]})

    assert status == 200 and "bid < ask" in reply["error"]


def test_the_feed_route_writes_numbered_frames_to_the_subscribers(venue: VenueThread,
                                                                 tokens: tuple[str, str]) -> None:
    yes, _ = tokens
    ws = ws_connect(venue.urls["ws_market"])
    try:
        ws.send(json.dumps({"type": "market", "assets_ids": [yes], "initial_dump": False}))
        ws.send("PING")
        recv_until(ws, lambda f: f == "PONG")  # frames are handled in order: the subscription is in

        status, reply = post(venue, "/_venue/bench/feed", {"token_id": yes, "rate": 2000, "seconds": 0.05})

        assert status == 200 and reply["frames"] == 100 and reply["subscribers"] == 1
        assert [first for first, _ in reply["chunks"]] == list(range(0, 100, 2))
        last = recv_until(ws, lambda f: any(c.get("size") == "100" for e in events(f)
                                            for c in e.get("price_changes", [])))
        assert last["price_changes"][0]["price"] == "0.5"
    finally:
        ws.close()


def test_posted_orders_reads_single_and_batch_bodies() -> None:
    one = {"order": {"tokenId": "7", "makerAmount": "1250000", "takerAmount": "5000000", "side": "BUY"}}
    sell = {"order": {"tokenId": "8", "makerAmount": "5000000", "takerAmount": "2000000", "side": "SELL"}}

    assert posted_orders(json.dumps(one).encode()) == [("7", 250_000)]
    assert posted_orders(json.dumps([one, sell]).encode()) == [("7", 250_000), ("8", 400_000)]
    assert posted_orders(b"not json") == [] and posted_orders(b'{"order": {"side": "BUY"}}') == []
