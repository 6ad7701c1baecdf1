"""Deposit-wallet (signature type 3, POLY_1271) order signatures: the ERC-7739 ``TypedDataSign`` envelope.

A deposit wallet is a contract, so the exchange checks its orders with ERC-1271
(``wallet.isValidSignature(orderHash, signature)``). The wallet's owner does not sign the order digest
itself but a ``TypedDataSign`` struct that nests the order (ERC-7739, as polymarket-client 0.14.0
builds it in ``_internal/actions/orders/typed_data.py``)::

    TypedDataSign(Order contents, string name, string version, uint256 chainId,
                  address verifyingContract, bytes32 salt)
      contents = the order, name "DepositWallet", version "1", verifyingContract = the wallet, salt 0
    digest = keccak256(0x1901 || exchange domain separator || hashStruct(TypedDataSign))

and the order's ``signature`` is that 65-byte ECDSA signature followed by a trailer the wallet needs to
rebuild the digest: ``appDomainSeparator (32) || contentsHash (32) || contentsType || len(contentsType)
(2 bytes)``, with the exchange's domain separator, the order's struct hash and the ``Order(...)`` type
string. The wallet accepts it when ``keccak256(0x1901 || appDomainSeparator || contentsHash)`` is the
order hash it was asked about and the ECDSA signature over the ``TypedDataSign`` digest recovers to its
owner. The order's ``orderID`` stays the plain order digest.
"""

from __future__ import annotations

import msgspec

from clob.eip712 import CHAIN_ID, ORDER_TYPE, address_word, keccak256

__all__ = [
    "CONTENTS_TYPE_HEX",
    "DEPOSIT_WALLET_DOMAIN_NAME",
    "DEPOSIT_WALLET_DOMAIN_VERSION",
    "SIGNATURE_TYPE",
    "TYPED_DATA_SIGN_TYPE",
    "Envelope",
    "open_envelope",
    "trailer",
    "typed_data_sign_digest",
    "typed_data_sign_tail",
]

SIGNATURE_TYPE = 3
"""POLY_1271: the order's signer and maker are the deposit wallet; its owner signs the envelope."""
DEPOSIT_WALLET_DOMAIN_NAME = "DepositWallet"
DEPOSIT_WALLET_DOMAIN_VERSION = "1"
TYPED_DATA_SIGN_TYPE = ("TypedDataSign(Order contents,string name,string version,uint256 chainId,"
                        "address verifyingContract,bytes32 salt)" + ORDER_TYPE)
_TYPED_DATA_SIGN_TYPE_HASH = keccak256(TYPED_DATA_SIGN_TYPE.encode())
_NAME_VERSION = (keccak256(DEPOSIT_WALLET_DOMAIN_NAME.encode())
                 + keccak256(DEPOSIT_WALLET_DOMAIN_VERSION.encode()))
_ORDER_TYPE_BYTES = ORDER_TYPE.encode()
CONTENTS_TYPE_HEX = _ORDER_TYPE_BYTES.hex() + f"{len(_ORDER_TYPE_BYTES):04x}"
"""The trailer's constant end: the ``Order(...)`` type string and its 2-byte length, as hex."""
_ECDSA_BYTES = 65


def typed_data_sign_tail(wallet: str, chain_id: int = CHAIN_ID) -> bytes:
    """The ``TypedDataSign`` words after ``contents``: name, version, chain id, wallet, zero salt."""
    return _NAME_VERSION + chain_id.to_bytes(32, "big") + address_word(wallet) + b"\x00" * 32


def typed_data_sign_digest(domain_separator: bytes, contents_hash: bytes, tail: bytes) -> bytes:
    """The digest the owner signs: ``contents_hash`` is the order's struct hash, ``tail`` from
    :func:`typed_data_sign_tail` (built once per wallet)."""
    struct_hash = keccak256(_TYPED_DATA_SIGN_TYPE_HASH + contents_hash + tail)
    return keccak256(b"\x19\x01" + domain_separator + struct_hash)


def trailer(domain_separator: bytes, contents_hash: bytes) -> str:
    """The hex (no ``0x``) appended to the owner's ECDSA signature."""
    return domain_separator.hex() + contents_hash.hex() + CONTENTS_TYPE_HEX


class Envelope(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A type-3 order signature taken apart."""

    signature: str
    """The owner's ECDSA signature, ``0x`` + 65 bytes."""
    app_domain_separator: bytes
    contents_hash: bytes
    contents_type: str

    def order_hash(self) -> bytes:
        """The order digest this envelope vouches for: ``keccak256(0x1901 || app domain || contents)``."""
        return keccak256(b"\x19\x01" + self.app_domain_separator + self.contents_hash)


def open_envelope(signature_hex: str) -> Envelope:
    """Split a type-3 signature into its parts; ``ValueError`` when it is not shaped like one."""
    body = signature_hex[2:] if signature_hex[:2] in ("0x", "0X") else signature_hex
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise ValueError("signature is not hex") from None
    if len(raw) < _ECDSA_BYTES + 64 + 2:
        raise ValueError("too short for a deposit-wallet signature")
    type_length = int.from_bytes(raw[-2:], "big")
    if len(raw) != _ECDSA_BYTES + 64 + type_length + 2:
        raise ValueError("deposit-wallet signature length does not match its contents-type length")
    at = _ECDSA_BYTES
    try:
        contents_type = raw[at + 64:-2].decode("ascii")
    except UnicodeDecodeError:
        raise ValueError("contents type is not ASCII") from None
    return Envelope(signature="0x" + raw[:at].hex(), app_domain_separator=raw[at:at + 32],
                    contents_hash=raw[at + 32:at + 64], contents_type=contents_type)
