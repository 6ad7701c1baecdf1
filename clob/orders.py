"""CLOB V2 limit orders: building and signing (amounts: ``amounts``; JSON bodies: ``order_json``).

Prices and sizes enter as integers in 1e-6 units (the bus unit); the SDK-exact amounts and their rounding
are ``clob.amounts`` (re-exported here).

``order_id`` is the EIP-712 digest of the order, which is what the exchange's ``hashOrder`` returns
and what the CLOB reports as ``orderID`` (the SDK never computes it locally).
"""

from __future__ import annotations

import os
import secrets

import msgspec

from clob.amounts import (
    ROUNDING,
    TICK_SIZES,
    OrderError,
    RoundingConfig,
    Side,
    order_amounts,
    order_amounts_decimal,
    tick_units,
)
from clob.eip712 import (
    CHAIN_ID,
    ZERO_BYTES32,
    address_word,
    eip712_digest,
    exchange_domain_separator,
    order_struct_hash,
    order_struct_hash_words,
)
from clob.poly1271 import CONTENTS_TYPE_HEX, trailer, typed_data_sign_digest, typed_data_sign_tail
from clob.poly1271 import SIGNATURE_TYPE as POLY_1271
from clob.signer import Signer

__all__ = [
    "ROUNDING",
    "TICK_SIZES",
    "AccountSigner",
    "OrderError",
    "RoundingConfig",
    "Side",
    "SignedOrder",
    "UnsignedOrder",
    "build_order",
    "check_order",
    "is_v2_position_id",
    "new_salt",
    "order_amounts",
    "order_amounts_decimal",
    "order_hashes",
    "order_id_of",
    "sign_order",
    "tick_units",
]

SALT_BITS = 53
"""The SDK draws 53-bit salts (a JSON int any JavaScript reader keeps exact)."""
_V2_POSITION_RESERVED_BITS = ((1 << 64) - 1) << 40
_UINT256_LIMIT = 1 << 256


class UnsignedOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The fields of a V2 order before signing (amounts in 1e-6 units)."""

    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: Side
    expiration: int = 0
    signature_type: int = 0
    timestamp_ms: int
    metadata: str = ZERO_BYTES32
    builder: str = ZERO_BYTES32


class SignedOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A signed V2 order: the ``order`` object of ``POST /order`` plus its ``order_id``."""

    order_id: str
    salt: int
    maker: str
    signer: str
    token_id: str
    maker_amount: int
    taker_amount: int
    side: Side
    expiration: int
    signature_type: int
    timestamp_ms: int
    metadata: str
    builder: str
    signature: str


_SALT_MASK = (1 << SALT_BITS) - 1
_SALTS_PER_DRAW = 64
_salts: list[int] = []
os.register_at_fork(after_in_child=_salts.clear)  # a child never reuses its parent's salts


def new_salt() -> int:
    """A fresh random salt like the SDK's (53 bits from ``secrets``).

    Drawn 64 at a time (one ``secrets`` call, i.e. one ``getrandom`` syscall, per 64 orders, instead of
    one per order on the hot path); each is still 53 independent bits from the OS generator."""
    try:
        return _salts.pop()
    except IndexError:
        bits = secrets.randbits(SALT_BITS * _SALTS_PER_DRAW)
        _salts.extend((bits >> (SALT_BITS * i)) & _SALT_MASK for i in range(1, _SALTS_PER_DRAW))
        return bits & _SALT_MASK


def is_v2_position_id(token_id: str) -> bool:
    """True for Protocol-V2 position ids (bits 40..103 all zero), which the SDK signs for
    ExchangeV3 (domain version "3"); CTF token ids are keccak hashes and never look like this."""
    return int(token_id) & _V2_POSITION_RESERVED_BITS == 0


def check_order(token_id: str, side: Side, price_u: int, size_u: int, tick_u: int, salt: int = 0,
                timestamp_ms: int = 0, expiration: int = 0) -> tuple[int, int]:
    """:func:`build_order`'s checks without building anything; returns ``(maker_amount, taker_amount)``."""
    amounts = order_amounts(side, price_u, size_u, tick_u)
    if not token_id.isascii() or not token_id.isdigit() or int(token_id) >= _UINT256_LIMIT:
        raise OrderError(f"token id must be a uint256 decimal string: {token_id!r}")
    if not (0 <= salt < _UINT256_LIMIT and 0 <= timestamp_ms < _UINT256_LIMIT and expiration >= 0):
        raise OrderError("salt, timestamp_ms and expiration must be non-negative (uint256)")
    return amounts


def build_order(
    *,
    signer: str,
    token_id: str,
    side: Side,
    price_u: int,
    size_u: int,
    tick_u: int,
    salt: int,
    timestamp_ms: int,
    maker: str | None = None,
    signature_type: int = 0,
    expiration: int = 0,
    metadata: str = ZERO_BYTES32,
    builder: str = ZERO_BYTES32,
) -> UnsignedOrder:
    """An unsigned limit order. ``maker`` (the funder) defaults to ``signer`` (an EOA account).

    ``signer`` should be :attr:`Signer.address` (checksummed: it goes verbatim into the JSON body);
    for a deposit wallet (``signature_type=3``) both ``signer`` and ``maker`` are the wallet, as the
    SDK builds them. ``expiration`` is unix seconds (0 = none) and is not signed; ``timestamp_ms`` is
    signed and makes each order unique per address.
    """
    maker_amount, taker_amount = check_order(token_id, side, price_u, size_u, tick_u, salt, timestamp_ms,
                                             expiration)
    return UnsignedOrder(
        salt=salt,
        maker=signer if maker is None else maker,
        signer=signer,
        token_id=token_id,
        maker_amount=maker_amount,
        taker_amount=taker_amount,
        side=side,
        expiration=expiration,
        signature_type=signature_type,
        timestamp_ms=timestamp_ms,
        metadata=metadata,
        builder=builder,
    )


def order_hashes(order: UnsignedOrder | SignedOrder, domain_separator: bytes) -> tuple[bytes, bytes]:
    """``(struct hash, EIP-712 digest)`` of an order under ``domain_separator``."""
    struct_hash = order_struct_hash(
        salt=order.salt,
        maker=order.maker,
        signer=order.signer,
        token_id=int(order.token_id),
        maker_amount=order.maker_amount,
        taker_amount=order.taker_amount,
        side=0 if order.side == "BUY" else 1,
        signature_type=order.signature_type,
        timestamp=order.timestamp_ms,
        metadata=order.metadata,
        builder=order.builder,
    )
    return struct_hash, eip712_digest(domain_separator, struct_hash)


def order_id_of(order: UnsignedOrder | SignedOrder, domain_separator: bytes) -> bytes:
    """The EIP-712 digest of an order under ``domain_separator`` (32 bytes): the exchange's
    ``hashOrder`` and the CLOB's ``orderID``, whatever the signature type."""
    return order_hashes(order, domain_separator)[1]


def sign_order(
    signer: Signer,
    order: UnsignedOrder,
    *,
    neg_risk: bool,
    domain_separator: bytes | None = None,
    chain_id: int = CHAIN_ID,
) -> SignedOrder:
    """Sign ``order`` for the CTF Exchange V2 (``neg_risk=False``) or the NegRisk exchange.

    ``domain_separator`` overrides the exchange domain (another chain / contract / version); it is
    required for Protocol-V2 position ids (ExchangeV3, version "3"), which are refused otherwise.
    Types 0-2: ``signer`` is the order's signer and signs the order digest. Type 3 (deposit wallet):
    ``signer`` is the wallet's owner, the order's signer and maker are the wallet, and the signature is
    the ERC-7739 envelope of ``clob.poly1271`` (``chain_id`` is its ``TypedDataSign`` chain id).
    """
    if order.signature_type == POLY_1271:
        if order.signer.lower() != order.maker.lower() or order.signer.lower() == signer.address.lower():
            raise OrderError(_NOT_A_WALLET)
    elif order.signer.lower() != signer.address.lower():
        raise OrderError("order.signer is not this signer's address")
    if domain_separator is None and is_v2_position_id(order.token_id):
        raise OrderError("Protocol-V2 position id: pass the ExchangeV3 domain_separator")
    domain = domain_separator or exchange_domain_separator(neg_risk=neg_risk)
    struct_hash, digest = order_hashes(order, domain)
    if order.signature_type == POLY_1271:
        tail = typed_data_sign_tail(order.signer, chain_id)
        signature = (signer.sign_digest(typed_data_sign_digest(domain, struct_hash, tail))
                     + trailer(domain, struct_hash))
    else:
        signature = signer.sign_digest(digest)
    return SignedOrder(
        order_id="0x" + digest.hex(),
        salt=order.salt,
        maker=order.maker,
        signer=order.signer,
        token_id=order.token_id,
        maker_amount=order.maker_amount,
        taker_amount=order.taker_amount,
        side=order.side,
        expiration=order.expiration,
        signature_type=order.signature_type,
        timestamp_ms=order.timestamp_ms,
        metadata=order.metadata,
        builder=order.builder,
        signature=signature,
    )


_NOT_A_WALLET = "a deposit-wallet order has signer = maker = the deposit wallet (not the owner's address)"


class AccountSigner:
    """``build_order`` + ``sign_order`` for one account in one step, for the executor's hot path.

    What is constant per account is encoded once (maker and signer words, the signature-type word,
    both exchange domain separators; for a deposit wallet also the ``TypedDataSign`` tail and the
    trailer's domain part) and no ``UnsignedOrder`` is built: the result is the very same
    ``SignedOrder`` (tests/unit/test_clob_fast_paths.py proves it), with the default ``metadata`` and
    ``builder``. Raises :class:`OrderError` exactly where the two-step path would.

    ``maker`` is the funder: the proxy or Safe for types 1 and 2, the deposit wallet for type 3 (which
    is then also the order's signer; ``signer`` is its owner's key).
    """

    __slots__ = ("_domains", "_maker_signer", "_tail", "_trailers", "_type", "maker", "order_signer",
                 "signature_type", "signer")

    def __init__(self, signer: Signer, *, maker: str | None = None, signature_type: int = 0) -> None:
        self.signer = signer
        self.maker = signer.address if maker is None else maker
        self.signature_type = signature_type
        self.order_signer = self.maker if signature_type == POLY_1271 else signer.address
        """The order's ``signer`` field: the key's address, or the deposit wallet for type 3."""
        self._maker_signer = address_word(self.maker) + address_word(self.order_signer)
        self._type = signature_type.to_bytes(32, "big") if 0 <= signature_type < 256 else b""
        self._domains = (exchange_domain_separator(neg_risk=False), exchange_domain_separator(neg_risk=True))
        self._tail = typed_data_sign_tail(self.maker) if signature_type == POLY_1271 else b""
        self._trailers = tuple(domain.hex() for domain in self._domains)

    def sign(self, *, token_id: str, side: Side, price_u: int, size_u: int, tick_u: int, salt: int,
             timestamp_ms: int, neg_risk: bool, expiration: int = 0) -> SignedOrder:
        maker_amount, taker_amount = check_order(token_id, side, price_u, size_u, tick_u, salt, timestamp_ms,
                                                 expiration)
        token = int(token_id)
        if token & _V2_POSITION_RESERVED_BITS == 0:
            raise OrderError("Protocol-V2 position id: pass the ExchangeV3 domain_separator")
        if not self._type:
            raise ValueError("side must be 0/1 and signature_type a uint8")
        if self._tail and self.order_signer == self.signer.address:
            raise OrderError(_NOT_A_WALLET)
        struct_hash = order_struct_hash_words(
            salt=salt, maker_signer=self._maker_signer, token_id=token, maker_amount=maker_amount,
            taker_amount=taker_amount, side=side == "SELL", signature_type_word=self._type,
            timestamp=timestamp_ms)
        domain = self._domains[neg_risk]
        digest = eip712_digest(domain, struct_hash)
        if self._tail:
            signature = (self.signer.sign_digest(typed_data_sign_digest(domain, struct_hash, self._tail))
                         + self._trailers[neg_risk] + struct_hash.hex() + CONTENTS_TYPE_HEX)
        else:
            signature = self.signer.sign_digest(digest)
        return SignedOrder(
            order_id="0x" + digest.hex(), salt=salt, maker=self.maker, signer=self.order_signer,
            token_id=token_id, maker_amount=maker_amount, taker_amount=taker_amount, side=side,
            expiration=expiration, signature_type=self.signature_type, timestamp_ms=timestamp_ms,
            metadata=ZERO_BYTES32, builder=ZERO_BYTES32, signature=signature)

