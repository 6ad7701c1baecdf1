"""The market-feed's settings, from ``PM_MD_*`` environment variables (and ``.env``).

Where the venue is comes from ``venue_client.endpoints.VenueEndpoints`` (``PM_VENUE``,
``PM_LOCAL_VENUE_URL``, ``POLYMARKET_WS_BASE_URL``); the bus from ``bus.endpoints.BusConfig``.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from actors.market_feed.core import MarketFeed
from actors.market_feed.shards import Timing
from bus.config import Env
from schemas.units import MICRO, NS


class FeedConfig(msgspec.Struct, frozen=True, kw_only=True):
    depth: Annotated[int, Env("PM_MD_DEPTH"), Meta(ge=1, le=1000)] = 50  # levels per side in a Book
    max_assets: Annotated[int, Env("PM_MD_MAX_ASSETS"), Meta(ge=1, le=500)] = 200  # per socket
    ping_s: Annotated[float, Env("PM_MD_PING_S"), Meta(gt=0, le=60)] = 10.0  # text PING period
    pong_timeout_s: Annotated[float, Env("PM_MD_PONG_TIMEOUT_S"), Meta(gt=0)] = 30.0
    stale_s: Annotated[float, Env("PM_MD_STALE_S"), Meta(gt=0)] = 30.0  # whole socket silent: probe
    asset_stale_s: Annotated[float, Env("PM_MD_ASSET_STALE_S"), Meta(gt=0)] = 120.0  # one asset silent
    snapshot_timeout_s: Annotated[float, Env("PM_MD_SNAPSHOT_TIMEOUT_S"), Meta(gt=0)] = 10.0
    reconnect_min_s: Annotated[float, Env("PM_MD_RECONNECT_MIN_S"), Meta(gt=0)] = 0.25
    reconnect_max_s: Annotated[float, Env("PM_MD_RECONNECT_MAX_S"), Meta(gt=0)] = 30.0
    connect_timeout_s: Annotated[float, Env("PM_MD_CONNECT_TIMEOUT_S"), Meta(gt=0, le=60)] = 10.0
    check_ms: Annotated[int, Env("PM_MD_CHECK_MS"), Meta(ge=10, le=10_000)] = 250  # watchdog period
    default_tick: Annotated[int, Env("PM_MD_DEFAULT_TICK", micros=True), Meta(gt=0, lt=MICRO)] = 10_000
    check_top: Annotated[bool, Env("PM_MD_CHECK_TOP")] = True  # compare deltas' best_bid/ask with ours
    conflate: Annotated[bool, Env("PM_MD_CONFLATE")] = True  # per socket read: only the last Book per asset
    # a Book whose top (best bid/ask, price and size), epoch and tick are unchanged: at most once per
    # this many ms per asset, the newest one (held ones go out by a timer); a top change goes out at once
    depth_throttle_ms: Annotated[int, Env("PM_MD_DEPTH_THROTTLE_MS"), Meta(ge=0, le=3_600_000)] = 20
    resync_min_s: Annotated[float, Env("PM_MD_RESYNC_MIN_S"), Meta(gt=0)] = 5.0
    stats_s: Annotated[float, Env("PM_MD_STATS_S"), Meta(ge=0)] = 60.0  # 0 = no feed_stats lines
    # while a leased token's WebSocket is down: its REST /book this often, as Book(rest=True); 0 = never
    rest_poll_ms: Annotated[int, Env("PM_FEED_REST_POLL_MS"), Meta(ge=0)] = 1000
    rest_timeout_s: Annotated[float, Env("PM_FEED_REST_TIMEOUT_S"), Meta(gt=0, le=60)] = 2.0

    def __post_init__(self) -> None:
        if self.reconnect_max_s < self.reconnect_min_s:
            raise ValueError("PM_MD_RECONNECT_MAX_S: must be >= PM_MD_RECONNECT_MIN_S")
        if self.pong_timeout_s <= self.ping_s:
            raise ValueError("PM_MD_PONG_TIMEOUT_S: must be longer than PM_MD_PING_S")

    def feed(self, *, track_all: bool = False) -> MarketFeed:
        """The pure core with these settings (``track_all``: every asset seen, for ``--replay``)."""
        return MarketFeed(depth=self.depth, default_tick=self.default_tick, check_top=self.check_top,
                          resync_min_ns=int(self.resync_min_s * NS), track_all=track_all)

    def timing(self) -> Timing:
        return Timing(ping_ns=int(self.ping_s * NS), pong_timeout_ns=int(self.pong_timeout_s * NS),
                      stale_ns=int(self.stale_s * NS), asset_stale_ns=int(self.asset_stale_s * NS),
                      snapshot_timeout_ns=int(self.snapshot_timeout_s * NS),
                      backoff_min_ns=int(self.reconnect_min_s * NS),
                      backoff_max_ns=int(self.reconnect_max_s * NS), max_assets=self.max_assets)
