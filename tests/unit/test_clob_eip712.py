"""EIP-712 hashing against eth_account's generic typed-data encoder fed the SDK's typed data."""

from __future__ import annotations

import random

import pytest
from eth_account.messages import _hash_eip191_message, encode_typed_data, hash_domain
from eth_hash.auto import keccak as eth_keccak
from polymarket._internal.actions.orders.typed_data import build_order_typed_data
from polymarket._internal.actions.orders.types import UnsignedOrder as SdkUnsignedOrder
from polymarket._internal.environment import PRODUCTION_CONFIG
from polymarket._internal.l1_auth import build_api_key_auth_typed_data

from clob.eip712 import (
    CLOB_AUTH_DOMAIN_SEPARATOR,
    CTF_EXCHANGE_V2,
    EXCHANGE_V3,
    NEG_RISK_CTF_EXCHANGE_V2,
    ORDER_TYPE_HASH,
    ZERO_BYTES32,
    address_word,
    bytes32_word,
    clob_auth_digest,
    exchange_domain_separator,
    keccak256,
    order_digest,
)


def digest_of(typed_data: dict[str, object]) -> bytes:
    return _hash_eip191_message(encode_typed_data(full_message=typed_data))


def test_keccak256_matches_eth_hash() -> None:
    rng = random.Random(1)
    for length in (0, 1, 31, 32, 135, 136, 137, 384, 1000):
        data = rng.randbytes(length)
        assert keccak256(data) == eth_keccak(data)
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_contract_addresses_and_chain_match_the_sdk_production_config() -> None:
    assert (
        PRODUCTION_CONFIG.standard_exchange,
        PRODUCTION_CONFIG.neg_risk_exchange,
        PRODUCTION_CONFIG.exchange_v3,
        PRODUCTION_CONFIG.chain_id,
    ) == (CTF_EXCHANGE_V2, NEG_RISK_CTF_EXCHANGE_V2, EXCHANGE_V3, 137)


def test_order_type_hash_is_keccak_of_the_v2_order_type_string() -> None:
    expected = eth_keccak(
        b"Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
        b"uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
        b"bytes32 builder)"
    )
    assert expected == ORDER_TYPE_HASH


@pytest.mark.parametrize(
    ("neg_risk", "contract", "version", "chain_id"),
    [
        (False, None, "2", 137),
        (True, None, "2", 137),
        (False, EXCHANGE_V3, "3", 137),
        (False, CTF_EXCHANGE_V2, "2", 80002),
    ],
)
def test_exchange_domain_separator_matches_eth_account(
    neg_risk: bool, contract: str | None, version: str, chain_id: int
) -> None:
    verifying = contract or (NEG_RISK_CTF_EXCHANGE_V2 if neg_risk else CTF_EXCHANGE_V2)
    domain = {
        "name": "Polymarket CTF Exchange",
        "version": version,
        "chainId": chain_id,
        "verifyingContract": verifying,
    }
    ours = exchange_domain_separator(neg_risk=neg_risk, chain_id=chain_id, contract=contract, version=version)
    assert ours == hash_domain(domain)


def test_order_digest_matches_eth_account_on_the_sdk_typed_data() -> None:
    rng = random.Random(11)
    for i in range(50):
        neg_risk = i % 2 == 1
        sdk_order = SdkUnsignedOrder(
            chain_id=137,
            builder="0x" + rng.randbytes(32).hex() if i % 3 == 0 else ZERO_BYTES32,  # type: ignore[arg-type]
            exchange_address=NEG_RISK_CTF_EXCHANGE_V2 if neg_risk else CTF_EXCHANGE_V2,  # type: ignore[arg-type]
            expiration=0,
            maker="0x" + rng.randbytes(20).hex(),  # type: ignore[arg-type]
            maker_amount=rng.getrandbits(64),
            metadata="0x" + rng.randbytes(32).hex() if i % 5 == 0 else ZERO_BYTES32,  # type: ignore[arg-type]
            order_type="GTC",
            salt=rng.getrandbits(256),
            side=rng.choice(["BUY", "SELL"]),
            signature_type=rng.randrange(3),
            signer="0x" + rng.randbytes(20).hex(),  # type: ignore[arg-type]
            taker_amount=rng.getrandbits(64),
            timestamp=rng.getrandbits(44),
            token_id=str(rng.getrandbits(256)),  # type: ignore[arg-type]
        )
        ours = order_digest(
            exchange_domain_separator(neg_risk=neg_risk),
            salt=sdk_order.salt,
            maker=sdk_order.maker,
            signer=sdk_order.signer,
            token_id=int(sdk_order.token_id),
            maker_amount=sdk_order.maker_amount,
            taker_amount=sdk_order.taker_amount,
            side=0 if sdk_order.side == "BUY" else 1,
            signature_type=sdk_order.signature_type,
            timestamp=sdk_order.timestamp,
            metadata=sdk_order.metadata,
            builder=sdk_order.builder,
        )
        assert ours == digest_of(build_order_typed_data(sdk_order, protocol_version="2"))


@pytest.mark.parametrize(
    ("timestamp", "nonce", "chain_id"), [(1_713_398_400, 0, 137), (0, 7, 137), (5, 2**255, 80002)]
)
def test_clob_auth_digest_matches_eth_account_on_the_sdk_typed_data(
    timestamp: int, nonce: int, chain_id: int
) -> None:
    address = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
    typed = build_api_key_auth_typed_data(
        address=address, chain_id=chain_id, timestamp=timestamp, nonce=nonce
    )
    assert clob_auth_digest(
        address=address, timestamp=timestamp, nonce=nonce, chain_id=chain_id
    ) == digest_of(typed)
    if chain_id == 137:
        assert hash_domain(typed["domain"]) == CLOB_AUTH_DOMAIN_SEPARATOR


def test_words_reject_wrong_lengths_and_accept_any_case() -> None:
    assert address_word("0xABCDEF0000000000000000000000000000000001") == address_word(
        "0xabcdef0000000000000000000000000000000001"
    )
    with pytest.raises(ValueError):
        address_word("0x1234")
    with pytest.raises(ValueError):
        bytes32_word("0x" + "00" * 31)
    with pytest.raises(ValueError):
        order_digest(
            exchange_domain_separator(),
            salt=1,
            maker=CTF_EXCHANGE_V2,
            signer=CTF_EXCHANGE_V2,
            token_id=1,
            maker_amount=1,
            taker_amount=1,
            side=2,
            signature_type=0,
            timestamp=1,
        )
