"""Deterministic API credentials per address, and the L1 / L2 checks of the REST routes.

`api_key`, `secret` and `passphrase` are HMAC-SHA256 derivations of a venue secret and
`address.lower() + ":" + nonce`, so the same private key gets the same credentials across venue
restarts. An L2 request with a key the venue has not handed out yet (e.g. after a restart) is
accepted when the key is the one derived for its `POLY_ADDRESS`; it is then registered.
A key is derived for (and L2 requests name) the owner's address, whatever the account's type; the
key is bound to that owner's paper account (`venue.wallets`), whose wallet holds the balances.
Nothing here logs or returns a secret except the credential responses themselves.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping

from clob.auth import ApiCreds, AuthError, verify_l1_headers, verify_l2_headers
from clob.signer import checksum_address
from venue.wallets import Account, Wallets

__all__ = ["AccountStore", "AuthError"]


def _mac(secret: bytes, label: str, address: str, nonce: int) -> bytes:
    return hmac.new(secret, f"{label}|{address.lower()}|{nonce}".encode(), hashlib.sha256).digest()


class AccountStore:
    """api key -> credentials (with the owning checksummed address) and the owner's account."""

    def __init__(self, venue_secret: bytes, wallets: Wallets,
                 on_register: Callable[[str, str, str], None]) -> None:
        self._secret = venue_secret
        self.wallets = wallets
        self._on_register = on_register  # (wallet, api_key, owner): Exchange.register_account
        self._by_key: dict[str, ApiCreds] = {}

    def derive(self, address: str, nonce: int = 0) -> ApiCreds:
        address = checksum_address(address)
        key = str(uuid.UUID(bytes=_mac(self._secret, "key", address, nonce)[:16], version=4))
        secret = base64.urlsafe_b64encode(_mac(self._secret, "secret", address, nonce)).decode()
        passphrase = _mac(self._secret, "passphrase", address, nonce).hex()
        return ApiCreds(api_key=key, secret=secret, passphrase=passphrase, address=address)

    def register(self, address: str, nonce: int = 0) -> ApiCreds:
        creds = self.derive(address, nonce)
        if creds.api_key not in self._by_key:
            self._by_key[creds.api_key] = creds
            owner = creds.address or address
            self._on_register(self.wallets.account(owner).wallet, creds.api_key, owner)
        return creds

    def account(self, creds: ApiCreds) -> Account:
        """The paper account the key is bound to (its owner's)."""
        return self.wallets.account(creds.address or "")

    def forget(self, api_key: str) -> None:
        self._by_key.pop(api_key, None)

    def get(self, api_key: str) -> ApiCreds | None:
        return self._by_key.get(api_key)

    def keys_of(self, address: str) -> list[str]:
        low = address.lower()
        return [k for k, c in self._by_key.items() if c.address is not None and c.address.lower() == low]

    def check_ws(self, api_key: str, secret: str, passphrase: str) -> bool:
        """User-channel auth: all three must match what the venue handed out."""
        creds = self._by_key.get(api_key)
        return (creds is not None and hmac.compare_digest(creds.secret, secret)
                and hmac.compare_digest(creds.passphrase, passphrase))

    # ---- request checks (raise AuthError -> 401) -----------------------------------------
    def l1(self, headers: Mapping[str, str]) -> tuple[str, int]:
        return verify_l1_headers(_poly_headers(headers))

    def l2(self, headers: Mapping[str, str], method: str, path: str, body: bytes) -> ApiCreds:
        poly = _poly_headers(headers)
        return verify_l2_headers(poly, method=method, path=path, body=body,
                                 lookup=lambda key: self._lookup(key, poly))

    def _lookup(self, api_key: str, headers: Mapping[str, str]) -> ApiCreds | None:
        creds = self._by_key.get(api_key)
        if creds is not None:
            return creds
        address = headers.get("poly_address")
        if not address:
            return None
        try:
            derived = self.derive(address)
        except ValueError:
            return None
        return self.register(address) if derived.api_key == api_key else None


def _poly_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Only the POLY_* headers (lower-cased names), so verification does not copy every header."""
    return {k: v for k, v in headers.items() if k.startswith("poly")}
