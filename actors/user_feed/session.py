"""The user socket's session (pure): when to connect, what the socket carries, when it is dead, and what
REST back-fill is owed. No sockets, no clock: the shell passes ``now``, performs the returned actions
and hands every ``Effects`` to ``Node.apply``.

- **Connect** once credentials are known, the socket is wanted (``PM_USER_ALL_MARKETS``, or a market is
  leased or has a trade of ours not final yet) and the back-off has passed (``Connect``).
- **Open**: the first frame names the markets wanted now (``Subscribe``; the shell adds the auth);
  a back-fill is owed from the watermark.
- **Subscriptions** (lease mode): the socket carries the leased markets, those with a trade of ours
  not yet final (that trade can still go RETRYING -> FAILED, and only the user channel says so at
  once), and for ``linger_s`` those whose last lease went (released or expired: our orders there can
  still fill until their cancel lands; when the linger ends a back-fill from the release is owed). While
  open, a change is an ``operation`` frame (``Send``): subscribe first, then unsubscribe.
- **Heartbeat**: a text ``PING`` every ``ping_ms``; nothing received for ``pong_timeout_ms`` -> ``Close``
  and reconnect.
- **Reconnect back-off**: capped exponential with jitter (``backoff_ms``), from ``reconnect_min_ms`` to
  ``reconnect_max_ms``; it starts over when the socket had been up for ``stable_ms``.
- **Back-fill debts** (``Backfill`` runs ``GET /data/trades?after=``): every (re)connect owes one from the
  watermark; a market the socket carries again owes one from when it stopped carrying it (minus the
  margin); with no socket wanted, credentials arriving still owe one (the gap since the last run). A
  failed back-fill stays owed and is retried after its own back-off (1 s .. 60 s); REST needs no
  socket, so a rejected or flapping socket still back-fills.
- **Status**: ``UserFeedStatus`` whenever (connected, markets, last trade, back-filled) changes, and on
  every ``status_tick``.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from actors.user_feed import backfill
from actors.user_feed.config import UserFeedConfig
from actors.user_feed.core import Feed, Identity, Out, backoff_ms
from actors.user_feed.leases import diff
from actors.user_feed.venue import parse_frame
from bus import topics
from bus.effects import Effects
from bus.leases import LeaseTable
from bus.logs import Throttle
from schemas import Fill, Lease, LeaseRelease, UserFeedStatus
from schemas.units import MS, NS

BACKFILL_RETRY_MIN_MS, BACKFILL_RETRY_MAX_MS = 1000, 60_000
CREDS_LOG_NS = 10 * NS  # "waiting_for_credentials" at most this often


@dataclass(frozen=True, slots=True)
class Connect:
    markets: int | str  # how many the first frame will name ("all"), for the log line
    attempt: int


@dataclass(frozen=True, slots=True)
class Subscribe:
    """The first frame on a fresh socket: ``markets`` (None: every market of the key) plus the auth."""

    markets: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class Send:
    text: str


@dataclass(frozen=True, slots=True)
class Close:
    pass


@dataclass(frozen=True, slots=True)
class Backfill:
    after_s: int  # REST ``after`` (unix seconds)
    started: int  # ns: handed back to ``on_backfill``


Action = Connect | Subscribe | Send | Close | Backfill


class Session:
    def __init__(self, cfg: UserFeedConfig, feed: Feed, rng: random.Random, now: int) -> None:
        self.cfg, self.feed, self.rng = cfg, feed, rng
        self.leases = LeaseTable()
        self.ready = False  # credentials known
        self.started, self.waiting_logged = now, 0
        self.state = "down"  # down -> connecting -> open -> down ...
        self.subscribed: set[str] = set()  # markets the open socket carries
        self.dropped_at: dict[str, int] = {}  # market -> when the socket stopped carrying it
        self.unsettled: dict[str, str] = {}  # trade id -> market, for our trades not final yet
        self.released: dict[str, int] = {}  # market -> when its last lease went (carried for linger_s)
        self.attempt = self.connected_at = self.retry_at = self.last_rx = self.last_ping = 0
        self.backfill_attempt = self.backfill_retry_at = self.backfilled = 0
        self.last_status: tuple[object, ...] = ()
        self.throttle = Throttle()  # user_frame_skipped, user_event_skipped

    # -- credentials ------------------------------------------------------------------------------

    def on_credentials(self, me: Identity, now: int) -> None:
        self.ready = True
        self.feed.me = me
        if not self.wants_socket():  # nothing to listen to yet: still close the gap since the last run
            self._owe_backfill(now)

    def awaiting_credentials(self, now: int, fx: Effects, *, file: str) -> bool:
        """No credentials yet: a line every 10 s; True once ``creds_wait_s`` have passed (give up)."""
        waited_s, limit_s = (now - self.started) // NS, self.cfg.creds_wait_s
        if not self.waiting_logged or now - self.waiting_logged >= CREDS_LOG_NS:
            self.waiting_logged = now
            fx.note("waiting_for_credentials", file=file, waited_s=waited_s, limit_s=limit_s,
                    hint="set POLYMARKET_API_KEY/_SECRET/_PASSPHRASE or start the executor")
        if waited_s < limit_s:
            return False
        fx.note("credentials_missing", level="error", file=file, waited_s=waited_s)
        return True

    # -- time -------------------------------------------------------------------------------------

    def tick(self, now: int, fx: Effects) -> list[Action]:
        """Every 100 ms once credentials are known: leases, subscriptions, heartbeat, reconnect, back-fill."""
        for market in self.leases.expire(now):
            self._release(market, now)
        actions = self._sync(now, fx)
        if self.state == "open":
            actions += self._keepalive(now, fx)
        elif self.state == "down" and self.wants_socket() and now >= self.retry_at:
            actions.append(self._connect())
        actions += self._maybe_backfill(now)
        self._status(now, fx, force=False)
        return actions

    def status_tick(self, now: int, fx: Effects) -> None:
        """Every ``status_ms``: give up on fills never acknowledged, note being caught up, say the status."""
        dropped = self.feed.prune(now, self.cfg.open_trade_max_s)
        if dropped:
            fx.note("fills_never_acknowledged", level="error", fills=len(dropped),
                    trade_ids=[f.trade_id for f in dropped][:20])
        horizon = now - self.cfg.open_trade_max_s * NS
        self.dropped_at = {m: ts for m, ts in self.dropped_at.items() if ts >= horizon}
        if self.state == "open":
            self.feed.mark.caught_up(now)
        self._status(now, fx, force=True)

    # -- leases -----------------------------------------------------------------------------------

    def on_lease(self, lease: Lease, now: int, fx: Effects) -> list[Action]:
        self.leases.on_lease(lease, now)
        self.released.pop(lease.market, None)
        return self._sync(now, fx)

    def on_release(self, release: LeaseRelease, now: int, fx: Effects) -> list[Action]:
        if self.leases.on_release(release):  # its last holder
            self._release(release.market, now)
        return self._sync(now, fx)

    def _release(self, market: str, now: int) -> None:
        """No lease holds ``market`` any more: it lingers (lease mode; every market is carried otherwise)."""
        if not self.cfg.all_markets:
            self.released[market] = now

    def _linger(self, now: int) -> None:
        """Markets whose linger is over leave ``released``; what the socket may have missed of their trades
        since their release (an order that filled while its cancel was on the way, a trade event that
        crossed the unsubscribe) is owed to a back-fill."""
        linger = self.cfg.linger_s * NS
        over = [m for m, t in self.released.items() if now - t >= linger]
        if over:
            since = min(self.released.pop(m) for m in over)
            self.feed.mark.owe(max(0, since // NS - self.cfg.backfill_margin_s))

    # -- the socket -------------------------------------------------------------------------------

    def wants_socket(self) -> bool:
        return self.cfg.all_markets or bool(self._markets())

    def _markets(self) -> set[str]:
        open_trades = self.feed.mark.open_trades
        self.unsettled = {t: m for t, m in self.unsettled.items() if t in open_trades}
        return self.leases.markets() | set(self.unsettled.values()) | set(self.released)

    def _connect(self) -> Connect:
        self.state = "connecting"
        return Connect("all" if self.cfg.all_markets else len(self._markets()), self.attempt)

    def on_open(self, now: int, fx: Effects) -> list[Action]:
        """The socket is up: subscribe, owe a back-fill, carry the markets dropped meanwhile again."""
        if self.state != "connecting":
            return [Close()]
        self.state = "open"
        self.connected_at = self.last_rx = self.last_ping = now
        markets = None if self.cfg.all_markets else self._markets()
        self.subscribed = set(markets or ())
        fx.note("ws_connected", markets="all" if markets is None else sorted(markets))
        self._owe_backfill(now)
        self._carried(self.subscribed)
        self._status(now, fx, force=False)
        return [Subscribe(None if markets is None else frozenset(markets))]

    def on_connect_failed(self, error: str, now: int, fx: Effects) -> None:
        if self.state == "connecting":
            self.state = "down"
            self._schedule_reconnect(now, f"connect failed: {error}", fx)

    def on_closed(self, reason: str, now: int, fx: Effects) -> None:
        """The open socket is gone (closed by the venue, a read or send failed): reconnect later."""
        if self.state == "open":
            self._drop(now, reason, fx)

    def on_frames(self, frames: list[bytes], now: int, fx: Effects) -> None:
        if frames:
            self.last_rx = now
        for frame in frames:
            parsed = parse_frame(frame)
            if parsed.skipped and (n := self.throttle.count("user_frame_skipped")):
                fx.warn("user_frame_skipped", items=parsed.skipped,
                        frame=frame[:200].decode(errors="replace"), count=n)
            for event in parsed.events:
                self._emit(self.feed.on_event(event, "ws", now), fx)

    def _keepalive(self, now: int, fx: Effects) -> list[Action]:
        if now - self.last_rx > self.cfg.pong_timeout_ms * MS:
            self._drop(now, f"no PONG for {self.cfg.pong_timeout_ms} ms", fx)
            return [Close()]
        if now - self.last_ping >= self.cfg.ping_ms * MS:
            self.last_ping = now
            return [Send("PING")]
        return []

    def _drop(self, now: int, reason: str, fx: Effects) -> None:
        self.state = "down"
        self.dropped_at.update(dict.fromkeys(self.subscribed, now))
        self.subscribed = set()
        self._schedule_reconnect(now, reason, fx)
        self._status(now, fx, force=False)

    def _schedule_reconnect(self, now: int, reason: str, fx: Effects) -> None:
        stable = self.connected_at and now - self.connected_at >= self.cfg.stable_ms * MS
        self.attempt = 0 if stable else self.attempt + 1
        self.connected_at = 0
        cfg = self.cfg
        delay = backoff_ms(self.attempt, cfg.reconnect_min_ms, cfg.reconnect_max_ms, self.rng.random())
        self.retry_at = now + delay * MS
        fx.warn("ws_disconnected", reason=reason, retry_in_ms=delay, attempt=self.attempt)

    def _sync(self, now: int, fx: Effects) -> list[Action]:
        """Lease mode: move the open socket's subscription to the leased (unsettled, lingering) markets."""
        if self.released:
            self._linger(now)
        if self.cfg.all_markets or self.state != "open":
            return []
        wanted = self._markets()
        actions: list[Action] = []
        for frame in diff(wanted, self.subscribed):
            actions.append(Send(json.dumps(frame, separators=(",", ":"))))
            fx.note("ws_markets", operation=frame["operation"], markets=frame["markets"])
        self.dropped_at.update(dict.fromkeys(self.subscribed - wanted, now))
        self._carried(wanted - self.subscribed)
        self.subscribed = wanted
        return actions

    def _carried(self, markets: set[str]) -> None:
        """Markets the socket carries again: their trades while it did not are only in REST."""
        gaps = [self.dropped_at.pop(m) for m in markets if m in self.dropped_at]
        if gaps:
            self.feed.mark.owe(max(0, min(gaps) // NS - self.cfg.backfill_margin_s))

    # -- back-fill --------------------------------------------------------------------------------

    def _owe_backfill(self, now: int) -> None:
        mark = self.feed.mark
        mark.owe(mark.after_s(now, self.cfg.backfill_margin_s, self.cfg.backfill_lookback_s))

    def _maybe_backfill(self, now: int) -> list[Action]:
        if not self.ready or now < self.backfill_retry_at:
            return []
        after = self.feed.mark.start()  # None: nothing owed, or one is running
        return [] if after is None else [Backfill(after, now)]

    def on_backfill(self, job: Backfill, result: backfill.Backfill | None, error: BaseException | None,
                    now: int, fx: Effects) -> None:
        """A back-fill ended: its trades as fills (inventory dedupes), or owed again after a back-off."""
        mark = self.feed.mark
        if error is not None or result is None:
            mark.finish(False, job.started)
            self.backfill_attempt += 1
            delay = backoff_ms(self.backfill_attempt, BACKFILL_RETRY_MIN_MS, BACKFILL_RETRY_MAX_MS,
                               self.rng.random())
            self.backfill_retry_at = now + delay * MS
            fx.warn("backfill_failed", after=job.after_s, error=str(error), retry_in_ms=delay)
            return
        fills = 0
        for trade in result.trades:
            outs = self.feed.on_event(trade, "rest", now)
            fills += len(outs)
            self._emit(outs, fx)
        mark.finish(True, job.started)
        self.backfill_attempt = 0
        self.backfilled = len(result.trades)
        fx.note("backfill_done", level="error" if result.truncated else "info", after=job.after_s,
                trades=len(result.trades), fills=fills, pages=result.pages, skipped_rows=result.skipped,
                truncated=result.truncated)
        self._status(now, fx, force=False)

    # -- output -----------------------------------------------------------------------------------

    def _emit(self, outs: list[Out], fx: Effects) -> None:
        for out in outs:
            if out.pipe:
                fx.push(out.pipe, out.topic, out.msg)
            else:
                fx.publish(out.topic, out.msg)
            if isinstance(out.msg, Fill):
                f = out.msg
                if f.trade_id in self.feed.mark.open_trades:
                    self.unsettled[f.trade_id] = f.market
                fx.note("fill", trade_id=f.trade_id, order_id=f.order_id, market=f.market, asset=f.asset,
                        side=f.side, price=f.price, size=f.size, status=f.status, role=f.role,
                        source=f.source)
        errors = self.feed.take_errors()
        if errors and self.throttle.count("user_event_skipped"):
            fx.warn("user_event_skipped", errors=errors, skipped=self.feed.skipped)

    def _status(self, now: int, fx: Effects, *, force: bool) -> None:
        markets = [] if self.cfg.all_markets else sorted(self.subscribed)
        state = (self.state == "open", markets, self.feed.mark.last_trade_ns, self.backfilled)
        if state == self.last_status and not force:
            return
        self.last_status = state
        fx.publish(topics.user_status(), UserFeedStatus(connected=state[0], markets=markets,
                                                        last_trade_ts=state[2], backfilled=state[3], ts=now))
