"""API credentials: given in the environment, or derived over L1 (PROTOCOL.md §3.1), then shared.

``GET /auth/derive-api-key`` re-derives the key bound to this signer (nonce 0); if the venue has none
yet, ``POST /auth/api-key`` creates it (never in dry run: derive only). The result is written to
``$PM_RUN_DIR/api-creds.json`` (0600, in the 0700 run directory) for the user-feed. Credentials never
travel on the bus and are never logged; only where they came from is.

When to try (``Attempts``, pure, time passed in): at once, then after 1 s, 2 s, 4 s ... 30 s. Live trading
on Polymarket fails fast: when no try has succeeded within ``START_DEADLINE_S`` (10 s, every request's
timeout cut to what is left of it), the executor gives up and exits 2 (a wrong key, or a venue that is
unreachable, is known before anything is quoted). Against the local venue (it may start after us) and
in dry run it keeps trying. Once obtained, credentials are kept; later failures of other requests
(heartbeats, orders, lists) are retried by their own rules, never by exiting. The tries run off the
executor's loop (``Session.fetch`` on a ``Bridge`` worker, with a connection of their own).

The key is always the owner's (L1 ``POLY_ADDRESS`` is the key's own address for every wallet type, as
polymarket-client does); the shared file names the wallet (``address``: our orders' maker, by which the
user-feed knows our fills) and the owner (``signer``: the L2 ``POLY_ADDRESS``). A try also runs the
wallet's start-up check (``wallet_check``) once credentials are in: a wallet that is not deployed is a
configuration error (``refused``: exit 2 at once, never retried).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, NamedTuple

import msgspec

from actors.executor.core.venue_requests import HttpResult
from actors.executor.wire.rest import RestClient
from actors.executor.wire.wallet_check import WalletCheck
from bus.config import ConfigError
from bus.logs import Logger
from clob.auth import ApiCreds
from clob.signer import Signer
from venue_client.credentials import ApiCredentials, write_creds

MAX_WAIT_S = 30.0
START_DEADLINE_S = 10.0


class Tried(NamedTuple):
    """One try's outcome: credentials and where they came from; or why not, and whether that is final."""

    creds: ApiCredentials | None
    why: str  # env | derived | created, or the failure
    refused: ConfigError | None = None  # the wallet check's verdict: a configuration error (exit 2)


def parse_creds(res: HttpResult, address: str, signer: str = "") -> ApiCredentials | None:
    body: Any = res.body
    if not res.ok or not isinstance(body, dict):
        return None
    key, secret, passphrase = (body.get(k) for k in ("apiKey", "secret", "passphrase"))
    if not (isinstance(key, str) and isinstance(secret, str) and isinstance(passphrase, str)):
        return None
    if not (key and secret and passphrase):
        return None
    return ApiCredentials(api_key=key, secret=secret, passphrase=passphrase, address=address,
                          signer=signer or address)


def obtain(rest: RestClient, signer: Signer, given: ApiCredentials, funder: str, *, create: bool = True,
           timeout_ms: int = 0) -> tuple[ApiCredentials | None, str]:
    """``(credentials, source)`` with source env | derived | created; ``(None, why)`` on failure.
    ``create=False``: derive only (a GET), never ``POST /auth/api-key``."""
    if given.complete:
        return ApiCredentials(api_key=given.api_key, secret=given.secret, passphrase=given.passphrase,
                              address=given.address or funder, signer=signer.address), "env"
    derived = rest.l1("GET", "/auth/derive-api-key", signer, timeout_ms=timeout_ms)
    creds = parse_creds(derived, funder, signer.address)
    if creds is not None:
        return creds, "derived"
    if not create:
        return None, f"derive: {_why(derived)} (dry run: no key is created)"
    created = rest.l1("POST", "/auth/api-key", signer, timeout_ms=timeout_ms)
    creds = parse_creds(created, funder, signer.address)
    if creds is not None:
        return creds, "created"
    return None, f"derive: {_why(derived)}; create: {_why(created)}"


def l2_creds(creds: ApiCredentials) -> ApiCreds:
    return ApiCreds(api_key=creds.api_key, secret=creds.secret, passphrase=creds.passphrase)


def _why(res: HttpResult) -> str:
    return f"HTTP {res.status} {res.error}".strip() if res.status == 0 else f"HTTP {res.status}"


class Attempts:
    """When to try next, and whether to give up (pure: ``now_s`` is passed in, monotonic seconds).

    Tries at once, then after 1 s, 2 s, 4 s ... ``MAX_WAIT_S``. With a ``deadline_s`` it gives up once the
    next try would start later than that many seconds after the first one."""

    __slots__ = ("deadline_s", "first_s", "gave_up", "next_s", "tries", "wait_s")

    def __init__(self, deadline_s: float | None = None) -> None:
        self.deadline_s = deadline_s
        self.first_s: float | None = None
        self.next_s = 0.0
        self.wait_s = 1.0
        self.tries = 0
        self.gave_up = False

    def due(self, now_s: float) -> bool:
        if self.first_s is None:
            self.first_s = now_s
        return not self.gave_up and now_s >= self.next_s

    def timeout_ms(self, now_s: float, timeout_ms: int) -> int:
        """A request's timeout within what is left of the deadline (at least 100 ms)."""
        if self.deadline_s is None or self.first_s is None:
            return timeout_ms
        left_ms = int((self.first_s + self.deadline_s - now_s) * 1000)
        return max(100, min(timeout_ms, left_ms))

    def failed(self, now_s: float) -> None:
        self.tries += 1
        self.next_s, self.wait_s = now_s + self.wait_s, min(MAX_WAIT_S, self.wait_s * 2)
        first = self.first_s if self.first_s is not None else now_s
        if self.deadline_s is not None and self.next_s > first + self.deadline_s:
            self.gave_up = True

    def elapsed_s(self, now_s: float) -> float:
        return now_s - self.first_s if self.first_s is not None else 0.0


class Session:
    """Obtains the credentials once (``Attempts``), shares them, sets them on its REST client. The shell
    runs ``fetch`` off the loop (``bus.bridge.Bridge``) whenever ``due``, hands the result to ``settle``
    on the loop, then starts the heartbeat on ``creds``; ``try_obtain`` is the three in a row.
    ``gave_up``: the start-up deadline passed (live trading only); ``refused``: the wallet check found a
    configuration error (exit 2); ``funder``: the wallet, as the check found it."""

    def __init__(self, rest: RestClient, signer: Signer, *, given: ApiCredentials, funder: str, run_dir: str,
                 log: Logger, create: bool = True, deadline_s: float | None = None, timeout_ms: int = 2_000,
                 clock: Callable[[], float] = time.monotonic, check: WalletCheck | None = None) -> None:
        self.rest, self.signer, self.given, self.funder, self.run_dir, self.log = (
            rest, signer, given, funder, run_dir, log)
        self.create, self.timeout_ms, self.clock, self.check = create, timeout_ms, clock, check
        self.attempts = Attempts(deadline_s)
        self.ready = False
        self.creds: ApiCreds | None = None
        self.error = ""
        self.refused: ConfigError | None = None

    @property
    def gave_up(self) -> bool:
        return self.attempts.gave_up

    def give_up(self, url: str) -> str:
        """Log why there are no credentials (``credentials_unavailable``); the line for people (stderr)."""
        tries, seconds = self.attempts.tries, round(self.attempts.elapsed_s(self.clock()), 1)
        self.log.error("credentials_unavailable", error=self.error, tries=tries, seconds=seconds,
                       rest_url=url)
        return (f"executor: cannot obtain API credentials from {url} ({self.error}) after {tries} tries in "
                f"{seconds} s; check the private key, the API credentials and the network. Exiting.\n")

    def due(self) -> bool:
        """Is it time for a try (and is one still wanted)?"""
        return not self.ready and self.refused is None and self.attempts.due(self.clock())

    def fetch(self) -> Tried:
        """One try: the blocking L1 round trips, then the wallet check (off the loop), within what is left
        of the deadline."""
        timeout_ms = self.attempts.timeout_ms(self.clock(), self.timeout_ms)
        creds, source = obtain(self.rest, self.signer, self.given, self.funder, create=self.create,
                               timeout_ms=timeout_ms)
        if creds is None or self.check is None or not self.check.needed:
            return Tried(creds, source)
        verdict = self.check.run(self.attempts.timeout_ms(self.clock(), self.timeout_ms))
        if verdict.wallet is None:
            return Tried(None, verdict.error or "wallet check refused", verdict.refused)
        return Tried(msgspec.structs.replace(creds, address=verdict.wallet.address), source)

    def settle(self, result: tuple[Any, ...]) -> bool:
        """The try's outcome (on the loop): True once credentials are in place."""
        creds, source, refused = Tried(*result)
        if refused is not None:
            self.refused, self.error = refused, str(refused)
            return False
        if creds is None:
            self.error = source
            self.attempts.failed(self.clock())
            if not self.gave_up:
                retry_s = round(self.attempts.next_s - self.clock(), 1)
                self.log.warning("credentials_failed", error=source, retry_s=retry_s)
            return False
        write_creds(self.run_dir, creds)
        self.creds = self.rest.creds = l2_creds(creds)
        self.ready = True
        self.funder = creds.address or self.funder
        self.log.info("credentials_ready", source=source, address=self.signer.address, funder=self.funder)
        return True

    def try_obtain(self) -> bool:
        """True once credentials are in place (a blocking L1 round trip when it is time to try)."""
        if not self.due():
            return self.ready
        return self.settle(self.fetch())
