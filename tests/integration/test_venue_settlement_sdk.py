"""polymarket-client's own ``merge_positions`` / ``redeem_positions``, unmodified, against the venue, from
every wallet type: an EOA sends its own transactions over JSON-RPC (``/rpc``), a proxy, Safe or deposit
wallet goes through the relayer (``/relayer``). The venue applies them to its ledger, and refuses what the
chain would refuse with the contract's own revert reasons (and the relayer's and node's own errors)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from eth_account import Account
from polymarket import SecureClient
from polymarket._internal.actions.relayer.calls import ctf_merge_positions_call, ctf_redeem_positions_call
from polymarket._internal.actions.relayer.gasless import build_signed_payload_for_wallet_type_sync
from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment
from polymarket.auth import RelayerApiKey
from polymarket.errors import RequestRejectedError, TransactionFailedError

from clob.signer import Signer
from clob.wallets import WalletType, wallet_address
from schemas.units import MICRO
from venue.app import VenueThread
from venue.config import VenueConfig
from venue.markets import Market
from venue.server.chain import COLLATERAL_TOKEN
from venue.settlement import NOT_RESOLVED, SHORT

KEYS: dict[WalletType, str] = {"EOA": "0x" + "61" * 32, "POLY_PROXY": "0x" + "62" * 32,
                               "GNOSIS_SAFE": "0x" + "63" * 32, "DEPOSIT_WALLET": "0x" + "64" * 32}
ADAPTER = PRODUCTION_CONFIG.collateral_adapter


def owner(kind: WalletType) -> str:
    return Signer(KEYS[kind]).address


def wallet(kind: WalletType) -> str:
    return wallet_address(kind, owner(kind))


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    config = VenueConfig(flow=False, account_types={owner(kind): kind for kind in KEYS})
    with VenueThread(config, seed=61, flow=False) as v:
        yield v


@pytest.fixture(scope="module")
def env(venue: VenueThread) -> Any:
    urls = venue.urls
    config = dataclasses.replace(
        PRODUCTION_CONFIG, clob_url=urls["clob"], clob_market_ws_url=urls["ws_market"],
        clob_user_ws_url=urls["ws_user"], gamma_url=urls["gamma"], data_url="http://127.0.0.1:9",
        relayer_url=urls["relayer"], rpc_url=urls["rpc"], relayer_poll_frequency_ms=20)
    return create_environment(name="local", config=config)


def client(env: Any, kind: WalletType) -> SecureClient:
    api_key = RelayerApiKey(key="paper-relayer-key", address=owner(kind))
    if kind == "DEPOSIT_WALLET":  # the deposit-wallet flow: no wallet= (the SDK finds it deployed)
        return SecureClient.create(private_key=KEYS[kind], environment=env, api_key=api_key)
    return SecureClient.create(private_key=KEYS[kind], wallet=wallet(kind), environment=env, api_key=api_key)


def markets(venue: VenueThread) -> list[Market]:
    catalogue = venue.venue.exchange.catalogue  # type: ignore[union-attr]
    return venue.call(lambda: [m for m in catalogue.all() if m.accepting_orders and not m.closed])


def grant(venue: VenueThread, holder: str, market: Market, yes: int, no: int) -> None:
    ledger = venue.venue.exchange.ledger  # type: ignore[union-attr]
    venue.call(lambda: ledger.apply([(holder, market.token_ids[0], yes), (holder, market.token_ids[1], no)]))


def holdings(venue: VenueThread, holder: str, market: Market) -> tuple[int, int, int]:
    ex = venue.venue.exchange  # type: ignore[union-attr]
    return venue.call(lambda: (ex.token_balance(holder, market.token_ids[0]),
                               ex.token_balance(holder, market.token_ids[1]), ex.ledger.balance(holder)))


def resolve(venue: VenueThread, market: Market, winner: int) -> None:
    ex = venue.venue.exchange  # type: ignore[union-attr]

    def close() -> None:
        now = time.time_ns()
        ex.engine.close_market(market, now)
        ex.catalogue.close(market, now)
        market.winner = winner

    venue.call(close)


@pytest.mark.parametrize("kind", list(KEYS))
def test_the_sdk_merges_pairs_and_redeems_winners_from_every_wallet_type(venue: VenueThread, env: Any,
                                                                         kind: WalletType) -> None:
    market = markets(venue)[list(KEYS).index(kind)]
    holder = wallet(kind)
    sdk = client(env, kind)
    try:
        grant(venue, holder, market, 7 * MICRO, 9 * MICRO)
        yes, no, cash = holdings(venue, holder, market)
        outcome = sdk.merge_positions(condition_id=market.condition_id, amount=5 * MICRO).wait()
        assert outcome.transaction_hash.startswith("0x")
        assert holdings(venue, holder, market) == (yes - 5 * MICRO, no - 5 * MICRO, cash + 5 * MICRO)

        resolve(venue, market, winner=1)  # Down: the 4 NO shares left win, the 2 YES ones lose
        sdk.redeem_positions(condition_id=market.condition_id).wait()
        assert holdings(venue, holder, market) == (0, 0, cash + 5 * MICRO + 4 * MICRO)
    finally:
        sdk.close()


@pytest.mark.parametrize("kind", ["EOA", "DEPOSIT_WALLET"])
def test_merging_more_than_is_held_or_redeeming_before_the_resolution_is_refused(venue: VenueThread, env: Any,
                                                                                 kind: WalletType) -> None:
    market = markets(venue)[4 + ["EOA", "DEPOSIT_WALLET"].index(kind)]
    holder = wallet(kind)
    sdk = client(env, kind)
    grant(venue, holder, market, 3 * MICRO, 3 * MICRO)
    before = holdings(venue, holder, market)
    too_many = ctf_merge_positions_call(target=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                        condition_id=market.condition_id, amount=4 * MICRO)
    early = ctf_redeem_positions_call(ctf=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                      condition_id=market.condition_id)
    try:
        with pytest.raises(Exception, match=f"execution reverted: {SHORT}") as short:  # the SDK's own check
            sdk.execute_transaction(calls=[too_many]).wait()                          # is bypassed here
        with pytest.raises(Exception, match=f"execution reverted: {NOT_RESOLVED}") as unresolved:
            sdk.execute_transaction(calls=[early]).wait()
        # an EOA's node refuses to estimate it (no transaction sent); the relayer's transaction fails
        expected = RequestRejectedError if kind == "EOA" else TransactionFailedError
        assert isinstance(short.value, expected) and isinstance(unresolved.value, expected)
        assert holdings(venue, holder, market) == before
    finally:
        sdk.close()


def test_the_relayer_refuses_a_replayed_batch_and_a_batch_changed_after_signing(venue: VenueThread,
                                                                                 env: Any) -> None:
    market = markets(venue)[6]
    holder = wallet("DEPOSIT_WALLET")
    sdk = client(env, "DEPOSIT_WALLET")
    grant(venue, holder, market, 5 * MICRO, 5 * MICRO)
    merge = ctf_merge_positions_call(target=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                     condition_id=market.condition_id, amount=MICRO)
    try:
        payload = build_signed_payload_for_wallet_type_sync(sdk._ctx, calls=[merge], metadata="merge")
        url = f"{venue.urls['relayer']}/submit"
        headers = {"RELAYER_API_KEY": "k", "RELAYER_API_KEY_ADDRESS": owner("DEPOSIT_WALLET")}
        changed = dict(payload)
        params = dict(payload["depositWalletParams"])  # type: ignore[call-overload]
        params["calls"] = [{**params["calls"][0], "target": COLLATERAL_TOKEN}]
        changed["depositWalletParams"] = params
        refused = requests.post(url, json=changed, headers=headers, timeout=5)
        assert (refused.status_code, refused.json()) == (400, {"error": "invalid signature"})
        assert requests.post(url, json=payload, headers=headers, timeout=5).status_code == 200
        replayed = requests.post(url, json=payload, headers=headers, timeout=5)
        nonce = int(str(payload["nonce"]))
        assert replayed.status_code == 400
        assert replayed.json()["error"] == f"batch nonce {nonce} does not match on-chain nonce {nonce + 1}"
        assert holdings(venue, holder, market)[:2] == (4 * MICRO, 4 * MICRO)  # merged once
    finally:
        sdk.close()


def test_an_eoa_transaction_sent_twice_is_refused_by_its_nonce(venue: VenueThread, env: Any) -> None:
    market = markets(venue)[7]
    holder = wallet("EOA")
    grant(venue, holder, market, 2 * MICRO, 2 * MICRO)
    merge = ctf_merge_positions_call(target=ADAPTER, collateral=COLLATERAL_TOKEN,  # type: ignore[arg-type]
                                     condition_id=market.condition_id, amount=MICRO)
    rpc = venue.urls["rpc"]

    def call(method: str, *params: object) -> Any:
        return requests.post(rpc, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)},
                             timeout=5).json()

    nonce = int(call("eth_getTransactionCount", holder, "pending")["result"], 16)
    signed = Account.from_key(KEYS["EOA"]).sign_transaction({
        "to": ADAPTER, "value": 0, "data": merge.data, "gas": 200_000, "gasPrice": 1, "nonce": nonce,
        "chainId": 137})
    raw = "0x" + bytes(signed.raw_transaction).hex()
    sent = call("eth_sendRawTransaction", raw)
    assert call("eth_getTransactionReceipt", sent["result"])["result"]["status"] == "0x1"
    assert call("eth_sendRawTransaction", raw)["error"] == {"code": -32000, "message": "nonce too low"}
    assert holdings(venue, holder, market)[:2] == (MICRO, MICRO)
