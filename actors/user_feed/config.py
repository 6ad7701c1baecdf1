"""The user-feed's settings (``PM_USER_*``), validated at start (a bad value exits 2 naming it).

Where the venue is (``PM_VENUE``, ``POLYMARKET_*_URL``) comes from ``VenueEndpoints``; API credentials
from ``ApiCredentials`` (environment) or ``$PM_RUN_DIR/api-creds.json`` (written by the executor).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from bus.config import Env


class UserFeedConfig(msgspec.Struct, frozen=True, kw_only=True):
    all_markets: Annotated[bool, Env("PM_USER_ALL_MARKETS")] = False  # else: the markets of live leases
    ping_ms: Annotated[int, Env("PM_USER_PING_MS"), Meta(ge=50, le=60_000)] = 10_000
    pong_timeout_ms: Annotated[int, Env("PM_USER_PONG_TIMEOUT_MS"), Meta(ge=100, le=600_000)] = 30_000
    connect_timeout_ms: Annotated[int, Env("PM_USER_CONNECT_TIMEOUT_MS"), Meta(ge=100, le=60_000)] = 10_000
    reconnect_min_ms: Annotated[int, Env("PM_USER_RECONNECT_MIN_MS"), Meta(ge=10, le=60_000)] = 500
    reconnect_max_ms: Annotated[int, Env("PM_USER_RECONNECT_MAX_MS"), Meta(ge=10, le=600_000)] = 30_000
    stable_ms: Annotated[int, Env("PM_USER_STABLE_MS"), Meta(ge=0)] = 10_000  # up this long: backoff resets
    http_timeout_ms: Annotated[int, Env("PM_USER_HTTP_TIMEOUT_MS"), Meta(ge=100, le=120_000)] = 10_000
    backfill_margin_s: Annotated[int, Env("PM_USER_BACKFILL_MARGIN_S"), Meta(ge=0)] = 60
    # a market whose last lease went stays subscribed this long: our orders there can still fill until the
    # executor's cancel lands, or the venue's dead-man switch (10 s) fires if the executor is down; then
    # one back-fill from the release covers what the socket may have missed
    linger_s: Annotated[int, Env("PM_USER_LINGER_S"), Meta(ge=0, le=3600)] = 30
    backfill_lookback_s: Annotated[int, Env("PM_USER_BACKFILL_LOOKBACK_S"), Meta(ge=0)] = 3600
    backfill_max_pages: Annotated[int, Env("PM_USER_BACKFILL_MAX_PAGES"), Meta(ge=1, le=10_000)] = 200
    open_trade_max_s: Annotated[int, Env("PM_USER_OPEN_TRADE_MAX_S"), Meta(ge=60)] = 6 * 3600
    resend_ms: Annotated[int, Env("PM_USER_RESEND_MS"), Meta(ge=100, le=600_000)] = 10_000  # unacked fills
    creds_wait_s: Annotated[int, Env("PM_USER_CREDS_WAIT_S"), Meta(ge=0)] = 120
    status_ms: Annotated[int, Env("PM_USER_STATUS_MS"), Meta(ge=100, le=60_000)] = 5000
    signer_address: Annotated[str, Env("PM_USER_SIGNER_ADDRESS")] = ""  # POLY_ADDRESS for REST (L2)
    state_file: Annotated[str, Env("PM_USER_STATE_FILE")] = ""  # default $PM_RUN_DIR/user-feed-state.json

    def __post_init__(self) -> None:
        if self.reconnect_max_ms < self.reconnect_min_ms:
            raise ValueError("PM_USER_RECONNECT_MAX_MS: must be >= PM_USER_RECONNECT_MIN_MS")
        if self.pong_timeout_ms <= self.ping_ms:
            raise ValueError("PM_USER_PONG_TIMEOUT_MS: must be longer than PM_USER_PING_MS")

    def state_path(self, run_dir: str) -> Path:
        return Path(self.state_file) if self.state_file else Path(run_dir) / "user-feed-state.json"
