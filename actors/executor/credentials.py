"""API credentials: given in the environment, or derived over L1 (PROTOCOL.md §3.1), then shared.

``GET /auth/derive-api-key`` re-derives the key bound to this signer (nonce 0); if the venue has none
yet, ``POST /auth/api-key`` creates it. The result is written to ``$PM_RUN_DIR/api-creds.json``
(0600, in the 0700 run directory) for the user-feed. Credentials never travel on the bus and are
never logged; only where they came from is.
"""

from __future__ import annotations

import time
from typing import Any

from actors.common.polymarket import ApiCredentials, write_creds
from actors.executor.actions import HttpResult
from actors.executor.rest import RestClient
from bus.logs import Logger
from clob.auth import ApiCreds
from clob.signer import Signer

MAX_WAIT_S = 30.0


def parse_creds(res: HttpResult, address: str) -> ApiCredentials | None:
    body: Any = res.body
    if not res.ok or not isinstance(body, dict):
        return None
    key, secret, passphrase = (body.get(k) for k in ("apiKey", "secret", "passphrase"))
    if not (isinstance(key, str) and isinstance(secret, str) and isinstance(passphrase, str)):
        return None
    if not (key and secret and passphrase):
        return None
    return ApiCredentials(api_key=key, secret=secret, passphrase=passphrase, address=address)


def obtain(rest: RestClient, signer: Signer, given: ApiCredentials,
           funder: str) -> tuple[ApiCredentials | None, str]:
    """``(credentials, source)`` with source env | derived | created; ``(None, why)`` on failure."""
    if given.complete:
        return ApiCredentials(api_key=given.api_key, secret=given.secret, passphrase=given.passphrase,
                              address=given.address or funder), "env"
    derived = rest.l1("GET", "/auth/derive-api-key", signer)
    creds = parse_creds(derived, funder)
    if creds is not None:
        return creds, "derived"
    created = rest.l1("POST", "/auth/api-key", signer)
    creds = parse_creds(created, funder)
    if creds is not None:
        return creds, "created"
    return None, f"derive: {_why(derived)}; create: {_why(created)}"


def l2_creds(creds: ApiCredentials) -> ApiCreds:
    return ApiCreds(api_key=creds.api_key, secret=creds.secret, passphrase=creds.passphrase)


def _why(res: HttpResult) -> str:
    return f"HTTP {res.status} {res.error}".strip() if res.status == 0 else f"HTTP {res.status}"


class Session:
    """Obtains the credentials once (retrying with back-off: 1 s, 2 s ... 30 s), shares them, sets
    them on the REST client. The shell then starts the heartbeat on them."""

    def __init__(self, rest: RestClient, signer: Signer, *, given: ApiCredentials, funder: str, run_dir: str,
                 log: Logger) -> None:
        self.rest, self.signer, self.given, self.funder, self.run_dir, self.log = (
            rest, signer, given, funder, run_dir, log)
        self.ready = False
        self._at, self._wait = 0.0, 1.0

    def try_obtain(self) -> bool:
        """True once credentials are in place (a blocking L1 round trip when it is time to try)."""
        if self.ready or time.monotonic() < self._at:
            return self.ready
        creds, source = obtain(self.rest, self.signer, self.given, self.funder)
        if creds is None:
            self.log.warning("credentials_failed", error=source, retry_s=self._wait)
            self._at, self._wait = time.monotonic() + self._wait, min(MAX_WAIT_S, self._wait * 2)
            return False
        write_creds(self.run_dir, creds)
        self.rest.creds = l2_creds(creds)
        self.ready = True
        self.log.info("credentials_ready", source=source, address=self.signer.address, funder=self.funder)
        return True
