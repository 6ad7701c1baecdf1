"""The live user-feed's I/O (thin shell): credentials, the user socket, REST back-fill, the state file.

The rules are in ``Session`` (socket, subscriptions, back-fill debts, status) and ``Resender`` (fills
inventory has not acknowledged); this shell performs what they return and hands their ``Effects`` to
``Node.apply``. Everything runs on the Node's loop thread: the socket (``venue_client.ws.Sockets``) and
the ``Bridge`` that reports finished connects and REST pages are poller readers.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import requests

from actors.user_feed import credentials, persist
from actors.user_feed.acks import Resender
from actors.user_feed.backfill import Backfill as Trades
from actors.user_feed.backfill import fetch_trades
from actors.user_feed.config import UserFeedConfig
from actors.user_feed.core import Feed, Identity
from actors.user_feed.leases import subscribe_frame
from actors.user_feed.session import Action, Backfill, Close, Connect, Send, Session, Subscribe
from bus.bridge import Bridge
from bus.codec import Header
from bus.effects import Effects
from bus.node import Node
from schemas import FillApplied, Heartbeat, Lease, LeaseRelease
from venue_client.credentials import ApiCredentials, creds_path
from venue_client.endpoints import VenueEndpoints
from venue_client.ws import Sockets

USER = 1  # the one socket's id


class UserFeed:
    def __init__(self, node: Node, cfg: UserFeedConfig, endpoints: VenueEndpoints, env_creds: ApiCredentials,
                 *, state_path: Path, rng: random.Random | None = None) -> None:
        self.node, self.cfg, self.endpoints, self.log = node, cfg, endpoints, node.log
        self.env_creds, self.state_path = env_creds, state_path
        mark, error = persist.load(state_path)
        if error:
            self.log.warning("state_file_unreadable", path=str(state_path), error=error)
        mark.owe_pinned(cfg.backfill_margin_s)  # fills the last run never saw acknowledged: fetch again
        self.feed = Feed(Identity(""), mark)
        self.session = Session(cfg, self.feed, rng or random.Random(), node.clock())
        self.resender = Resender(self.feed, resend_ms=cfg.resend_ms, alive_ms=3 * node.bus.heartbeat_ms)
        self.saved = mark.to_json()
        self.account: credentials.Account | None = None
        self.exit_code = 0
        self.http = requests.Session()
        self.url = endpoints.ws_base_url + "/user"
        self.bridge = Bridge("user-feed").attach(node)
        self.sockets = Sockets(node, self.bridge, self.url, cfg.connect_timeout_ms / 1000, self.on_opened,
                               self.on_received)

    def perform(self, fx: Effects, actions: list[Action]) -> None:
        """Bus messages and log lines first, then the socket and REST actions."""
        self.node.apply(fx)
        for action in actions:
            if isinstance(action, Send):
                self._send(action.text)
            elif isinstance(action, Subscribe):
                self._send(self._first(action))
            elif isinstance(action, Connect):
                self.log.info("ws_connecting", url=self.url, markets=action.markets, attempt=action.attempt)
                self.sockets.connect(USER)
            elif isinstance(action, Close):
                self.sockets.close(USER)
            elif isinstance(action, Backfill):
                self._backfill(action)

    def _send(self, text: str) -> None:
        error = self.sockets.send(USER, text)
        if error:
            self.lost(error)

    def _first(self, action: Subscribe) -> str:
        """The first frame: the auth (never logged) and the markets to carry."""
        assert self.account is not None
        creds = self.account.creds
        auth = {"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}
        markets = None if action.markets is None else set(action.markets)
        return json.dumps(subscribe_frame(auth, markets), separators=(",", ":"))

    # -- timers -----------------------------------------------------------------------------------

    def tick(self, now: int) -> None:
        fx = Effects()
        if self.account is None:  # nothing else until there are credentials
            self._credentials(now, fx)
            self.node.apply(fx)
            return
        self.perform(fx, self.session.tick(now, fx))

    def status_tick(self, now: int) -> None:
        fx = Effects()
        self.session.status_tick(now, fx)
        self._save()
        self.node.apply(fx)

    def resend_tick(self, now: int) -> None:
        fx = Effects()
        self.resender.tick(now, fx)
        self.node.apply(fx)

    # -- bus handlers -----------------------------------------------------------------------------

    def on_lease(self, topic: bytes, header: Header, msg: Lease) -> None:
        fx = Effects()
        self.perform(fx, self.session.on_lease(msg, self.node.clock(), fx))

    def on_release(self, topic: bytes, header: Header, msg: LeaseRelease) -> None:
        fx = Effects()
        self.perform(fx, self.session.on_release(msg, self.node.clock(), fx))

    def on_heartbeat(self, topic: bytes, header: Header, msg: Heartbeat) -> None:
        fx = Effects()
        self.resender.on_heartbeat(msg.program, header.run, self.node.clock(), fx)
        self.node.apply(fx)

    def on_applied(self, topic: bytes, header: Header, msg: FillApplied) -> None:
        self.resender.on_applied(msg.fill)

    # -- socket and REST results ------------------------------------------------------------------

    def on_opened(self, conn: int, error: str) -> None:
        fx, now = Effects(), self.node.clock()
        if error:
            self.session.on_connect_failed(error, now, fx)
            self.node.apply(fx)
        else:
            self.perform(fx, self.session.on_open(now, fx))

    def on_received(self, conn: int, frames: list[bytes], closed: str) -> None:
        fx, now = Effects(), self.node.clock()
        self.session.on_frames(frames, now, fx)
        if closed:
            self.sockets.close(USER)
            self.session.on_closed(closed, now, fx)
        self.node.apply(fx)

    def lost(self, why: str) -> None:
        self.sockets.close(USER)
        fx = Effects()
        self.session.on_closed(why, self.node.clock(), fx)
        self.node.apply(fx)

    def _backfill(self, job: Backfill) -> None:
        assert self.account is not None
        creds, signer, url, http = self.account.creds, self.account.signer, self.endpoints.rest_url, self.http
        timeout_s, max_pages = self.cfg.http_timeout_ms / 1000, self.cfg.backfill_max_pages

        def fetch() -> Trades:
            return fetch_trades(http, url, creds, address=signer, after_s=job.after_s, timeout_s=timeout_s,
                                max_pages=max_pages)

        def done(result: Trades | None, error: BaseException | None) -> None:
            fx = Effects()
            self.session.on_backfill(job, result, error, self.node.clock(), fx)
            self.node.apply(fx)

        self.bridge.submit("backfill", fetch, done)

    # -- credentials and the state file -----------------------------------------------------------

    def _credentials(self, now: int, fx: Effects) -> None:
        """Look for credentials (environment, then the executor's file); give up after ``creds_wait_s``."""
        run_dir = self.node.bus.run_dir
        account = credentials.find(self.env_creds, run_dir, signer=self.cfg.signer_address,
                                   local=self.endpoints.is_local)
        if account is None:
            if self.session.awaiting_credentials(now, fx, file=str(creds_path(run_dir))):
                self.exit_code = 1
                self.node.stop()
            return
        self.account = account
        self.log.info("credentials_ready", source=account.source, api_key=account.me.api_key[:8] + "...",
                      address=account.me.address, signer=account.signer)
        self.session.on_credentials(account.me, now)

    def _save(self) -> None:
        snapshot = self.feed.mark.to_json()
        if snapshot == self.saved:
            return
        try:
            persist.save(self.state_path, self.feed.mark)
            self.saved = snapshot
        except OSError as exc:
            self.log.error("state_save_failed", path=str(self.state_path), error=str(exc))

    def close(self) -> None:
        self.sockets.close_all()
        self._save()
        self.bridge.close()
        self.http.close()
