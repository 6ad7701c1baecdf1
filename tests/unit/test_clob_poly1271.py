"""The exchange-side signature check of every order type (``verify_order_signature``), type 3's envelope
most of all: what it accepts, and each way a signature can fail to vouch for its order."""

from __future__ import annotations

import json
from typing import Any

import msgspec
import pytest

from clob.eip712 import ORDER_TYPE, exchange_domain_separator
from clob.order_json import order_body, parse_order_json, verify_order_signature
from clob.orders import OrderError, SignedOrder, UnsignedOrder, build_order, order_hashes, sign_order
from clob.poly1271 import CONTENTS_TYPE_HEX, open_envelope, trailer
from clob.signer import Signer
from clob.wallets import (
    beacon_deposit_wallet_address,
    proxy_wallet_address,
    safe_wallet_address,
    uups_deposit_wallet_address,
)

OWNER = Signer("0x" + "5a" * 32)
OTHER = Signer("0x" + "6b" * 32)
WALLET = beacon_deposit_wallet_address(OWNER.address)
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


def unsigned(signature_type: int, *, maker: str | None = None, signer: str | None = None) -> UnsignedOrder:
    wallet = {0: OWNER.address, 1: proxy_wallet_address(OWNER.address),
              2: safe_wallet_address(OWNER.address), 3: WALLET}.get(signature_type, OWNER.address)
    maker = maker or wallet
    return build_order(signer=signer or (maker if signature_type == 3 else OWNER.address), maker=maker,
                       signature_type=signature_type, token_id=TOKEN, side="BUY", price_u=450_000,
                       size_u=10_000_000, tick_u=10_000, salt=77, timestamp_ms=1_760_000_000_000)


def over_the_wire(order: SignedOrder, *, neg_risk: bool = False) -> SignedOrder:
    """What the venue sees: the body parsed back (order id recomputed for the market's exchange)."""
    return parse_order_json(json.loads(order_body(order, owner_api_key="k"))["order"], neg_risk=neg_risk)


@pytest.mark.parametrize("signature_type", [0, 1, 2, 3])
def test_each_type_verifies_to_the_owner(signature_type: int) -> None:
    signed = sign_order(OWNER, unsigned(signature_type), neg_risk=False)
    assert verify_order_signature(over_the_wire(signed)) == OWNER.address


def test_a_legacy_uups_deposit_wallet_verifies_too() -> None:
    wallet = uups_deposit_wallet_address(OWNER.address)
    signed = sign_order(OWNER, unsigned(3, maker=wallet), neg_risk=True)
    assert verify_order_signature(over_the_wire(signed, neg_risk=True)) == OWNER.address


def test_the_type_3_signature_is_the_owner_signature_and_a_trailer_naming_the_order() -> None:
    signed = sign_order(OWNER, unsigned(3), neg_risk=False)
    domain = exchange_domain_separator(neg_risk=False)
    struct_hash, digest = order_hashes(signed, domain)
    assert signed.order_id == "0x" + digest.hex()  # the orderID stays the plain order digest
    assert signed.signature[132:] == trailer(domain, struct_hash)
    assert signed.signature.endswith(CONTENTS_TYPE_HEX)
    envelope = open_envelope(signed.signature)
    assert (envelope.app_domain_separator, envelope.contents_hash, envelope.contents_type) == (
        domain, struct_hash, ORDER_TYPE)
    assert envelope.order_hash() == digest
    assert len(envelope.signature) == 132


def tamper(order: SignedOrder, **changes: Any) -> SignedOrder:
    return msgspec.structs.replace(order, **changes)


def _type3() -> SignedOrder:
    return sign_order(OWNER, unsigned(3), neg_risk=False)


def _swap(signature: str, start: int, new_hex: str) -> str:
    return signature[:start] + new_hex + signature[start + len(new_hex):]


BAD_TYPE_3 = {
    "signed by a key that does not own the wallet": lambda: tamper(
        _type3(), signature=sign_order(OTHER, unsigned(3), neg_risk=False).signature),
    "the owner's own signature over the order digest (no envelope)": lambda: tamper(
        _type3(), signature=OWNER.sign_digest(bytes.fromhex(_type3().order_id[2:]))),
    "envelope for the neg-risk exchange, order posted to the standard one": lambda: tamper(
        _type3(), signature=sign_order(OWNER, unsigned(3), neg_risk=True).signature),
    "envelope of another order": lambda: tamper(
        _type3(), signature=sign_order(OWNER, msgspec.structs.replace(unsigned(3), salt=78),
                                       neg_risk=False).signature),
    "contents type changed": lambda: tamper(
        _type3(), signature=_type3().signature.replace(ORDER_TYPE.encode().hex()[:10], "5858585858", 1)),
    "contents hash changed": lambda: tamper(
        _type3(), signature=_swap(_type3().signature, 2 + 130 + 64, "00")),
    "truncated trailer": lambda: tamper(
        _type3(), signature=_type3().signature[:-6] + _type3().signature[-4:]),
    "only the ECDSA part": lambda: tamper(_type3(), signature=_type3().signature[:132]),
    "maker differs from the wallet signer": lambda: tamper(_type3(), maker=OWNER.address),
    "wallet of another owner": lambda: sign_order(
        OWNER, unsigned(3, maker=beacon_deposit_wallet_address(OTHER.address)), neg_risk=False),
    "amount changed after signing": lambda: over_the_wire(tamper(_type3(), maker_amount=4_500_001)),
}


@pytest.mark.parametrize("make", BAD_TYPE_3.values(), ids=BAD_TYPE_3.keys())
def test_type_3_signatures_that_do_not_vouch_for_the_order_are_refused(make: Any) -> None:
    order = make()
    with pytest.raises(OrderError, match="invalid order signature"):
        verify_order_signature(over_the_wire(order) if order.order_id else order)


BAD_OTHER_TYPES = {
    "EOA order with another maker": lambda: sign_order(
        OWNER, unsigned(0, maker=OTHER.address), neg_risk=False),
    "proxy order whose maker is not the signer's proxy": lambda: sign_order(
        OWNER, unsigned(1, maker=safe_wallet_address(OWNER.address)), neg_risk=False),
    "Safe order whose maker is not the signer's Safe": lambda: sign_order(
        OWNER, unsigned(2, maker=proxy_wallet_address(OWNER.address)), neg_risk=False),
    "proxy order of another owner's proxy": lambda: sign_order(
        OWNER, unsigned(1, maker=proxy_wallet_address(OTHER.address)), neg_risk=False),
    "a type-3 envelope under type 0": lambda: tamper(
        sign_order(OWNER, unsigned(0), neg_risk=False), signature=_type3().signature),
    "an unknown signature type": lambda: sign_order(OWNER, unsigned(4), neg_risk=False),
}


@pytest.mark.parametrize("make", BAD_OTHER_TYPES.values(), ids=BAD_OTHER_TYPES.keys())
def test_orders_whose_maker_is_not_the_signers_wallet_are_refused(make: Any) -> None:
    with pytest.raises(OrderError, match="invalid order signature"):
        verify_order_signature(over_the_wire(make()))


@pytest.mark.parametrize("signature", ["0x" + "00" * 130, "0x" + "ab" * 200, "0xzz"])
def test_open_envelope_refuses_what_is_not_shaped_like_one(signature: str) -> None:
    with pytest.raises(ValueError):
        open_envelope(signature)


def test_a_deposit_wallet_order_needs_the_wallet_as_signer_and_maker() -> None:
    with pytest.raises(OrderError, match="deposit-wallet order"):
        sign_order(OWNER, unsigned(3, signer=OWNER.address), neg_risk=False)  # signer = the owner
    with pytest.raises(OrderError, match="deposit-wallet order"):
        sign_order(OWNER, unsigned(3, maker=OWNER.address), neg_risk=False)  # wallet = the owner itself
