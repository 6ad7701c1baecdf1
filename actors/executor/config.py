"""The executor's configuration (``PM_EXEC_*``, ``PM_ALLOW_TAKER_EXIT``, ``PM_RATE_TIER``, ``POLYMARKET_*``)
and the private-key rules of the three modes (ARCHITECTURE "Modes").

| PM_VENUE | PM_DRY_RUN | key |
|---|---|---|
| local | ignored | ``POLYMARKET_PRIVATE_KEY``, else the documented ``LOCAL_TEST_PRIVATE_KEY`` |
| polymarket | true | the key if given, else the local test key: orders are signed and logged, never sent |
| polymarket | false | ``POLYMARKET_PRIVATE_KEY`` required, and not the local test key: else exit 2 |

Credentials (``wire/credentials.py``): live trading on Polymarket derives (or creates) them within 10 s of
start or exits 2; the local venue is tried until it answers; a dry run derives them only (never creates) and
only when a real key is given (``derives_in_dry_run``), so the user-feed can watch the real account.

The wallet (``POLYMARKET_SIGNATURE_TYPE``, ``POLYMARKET_FUNDER_ADDRESS``; in paper mode
``PM_VENUE_ACCOUNT_TYPE``): ``wallet.py`` has its rules; ``POLYMARKET_RELAYER_URL`` is where the start-up
check asks whether it is deployed (``relayer_url``).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from actors.executor.core.params import ForeignPolicy, Params, ReplaceMode
from actors.executor.core.presign import PresignCache
from actors.executor.core.rate_limits import TierName
from actors.executor.wallet import TYPE_VAR, VENUE_TYPE_VAR, AccountWallet, parse_type, resolve_wallet
from bus.config import ConfigError, Env
from clob.signer import Signer
from schemas.commands import MAX_SIGNED_AGE_MS
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY, VenueEndpoints
from venue_client.urls import HTTP, check_url

POLYMARKET_RELAYER = "https://relayer-v2.polymarket.com"  # polymarket-client 0.14.0 PRODUCTION relayer_url


class ExecutorConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The account's wallet: `POLYMARKET_SIGNATURE_TYPE` (0 EOA, 1 POLY_PROXY, 2 GNOSIS_SAFE, 3
    DEPOSIT_WALLET, the number or the name; empty: `PM_VENUE_ACCOUNT_TYPE` in paper mode, else EOA) and
    `POLYMARKET_FUNDER_ADDRESS` (the wallet; empty: derived from the key); `POLYMARKET_RELAYER_URL` (empty:
    Polymarket's relayer, or the local venue's `/relayer`) is asked at start whether that wallet is deployed.
    See README, "Wallet types". Pre-signing (off by default): `PM_EXEC_PRESIGN_MAX_AGE_MS` > 0 signs each
    slot's likely next orders (`PM_EXEC_PRESIGN_TICKS` either side, at most `PM_EXEC_PRESIGN_CACHE`) in
    idle time and sends none older than that many ms (docs/performance.md, "Pre-signing").
    """

    private_key: Annotated[str, Env("POLYMARKET_PRIVATE_KEY", secret=True)] = ""
    funder: Annotated[str, Env("POLYMARKET_FUNDER_ADDRESS")] = ""
    # the account's wallet type: 0 EOA, 1 POLY_PROXY, 2 GNOSIS_SAFE, 3 DEPOSIT_WALLET (number or name); empty:
    # in paper mode the local venue's PM_VENUE_ACCOUNT_TYPE, else EOA (README "Wallet types")
    sig_type: Annotated[str, Env("POLYMARKET_SIGNATURE_TYPE")] = ""
    venue_account_type: Annotated[str, Env("PM_VENUE_ACCOUNT_TYPE")] = ""  # read in paper mode only
    relayer_url: Annotated[str, Env("POLYMARKET_RELAYER_URL")] = ""  # default: see ``relayer_url``
    startup: Annotated[Literal["cancel", "adopt"], Env("PM_EXEC_STARTUP")] = "cancel"
    # orders of the account the engine did not place (``core/foreign_orders.py``): cancel_traded cancels them
    # only in markets a running coordinator (or the engine) trades and reports the others once;
    # cancel_all cancels every one; keep never cancels one
    foreign_orders: Annotated[ForeignPolicy, Env("PM_EXEC_FOREIGN_ORDERS")] = "cancel_traded"
    allow_taker_exit: Annotated[bool, Env("PM_ALLOW_TAKER_EXIT")] = False
    rate_tier: Annotated[TierName, Env("PM_RATE_TIER")] = "standard"
    db_path: Annotated[str, Env("PM_EXEC_DB")] = ""  # default: executor.sqlite beside $PM_RUN_DIR (var/)
    http_timeout_ms: Annotated[int, Env("PM_EXEC_HTTP_TIMEOUT_MS"), Meta(ge=50, le=30_000)] = 2_000
    heartbeat_ms: Annotated[int, Env("PM_EXEC_HEARTBEAT_MS"), Meta(ge=100, le=8_000)] = 5_000
    heartbeat_path: Annotated[Literal["/v1/heartbeats", "/heartbeats"], Env("PM_EXEC_HEARTBEAT_PATH")] = (
        "/v1/heartbeats")
    silence_beats: Annotated[int, Env("PM_EXEC_SILENCE_BEATS"), Meta(ge=1, le=100)] = 3
    cross_backoff_ms: Annotated[int, Env("PM_EXEC_CROSS_BACKOFF_MS"), Meta(ge=0)] = 1_000
    rate_backoff_ms: Annotated[int, Env("PM_EXEC_RATE_BACKOFF_MS"), Meta(ge=0)] = 10_000
    balance_block_ms: Annotated[int, Env("PM_EXEC_BALANCE_BLOCK_MS"), Meta(ge=0)] = 30_000
    post_only_mode_ms: Annotated[int, Env("PM_EXEC_POST_ONLY_MODE_MS"), Meta(ge=0)] = 120_000
    # pipelined: a replacing order (same asset and side) is sent first and the cancel of the order it replaces
    # right behind it, no waiting for replies (both may rest for a moment); confirmed: the place waits for
    # the venue's answer to the cancel
    replace: Annotated[ReplaceMode, Env("PM_EXEC_REPLACE")] = "pipelined"
    reconcile_ms: Annotated[int, Env("PM_EXEC_RECONCILE_MS"), Meta(ge=10, le=60_000)] = 1_000
    sync_ms: Annotated[int, Env("PM_EXEC_SYNC_MS"), Meta(ge=0)] = 30_000  # 0: no periodic sync
    orders_publish_ms: Annotated[int, Env("PM_EXEC_ORDERS_PUBLISH_MS"), Meta(ge=100)] = 2_000
    state_publish_ms: Annotated[int, Env("PM_EXEC_STATE_PUBLISH_MS"), Meta(ge=100)] = 1_000
    # inventory vs the venue's token balances, per leased market (0: off); a mismatch on this many
    # consecutive checks, with no fill in between, is RiskEvent inventory_mismatch "halt"
    inventory_check_ms: Annotated[int, Env("PM_RECONCILE_MS"), Meta(ge=0, le=600_000)] = 5_000
    inventory_check_confirm: Annotated[int, Env("PM_RECONCILE_CONFIRM"), Meta(ge=1, le=1000)] = 3
    # pre-signing (``core/presign.py``): the oldest a pre-signed order's signed timestamp may be when sent
    # (Polymarket does not document what it accepts); 0: off (the default, everywhere: docs/performance.md)
    # (at most the oldest livetest may ask the executor to sign: livetest can check any value allowed here)
    presign_max_age_ms: Annotated[int, Env("PM_EXEC_PRESIGN_MAX_AGE_MS"),
                                  Meta(ge=0, le=MAX_SIGNED_AGE_MS)] = 0
    presign_ticks: Annotated[int, Env("PM_EXEC_PRESIGN_TICKS"), Meta(ge=0, le=50)] = 1  # prices either side
    presign_cache: Annotated[int, Env("PM_EXEC_PRESIGN_CACHE"), Meta(ge=1, le=4096)] = 64  # orders at most

    def __post_init__(self) -> None:
        parse_type(TYPE_VAR, self.sig_type)  # a bad name or number: exit 2 naming it
        parse_type(VENUE_TYPE_VAR, self.venue_account_type)
        if self.relayer_url:
            check_url("POLYMARKET_RELAYER_URL", self.relayer_url, HTTP, loopback=False)


def core_params(cfg: ExecutorConfig, *, dry_run: bool, heartbeat_ms: int) -> Params:
    return Params(dry_run=dry_run, allow_taker_exit=cfg.allow_taker_exit, startup=cfg.startup,
                  rate_tier=cfg.rate_tier, cross_ms=cfg.cross_backoff_ms, balance_ms=cfg.balance_block_ms,
                  rate_ms=cfg.rate_backoff_ms, post_only_ms=cfg.post_only_mode_ms,
                  reconcile_ms=cfg.reconcile_ms, heartbeat_ms=heartbeat_ms, silence_beats=cfg.silence_beats,
                  replace=cfg.replace, foreign_orders=cfg.foreign_orders)


def presign_cache(cfg: ExecutorConfig) -> PresignCache:
    """The pre-signing cache (off unless ``PM_EXEC_PRESIGN_MAX_AGE_MS`` is set)."""
    return PresignCache(max_age_ms=cfg.presign_max_age_ms, ticks=cfg.presign_ticks,
                        capacity=cfg.presign_cache)


def same_key(a: str, b: str) -> bool:
    return a.lower().removeprefix("0x") == b.lower().removeprefix("0x")


def resolve_key(cfg: ExecutorConfig, venue: VenueEndpoints) -> Signer:
    """The signer for this mode, or ``ConfigError`` naming ``POLYMARKET_PRIVATE_KEY``."""
    variable = "POLYMARKET_PRIVATE_KEY"
    key = cfg.private_key.strip()
    if venue.sends_orders and not venue.is_local:
        if not key:
            raise ConfigError(variable, "required for live trading (PM_VENUE=polymarket, PM_DRY_RUN=false)")
        if same_key(key, LOCAL_TEST_PRIVATE_KEY):
            raise ConfigError(variable, "the documented local test key must never trade on Polymarket")
    try:
        return Signer(key or LOCAL_TEST_PRIVATE_KEY)
    except ValueError as error:
        raise ConfigError(variable, f"not a usable private key ({error})") from None


def resolve_wallet_config(cfg: ExecutorConfig, venue: VenueEndpoints, signer: Signer) -> AccountWallet:
    """The account's wallet (``wallet.resolve_wallet``), or ``ConfigError`` with the fix."""
    return resolve_wallet(signer.address, cfg.sig_type, cfg.funder, cfg.venue_account_type,
                          local=venue.is_local)


def relayer_url(cfg: ExecutorConfig, venue: VenueEndpoints) -> str:
    """Where the start-up check asks about the wallet: ``POLYMARKET_RELAYER_URL``, else the local venue's
    ``/relayer`` (paper mode) or Polymarket's relayer. Paper mode stays on loopback (``venue_client.urls``).
    """
    if cfg.relayer_url:
        if venue.is_local:
            check_url("POLYMARKET_RELAYER_URL", cfg.relayer_url, HTTP, loopback=True)
        return cfg.relayer_url.rstrip("/")
    return venue.local_url.rstrip("/") + "/relayer" if venue.is_local else POLYMARKET_RELAYER


def derives_in_dry_run(cfg: ExecutorConfig, venue: VenueEndpoints, given: ApiCredentials) -> bool:
    """A dry run derives API credentials (``GET /auth/derive-api-key``, never a create) when a real key is
    given and the credentials are not: the user-feed can then watch the real account. Nothing else."""
    key = cfg.private_key.strip()
    return (not venue.sends_orders and not given.complete and bool(key)
            and not same_key(key, LOCAL_TEST_PRIVATE_KEY))
