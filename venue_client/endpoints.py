"""Where the venue is: shared by the edge actors (market-feed, user-feed, executor, coordinators).

``PM_VENUE=local`` (default) points every URL at the local paper venue (``python -m venue``);
``PM_VENUE=polymarket`` at the real hosts. Explicit ``POLYMARKET_*_URL`` values win. With
``PM_VENUE=local`` every URL (``PM_LOCAL_VENUE_URL`` and each ``POLYMARKET_*_URL`` given) must be on
loopback (``venue_client.urls``): paper mode can never reach a real exchange. A URL that breaks the
rule stops the program at config load (exit 2 naming the variable), before anything is sent.

"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from bus.config import Env
from venue_client.urls import HTTP, WS, check_url

# A well-known development key (the first Hardhat/Anvil account). Used only with PM_VENUE=local;
# the executor refuses it against Polymarket.
LOCAL_TEST_PRIVATE_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
LOCAL_TEST_ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

POLYMARKET_REST = "https://clob.polymarket.com"
POLYMARKET_WS = "wss://ws-subscriptions-clob.polymarket.com/ws"
POLYMARKET_GAMMA = "https://gamma-api.polymarket.com"


class VenueEndpoints(msgspec.Struct, frozen=True, kw_only=True):
    venue: Annotated[Literal["local", "polymarket"], Env("PM_VENUE")] = "local"
    local_url: Annotated[str, Env("PM_LOCAL_VENUE_URL")] = "http://127.0.0.1:8900"
    rest_url_override: Annotated[str, Env("POLYMARKET_REST_URL")] = ""
    ws_base_url_override: Annotated[str, Env("POLYMARKET_WS_BASE_URL")] = ""
    gamma_url_override: Annotated[str, Env("POLYMARKET_GAMMA_URL")] = ""
    dry_run: Annotated[bool, Env("PM_DRY_RUN")] = True

    def __post_init__(self) -> None:
        local = self.is_local
        if local:  # ignored with PM_VENUE=polymarket
            check_url("PM_LOCAL_VENUE_URL", self.local_url, HTTP, loopback=True)
        for variable, url, schemes in (("POLYMARKET_REST_URL", self.rest_url_override, HTTP),
                                       ("POLYMARKET_WS_BASE_URL", self.ws_base_url_override, WS),
                                       ("POLYMARKET_GAMMA_URL", self.gamma_url_override, HTTP)):
            if url:
                check_url(variable, url, schemes, loopback=local)

    @property
    def is_local(self) -> bool:
        return self.venue == "local"

    @property
    def rest_url(self) -> str:
        if self.rest_url_override:
            return self.rest_url_override.rstrip("/")
        return self.local_url.rstrip("/") if self.is_local else POLYMARKET_REST

    @property
    def ws_base_url(self) -> str:
        """Base of the two channels: ``{ws_base_url}/market`` and ``{ws_base_url}/user``."""
        if self.ws_base_url_override:
            return self.ws_base_url_override.rstrip("/")
        if self.is_local:
            return "ws" + self.local_url.rstrip("/").removeprefix("http") + "/ws"
        return POLYMARKET_WS

    @property
    def gamma_url(self) -> str:
        if self.gamma_url_override:
            return self.gamma_url_override.rstrip("/")
        return self.local_url.rstrip("/") + "/gamma" if self.is_local else POLYMARKET_GAMMA

    @property
    def sends_orders(self) -> bool:
        """Orders really go out: always on the local venue; on Polymarket only with PM_DRY_RUN=false."""
        return self.is_local or not self.dry_run
