"""secp256k1 signing of 32-byte digests (coincurve / libsecp256k1) and signature recovery.

Signatures are Ethereum style: ``0x`` + r (32 bytes) + s (32 bytes) + v (1 byte, 27 or 28), lower-case
hex. libsecp256k1 uses RFC 6979 deterministic nonces and low-s, which is exactly what eth_account
(and so the official SDK) produces, so our signatures are byte-identical to the SDK's.

The private key never appears in ``repr`` / ``str`` of a :class:`Signer`.
"""

from __future__ import annotations

import threading
from typing import Any

from coincurve import PrivateKey, PublicKey

try:  # coincurve's own cffi binding of libsecp256k1 (pinned): the allocation-free signing path
    from coincurve._libsecp256k1 import ffi as _ffi
    from coincurve._libsecp256k1 import lib as _lib
except ImportError:  # pragma: no cover - another coincurve build: the public API is used
    _ffi = _lib = None

from clob.eip712 import keccak256

__all__ = ["SignatureError", "Signer", "address_of_public_key", "checksum_address", "recover_address"]

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
_HALF_N = _SECP256K1_N // 2


class SignatureError(ValueError):
    """A malformed signature, or one that does not recover to a public key."""


def checksum_address(address: str) -> str:
    """EIP-55 mixed-case form of a ``0x`` + 40-hex address (input in any case)."""
    body = address[2:] if address[:2] in ("0x", "0X") else address
    lower = body.lower()
    if len(lower) != 40 or any(c not in "0123456789abcdef" for c in lower):
        raise ValueError(f"not a 20-byte hex address: {address!r}")
    nibbles = keccak256(lower.encode()).hex()
    return "0x" + "".join(c.upper() if c > "9" and nibbles[i] >= "8" else c for i, c in enumerate(lower))


def address_of_public_key(public_key: PublicKey) -> str:
    """Checksummed Ethereum address: the last 20 bytes of keccak(uncompressed X || Y)."""
    return checksum_address(keccak256(public_key.format(compressed=False)[1:])[-20:].hex())


class Signer:
    """Holds one private key; signs digests. Build once per key and reuse (it caches the address)."""

    __slots__ = ("_key", "_local", "address")

    def __init__(self, private_key_hex: str) -> None:
        body = private_key_hex[2:] if private_key_hex[:2] in ("0x", "0X") else private_key_hex
        try:
            raw = bytes.fromhex(body)
        except ValueError:
            raise ValueError("private key is not hex") from None
        if len(raw) != 32:
            raise ValueError("private key must be 32 bytes")
        self._key = PrivateKey(raw)
        self._local = threading.local()  # per-thread signature buffers for the fast path
        self.address: str = address_of_public_key(self._key.public_key)
        """The signer's checksummed address."""

    def __repr__(self) -> str:
        return f"Signer(address={self.address})"

    def sign_digest(self, digest: bytes) -> str:
        """Sign a 32-byte digest as-is (no extra hashing); returns ``0x`` r||s||v hex, v = 27/28."""
        if len(digest) != 32:
            raise ValueError("digest must be 32 bytes")
        if _lib is None:
            sig = self._key.sign_recoverable(digest, hasher=None)
            return "0x" + sig[:64].hex() + ("1b" if sig[64] == 0 else "1c")
        # the same two libsecp256k1 calls as PrivateKey.sign_recoverable (default RFC 6979 nonce), into
        # buffers allocated once per thread: no cffi allocation per signature (costly with cold caches)
        try:
            raw_sig, out, recid = self._local.buffers
        except AttributeError:
            raw_sig, out, recid = self._local.buffers = _buffers()
        ctx = self._key.context.ctx
        if not _lib.secp256k1_ecdsa_sign_recoverable(ctx, raw_sig, digest, self._key.secret, _ffi.NULL,
                                                     _ffi.NULL):
            raise ValueError("secp256k1 signing failed (invalid key or nonce)")
        _lib.secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, out, recid, raw_sig)
        return "0x" + _ffi.buffer(out, 64)[:].hex() + ("1b" if recid[0] == 0 else "1c")


def _buffers() -> tuple[Any, Any, Any]:
    return (_ffi.new("secp256k1_ecdsa_recoverable_signature *"), _ffi.new("unsigned char[64]"),
            _ffi.new("int *"))


def _split(signature_hex: str) -> tuple[bytes, int]:
    body = signature_hex[2:] if signature_hex[:2] in ("0x", "0X") else signature_hex
    try:
        raw = bytes.fromhex(body)
    except ValueError:
        raise SignatureError("signature is not hex") from None
    if len(raw) != 65:
        raise SignatureError(f"signature must be 65 bytes, got {len(raw)}")
    v = raw[64]
    recid = v - 27 if v >= 27 else v
    if recid not in (0, 1):
        raise SignatureError(f"bad signature v: {v}")
    return raw[:64], recid


def recover_address(digest: bytes, signature_hex: str) -> str:
    """The checksummed address that produced ``signature_hex`` over ``digest``.

    Like ecrecover behind OpenZeppelin's ``ECDSA.recover``: rejects s in the upper half
    (malleable signatures), r or s zero / out of range, and v outside 27/28 (0/1 is accepted).
    """
    if len(digest) != 32:
        raise ValueError("digest must be 32 bytes")
    rs, recid = _split(signature_hex)
    r = int.from_bytes(rs[:32], "big")
    s = int.from_bytes(rs[32:], "big")
    if not (0 < r < _SECP256K1_N and 0 < s <= _HALF_N):
        raise SignatureError("signature r/s out of range (or high s)")
    try:
        public_key = PublicKey.from_signature_and_message(rs + bytes((recid,)), digest, hasher=None)
    except Exception as error:  # coincurve raises a bare Exception on failure
        raise SignatureError("signature does not recover to a public key") from error
    return address_of_public_key(public_key)
