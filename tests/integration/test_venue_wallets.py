"""The official SDK (polymarket-client 0.14.0), unmodified, trades from every wallet type against the venue.

One venue holds four accounts (config ``account_types``): an EOA, a proxy, a Safe and a deposit wallet,
each wallet derived from its owner key as the SDK derives it. The SDK's relayer and RPC URLs point at
the venue (``/relayer``, ``/rpc``), so ``SecureClient.create`` without ``wallet=`` (the deposit-wallet
flow) works as it does against Polymarket. Wrong combinations get the exchange's own refusals.
"""

from __future__ import annotations

import dataclasses
import json
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest
from polymarket import SecureClient
from polymarket._internal import wallet as sdk_wallet
from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment
from polymarket._internal.eoa.rpc import SyncJsonRpcClient
from polymarket.auth import RelayerApiKey
from polymarket.clients._transport import SyncTransport
from polymarket.errors import UserInputError

from clob.orders import SignedOrder, build_order, new_salt, sign_order
from clob.signer import Signer
from clob.wallets import (
    WalletType,
    beacon_deposit_wallet_address,
    proxy_wallet_address,
    signature_type_of,
    wallet_address,
)
from tests.support.venue_client import Client
from venue.app import VenueThread
from venue.config import VenueConfig
from venue.wallets import DEPOSIT_WALLET_FLOW, INVALID_SIGNATURE, SIGNER_NOT_API_KEY

KEYS: dict[WalletType, str] = {
    "EOA": "0x" + "31" * 32,
    "POLY_PROXY": "0x" + "32" * 32,
    "GNOSIS_SAFE": "0x" + "33" * 32,
    "DEPOSIT_WALLET": "0x" + "34" * 32,
}
NEWCOMER = "0x" + "35" * 32  # an EOA account (the default type) that deploys a deposit wallet


def owner(key: str) -> str:
    return Signer(key).address


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    config = VenueConfig(account_types={owner(key): kind for kind, key in KEYS.items()})
    with VenueThread(config, seed=31, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def env(venue: VenueThread) -> Any:
    urls = venue.urls
    config = dataclasses.replace(
        PRODUCTION_CONFIG, clob_url=urls["clob"], clob_market_ws_url=urls["ws_market"],
        clob_user_ws_url=urls["ws_user"], gamma_url=urls["gamma"], data_url="http://127.0.0.1:9",
        relayer_url=urls["relayer"], rpc_url=urls["rpc"])
    return create_environment(name="local", config=config)


@pytest.fixture(scope="module")
def market(venue: VenueThread) -> Any:
    assert venue.venue is not None
    catalogue = venue.venue.exchange.catalogue
    return venue.call(lambda: next(m for m in catalogue.all() if m.accepting_orders and not m.closed))


def client_for(env: Any, kind: WalletType, key: str | None = None, **kwargs: Any) -> SecureClient:
    """The SDK as each kind of user creates it: the deposit-wallet flow passes no ``wallet=``."""
    key = key or KEYS[kind]
    if kind == "DEPOSIT_WALLET":
        return SecureClient.create(private_key=key, environment=env, **kwargs)
    return SecureClient.create(private_key=key, wallet=wallet_address(kind, owner(key)), environment=env,
                               **kwargs)


@pytest.mark.parametrize("kind", list(KEYS))
def test_the_sdk_places_lists_and_cancels_from_every_wallet_type(env: Any, market: Any,
                                                                  kind: WalletType) -> None:
    client = client_for(env, kind)
    try:
        wallet = wallet_address(kind, owner(KEYS[kind]))
        assert (client.wallet_type, client.wallet) == (kind, wallet)
        yes = market.token_ids[0]
        placed = client.place_limit_order(token_id=yes, price="0.31", size="10", side="BUY", post_only=True)
        assert placed.ok, placed
        listed = {o.id: o for o in client.list_open_orders().iter_items()}
        assert placed.order_id in listed
        assert listed[placed.order_id].maker_address.lower() == wallet.lower()
        assert placed.order_id in client.cancel_order(order_id=placed.order_id).canceled
        assert [o.id for o in client.list_open_orders().iter_items()] == []
        assert client.get_balance_allowance(asset_type="COLLATERAL").balance > 0
    finally:
        client.close()


def test_a_deposit_wallet_trades_with_an_eoa_and_its_fills_name_the_wallet(env: Any, market: Any) -> None:
    maker, taker = client_for(env, "DEPOSIT_WALLET"), client_for(env, "EOA")
    try:
        yes, no = market.token_ids
        resting = maker.place_limit_order(token_id=yes, price="0.53", size="10", side="BUY", post_only=True)
        assert resting.ok, resting
        crossing = taker.place_limit_order(token_id=no, price="0.47", size="10", side="BUY")
        assert crossing.ok and crossing.status == "matched", crossing
        trades = list(maker.list_account_trades().iter_items())
        assert trades
        deposit_wallet = beacon_deposit_wallet_address(owner(KEYS["DEPOSIT_WALLET"]))
        assert {m.maker_address.lower() for t in trades for m in t.maker_orders} >= {deposit_wallet.lower()}
    finally:
        maker.cancel_all()
        maker.close()
        taker.close()


def test_a_deposit_wallet_account_posting_as_an_eoa_is_told_to_use_the_deposit_wallet_flow(
    env: Any, market: Any
) -> None:
    key = KEYS["DEPOSIT_WALLET"]
    client = SecureClient.create(private_key=key, wallet=owner(key), environment=env)  # signature type 0
    try:
        with pytest.raises(Exception, match=DEPOSIT_WALLET_FLOW):
            client.place_limit_order(token_id=market.token_ids[0], price="0.31", size="10", side="BUY",
                                     post_only=True)
    finally:
        client.close()


def test_a_proxy_account_posting_as_its_owner_eoa_is_refused(env: Any, market: Any) -> None:
    key = KEYS["POLY_PROXY"]
    client = SecureClient.create(private_key=key, wallet=owner(key), environment=env)
    try:
        with pytest.raises(Exception, match=DEPOSIT_WALLET_FLOW):
            client.place_limit_order(token_id=market.token_ids[0], price="0.31", size="10", side="BUY",
                                     post_only=True)
    finally:
        client.close()


def test_a_wallet_the_account_does_not_have_is_not_deployed(env: Any) -> None:
    key = KEYS["EOA"]
    with pytest.raises(UserInputError, match="does not exist"):
        SecureClient.create(private_key=key, wallet=proxy_wallet_address(owner(key)), environment=env)


def test_an_eoa_account_can_deploy_a_deposit_wallet_but_its_key_stays_bound_to_the_eoa(
    env: Any, market: Any, venue: VenueThread
) -> None:
    # no wallet=: the SDK finds no deposit wallet deployed, deploys one through the relayer
    # (WALLET-CREATE with a relayer API key), polls the transaction, then signs type-3 orders
    newcomer = owner(NEWCOMER)
    relayer_key = RelayerApiKey(key="paper-relayer-key", address=newcomer)
    client = SecureClient.create(private_key=NEWCOMER, environment=env, api_key=relayer_key)
    try:
        assert client.wallet_type == "DEPOSIT_WALLET"
        assert client.wallet == beacon_deposit_wallet_address(newcomer)
        assert venue.venue is not None and venue.venue.wallets.is_deployed(client.wallet)
        with pytest.raises(Exception, match=SIGNER_NOT_API_KEY):  # py-clob-client-v2 #65's answer
            client.place_limit_order(token_id=market.token_ids[0], price="0.31", size="10", side="BUY",
                                     post_only=True)
    finally:
        client.close()


def test_the_sdk_reads_the_factory_beacon_and_finds_every_approval_in_place(env: Any,
                                                                            venue: VenueThread) -> None:
    rpc = SyncJsonRpcClient(SyncTransport(base_url=venue.urls["rpc"]))
    try:
        rpc.verify_chain_id(137)
        someone = owner(NEWCOMER)
        config = PRODUCTION_CONFIG.wallet_derivation
        assert sdk_wallet.derive_current_deposit_wallet_address_sync(rpc, someone, config) == (
            beacon_deposit_wallet_address(someone))
    finally:
        rpc.close()
    client = client_for(env, "DEPOSIT_WALLET")
    try:
        client.setup_trading_approvals().wait()  # nothing to approve: no relayer transaction needed
    finally:
        client.close()


def test_rpc_answers_code_reverts_and_unknown_methods_in_a_batch(venue: VenueThread) -> None:
    deposit_wallet = beacon_deposit_wallet_address(owner(KEYS["DEPOSIT_WALLET"]))
    venue.call(lambda: venue.venue.wallets.account(owner(KEYS["DEPOSIT_WALLET"])))  # type: ignore[union-attr]
    asked = [("eth_getCode", [deposit_wallet, "latest"]), ("eth_getCode", [owner(KEYS["EOA"]), "latest"]),
             ("eth_call", [{"to": deposit_wallet, "data": "0x"}]), ("eth_sendTransaction", [{}]),
             ("eth_chainId", {})]
    calls = [{"jsonrpc": "2.0", "id": n, "method": m, "params": p} for n, (m, p) in enumerate(asked, 1)]
    request = urllib.request.Request(venue.urls["rpc"], data=json.dumps(calls).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as resp:
        replies = json.loads(resp.read())
    assert [r["id"] for r in replies] == [1, 2, 3, 4, 5]
    assert replies[0]["result"] != "0x" and replies[1]["result"] == "0x"
    assert [replies[2]["error"]["code"], replies[3]["error"]["code"]] == [3, -32601]
    assert replies[4]["result"] == "0x89"


def test_relayer_refusals(venue: VenueThread) -> None:
    def post(path: str, body: object, headers: dict[str, str]) -> tuple[int, Any]:
        request = urllib.request.Request(venue.urls["relayer"] + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json", **headers})
        try:
            with urllib.request.urlopen(request, timeout=5) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    create = {"type": "WALLET-CREATE", "from": owner(NEWCOMER), "to": "0x" + "00" * 20, "metadata": ""}
    assert post("/submit", create, {})[0] == 401
    auth = {"RELAYER_API_KEY": "k", "RELAYER_API_KEY_ADDRESS": owner(NEWCOMER)}
    assert post("/submit", create, auth) == (400, {"error": "invalid WALLET-CREATE request"})
    batch = {"type": "WALLET", "from": owner(NEWCOMER), "to": "0x" + "00" * 20}
    assert post("/submit", batch, auth)[0] == 400


def built(kind: WalletType, key: str, token: str, price_u: int) -> SignedOrder:
    """The order the SDK builds for ``kind`` with this key (its wallet derived from the key's owner)."""
    signer = Signer(key)
    maker = wallet_address(kind, signer.address)
    unsigned = build_order(signer=maker if kind == "DEPOSIT_WALLET" else signer.address, maker=maker,
                           signature_type=signature_type_of(kind), token_id=token, side="BUY",
                           price_u=price_u, size_u=10_000_000, tick_u=10_000, salt=new_salt(),
                           timestamp_ms=time.time_ns() // 1_000_000)
    return sign_order(signer, unsigned, neg_risk=False)


EXPECTED_REFUSAL: dict[tuple[WalletType, WalletType], str | None] = {
    **{(account, order): DEPOSIT_WALLET_FLOW for account in KEYS for order in KEYS},
    **{(account, account): None for account in KEYS},
    **{(account, "DEPOSIT_WALLET"): SIGNER_NOT_API_KEY for account in ("EOA", "POLY_PROXY", "GNOSIS_SAFE")},
}
RAW_CASES = [(account, order, EXPECTED_REFUSAL[(account, order)]) for account in KEYS for order in KEYS]


@pytest.mark.parametrize(("account", "order", "refusal"), RAW_CASES,
                         ids=[f"{a}-account:{o}-order" for a, o, _ in RAW_CASES])
def test_over_rest_each_account_takes_its_own_type_and_refuses_the_others(
    venue: VenueThread, market: Any, account: WalletType, order: WalletType, refusal: str | None
) -> None:
    client = Client(venue.urls["clob"], KEYS[account])
    try:
        client.derive()
        token = market.token_ids[0]
        body_bytes = client.order_body(built(order, KEYS[account], token, 300_000))
        status, body, _ = client.private("POST", "/order", body_bytes)
        if refusal is None:
            assert status == 200 and body["success"], body
        else:
            assert (status, body) == (400, {"error": refusal})
        forged = msgspec.structs.replace(built(account, KEYS[account], token, 290_000),
                                         signature=built(account, NEWCOMER, token, 290_000).signature)
        status, body, _ = client.private("POST", "/order", client.order_body(forged))
        assert (status, body) == (400, {"error": INVALID_SIGNATURE})
    finally:
        client.private("DELETE", "/cancel-all")
        client.close()
