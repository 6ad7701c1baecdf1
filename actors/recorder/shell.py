"""The recorder's shell (I/O): its own market WebSocket for the leased tokens (the market-feed's ``Shards``
decide subscriptions, pings and reconnects; ``venue_client.ws.Sockets`` is the socket), every frame to the
hourly file as received, a market's metadata from the CLOB off the loop, our own stream to the same file.
It publishes nothing but its heartbeat: the market-feed's ``md.*`` are dropped before ``Node.apply``."""

from __future__ import annotations

import random
import time
from typing import Any

from actors.market_feed.config import FeedConfig
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects
from actors.market_feed.shard_shell import ShardShell
from actors.market_feed.shards import Shards
from actors.recorder.core import meta_from_clob
from actors.recorder.sink import Sink
from backtest import recfile
from bus import topics
from bus.bridge import Bridge
from bus.codec import Header
from bus.node import Node
from schemas import Lease, LeaseRelease
from venue_client.markets.gamma import MarketHttp
from venue_client.ws import Sockets

PROGRAM = "recorder"
OWN = (topics.prefix("exec", "cmd"), topics.prefix("user", "order"), topics.prefix("user", "placed"),
       topics.prefix("inv", "fill"), topics.prefix("inv", "settle"))


class RecorderShell(ShardShell):
    def __init__(self, node: Node, fcfg: FeedConfig, sink: Sink, url: str, http: MarketHttp) -> None:
        self.node, self.sink, self.url, self.http = node, sink, url, http
        self.log, self.clock = node.log, time.time_ns
        self.feed: MarketFeed = fcfg.feed()
        self.shards = Shards(self.feed, fcfg.timing(), random.Random())
        self.bridge = Bridge(PROGRAM).attach(node)
        self.sockets = Sockets(node, self.bridge, url, fcfg.connect_timeout_s, self.on_opened,
                               self.on_received)
        self.known: set[str] = set()
        self.frames = 0

    def apply(self, fx: FeedEffects) -> None:
        fx.publishes.clear()  # the market-feed owns md.*: the recorder only keeps its books for the shards
        self.node.apply(fx)

    def on_opened(self, conn: int, error: str) -> None:
        if error:
            return self.connect_failed(conn, error)
        self.log.info("ws_connected", conn=conn, url=self.url)
        self.perform(FeedEffects(), self.shards.on_open(conn, self.clock()))

    def on_received(self, conn: int, frames: list[bytes], closed: str) -> None:
        if frames:
            now = self.clock()
            w = self.sink.at(now)
            for frame in frames:
                w.frame(now, frame)
            self.frames += len(frames)
            fx = FeedEffects()
            events, _ = self.feed.decode(frames, fx)
            self.feed.apply(events, now, fx)
            actions = self.shards.on_frame(conn, fx, now)
            self.perform(fx, actions)
        if closed:
            self.lost(conn, closed)

    def on_message(self, topic: bytes, header: Header, msg: Any) -> None:
        now = self.clock()
        if isinstance(msg, Lease):
            fx = FeedEffects()
            self.perform(fx, self.shards.on_lease(msg, header.run, now, fx))
            if msg.market not in self.known and msg.yes_asset and msg.no_asset:
                self.known.add(msg.market)
                self.fetch_meta(msg, now)
        elif isinstance(msg, LeaseRelease):
            fx = FeedEffects()
            self.perform(fx, self.shards.on_release(msg, now, fx))
            self.sink.files.metas.pop(msg.market, None)
            self.known.discard(msg.market)
        elif topic.startswith(OWN):
            self.sink.at(now).own(now, topic, msg)

    def fetch_meta(self, lease: Lease, now: int) -> None:
        http = self.http.fork()

        def fetch() -> bytes | None:
            try:
                return http.get(f"{http.clob_url}/markets/{lease.market}")
            finally:
                http.close()

        def done(body: bytes | None, error: BaseException | None) -> None:
            try:
                if error is not None or body is None:
                    raise ValueError(str(error) if error else "not found")
                meta = meta_from_clob(body, lease.market, lease.yes_asset, lease.no_asset, start_ns=now)
            except ValueError as exc:  # recorded without rewards or window: the book still gives the tick
                self.log.warning("record_meta_failed", market=lease.market, error=str(exc)[:200])
                meta = recfile.Meta(market=lease.market, yes_asset=lease.yes_asset, no_asset=lease.no_asset,
                                    tick=10_000, min_size=5_000_000, start_ns=now)
            self.sink.meta(now, meta)
            self.log.info("record_market", market=meta.market, slug=meta.slug, tick=meta.tick,
                          rewards=meta.rewards.daily_rate)
        self.bridge.submit(f"meta-{lease.market}", fetch, done)

    def on_tick(self, now: int) -> None:
        fx = FeedEffects()
        self.perform(fx, self.shards.tick(now, fx))

    def on_flush(self, now: int) -> None:
        self.sink.flush()

    def close(self) -> None:
        self.sockets.close_all()
        self.bridge.close()
        self.sink.close()
