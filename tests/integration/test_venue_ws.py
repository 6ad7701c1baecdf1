"""`/ws/market` and `/ws/user` of the venue over real sockets: dumps, events, routing, PING/PONG."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import websocket

from tests.support.venue_client import KEY_A, KEY_B, Client, events, recv_until, signed_client, ws_connect
from venue.app import VenueThread
from venue.config import VenueConfig


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(), seed=11, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def markets(venue: VenueThread) -> list[Any]:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    return venue.call(lambda: [m for m in catalogue.all() if m.accepting_orders and not m.closed])


@pytest.fixture
def alice(venue: VenueThread) -> Iterator[Client]:
    yield from signed_client(venue.urls["clob"], KEY_A)


@pytest.fixture
def bob(venue: VenueThread) -> Iterator[Client]:
    yield from signed_client(venue.urls["clob"], KEY_B)


def _market_ws(venue: VenueThread, assets: list[str], custom: bool = False) -> websocket.WebSocket:
    ws = ws_connect(venue.urls["ws_market"])
    ws.send(json.dumps({"type": "market", "assets_ids": assets, "custom_feature_enabled": custom,
                        "initial_dump": True}))
    return ws


def _user_ws(venue: VenueThread, client: Client, markets: list[str] | None = None) -> websocket.WebSocket:
    assert client.creds is not None
    ws = ws_connect(venue.urls["ws_user"])
    sub: dict[str, Any] = {"type": "user", "auth": {"apiKey": client.creds.api_key,
                                                    "secret": client.creds.secret,
                                                    "passphrase": client.creds.passphrase}}
    if markets is not None:
        sub["markets"] = markets
    ws.send(json.dumps(sub))
    return ws


def _sync(ws: websocket.WebSocket) -> list[Any]:
    """Send PING and collect every frame until PONG: what the server had sent before answering."""
    seen: list[Any] = []
    ws.send("PING")
    recv_until(ws, lambda f: f == "PONG" or seen.append(f) is not None)
    return seen


def test_initial_dump_is_one_array_of_books(venue: VenueThread, markets: list[Any]) -> None:
    market = markets[0]
    ws = _market_ws(venue, list(market.token_ids))
    try:
        frame = recv_until(ws, lambda f: isinstance(f, list))
        assert [b["event_type"] for b in frame] == ["book", "book"]
        assert {b["asset_id"] for b in frame} == set(market.token_ids)
        assert all(b["market"] == market.condition_id for b in frame)
    finally:
        ws.close()


def test_unknown_tokens_give_a_bare_empty_array(venue: VenueThread) -> None:
    ws = _market_ws(venue, ["1111"])
    try:
        assert recv_until(ws, lambda f: True) == []
    finally:
        ws.close()


def test_ping_pong_on_both_channels(venue: VenueThread) -> None:
    for url in (venue.urls["ws_market"], venue.urls["ws_user"]):
        ws = ws_connect(url)
        try:
            ws.send("PING")
            assert recv_until(ws, lambda f: True) == "PONG"
        finally:
            ws.close()


def test_price_change_follows_an_order(venue: VenueThread, alice: Client, markets: list[Any]) -> None:
    yes = markets[0].token_ids[0]
    ws = _market_ws(venue, [yes])
    try:
        recv_until(ws, lambda f: isinstance(f, list))
        assert alice.place(yes, "BUY", "0.42", "10")[0] == 200
        frame = recv_until(ws, lambda f: any(e.get("event_type") == "price_change" for e in events(f)))
        change = next(e for e in events(frame) if e["event_type"] == "price_change")
        assert change["market"] == markets[0].condition_id
        mine = [c for c in change["price_changes"] if c["asset_id"] == yes]
        assert mine and mine[0]["price"] == "0.42" and mine[0]["side"] == "BUY" and mine[0]["size"] == "10"
    finally:
        ws.close()


def test_custom_events_only_reach_custom_sockets(
        venue: VenueThread, alice: Client, markets: list[Any]) -> None:
    yes = markets[1].token_ids[0]
    plain, custom = _market_ws(venue, [yes], custom=False), _market_ws(venue, [yes], custom=True)
    try:
        for ws in (plain, custom):
            recv_until(ws, lambda f: isinstance(f, list))
        assert alice.place(yes, "BUY", "0.33", "10")[0] == 200
        recv_until(custom, lambda f: any(e.get("event_type") == "best_bid_ask" for e in events(f)))
        recv_until(plain, lambda f: any(e.get("event_type") == "price_change" for e in events(f)))
        leftover = [e for f in _sync(plain) for e in events(f)]
        assert all(e.get("event_type") != "best_bid_ask" for e in leftover)
    finally:
        plain.close()
        custom.close()


def test_dynamic_subscribe_dumps_new_tokens_and_unsubscribe_stops_events(
        venue: VenueThread, alice: Client, markets: list[Any]) -> None:
    first, second = markets[2].token_ids[0], markets[3].token_ids[0]
    ws = _market_ws(venue, [first])
    try:
        recv_until(ws, lambda f: isinstance(f, list))
        ws.send(json.dumps({"operation": "subscribe", "assets_ids": [second]}))
        dump = recv_until(ws, lambda f: isinstance(f, list))
        assert [b["asset_id"] for b in dump] == [second]
        ws.send(json.dumps({"operation": "unsubscribe", "assets_ids": [second]}))
        _sync(ws)
        assert alice.place(second, "BUY", "0.21", "10")[0] == 200
        assert alice.place(first, "BUY", "0.21", "10")[0] == 200
        frame = recv_until(ws, lambda f: any(e.get("event_type") == "price_change" for e in events(f)))
        assert frame["market"] == markets[2].condition_id
    finally:
        ws.close()


def test_user_channel_gets_order_and_trade_events(
        venue: VenueThread, alice: Client, bob: Client, markets: list[Any]) -> None:
    market = markets[4]
    yes, no = market.token_ids
    ws = _user_ws(venue, alice)
    try:
        _sync(ws)  # the subscription is processed before the orders are placed
        status, placed = alice.place(yes, "BUY", "0.50", "10")
        assert status == 200
        order = recv_until(ws, lambda f: any(e.get("event_type") == "order" for e in events(f)))
        placement = next(e for e in events(order) if e["event_type"] == "order")
        assert placement["id"] == placed["orderID"] and placement["type"] == "PLACEMENT"
        assert bob.place(no, "BUY", "0.50", "10", post_only=False)[0] == 200
        trade_frame = recv_until(ws, lambda f: any(e.get("event_type") == "trade" for e in events(f)))
        trade = next(e for e in events(trade_frame) if e["event_type"] == "trade")
        assert trade["status"] == "MATCHED" and trade["trader_side"] == "MAKER"
        assert any(m["order_id"] == placed["orderID"] for m in trade["maker_orders"])
    finally:
        ws.close()


def test_user_market_filter(venue: VenueThread, alice: Client, markets: list[Any]) -> None:
    ws = _user_ws(venue, alice, markets=[markets[6].condition_id])
    try:
        _sync(ws)
        assert alice.place(markets[5].token_ids[0], "BUY", "0.11", "10")[0] == 200
        assert alice.place(markets[6].token_ids[0], "BUY", "0.12", "10")[0] == 200
        frame = recv_until(ws, lambda f: any(e.get("event_type") == "order" for e in events(f)))
        assert {e["market"] for e in events(frame)} == {markets[6].condition_id}
    finally:
        ws.close()


def test_bad_user_auth_closes_the_socket(venue: VenueThread) -> None:
    ws = ws_connect(venue.urls["ws_user"])
    ws.send(json.dumps({"type": "user", "auth": {"apiKey": "nope", "secret": "x", "passphrase": "y"}}))
    opcode, frame = ws.recv_data_frame(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE and int.from_bytes(frame.data[:2], "big") == 1008
    with pytest.raises((websocket.WebSocketConnectionClosedException, ConnectionError)):
        recv_until(ws, lambda f: False)
    ws.close()


def test_user_dynamic_market_subscription(venue: VenueThread, alice: Client, markets: list[Any]) -> None:
    first, second = markets[7], markets[8]
    ws = _user_ws(venue, alice, markets=[first.condition_id])
    try:
        ws.send(json.dumps({"operation": "subscribe", "markets": [second.condition_id]}))
        ws.send(json.dumps({"operation": "unsubscribe", "markets": [first.condition_id]}))
        _sync(ws)
        assert alice.place(first.token_ids[0], "BUY", "0.13", "10")[0] == 200
        assert alice.place(second.token_ids[0], "BUY", "0.14", "10")[0] == 200
        frame = recv_until(ws, lambda f: any(e.get("event_type") == "order" for e in events(f)))
        assert {e["market"] for e in events(frame)} == {second.condition_id}
    finally:
        ws.close()


def test_no_new_assets_text_goes_to_custom_sockets_only() -> None:
    with VenueThread(VenueConfig(), seed=12, flow=False, no_new_assets_s=0.05) as quick:
        plain, custom = _market_ws(quick, [], custom=False), _market_ws(quick, [], custom=True)
        try:
            assert recv_until(custom, lambda f: f == "NO NEW ASSETS") == "NO NEW ASSETS"
            recv_until(custom, lambda f: f == "NO NEW ASSETS")  # periodic: it comes again
            assert all(f != "NO NEW ASSETS" for f in _sync(plain))
        finally:
            plain.close()
            custom.close()
