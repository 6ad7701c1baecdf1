"""The live user-feed: credentials, the user socket's lifecycle, back-fill, leases and status (I/O glue).

Everything runs on the Node's loop thread: the socket's fd and the job pipe are poller readers, and
``tick`` (every 100 ms) drives credentials, subscriptions, PING/PONG, reconnects and back-fills.
Blocking work (connect + handshake, REST pages) runs through ``Jobs`` so the loop keeps heartbeating.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

from actors.user_feed import credentials, leases, persist
from actors.user_feed.backfill import Backfill, fetch_trades
from actors.user_feed.config import UserFeedConfig
from actors.user_feed.connection import Closed, Jobs, UserSocket, open_socket
from actors.user_feed.core import Feed, Identity, Out, backoff_ms
from actors.user_feed.venue import parse_frame
from bus import topics
from bus.codec import Header
from bus.leases import LeaseTable
from bus.node import Node
from clob.auth import ApiCreds
from schemas import Fill, Lease, LeaseRelease, UserFeedStatus
from schemas.units import MS, NS
from venue_client.credentials import ApiCredentials, creds_path
from venue_client.endpoints import VenueEndpoints


class UserFeed:
    def __init__(self, node: Node, cfg: UserFeedConfig, endpoints: VenueEndpoints, env_creds: ApiCredentials,
                 *, state_path: Path, rand: Callable[[], float] = random.random) -> None:
        self.node, self.cfg, self.endpoints, self.log = node, cfg, endpoints, node.log
        self.env_creds, self.state_path, self.rand = env_creds, state_path, rand
        self.jobs = Jobs()
        node.add_reader(self.jobs.fd, self.jobs.drain)
        self.leases = LeaseTable()
        mark, error = persist.load(state_path)
        if error:
            self.log.warning("state_file_unreadable", path=str(state_path), error=error)
        mark.owe_pinned(cfg.backfill_margin_s)  # fills the last run never saw acknowledged: fetch again
        self.feed = Feed(Identity(""), mark)
        self.saved = mark.to_json()
        self.creds: ApiCreds | None = None
        self.signer = ""
        self.started = node.clock()
        self.waiting_logged = 0
        self.exit_code = 0
        self.session = requests.Session()
        self.sock: UserSocket | None = None
        self.connecting = False
        self.subscribed: set[str] = set()
        self.dropped_at: dict[str, int] = {}  # market -> when the socket stopped carrying it
        self.unsettled: dict[str, str] = {}  # trade id -> market, for our trades not final yet
        self.attempt = self.connected_at = self.retry_at = self.last_rx = self.last_ping = 0
        self.backfill_attempt = self.backfill_retry_at = self.backfilled = 0
        self.last_status: tuple[Any, ...] = ()

    # -- the loop's entry points ------------------------------------------------------------------

    def tick(self, now: int) -> None:
        if self.creds is None:
            self._wait_for_credentials(now)
            return
        self.leases.expire(now)
        self._sync_markets(now)
        if self.sock is not None:
            self._keepalive(now)
        elif self._wants_socket() and not self.connecting and now >= self.retry_at:
            self._connect(now)
        self._maybe_backfill(now)  # REST needs no socket: a rejected or flapping one still back-fills
        self._publish_status(now, force=False)

    def status_tick(self, now: int) -> None:
        mark = self.feed.mark
        dropped = self.feed.prune(now, self.cfg.open_trade_max_s)
        if dropped:
            self.log.error("fills_never_acknowledged", fills=len(dropped),
                           trade_ids=[f.trade_id for f in dropped][:20])
        horizon = now - self.cfg.open_trade_max_s * NS
        self.dropped_at = {m: ts for m, ts in self.dropped_at.items() if ts >= horizon}
        if self.sock is not None:
            mark.caught_up(now)
        self._save()
        self._publish_status(now, force=True)

    def on_lease(self, topic: bytes, header: Header, msg: Lease) -> None:
        self.leases.on_lease(msg, self.node.clock())
        self._sync_markets(self.node.clock())

    def on_release(self, topic: bytes, header: Header, msg: LeaseRelease) -> None:
        self.leases.on_release(msg)
        self._sync_markets(self.node.clock())

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
        self._save()
        self.jobs.close()
        self.session.close()

    # -- credentials ------------------------------------------------------------------------------

    def _wait_for_credentials(self, now: int) -> None:
        run_dir = self.node.bus.run_dir
        account = credentials.find(self.env_creds, run_dir, signer=self.cfg.signer_address,
                                   local=self.endpoints.is_local)
        if account is not None:
            self.creds, self.signer, self.feed.me = account.creds, account.signer, account.me
            self.log.info("credentials_ready", source=account.source, api_key=account.me.api_key[:8] + "...",
                          address=account.me.address, signer=account.signer)
            if not self._wants_socket():  # nothing to listen to yet: still close the gap since last run
                self._owe_backfill(now)
            return
        waited_s = (now - self.started) // NS
        if not self.waiting_logged or now - self.waiting_logged >= 10 * NS:
            self.waiting_logged = now
            self.log.info("waiting_for_credentials", file=str(creds_path(run_dir)), waited_s=waited_s,
                          limit_s=self.cfg.creds_wait_s,
                          hint="set POLYMARKET_API_KEY/_SECRET/_PASSPHRASE or start the executor")
        if waited_s >= self.cfg.creds_wait_s:
            self.log.error("credentials_missing", file=str(creds_path(run_dir)), waited_s=waited_s)
            self.exit_code = 1
            self.node.stop()

    # -- the socket -------------------------------------------------------------------------------

    def _wants_socket(self) -> bool:
        return self.cfg.all_markets or bool(self._markets())

    def _markets(self) -> set[str]:
        """The markets the socket must carry: the leased ones, and any with a trade of ours not yet final.

        A lease goes when a window rotates or a coordinator stops, often a second after a fill; that
        trade can still go RETRYING -> FAILED, and only the user channel says so at once."""
        open_trades = self.feed.mark.open_trades
        self.unsettled = {t: m for t, m in self.unsettled.items() if t in open_trades}
        return self.leases.markets() | set(self.unsettled.values())

    def _connect(self, now: int) -> None:
        assert self.creds is not None
        markets = None if self.cfg.all_markets else self._markets()
        creds = self.creds
        auth = {"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}
        first = json.dumps(leases.subscribe_frame(auth, markets), separators=(",", ":"))
        url = self.endpoints.ws_base_url + "/user"
        self.connecting = True
        self.log.info("ws_connecting", url=url, markets=len(markets) if markets is not None else "all",
                      attempt=self.attempt)
        self.jobs.submit("connect", lambda: open_socket(url, first, self.cfg.connect_timeout_ms / 1000),
                         lambda ws, error: self._on_connect(ws, error, markets or set()))

    def _on_connect(self, ws: Any, error: BaseException | None, markets: set[str]) -> None:
        self.connecting = False
        now = self.node.clock()
        if error is not None or self.node.stopping:
            if ws is not None:
                UserSocket(ws).close()
            if error is not None:
                self._schedule_reconnect(now, f"connect failed: {type(error).__name__}: {error}")
            return
        self.sock = UserSocket(ws)
        self.node.add_reader(self.sock.fd, self._on_readable)
        self.connected_at = self.last_rx = self.last_ping = now
        self.subscribed = set(markets)
        self.log.info("ws_connected", markets=sorted(markets) if not self.cfg.all_markets else "all")
        self._owe_backfill(now)
        self._carried(markets)
        self._sync_markets(now)
        self._publish_status(now, force=False)

    def _on_readable(self) -> None:
        if self.sock is None:
            return
        frames, closed = self.sock.read()
        now = self.node.clock()
        if frames:
            self.last_rx = now
        for frame in frames:
            parsed = parse_frame(frame)
            if parsed.skipped:
                self.log.warning("user_frame_skipped", items=parsed.skipped,
                                 frame=frame[:200].decode(errors="replace"))
            for event in parsed.events:
                self._emit(self.feed.on_event(event, "ws", now))
        if closed:
            self._drop(now, closed)

    def _keepalive(self, now: int) -> None:
        assert self.sock is not None
        if now - self.last_rx > self.cfg.pong_timeout_ms * MS:
            self._drop(now, f"no PONG for {self.cfg.pong_timeout_ms} ms")
            return
        if now - self.last_ping >= self.cfg.ping_ms * MS:
            self.last_ping = now
            try:
                self.sock.send("PING")
            except Closed as exc:
                self._drop(now, str(exc))

    def _drop(self, now: int, reason: str) -> None:
        if self.sock is not None:
            self.node.remove_reader(self.sock.fd)
            self.sock.close()
            self.sock = None
        self.dropped_at.update(dict.fromkeys(self.subscribed, now))
        self.subscribed = set()
        self._schedule_reconnect(now, reason)
        self._publish_status(now, force=False)

    def _schedule_reconnect(self, now: int, reason: str) -> None:
        stable = self.connected_at and now - self.connected_at >= self.cfg.stable_ms * MS
        self.attempt = 0 if stable else self.attempt + 1
        self.connected_at = 0
        delay = backoff_ms(self.attempt, self.cfg.reconnect_min_ms, self.cfg.reconnect_max_ms, self.rand())
        self.retry_at = now + delay * MS
        self.log.warning("ws_disconnected", reason=reason, retry_in_ms=delay, attempt=self.attempt)

    def _sync_markets(self, now: int) -> None:
        """Lease mode: move the live socket's subscription to the leased (and unsettled) markets."""
        if self.cfg.all_markets or self.sock is None:
            return
        wanted = self._markets()
        added = wanted - self.subscribed
        for frame in leases.diff(wanted, self.subscribed):
            try:
                self.sock.send(json.dumps(frame, separators=(",", ":")))
            except Closed as exc:
                self._drop(now, str(exc))
                return
            self.log.info("ws_markets", operation=frame["operation"], markets=frame["markets"])
        self.dropped_at.update(dict.fromkeys(self.subscribed - wanted, now))
        self._carried(added)
        self.subscribed = wanted

    def _carried(self, markets: set[str]) -> None:
        """Markets the socket carries again: their trades while it did not are only in REST."""
        gaps = [self.dropped_at.pop(m) for m in markets if m in self.dropped_at]
        if gaps:
            self.feed.mark.owe(max(0, min(gaps) // NS - self.cfg.backfill_margin_s))

    # -- back-fill --------------------------------------------------------------------------------

    def _owe_backfill(self, now: int) -> None:
        mark = self.feed.mark
        mark.owe(mark.after_s(now, self.cfg.backfill_margin_s, self.cfg.backfill_lookback_s))

    def _maybe_backfill(self, now: int) -> None:
        if self.creds is None or now < self.backfill_retry_at or "backfill" in self.jobs.running:
            return
        after = self.feed.mark.start()
        if after is None:
            return
        creds, cfg, url = self.creds, self.cfg, self.endpoints.rest_url

        def fetch() -> Backfill:
            return fetch_trades(self.session, url, creds, address=self.signer, after_s=after,
                                timeout_s=cfg.http_timeout_ms / 1000, max_pages=cfg.backfill_max_pages)

        self.jobs.submit("backfill", fetch, lambda res, error: self._on_backfill(res, error, after, now))

    def _on_backfill(self, result: Backfill | None, error: BaseException | None, after: int,
                     started: int) -> None:
        now = self.node.clock()
        if error is not None or result is None:
            self.feed.mark.finish(False, started)
            self.backfill_attempt += 1
            delay = backoff_ms(self.backfill_attempt, 1000, 60_000, self.rand())
            self.backfill_retry_at = now + delay * MS
            self.log.warning("backfill_failed", after=after, error=str(error), retry_in_ms=delay)
            return
        fills = 0
        for trade in result.trades:
            outs = self.feed.on_event(trade, "rest", now)
            fills += len(outs)
            self._emit(outs)
        self.feed.mark.finish(True, started)
        self.backfill_attempt = 0
        self.backfilled = len(result.trades)
        log = self.log.error if result.truncated else self.log.info
        log("backfill_done", after=after, trades=len(result.trades), fills=fills, pages=result.pages,
            skipped_rows=result.skipped, truncated=result.truncated)
        self._publish_status(now, force=False)

    # -- output -----------------------------------------------------------------------------------

    def _emit(self, outs: list[Out]) -> None:
        for out in outs:
            if out.pipe:
                self.node.push(out.pipe, out.topic, out.msg)
            else:
                self.node.publish(out.topic, out.msg)
            if isinstance(out.msg, Fill):
                f = out.msg
                if f.trade_id in self.feed.mark.open_trades:
                    self.unsettled[f.trade_id] = f.market
                self.log.info("fill", trade_id=f.trade_id, order_id=f.order_id, market=f.market,
                              asset=f.asset, side=f.side, price=f.price, size=f.size, status=f.status,
                              role=f.role, source=f.source)
        if self.feed.errors:
            self.log.warning("user_event_skipped", errors=self.feed.errors, skipped=self.feed.skipped)
            self.feed.errors = []

    def _publish_status(self, now: int, *, force: bool) -> None:
        markets = [] if self.cfg.all_markets else sorted(self.subscribed)
        state = (self.sock is not None, markets, self.feed.mark.last_trade_ns, self.backfilled)
        if state == self.last_status and not force:
            return
        self.last_status = state
        self.node.publish(topics.user_status(), UserFeedStatus(
            connected=state[0], markets=markets, last_trade_ts=state[2], backfilled=state[3], ts=now))

    def _save(self) -> None:
        snapshot = self.feed.mark.to_json()
        if snapshot == self.saved:
            return
        try:
            persist.save(self.state_path, self.feed.mark)
            self.saved = snapshot
        except OSError as exc:
            self.log.error("state_save_failed", path=str(self.state_path), error=str(exc))

