"""clob.wallets derives every wallet address exactly as polymarket-client 0.14.0 (``_internal/wallet.py``)."""

from __future__ import annotations

import random

import msgspec
import pytest
from eth_account import Account
from polymarket._internal import wallet as sdk_wallet
from polymarket._internal.environment import PRODUCTION_CONFIG, WalletDerivationConfig
from polymarket._internal.eoa.rpc import JsonRpcCallError

from clob.wallets import (
    FACTORY_BEACON_SELECTOR,
    PRODUCTION,
    WALLET_TYPES,
    WalletDerivation,
    beacon_deposit_wallet_address,
    classify_wallet,
    current_deposit_wallet_address,
    decode_address_result,
    deposit_wallet_addresses,
    proxy_wallet_address,
    safe_wallet_address,
    signature_type_of,
    uups_deposit_wallet_address,
    wallet_address,
    wallet_type_of,
)

N_KEYS = 300


def owners(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return [Account.from_key(rng.randbytes(32)).address for _ in range(n)]


def random_derivation(rng: random.Random) -> WalletDerivation:
    def address() -> str:
        return Account.from_key(rng.randbytes(32)).address
    return WalletDerivation(
        proxy_factory=address(), proxy_implementation=address(), safe_factory=address(),
        safe_init_code_hash="0x" + rng.randbytes(32).hex(), deposit_wallet_factory=address(),
        deposit_wallet_implementation=address(), deposit_wallet_beacon=address())


def sdk_config(derivation: WalletDerivation) -> WalletDerivationConfig:
    return WalletDerivationConfig(**msgspec.structs.asdict(derivation))


def test_the_production_constants_are_the_sdks() -> None:
    assert sdk_config(PRODUCTION) == PRODUCTION_CONFIG.wallet_derivation


@pytest.mark.parametrize("custom", [False, True], ids=["production", "random-factories"])
def test_every_derivation_matches_the_sdk_on_random_keys(custom: bool) -> None:
    rng = random.Random(11)
    derivation = random_derivation(rng) if custom else PRODUCTION
    config = sdk_config(derivation)
    for owner in owners(seed=5 + custom, n=N_KEYS):
        proxy, safe = proxy_wallet_address(owner, derivation), safe_wallet_address(owner, derivation)
        assert proxy == sdk_wallet.derive_proxy_wallet_address(owner, config)
        assert safe == sdk_wallet.derive_safe_wallet_address(owner, config)
        beacon = sdk_wallet.derive_beacon_deposit_wallet_address(owner, config)
        uups = sdk_wallet.derive_uups_deposit_wallet_address(owner, config)
        assert beacon_deposit_wallet_address(owner, derivation) == beacon
        assert uups_deposit_wallet_address(owner, derivation) == uups
        assert deposit_wallet_addresses(owner, derivation) == (beacon, uups)


def test_any_letter_case_gives_the_same_checksummed_wallets() -> None:
    owner = owners(seed=6, n=1)[0]
    for wallet_type in WALLET_TYPES:
        expected = wallet_address(wallet_type, owner)
        assert wallet_address(wallet_type, owner.lower()) == expected
        assert wallet_address(wallet_type, "0x" + owner[2:].upper()) == expected


def test_classify_wallet_agrees_with_the_sdk() -> None:
    config = PRODUCTION_CONFIG.wallet_derivation
    stranger = owners(seed=8, n=1)[0]
    for owner in owners(seed=7, n=40):
        candidates = [owner, owner.lower(), stranger, *deposit_wallet_addresses(owner),
                      proxy_wallet_address(owner), safe_wallet_address(owner)]
        for wallet in candidates:
            expected = sdk_wallet.try_classify_wallet_type(signer=owner, wallet=wallet, config=config)
            assert classify_wallet(owner, wallet) == expected
        assert [classify_wallet(owner, wallet_address(t, owner)) for t in WALLET_TYPES] == list(WALLET_TYPES)


class FakeRpc:
    """What the SDK's sync JSON-RPC client answers for the factory's ``beacon()`` call."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str]] = []

    def eth_call(self, *, to: str, data: str, block: str = "latest") -> str:
        self.calls.append((to, data))
        if self.answer is None:
            raise JsonRpcCallError("eth_call", 3, "execution reverted", None)
        return self.answer


@pytest.mark.parametrize("answer", [
    "0x" + "00" * 12 + bytes.fromhex(PRODUCTION.deposit_wallet_beacon[2:]).hex(),  # a beacon factory
    "0x" + "00" * 32,  # UUPS factory: zero beacon
    "0x",  # too short: zero
    None,  # reverted (a factory without beacon()): zero
])
def test_current_deposit_wallet_follows_the_factory_answer_like_the_sdk(answer: str | None) -> None:
    rpc = FakeRpc(answer)
    for owner in owners(seed=9, n=20):
        expected = sdk_wallet.derive_current_deposit_wallet_address_sync(
            rpc, owner, PRODUCTION_CONFIG.wallet_derivation)  # type: ignore[arg-type]
        beacon = "0x" + "00" * 20 if answer is None else decode_address_result(answer)
        assert current_deposit_wallet_address(owner, beacon) == expected
    assert set(rpc.calls) == {(PRODUCTION.deposit_wallet_factory, FACTORY_BEACON_SELECTOR)}


@pytest.mark.parametrize("data", ["0x", "0x" + "00" * 32, "0x" + "ff" * 32, "0x" + "12" * 40,
                                  "0x" + "zz" * 32])
def test_decode_address_result_matches_the_sdk(data: str) -> None:
    assert decode_address_result(data) == sdk_wallet._decode_address_return_data(data)


@pytest.mark.parametrize(("text", "expected"), [
    ("EOA", "EOA"), ("eoa", "EOA"), ("0", "EOA"), ("POLY_PROXY", "POLY_PROXY"), ("1", "POLY_PROXY"),
    ("gnosis_safe", "GNOSIS_SAFE"), ("2", "GNOSIS_SAFE"), (" DEPOSIT_WALLET ", "DEPOSIT_WALLET"),
    ("3", "DEPOSIT_WALLET"),
])
def test_wallet_type_of_reads_names_and_signature_types(text: str, expected: str) -> None:
    wallet_type = wallet_type_of(text)
    assert wallet_type == expected
    assert signature_type_of(wallet_type) == sdk_wallet.signature_type_for(wallet_type)


@pytest.mark.parametrize("text", ["", "4", "-1", "SAFE", "POLY_1271", "deposit"])
def test_wallet_type_of_refuses_unknown_names(text: str) -> None:
    with pytest.raises(ValueError, match="unknown wallet type"):
        wallet_type_of(text)
