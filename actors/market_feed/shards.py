"""Leases -> subscribed assets -> sockets, and every socket's heartbeat and watchdogs (pure).

- The wanted assets are the union of the live leases (``coord.lease.*``, kept in
  ``bus.leases.LeaseTable``: keyed by holder and market, each naming its yes and no token); a lease
  lives ``ttl_ms`` from its last renewal (local receive time) or until its ``LeaseRelease``. A new
  holder, or a restarted one (a new run id in its lease's header), gets the last ``Book`` and
  ``FeedStatus`` of each of its tokens at once.
- Assets go on sockets of at most ``max_assets`` (first fit, new socket when all are full). A socket
  subscribes its assets in one initial frame when it opens, then with ``operation`` frames while open;
  ``sent`` is what the live socket carries, so an asset is never subscribed twice on one socket.
- A socket with no assets left is closed. A closed socket is reopened after a jittered, capped
  exponential back-off (reset once the venue sends data), with its full set resubscribed.
- Heartbeat: text ``PING`` every ``ping_ns``; no ``PONG`` for ``pong_timeout_ns`` -> reconnect.
- Silent freezes (socket open, PONG answered, no data; gotcha 1) are caught by probing: an asset that
  had a book and has been silent for ``asset_stale_ns``, or the oldest one when the whole socket has
  been silent for ``stale_ns``, gets a fresh snapshot requested (unsubscribe + subscribe). A requested
  snapshot of an asset the venue knows that has not come within ``snapshot_timeout_ns`` means the
  socket is frozen: its assets go not-live ("stale") and it is reconnected. Assets that never had a
  book (unknown to the venue: it answers ``[]``) are asked again every ``asset_stale_ns``, but never
  cause a reconnect.
Actions for the shell: ``Connect``, ``Send`` (a text frame) and ``Close``; bus messages and log lines go
into the ``FeedEffects`` it hands in.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import NamedTuple, Protocol

import msgspec

from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects
from bus.leases import LeaseTable
from schemas import Lease, LeaseRelease


class Connect(NamedTuple):
    conn: int


class Send(NamedTuple):
    conn: int
    text: str


class Close(NamedTuple):
    conn: int


Action = Connect | Send | Close


class SocketOps(Protocol):
    """What ``carry_out`` needs of the shell's sockets (``venue_client.ws.Sockets``)."""

    def send(self, conn: int, text: str) -> str: ...
    def connect(self, conn: int) -> None: ...
    def close(self, conn: int) -> None: ...


def carry_out(actions: list[Action], sockets: SocketOps, lost: Callable[[int, str], None]) -> None:
    """Perform the actions on the sockets, in order; a send that fails calls ``lost(conn, error)`` (the
    shell closes the socket and tells the shards). Shared by the market-feed and the recorder shells."""
    for action in actions:
        if isinstance(action, Send):
            error = sockets.send(action.conn, action.text)
            if error:
                lost(action.conn, error)
        elif isinstance(action, Connect):
            sockets.connect(action.conn)
        elif isinstance(action, Close):
            sockets.close(action.conn)


class Timing(msgspec.Struct, frozen=True, kw_only=True):
    ping_ns: int
    pong_timeout_ns: int
    stale_ns: int
    asset_stale_ns: int
    snapshot_timeout_ns: int
    backoff_min_ns: int
    backoff_max_ns: int
    max_assets: int


def initial_frame(assets: list[str]) -> str:
    return msgspec.json.encode({"type": "market", "assets_ids": assets, "custom_feature_enabled": True,
                                "initial_dump": True}).decode()


def operation_frame(operation: str, assets: list[str]) -> str:
    return msgspec.json.encode({"operation": operation, "assets_ids": assets,
                                "custom_feature_enabled": True}).decode()


class Conn:
    __slots__ = ("assets", "attempts", "due_ns", "id", "last_data_ns", "last_ping_ns", "last_pong_ns",
                 "sent", "state")

    def __init__(self, conn_id: int, now: int) -> None:
        self.id = conn_id
        self.assets: dict[str, None] = {}  # insertion-ordered set
        self.sent: set[str] = set()  # assets subscribed on the live socket
        self.state = "down"  # down -> connecting -> open -> down ...
        self.due_ns = now  # next connect attempt while down
        self.attempts = 0
        self.last_data_ns = self.last_pong_ns = self.last_ping_ns = now


class Shards:
    def __init__(self, feed: MarketFeed, timing: Timing, rng: random.Random) -> None:
        self.feed = feed
        self.t = timing
        self.rng = rng
        self.conns: dict[int, Conn] = {}
        self.owner: dict[str, Conn] = {}
        self.leases = LeaseTable()
        self.runs: dict[tuple[str, str], int] = {}  # (holder, market) -> run id of its latest lease
        self._next_id = 1

    # -- leases -------------------------------------------------------------------------------

    def on_lease(self, lease: Lease, run: int, now: int, fx: FeedEffects) -> list[Action]:
        if not lease.market or not lease.assets:
            return []  # nothing to subscribe (the lease table ignores it too)
        key = (lease.holder, lease.market)
        until = self.leases.until(*key)
        fresh = until is None or until <= now or self.runs.get(key) != run
        before = set(self.leases.assets())
        self.leases.on_lease(lease, now)
        self.runs[key] = run
        actions = self._apply(now, fx) if until is None or set(self.leases.assets()) != before else []
        if fresh:  # a new holder (or a restarted one): give it the last value of each asset
            for asset in dict.fromkeys(lease.assets):
                self.feed.current(asset, now, fx)
        return actions

    def on_release(self, release: LeaseRelease, now: int, fx: FeedEffects) -> list[Action]:
        key = (release.holder, release.market)
        if self.leases.until(*key) is None:
            return []
        self.leases.on_release(release)
        del self.runs[key]
        return self._apply(now, fx)

    def _apply(self, now: int, fx: FeedEffects) -> list[Action]:
        """Bring subscriptions in line with the union of the live leases."""
        wanted = dict.fromkeys(self.leases.assets())
        unsub: dict[Conn, list[str]] = {}
        sub: dict[Conn, list[str]] = {}
        actions: list[Action] = []
        for asset in [a for a in self.owner if a not in wanted]:
            conn = self.owner.pop(asset)
            del conn.assets[asset]
            self.feed.untrack(asset, now, fx)
            if asset in conn.sent:
                conn.sent.discard(asset)
                unsub.setdefault(conn, []).append(asset)
        for asset in wanted:
            if asset in self.owner:
                continue
            conn = self._place(now)
            conn.assets[asset] = None
            self.owner[asset] = conn
            self.feed.track(asset, now)
            if conn.state == "open":
                conn.sent.add(asset)
                sub.setdefault(conn, []).append(asset)
        for conn, assets in unsub.items():
            actions.append(Send(conn.id, operation_frame("unsubscribe", assets)))
        for conn, assets in sub.items():
            actions.append(Send(conn.id, operation_frame("subscribe", assets)))
        for conn in [c for c in self.conns.values() if not c.assets]:
            del self.conns[conn.id]
            if conn.state != "down":
                actions.append(Close(conn.id))
            fx.warn("ws_idle_closed", conn=conn.id)
        actions.extend(self._connect_due(now))
        return actions

    def _place(self, now: int) -> Conn:
        for conn in self.conns.values():
            if len(conn.assets) < self.t.max_assets:
                return conn
        conn = self.conns[self._next_id] = Conn(self._next_id, now)
        self._next_id += 1
        return conn

    # -- socket events ------------------------------------------------------------------------

    def on_open(self, conn_id: int, now: int) -> list[Action]:
        conn = self.conns.get(conn_id)
        if conn is None or conn.state != "connecting" or not conn.assets:
            return [Close(conn_id)]
        conn.state = "open"
        conn.last_data_ns = conn.last_pong_ns = conn.last_ping_ns = now
        conn.sent = set(conn.assets)
        for asset in conn.assets:
            st = self.feed.track(asset, now)
            st.want_ns = st.requested_ns = now
        return [Send(conn_id, initial_frame(list(conn.assets)))]

    def on_closed(self, conn_id: int, reason: str, now: int, fx: FeedEffects) -> None:
        """The socket closed, failed to open, or was closed by us: back off, then reopen."""
        conn = self.conns.get(conn_id)
        if conn is None or conn.state == "down":
            return
        conn.state = "down"
        conn.sent = set()
        conn.attempts += 1
        base = min(self.t.backoff_max_ns, self.t.backoff_min_ns << min(conn.attempts - 1, 30))
        conn.due_ns = now + int(base * (0.5 + 0.5 * self.rng.random()))
        for asset in conn.assets:
            self.feed.down(asset, reason, now, fx)

    def on_frame(self, conn_id: int, fx: FeedEffects, now: int) -> list[Action]:
        """Book-keeping after ``MarketFeed.on_frame``; returns the re-subscriptions it asked for."""
        conn = self.conns.get(conn_id)
        if conn is not None:
            if fx.data:
                conn.last_data_ns = now
                conn.attempts = 0
            elif fx.pong:
                conn.last_pong_ns = now
        return self.resnapshot(fx.resnap) if fx.resnap else []

    def resnapshot(self, assets: list[str]) -> list[Action]:
        """Unsubscribe + subscribe each asset on its live socket: the venue answers with a ``book``."""
        by_conn: dict[Conn, list[str]] = {}
        for asset in dict.fromkeys(assets):  # one read may ask twice (a tick change and a mismatch)
            conn = self.owner.get(asset)
            if conn is not None and conn.state == "open" and asset in conn.sent:
                by_conn.setdefault(conn, []).append(asset)
        actions: list[Action] = []
        for conn, group in by_conn.items():
            actions.append(Send(conn.id, operation_frame("unsubscribe", group)))
            actions.append(Send(conn.id, operation_frame("subscribe", group)))
        return actions

    # -- time ---------------------------------------------------------------------------------

    def tick(self, now: int, fx: FeedEffects) -> list[Action]:
        actions: list[Action] = []
        expired = self.leases.past(now)
        if expired:
            self.leases.expire(now)
            for holder, market in expired:
                del self.runs[(holder, market)]
                fx.warn("lease_expired", holder=holder, market=market)
            actions.extend(self._apply(now, fx))
        for conn in list(self.conns.values()):
            if conn.state == "open":
                actions.extend(self._watch(conn, now, fx))
        actions.extend(self._connect_due(now))
        return actions

    def _connect_due(self, now: int) -> list[Action]:
        due = [c for c in self.conns.values() if c.state == "down" and c.assets and c.due_ns <= now]
        for conn in due:
            conn.state = "connecting"
        return [Connect(c.id) for c in due]

    def _reconnect(self, conn: Conn, why: str, reason: str, now: int, fx: FeedEffects) -> list[Action]:
        fx.warn("ws_reconnect", conn=conn.id, why=why, assets=len(conn.assets))
        self.on_closed(conn.id, reason, now, fx)
        return [Close(conn.id)]

    def _watch(self, conn: Conn, now: int, fx: FeedEffects) -> list[Action]:
        t = self.t
        actions: list[Action] = []
        if now - conn.last_ping_ns >= t.ping_ns:
            conn.last_ping_ns = now
            actions.append(Send(conn.id, "PING"))
        if now - conn.last_pong_ns > t.pong_timeout_ns:
            return self._reconnect(conn, "pong_timeout", "reconnecting", now, fx)
        states = [st for a in conn.assets if (st := self.feed.assets.get(a)) is not None]
        waiting = False
        for st in states:
            if st.want_ns and now - st.want_ns > t.snapshot_timeout_ns:
                if st.booked:
                    return self._reconnect(conn, "no_snapshot", "stale", now, fx)
                st.want_ns = 0  # unknown to the venue (it answered []): stop waiting, ask again later
            waiting = waiting or st.want_ns != 0
        if waiting:
            return actions
        probe = [st.asset for st in states if st.booked and now - st.last_event_ns > t.asset_stale_ns]
        probe += [st.asset for st in states if not st.booked and now - st.requested_ns > t.asset_stale_ns]
        booked = [st for st in states if st.booked]
        if not probe and booked and now - conn.last_data_ns > t.stale_ns:
            probe = [min(booked, key=lambda st: st.last_event_ns).asset]
        if probe:
            probe_fx = FeedEffects()
            for asset in probe:
                self.feed.request(asset, now, probe_fx)
            actions.extend(self.resnapshot(probe_fx.resnap))
        return actions
