"""market-feed: the market WebSocket -> order books -> ``md.*`` on the bus (thin I/O shell).

One thread: the Node's poller wakes on the bus (leases), on each market socket's fd and on the bridge
that reports finished connects (``venue_client.ws.Sockets``). Frames go straight from the socket through
``MarketFeed.decode``/``apply`` to ``Node.apply`` (``on_frames``: one receive time per read, ``Book``
messages first); ``Shards`` decides what the sockets subscribe and when they are pinged, probed or
reopened. While a leased token's socket is down, ``rest_books.RestPoller`` names it every
``PM_FEED_REST_POLL_MS``; its REST ``/book`` is fetched off the loop (``Bridge``) and published as a
``Book`` marked ``rest`` (seed-002 §7). ``--replay FILE`` runs the same parser and book code over recorded
frames instead.
"""

from __future__ import annotations

import argparse
import random
import time
from typing import Any

import requests

from actors.market_feed import replay
from actors.market_feed.config import FeedConfig
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects, conflate, mark_frames
from actors.market_feed.rest_books import RestPoller
from actors.market_feed.shard_shell import ShardShell
from actors.market_feed.shards import Shards
from actors.market_feed.throttle import DepthThrottle
from bus import topics
from bus.bridge import Bridge
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger, Throttle
from bus.node import Dispatcher, Node
from schemas import Lease, LeaseRelease
from venue_client.endpoints import VenueEndpoints
from venue_client.ws import Sockets

PROGRAM = "market-feed"


class FeedShell(ShardShell):
    def __init__(self, node: Node, cfg: FeedConfig, feed: MarketFeed, shards: Shards, url: str,
                 rest_url: str = "") -> None:
        self.node, self.cfg, self.feed, self.shards, self.url = node, cfg, feed, shards, url
        self.log, self.clock = node.log, time.time_ns
        self.bridge = Bridge(PROGRAM).attach(node)
        self.sockets = Sockets(node, self.bridge, url, cfg.connect_timeout_s, self.on_opened,
                               self.on_received)
        self._last_frames = 0
        self.rest_url = rest_url
        self.rest = RestPoller(feed, cfg.rest_poll_ms * 1_000_000 if rest_url else 0)
        self.rest_session: requests.Session | None = None  # used by the bridge's worker thread only
        self.on_rest: set[str] = set()  # tokens whose books come from REST now
        self.rest_failures = Throttle()
        self.depth = DepthThrottle(cfg.depth_throttle_ms * 1_000_000)
        self.flush_at: int | None = None  # the one-shot timer armed for the held books (due ns)

    def apply(self, fx: FeedEffects) -> None:
        """``Node.apply`` with the depth-only ``Book``s that must wait held back (``throttle``); the
        timer that publishes them is armed for the earliest one due."""
        if fx.publishes:
            fx.publishes = self.depth.admit(fx.publishes, self.clock())
            self._arm()
        self.node.apply(fx)

    def _arm(self) -> None:
        due = self.depth.next_due()
        if due is not None and (self.flush_at is None or due < self.flush_at):
            self.flush_at = due
            self.node.at(due, self.on_flush)

    def on_flush(self, now: int) -> None:
        """Publish the held books that are due (the last state of each always goes out)."""
        if self.flush_at is not None and now < self.flush_at:
            return  # an earlier timer of a superseded arm: the current one comes later
        self.flush_at = None
        due = self.depth.flush(now)
        if len(due) > 1:
            mark_frames(due)  # both tokens of a market due together: one decision, on the pair
        for topic, msg in due:
            self.node.publish(topic, msg)
        self._arm()

    def on_opened(self, conn: int, error: str) -> None:
        if error:
            return self.connect_failed(conn, error)
        fx = FeedEffects()
        actions = self.shards.on_open(conn, self.clock())
        shard = self.shards.conns.get(conn)
        self.log.info("ws_connected", conn=conn, url=self.url, assets=len(shard.assets) if shard else 0)
        self.perform(fx, actions)

    def on_received(self, conn: int, frames: list[bytes], closed: str) -> None:
        if frames:
            self.on_frames(conn, frames)
        if closed:  # after the frames read before it
            self.lost(conn, closed)

    def on_frames(self, conn: int, frames: list[bytes]) -> None:
        """The messages of one socket read: one receive time, ``Book`` messages published first.

        Events up to the last one that can change a book are applied and their messages published
        (conflated: only the newest ``Book`` per asset, when several events were read together; a
        depth-only change held back by ``throttle.DepthThrottle`` when one went out within
        ``PM_MD_DEPTH_THROTTLE_MS``, published by a one-shot timer at most that much later); then
        the rest (``best_bid_ask`` and the like, which add no ``Book``); then the socket actions, so a
        status that a failed send causes never precedes the books read before it."""
        now = self.clock()
        feed, fx = self.feed, FeedEffects()
        events, cut = feed.decode(frames, fx)
        feed.apply(events[:cut] if cut < len(events) else events, now, fx)
        if cut > 1 and self.cfg.conflate:
            fx.publishes = conflate(fx.publishes)
        if fx.publishes:
            fx.publishes = self.depth.admit(fx.publishes, now)  # before the marks: they name what goes out
            self._arm()
        if len(fx.publishes) > 1:
            mark_frames(fx.publishes)
        self.node.apply(fx)
        if cut < len(events):
            fx.clear()  # performed; the rest goes into the same object (resnap, data, pong are kept)
            feed.apply(events[cut:], now, fx)
            self.apply(fx)
        actions = self.shards.on_frame(conn, fx, now)
        if actions:
            self.perform(FeedEffects(), actions)

    def on_lease(self, topic: bytes, header: Header, msg: Lease) -> None:
        fx = FeedEffects()
        self.perform(fx, self.shards.on_lease(msg, header.run, self.clock(), fx))

    def on_release(self, topic: bytes, header: Header, msg: LeaseRelease) -> None:
        fx = FeedEffects()
        self.perform(fx, self.shards.on_release(msg, self.clock(), fx))

    def on_tick(self, now: int) -> None:
        fx = FeedEffects()
        self.perform(fx, self.shards.tick(now, fx))

    def on_rest_poll(self, now: int) -> None:
        """The REST fallback: fetch the books of the leased tokens whose socket is down (off the loop)."""
        back = [a for a in self.on_rest if (st := self.feed.assets.get(a)) is None or st.live]
        for asset in back:
            self.on_rest.discard(asset)
            self.log.info("rest_fallback_over", asset=asset)
        due = self.rest.due(now)
        if due:
            self.bridge.submit("rest-books", lambda: self._fetch(due), self._fetched)

    def _fetch(self, assets: list[str]) -> list[tuple[str, bytes | str]]:
        """On the bridge's worker thread: each token's REST /book body, or why it failed."""
        if self.rest_session is None:
            self.rest_session = requests.Session()
        out: list[tuple[str, bytes | str]] = []
        for asset in assets:
            try:
                r = self.rest_session.get(f"{self.rest_url}/book", params={"token_id": asset},
                                          timeout=self.cfg.rest_timeout_s)
                out.append((asset, r.content if r.status_code == 200 else f"HTTP {r.status_code}"))
            except requests.RequestException as exc:
                out.append((asset, f"{type(exc).__name__}: {exc}"))
        return out

    def _fetched(self, result: Any, error: BaseException | None) -> None:
        now = self.clock()
        for asset, body in result or []:
            try:
                if isinstance(body, str):
                    raise ValueError(body)
                book = self.rest.book(asset, body, now)
            except ValueError as exc:
                if n := self.rest_failures.count():
                    self.log.warning("rest_book_failed", asset=asset, error=str(exc), count=n)
                continue
            if book is None:
                continue
            if asset not in self.on_rest:
                self.on_rest.add(asset)
                self.log.warning("rest_fallback", asset=asset, poll_ms=self.cfg.rest_poll_ms)
            fx = FeedEffects()
            fx.publishes.append((topics.md_book(asset), book))
            self.apply(fx)
        if error is not None and (n := self.rest_failures.count()):
            self.log.warning("rest_book_failed", error=f"{type(error).__name__}: {error}", count=n)

    def on_stats(self, now: int) -> None:
        f, sockets = self.feed, len(self.sockets.sockets)
        if f.frames != self._last_frames:
            self._last_frames = f.frames
            self.log.info("feed_stats", frames=f.frames, bad=f.bad, ignored_deltas=f.ignored_deltas,
                          untracked=f.untracked, top_mismatch=f.top_mismatch, sockets=sockets,
                          assets=len(f.assets), live=sum(st.live for st in f.assets.values()))

    def close(self) -> None:
        self.sockets.close_all()
        self.bridge.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m actors.market_feed", description=__doc__.split("\n")[0])
    p.add_argument("--replay", metavar="FILE", help="print the bus messages that recorded frames produce "
                   "(one raw frame per line; '-' = stdin) in the tap's --json format, then exit")
    args = p.parse_args(argv)
    cfg = load_or_exit(FeedConfig, PROGRAM)
    if args.replay:
        return replay.run(args.replay, cfg)
    bus, venue, log = load_or_exit(BusConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM), Logger(PROGRAM)
    node = Node(PROGRAM, bus, subscriptions=[topics.prefix("coord", "lease")], md_bind=True, log=log)
    feed = cfg.feed()  # the pure core: books, and the shards of sockets that feed them
    shell = FeedShell(node, cfg, feed, Shards(feed, cfg.timing(), random.Random()),
                      venue.ws_base_url + "/market", venue.rest_url)
    log.info("config", url=shell.url, venue=venue.venue, **describe(cfg))
    dispatch = Dispatcher({Lease: shell.on_lease, LeaseRelease: shell.on_release}, log)
    node.every(cfg.check_ms, shell.on_tick)
    if cfg.rest_poll_ms:
        node.every(cfg.rest_poll_ms, shell.on_rest_poll)
    if cfg.stats_s:
        node.every(int(cfg.stats_s * 1000), shell.on_stats)
    try:
        return node.run(dispatch)
    finally:
        shell.close()
        node.close()
