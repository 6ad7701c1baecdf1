"""What every shell that drives market WebSockets through ``shards.Shards`` does the same way: perform the
shards' actions on the sockets after the effects, and report a lost or failed socket back to the shards
(they schedule the reconnect). The market-feed's ``FeedShell`` and the recorder's ``RecorderShell`` derive
from it; each says what performing its effects means (``apply``)."""

from __future__ import annotations

from collections.abc import Callable

from actors.market_feed.effects import FeedEffects
from actors.market_feed.shards import Action, Shards, carry_out
from bus.logs import Logger
from venue_client.ws import Sockets


class ShardShell:
    sockets: Sockets
    shards: Shards
    log: Logger
    url: str
    clock: Callable[[], int]

    def apply(self, fx: FeedEffects) -> None:
        raise NotImplementedError

    def perform(self, fx: FeedEffects, actions: list[Action]) -> None:
        self.apply(fx)  # bus messages and log lines first: what a failed send causes comes after
        carry_out(actions, self.sockets, self.lost)

    def lost(self, conn: int, why: str) -> None:
        self.sockets.close(conn)
        self.log.warning("ws_closed", conn=conn, why=why)
        self.reconnect(conn)

    def connect_failed(self, conn: int, error: str) -> None:
        self.log.warning("ws_connect_failed", conn=conn, url=self.url, error=error)
        self.reconnect(conn)

    def reconnect(self, conn: int) -> None:
        fx = FeedEffects()
        self.shards.on_closed(conn, "reconnecting", self.clock(), fx)
        self.apply(fx)
