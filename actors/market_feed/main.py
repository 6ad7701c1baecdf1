"""market-feed: the market WebSocket -> order books -> ``md.*`` on the bus (thin I/O shell).

One thread: the Node's poller wakes on the bus (leases), on each market socket's fd and on the
connector's wake-up fd. Frames go straight from the socket through ``MarketFeed.decode``/``apply`` to
``Node.publish`` (``on_frames``: one receive time per read, ``Book`` messages first); ``Shards``
decides what the sockets subscribe and when they are pinged, probed or reopened. ``--replay FILE``
runs the same parser and book code over recorded frames instead.
"""

from __future__ import annotations

import argparse
import random
import time

from actors.market_feed import replay
from actors.market_feed.config import FeedConfig
from actors.market_feed.connection import MarketSocket, SocketPool
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import Effects, conflate
from actors.market_feed.shards import Action, Close, Connect, Send, Shards
from bus import topics
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Lease, LeaseRelease
from schemas.units import NS
from venue_client.endpoints import VenueEndpoints

PROGRAM = "market-feed"
_RATE_LIMITED = {"malformed_frame", "book_top_mismatch"}


class FeedShell:
    def __init__(self, cfg: FeedConfig, bus: BusConfig, venue: VenueEndpoints, log: Logger) -> None:
        self.cfg, self.log, self.clock = cfg, log, time.time_ns
        self.url = venue.ws_base_url + "/market"
        self.node = Node(PROGRAM, bus, subscriptions=[topics.prefix("coord", "lease")], log=log)
        self.feed = MarketFeed(depth=cfg.depth, default_tick=cfg.default_tick, check_top=cfg.check_top,
                               resync_min_ns=int(cfg.resync_min_s * NS))
        self.shards = Shards(self.feed, cfg.timing(), random.Random())
        self.pool = SocketPool(self.node, self.url, cfg.connect_timeout_s, self.on_opened, self.on_readable)
        self.node.every(cfg.check_ms, self.on_tick)
        if cfg.stats_s:
            self.node.every(int(cfg.stats_s * 1000), self.on_stats)
        self._last_frames = 0
        self.dispatch = Dispatcher({Lease: self.on_lease, LeaseRelease: self.on_release}, log)

    def apply(self, fx: Effects, actions: list[Action]) -> None:
        for topic, msg in fx.out:
            self.node.publish(topic, msg)
        for event, fields in fx.notes:
            count = fields.get("count", 1)
            if event not in _RATE_LIMITED or count <= 10 or count % 1000 == 0:
                self.log.warning(event, **fields)
        for action in actions:
            if isinstance(action, Send):
                error = self.pool.send(action.conn, action.text)
                if error:
                    self.lost(action.conn, error)
            elif isinstance(action, Connect):
                self.pool.connect(action.conn)
            elif isinstance(action, Close):
                self.pool.close(action.conn)

    def lost(self, conn: int, why: str) -> None:
        self.pool.close(conn)
        self.log.warning("ws_closed", conn=conn, why=why)
        fx = Effects()
        self.shards.on_closed(conn, "reconnecting", self.clock(), fx)
        self.apply(fx, [])

    def on_opened(self, conn: int, error: str) -> None:
        if error:
            self.log.warning("ws_connect_failed", conn=conn, url=self.url, error=error)
            fx = Effects()
            self.shards.on_closed(conn, "reconnecting", self.clock(), fx)
            self.apply(fx, [])
            return
        actions = self.shards.on_open(conn, self.clock())
        shard = self.shards.conns.get(conn)
        self.log.info("ws_connected", conn=conn, url=self.url, assets=len(shard.assets) if shard else 0)
        self.apply(Effects(), actions)

    def on_readable(self, conn: int, sock: MarketSocket) -> None:
        frames, closed = sock.read()
        if frames:
            self.on_frames(conn, frames)
        if closed:
            self.lost(conn, closed)
        elif sock.more:
            self.pool.again(conn)

    def on_frames(self, conn: int, frames: list[bytes]) -> None:
        """The messages of one socket read: one receive time, ``Book`` messages published first.

        Events up to the last one that can change a book are applied and their messages published
        (conflated: only the newest ``Book`` per asset, when several events were read together); then
        the rest (``best_bid_ask`` and the like, which add no ``Book``) are applied and published; then
        notes are logged and socket actions run, so a status that a failed send causes never precedes
        the books read before it.
        """
        now = self.clock()
        feed, publish, fx = self.feed, self.node.publish, Effects()
        events, cut = feed.decode(frames, fx)
        feed.apply(events[:cut] if cut < len(events) else events, now, fx)
        out = fx.out
        for topic, msg in conflate(out) if cut > 1 and self.cfg.conflate else out:
            publish(topic, msg)
        if cut < len(events):
            out = fx.out = []
            feed.apply(events[cut:], now, fx)
            for topic, msg in out:
                publish(topic, msg)
        actions = self.shards.on_frame(conn, fx, now)
        if actions or fx.notes:
            fx.out = []
            self.apply(fx, actions)

    def on_lease(self, topic: bytes, header: Header, msg: Lease) -> None:
        fx = Effects()
        self.apply(fx, self.shards.on_lease(msg, header.run, self.clock(), fx))

    def on_release(self, topic: bytes, header: Header, msg: LeaseRelease) -> None:
        fx = Effects()
        self.apply(fx, self.shards.on_release(msg, self.clock(), fx))

    def on_tick(self, now: int) -> None:
        fx = Effects()
        self.apply(fx, self.shards.tick(now, fx))

    def on_stats(self, now: int) -> None:
        f = self.feed
        if f.frames != self._last_frames:
            self._last_frames = f.frames
            self.log.info("feed_stats", frames=f.frames, bad=f.bad, ignored_deltas=f.ignored_deltas,
                          untracked=f.untracked, top_mismatch=f.top_mismatch, sockets=len(self.pool.sockets),
                          assets=len(f.assets), live=sum(st.live for st in f.assets.values()))

    def run(self) -> int:
        try:
            return self.node.run(self.dispatch)
        finally:
            self.pool.close_all()
            self.node.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m actors.market_feed", description=__doc__.split("\n")[0])
    p.add_argument("--replay", metavar="FILE", help="print the bus messages that recorded frames produce "
                   "(one raw frame per line; '-' = stdin) in the tap's --json format, then exit")
    args = p.parse_args(argv)
    cfg = load_or_exit(FeedConfig, PROGRAM)
    if args.replay:
        return replay.run(args.replay, cfg)
    log = Logger(PROGRAM)
    bus, venue = load_or_exit(BusConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM)
    shell = FeedShell(cfg, bus, venue, log)
    log.info("config", url=shell.url, venue=venue.venue, **describe(cfg))
    return shell.run()
