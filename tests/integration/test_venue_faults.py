"""Fault injection over real sockets: 429 + Retry-After, latency, engine restart (425 then post-only),
WS drops (abrupt close) and silent market-feed freezes (PONG still answered)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from tests.support.venue_client import KEY_A, Client, events, recv_until, ws_connect
from venue.app import VenueThread
from venue.config import VenueConfig

DEADLINE_S = 5.0


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(), seed=3, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def token(venue: VenueThread) -> str:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    market = venue.call(lambda: next(m for m in catalogue.all() if m.accepting_orders and not m.closed))
    return str(market.token_ids[0])


@pytest.fixture
def alice(venue: VenueThread) -> Iterator[Client]:
    client = Client(venue.urls["clob"], KEY_A)
    client.derive()
    yield client
    admin(client, "/_venue/faults", {})
    admin(client, "/_venue/restart-engine", {"restart_s": 0, "post_only_s": 0})
    admin(client, "/_venue/ws/freeze", {"seconds": 0})
    client.private("DELETE", "/cancel-all")
    client.close()


def admin(client: Client, path: str, body: dict[str, Any]) -> Any:
    status, data, _ = client.request("POST", path, json.dumps(body).encode())
    assert status == 200, data
    return data


def test_429_with_retry_after_on_order_endpoints(alice: Client, token: str) -> None:
    admin(alice, "/_venue/faults", {"rate_429": 1.0, "retry_after_s": 3})
    body = alice.order_body(alice.sign(token, "BUY", "0.30", "10"))
    status, data, headers = alice.private("POST", "/order", body)
    assert (status, data, headers["retry-after"]) == (429, {"error": "Too Many Requests"}, "3")
    admin(alice, "/_venue/faults", {})
    assert alice.private("POST", "/order", body)[0] == 200


def test_added_latency(alice: Client) -> None:
    admin(alice, "/_venue/faults", {"latency_ms": 150})
    started = time.monotonic()
    assert alice.private("GET", "/data/orders")[0] == 200
    assert time.monotonic() - started >= 0.15


def test_engine_restart_gives_425_then_post_only_mode(alice: Client, token: str) -> None:
    admin(alice, "/_venue/restart-engine", {"restart_s": 0.3, "post_only_s": 60})
    status, data = alice.place(token, "BUY", "0.31", "10")
    assert status == 425, data
    deadline = time.monotonic() + DEADLINE_S
    while status == 425:  # the restart window ends on its own; poll with a deadline, no fixed sleep
        assert time.monotonic() < deadline, "the 425 window did not end"
        status, data = alice.place(token, "BUY", "0.31", "10", order_type="FAK", post_only=False)
    assert (status, data) == (400, {"error": "post-only mode: only post-only orders and cancels are allowed"})
    assert alice.place(token, "BUY", "0.31", "10")[0] == 200


def test_ws_drop_closes_sockets_abruptly(venue: VenueThread, alice: Client) -> None:
    ws = ws_connect(venue.urls["ws_market"])
    try:
        ws.send("PING")
        assert recv_until(ws, lambda f: True) == "PONG"
        assert admin(alice, "/_venue/ws/drop", {})["dropped"] >= 1
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            recv_until(ws, lambda f: False)
    finally:
        ws.close()


def test_periodic_ws_drop_from_the_fault_plan(venue: VenueThread, alice: Client) -> None:
    admin(alice, "/_venue/faults", {"ws_drop_interval_s": 0.2})
    ws = ws_connect(venue.urls["ws_user"])
    try:
        with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
            recv_until(ws, lambda f: False, timeout=DEADLINE_S)
    finally:
        ws.close()


def test_silent_freeze_keeps_pong_but_sends_no_data(venue: VenueThread, alice: Client, token: str) -> None:
    ws = ws_connect(venue.urls["ws_market"])
    try:
        ws.send(json.dumps({"type": "market", "assets_ids": [token]}))
        recv_until(ws, lambda f: isinstance(f, list))
        admin(alice, "/_venue/ws/freeze", {"seconds": 60})
        assert alice.place(token, "BUY", "0.27", "10")[0] == 200
        ws.send("PING")
        seen: list[Any] = []
        recv_until(ws, lambda f: f == "PONG" or seen.append(f) is not None)
        assert seen == []  # the order's price_change was swallowed by the freeze
        admin(alice, "/_venue/ws/freeze", {"seconds": 0})
        assert alice.place(token, "BUY", "0.26", "10")[0] == 200
        recv_until(ws, lambda f: any(e.get("event_type") == "price_change" for e in events(f)))
    finally:
        ws.close()
