"""The official SDK (polymarket-client 0.14.0), unmodified, against the venue (PROTOCOL.md §9.1).

Requests it makes here: POST /auth/api-key (L1), GET /auth/api-keys (L2, when credentials are
passed in), GET /book, GET /markets-by-token/{token}, GET /clob-markets/{cid}, POST /order,
GET /data/orders, DELETE /order, GET /data/trades, POST /v1/heartbeats, GET /balance-allowance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from polymarket import SecureClient
from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment
from polymarket.errors import OrderHeartbeatMismatchError

from clob.signer import Signer
from tests.support.venue_client import KEY_A, KEY_B
from venue.app import VenueThread
from venue.config import VenueConfig


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(), seed=21, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def env(venue: VenueThread) -> Any:
    urls = venue.urls
    dead = "http://127.0.0.1:9"  # discard port: a call here would fail loudly
    config = dataclasses.replace(
        PRODUCTION_CONFIG, clob_url=urls["clob"], clob_market_ws_url=urls["ws_market"],
        clob_user_ws_url=urls["ws_user"], gamma_url=urls["gamma"], data_url=dead,
        relayer_url=dead, rpc_url=dead)
    return create_environment(name="local", config=config)


@pytest.fixture(scope="module")
def market(venue: VenueThread) -> Any:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    return venue.call(lambda: next(m for m in catalogue.all() if m.accepting_orders and not m.closed))


def _client(env: Any, key: str, **kwargs: Any) -> SecureClient:
    return SecureClient.create(private_key=key, wallet=Signer(key).address, environment=env, **kwargs)


def test_sdk_trading_round_trip(env: Any, market: Any) -> None:
    client = _client(env, KEY_A)
    try:
        assert client.wallet_type == "EOA"
        yes = market.token_ids[0]
        book = client.get_order_book(token_id=yes)
        assert book.asset_id == yes and book.tick_size == Decimal("0.01")

        placed = client.place_limit_order(token_id=yes, price="0.45", size="10", side="BUY", post_only=True)
        assert placed.ok, placed
        open_ids = [o.id for o in client.list_open_orders().iter_items()]
        assert placed.order_id in open_ids

        cancelled = client.cancel_order(order_id=placed.order_id)
        assert placed.order_id in cancelled.canceled
        assert [o.id for o in client.list_open_orders().iter_items()] == []

        first = client.send_order_heartbeat(heartbeat_id="")
        second = client.send_order_heartbeat(heartbeat_id=first.heartbeat_id)
        with pytest.raises(OrderHeartbeatMismatchError) as stale:
            client.send_order_heartbeat(heartbeat_id="not-the-current-one")
        assert stale.value.heartbeat_id == second.heartbeat_id

        balance = client.get_balance_allowance(asset_type="COLLATERAL")
        assert balance.balance > 0
    finally:
        client.close()


def test_sdk_sees_its_trades(env: Any, market: Any) -> None:
    maker, taker = _client(env, KEY_A), _client(env, KEY_B)
    try:
        yes, no = market.token_ids
        resting = maker.place_limit_order(token_id=yes, price="0.52", size="10", side="BUY", post_only=True)
        assert resting.ok, resting
        crossing = taker.place_limit_order(token_id=no, price="0.48", size="10", side="BUY")
        assert crossing.ok and crossing.status == "matched", crossing
        maker_trades = list(maker.list_account_trades().iter_items())
        taker_trades = list(taker.list_account_trades().iter_items())
        assert maker_trades and taker_trades
        assert {t.id for t in taker_trades} & {t.id for t in maker_trades}
    finally:
        maker.cancel_all()
        maker.close()
        taker.close()


def test_sdk_post_only_cross_is_a_rejection(env: Any, market: Any) -> None:
    maker, other = _client(env, KEY_A), _client(env, KEY_B)
    try:
        yes, no = market.token_ids
        assert maker.place_limit_order(token_id=yes, price="0.40", size="10", side="BUY", post_only=True).ok
        with pytest.raises(Exception, match="invalid post-only order: order crosses book"):
            other.place_limit_order(token_id=no, price="0.61", size="10", side="BUY", post_only=True)
    finally:
        maker.cancel_all()
        maker.close()
        other.close()


def test_sdk_validates_passed_in_credentials_with_api_keys(env: Any) -> None:
    first = _client(env, KEY_A)
    creds = first.credentials
    first.close()
    second = _client(env, KEY_A, credentials=creds)  # checks them with GET /auth/api-keys
    try:
        assert second.credentials.key == creds.key
    finally:
        second.close()
