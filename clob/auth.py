"""CLOB REST authentication headers: L1 (EIP-712 ``ClobAuth`` signature) and L2 (HMAC-SHA256).

Build (engine side) and verify (venue side); all pure: the caller passes the unix-seconds timestamp
and, for verification, ``now_s`` plus an allowed skew. PROTOCOL.md §3.

* L1 ``POLY_ADDRESS, POLY_NONCE, POLY_SIGNATURE, POLY_TIMESTAMP``: the wallet signs
  ``ClobAuth{address, timestamp (as a string), nonce, message}`` under domain ``ClobAuthDomain``/1.
* L2 ``POLY_ADDRESS, POLY_API_KEY, POLY_PASSPHRASE, POLY_SIGNATURE, POLY_TIMESTAMP``: the signature
  is urlsafe-base64 ``HMAC_SHA256(urlsafe_b64decode(secret), ts + METHOD + path + body)`` where the
  path has no query string and the body is the exact bytes sent (nothing when there is none).

Secrets and passphrases never appear in ``repr``, error messages or return values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from clob.eip712 import CHAIN_ID, clob_auth_digest
from clob.signer import SignatureError, Signer, recover_address

__all__ = [
    "ApiCreds",
    "AuthError",
    "hmac_signature",
    "l1_headers",
    "l2_headers",
    "verify_l1_headers",
    "verify_l2_headers",
]


class AuthError(ValueError):
    """Missing, malformed, stale or wrong authentication headers (the venue answers 401)."""


@dataclass(frozen=True, slots=True)
class ApiCreds:
    """L2 API credentials. ``address``, when set, must match the request's ``POLY_ADDRESS``."""

    api_key: str
    secret: str = field(repr=False)
    passphrase: str = field(repr=False)
    address: str | None = None


def _b64_secret(secret: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    except (binascii.Error, ValueError):
        raise AuthError("API secret is not base64") from None


_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_URLSAFE = bytes.maketrans(b"+/", b"-_")


@lru_cache(maxsize=8)
def _hmac_states(secret: str) -> tuple[hashlib._Hash, hashlib._Hash]:
    """SHA-256 states with the HMAC inner and outer key blocks absorbed (RFC 2104), once per secret:
    a request then copies two states instead of setting up an HMAC (about half the cold-cache cost)."""
    key = _b64_secret(secret)
    if len(key) > 64:  # the SHA-256 block size
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\x00")
    return hashlib.sha256(key.translate(_IPAD)), hashlib.sha256(key.translate(_OPAD))


def hmac_signature(
    secret: str, timestamp_s: int | str, method: str, path: str, body: bytes | str | None = None
) -> str:
    """The L2 ``POLY_SIGNATURE`` (urlsafe base64, padded) for one request."""
    inner_key, outer_key = _hmac_states(secret)
    inner = inner_key.copy()
    cut = path.find("?")
    inner.update(f"{timestamp_s}{method}{path if cut < 0 else path[:cut]}".encode())
    if body:
        inner.update(body.encode() if isinstance(body, str) else body)
    outer = outer_key.copy()
    outer.update(inner.digest())
    return binascii.b2a_base64(outer.digest(), newline=False).translate(_URLSAFE).decode("ascii")


def l1_headers(
    signer: Signer, *, timestamp_s: int, nonce: int = 0, chain_id: int = CHAIN_ID
) -> dict[str, str]:
    """L1 headers for ``POST /auth/api-key`` / ``GET /auth/derive-api-key``."""
    digest = clob_auth_digest(address=signer.address, timestamp=timestamp_s, nonce=nonce, chain_id=chain_id)
    return {
        "POLY_ADDRESS": signer.address,
        "POLY_NONCE": str(nonce),
        "POLY_SIGNATURE": signer.sign_digest(digest),
        "POLY_TIMESTAMP": str(timestamp_s),
    }


def l2_headers(
    creds: ApiCreds,
    *,
    address: str,
    timestamp_s: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
) -> dict[str, str]:
    """L2 headers for one request; ``address`` is the signer's (EOA) address, as the SDK sends."""
    return {
        "POLY_ADDRESS": address,
        "POLY_API_KEY": creds.api_key,
        "POLY_PASSPHRASE": creds.passphrase,
        "POLY_SIGNATURE": hmac_signature(creds.secret, timestamp_s, method, path, body),
        "POLY_TIMESTAMP": str(timestamp_s),
    }


def _normalized(headers: Mapping[str, str]) -> dict[str, str]:
    """Header names upper-cased, ``-`` read as ``_`` (HTTP servers differ on both)."""
    return {name.upper().replace("-", "_"): value for name, value in headers.items()}


def _required(headers: dict[str, str], name: str) -> str:
    value = headers.get(name)
    if not value:
        raise AuthError(f"missing {name} header")
    return value


def _timestamp(headers: dict[str, str], now_s: int | None, max_skew_s: int | None) -> str:
    raw = _required(headers, "POLY_TIMESTAMP")
    if not raw.isascii() or not raw.isdigit():
        raise AuthError("POLY_TIMESTAMP must be unix seconds")
    if now_s is not None and max_skew_s is not None and abs(int(raw) - now_s) > max_skew_s:
        raise AuthError("POLY_TIMESTAMP is outside the allowed clock skew")
    return raw


def verify_l1_headers(
    headers: Mapping[str, str],
    *,
    now_s: int | None = None,
    max_skew_s: int | None = None,
    chain_id: int = CHAIN_ID,
) -> tuple[str, int]:
    """Check L1 headers; returns ``(checksummed address, nonce)`` or raises :class:`AuthError`.

    The timestamp is checked against ``now_s`` only when both ``now_s`` and ``max_skew_s`` are given.
    """
    norm = _normalized(headers)
    address = _required(norm, "POLY_ADDRESS")
    timestamp = int(_timestamp(norm, now_s, max_skew_s))
    nonce_raw = norm.get("POLY_NONCE") or "0"
    if not nonce_raw.isascii() or not nonce_raw.isdigit() or int(nonce_raw) >= 1 << 256:
        raise AuthError("POLY_NONCE must be a uint256")
    nonce = int(nonce_raw)
    signature = _required(norm, "POLY_SIGNATURE")
    try:
        digest = clob_auth_digest(address=address, timestamp=timestamp, nonce=nonce, chain_id=chain_id)
        recovered = recover_address(digest, signature)
    except (SignatureError, ValueError) as error:
        raise AuthError(f"invalid L1 signature: {error}") from error
    if recovered.lower() != address.lower():
        raise AuthError("invalid L1 signature: it does not recover to POLY_ADDRESS")
    return recovered, nonce


def verify_l2_headers(
    headers: Mapping[str, str],
    *,
    method: str,
    path: str,
    body: bytes | str | None,
    lookup: Callable[[str], ApiCreds | None],
    now_s: int | None = None,
    max_skew_s: int | None = None,
) -> ApiCreds:
    """Check L2 headers of one request; returns the caller's :class:`ApiCreds` or raises.

    ``lookup(api_key)`` returns the stored credentials (``None`` = unknown key), e.g. ``dict.get``.
    ``path`` may include a query string (it is not signed); ``body`` is the raw request body.
    """
    norm = _normalized(headers)
    creds = lookup(_required(norm, "POLY_API_KEY"))
    if creds is None:
        raise AuthError("unknown API key")
    address = _required(norm, "POLY_ADDRESS")
    if creds.address is not None and creds.address.lower() != address.lower():
        raise AuthError("POLY_ADDRESS does not own this API key")
    if not hmac.compare_digest(_required(norm, "POLY_PASSPHRASE").encode(), creds.passphrase.encode()):
        raise AuthError("wrong passphrase")
    timestamp = _timestamp(norm, now_s, max_skew_s)
    expected = hmac_signature(creds.secret, timestamp, method, path, body)
    given = _required(norm, "POLY_SIGNATURE").translate(str.maketrans("+/", "-_")).rstrip("=")
    if not hmac.compare_digest(given.encode(), expected.rstrip("=").encode()):
        raise AuthError("invalid L2 signature")
    return creds
