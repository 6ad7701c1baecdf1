"""EIP-712 hashing for Polymarket CLOB V2: exchange ``Order`` digests and ``ClobAuth`` digests.

Everything here is a pure function of its arguments. Type hashes, the default domain separators and
the constant ``ClobAuth`` pieces are computed once at import; per-order work is one 384-byte struct
encoding (``int.to_bytes``, no ABI library) and two keccak calls.

Keccak is pycryptodome's C code, called through ``clob.keccak`` (one reused state per thread, no
per-call Python objects: ~3 µs per 384-byte hash against ~6.8 µs for ``Crypto.Hash.keccak.new``).

Wire facts: PROTOCOL.md §3.1 (ClobAuth) and §4.1 (Order struct, domain, contract addresses). The
exchange's ``hashOrder`` (= the CLOB's ``orderID``) is :func:`order_digest`.
"""

from __future__ import annotations

from functools import lru_cache

from clob import keccak as _keccak

__all__ = [
    "CHAIN_ID",
    "CLOB_AUTH_DOMAIN_SEPARATOR",
    "CLOB_AUTH_MESSAGE",
    "CLOB_AUTH_TYPE_HASH",
    "CTF_EXCHANGE_V2",
    "EXCHANGE_DOMAIN_NAME",
    "EXCHANGE_V3",
    "EXCHANGE_VERSION",
    "NEG_RISK_CTF_EXCHANGE_V2",
    "ORDER_TYPE",
    "ORDER_TYPE_HASH",
    "ZERO_BYTES32",
    "address_word",
    "bytes32_word",
    "clob_auth_digest",
    "clob_auth_domain_separator",
    "clob_auth_struct_hash",
    "eip712_digest",
    "exchange_domain_separator",
    "keccak256",
    "order_digest",
    "order_struct_hash",
    "order_struct_hash_words",
]

CHAIN_ID = 137
"""Polygon mainnet."""
CTF_EXCHANGE_V2 = "0xE111180000d2663C0091e4f400237545B87B996B"
NEG_RISK_CTF_EXCHANGE_V2 = "0xe2222d279d744050d28e00520010520000310F59"
EXCHANGE_V3 = "0xe3333700cA9d93003F00f0F71f8515005F6c00Aa"
"""Protocol-V2 (``positionId``) markets: sign with ``version="3"`` and this contract."""
EXCHANGE_DOMAIN_NAME = "Polymarket CTF Exchange"
EXCHANGE_VERSION = "2"
ZERO_BYTES32 = "0x" + "00" * 32

ORDER_TYPE = (
    "Order(uint256 salt,address maker,address signer,uint256 tokenId,uint256 makerAmount,"
    "uint256 takerAmount,uint8 side,uint8 signatureType,uint256 timestamp,bytes32 metadata,"
    "bytes32 builder)"
)
_EXCHANGE_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
_CLOB_AUTH_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId)"
_CLOB_AUTH_TYPE = "ClobAuth(address address,string timestamp,uint256 nonce,string message)"
CLOB_AUTH_MESSAGE = "This message attests that I control the given wallet"

_UINT256_LIMIT = 1 << 256


def keccak256(data: bytes) -> bytes:
    """Ethereum's keccak-256 (the pre-standard SHA-3 padding) of ``data``."""
    return _keccak.keccak256(data)


def _word(value: int) -> bytes:
    """ABI-encode a uint256 as a 32-byte big-endian word (raises on negative / too large)."""
    return value.to_bytes(32, "big")


def address_word(address: str) -> bytes:
    """ABI-encode a ``0x`` + 40-hex address as a left-padded 32-byte word (any letter case)."""
    raw = bytes.fromhex(address[2:] if address[:2] in ("0x", "0X") else address)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return b"\x00" * 12 + raw


def bytes32_word(value: str) -> bytes:
    """Decode a ``0x`` + 64-hex bytes32 value."""
    raw = bytes.fromhex(value[2:] if value[:2] in ("0x", "0X") else value)
    if len(raw) != 32:
        raise ValueError(f"not a bytes32 value: {value!r}")
    return raw


ORDER_TYPE_HASH = keccak256(ORDER_TYPE.encode())
_EXCHANGE_DOMAIN_TYPE_HASH = keccak256(_EXCHANGE_DOMAIN_TYPE.encode())
_EXCHANGE_NAME_HASH = keccak256(EXCHANGE_DOMAIN_NAME.encode())
CLOB_AUTH_TYPE_HASH = keccak256(_CLOB_AUTH_TYPE.encode())
_CLOB_AUTH_MESSAGE_HASH = keccak256(CLOB_AUTH_MESSAGE.encode())
_ZERO32 = b"\x00" * 32
_SIDE_WORDS = (_ZERO32, (1).to_bytes(32, "big"))  # BUY = 0, SELL = 1


@lru_cache(maxsize=64)
def exchange_domain_separator(
    *,
    neg_risk: bool = False,
    chain_id: int = CHAIN_ID,
    contract: str | None = None,
    version: str = EXCHANGE_VERSION,
) -> bytes:
    """Domain separator of the CTF Exchange (``neg_risk=False``) or NegRisk CTF Exchange.

    ``contract`` overrides the ``verifyingContract`` (then ``neg_risk`` is ignored); ``version``
    "3" with the ExchangeV3 address gives the Protocol-V2 domain. Results are cached.
    """
    if contract is None:
        contract = NEG_RISK_CTF_EXCHANGE_V2 if neg_risk else CTF_EXCHANGE_V2
    return keccak256(
        _EXCHANGE_DOMAIN_TYPE_HASH
        + _EXCHANGE_NAME_HASH
        + keccak256(version.encode())
        + _word(chain_id)
        + address_word(contract)
    )


def eip712_digest(domain_separator: bytes, struct_hash: bytes) -> bytes:
    """The signed EIP-712 digest: ``keccak256(0x1901 || domainSeparator || hashStruct)``."""
    return keccak256(b"\x19\x01" + domain_separator + struct_hash)


def order_struct_hash(
    *,
    salt: int,
    maker: str,
    signer: str,
    token_id: int,
    maker_amount: int,
    taker_amount: int,
    side: int,
    signature_type: int,
    timestamp: int,
    metadata: str = ZERO_BYTES32,
    builder: str = ZERO_BYTES32,
) -> bytes:
    """``hashStruct(Order)`` for a V2 order. ``side`` is 0 = BUY, 1 = SELL; ints must be uint256."""
    if side not in (0, 1) or not 0 <= signature_type < 256:
        raise ValueError("side must be 0/1 and signature_type a uint8")
    return order_struct_hash_words(
        salt=salt,
        maker_signer=address_word(maker) + address_word(signer),
        token_id=token_id,
        maker_amount=maker_amount,
        taker_amount=taker_amount,
        side=side,
        signature_type_word=_word(signature_type),
        timestamp=timestamp,
        metadata_builder=(_ZERO32 if metadata == ZERO_BYTES32 else bytes32_word(metadata))
        + (_ZERO32 if builder == ZERO_BYTES32 else bytes32_word(builder)),
    )


def order_struct_hash_words(
    *,
    salt: int,
    maker_signer: bytes,
    token_id: int,
    maker_amount: int,
    taker_amount: int,
    side: int,
    signature_type_word: bytes,
    timestamp: int,
    metadata_builder: bytes = _ZERO32 + _ZERO32,
) -> bytes:
    """:func:`order_struct_hash` with the per-account words already encoded (maker and signer words,
    the signature-type word; metadata and builder words): what a signer for one account reuses."""
    return keccak256(
        b"".join(
            (
                ORDER_TYPE_HASH,
                _word(salt),
                maker_signer,
                _word(token_id),
                _word(maker_amount),
                _word(taker_amount),
                _SIDE_WORDS[side],
                signature_type_word,
                _word(timestamp),
                metadata_builder,
            )
        )
    )


def order_digest(
    domain_separator: bytes,
    *,
    salt: int,
    maker: str,
    signer: str,
    token_id: int,
    maker_amount: int,
    taker_amount: int,
    side: int,
    signature_type: int,
    timestamp: int,
    metadata: str = ZERO_BYTES32,
    builder: str = ZERO_BYTES32,
) -> bytes:
    """The exchange's ``hashOrder``: the digest the maker signs, and the CLOB ``orderID``."""
    return eip712_digest(
        domain_separator,
        order_struct_hash(
            salt=salt,
            maker=maker,
            signer=signer,
            token_id=token_id,
            maker_amount=maker_amount,
            taker_amount=taker_amount,
            side=side,
            signature_type=signature_type,
            timestamp=timestamp,
            metadata=metadata,
            builder=builder,
        ),
    )


@lru_cache(maxsize=8)
def clob_auth_domain_separator(chain_id: int = CHAIN_ID) -> bytes:
    """Domain ``{name: "ClobAuthDomain", version: "1", chainId}`` (no verifying contract)."""
    return keccak256(
        keccak256(_CLOB_AUTH_DOMAIN_TYPE.encode())
        + keccak256(b"ClobAuthDomain")
        + keccak256(b"1")
        + _word(chain_id)
    )


CLOB_AUTH_DOMAIN_SEPARATOR = clob_auth_domain_separator(CHAIN_ID)


def clob_auth_struct_hash(*, address: str, timestamp: int, nonce: int) -> bytes:
    """``hashStruct(ClobAuth)``; the timestamp is signed as its decimal *string*."""
    if timestamp < 0 or not 0 <= nonce < _UINT256_LIMIT:
        raise ValueError("timestamp and nonce must be non-negative")
    return keccak256(
        CLOB_AUTH_TYPE_HASH
        + address_word(address)
        + keccak256(str(timestamp).encode())
        + _word(nonce)
        + _CLOB_AUTH_MESSAGE_HASH
    )


def clob_auth_digest(*, address: str, timestamp: int, nonce: int = 0, chain_id: int = CHAIN_ID) -> bytes:
    """The digest an L1 (``POLY_SIGNATURE``) header signs."""
    return eip712_digest(
        clob_auth_domain_separator(chain_id),
        clob_auth_struct_hash(address=address, timestamp=timestamp, nonce=nonce),
    )
