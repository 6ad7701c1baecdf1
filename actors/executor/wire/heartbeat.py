"""The order heartbeat (PROTOCOL.md §4.6): ``POST /v1/heartbeats`` every 5 s once an order may be live.

Why a dedicated thread with its own keep-alive session (the one exception to "one loop"): the
dead-man switch is unforgiving (10 s, account-wide, every market). The main loop never waits for a reply,
but it still signs, opens connections and writes to SQLite; on its own thread and connection, the
heartbeat's cadence depends only on the process being alive. A watchdog keeps the dead-man switch
honest: the main loop pets it (every state tick and every reply); if the loop has not been seen for
``watchdog_ms`` (wedged), the thread stops sending, and the venue cancels everything 10 s later, as it
would if we had died. Each accepted heartbeat is reported to the loop through a ``bus.bridge.Bridge``
(``post``): ``HeartbeatStatus``, on the loop's thread, says whether the switch is armed and notices a
lapse.

Protocol (``HeartbeatIds``, pure): send the last id received (``""`` first); 200 gives the next id
(the documented ``POST /heartbeats`` variant may answer ``{"status":"ok"}`` without one: keep the
id); 400 ``Invalid Heartbeat ID`` carries the expected id: resend with it at once. There is no disarm:
once armed, it keeps sending until the process stops.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Literal

from actors.executor.wire.rest import RestClient
from bus.logs import Logger, Throttle
from clob.auth import ApiCreds

VENUE_TIMEOUT_S = 10.0
RETRY_S = 1.0

Outcome = Literal["accepted", "resend", "failed"]


class HeartbeatIds:
    __slots__ = ("next_id",)

    def __init__(self) -> None:
        self.next_id = ""

    def on_reply(self, status: int, body: Any) -> Outcome:
        given = body.get("heartbeat_id") if isinstance(body, dict) else None
        if status == 200:
            if isinstance(given, str) and given:
                self.next_id = given
            return "accepted"
        mismatch = isinstance(body, dict) and "heartbeat id" in str(body.get("error_msg", "")).lower()
        if status == 400 and mismatch and isinstance(given, str):
            self.next_id = given
            return "resend"
        return "failed"


class HeartbeatStatus:
    """The loop's view of the venue's switch, from the accepted heartbeats the thread reports."""

    __slots__ = ("_lapse_seen", "clock", "last_ok")

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.last_ok = 0.0
        self._lapse_seen = False

    def accepted(self, at: float) -> None:
        self.last_ok = at

    @property
    def armed(self) -> bool:
        """The venue's switch is armed by us: a heartbeat was accepted within its timeout."""
        return self.last_ok > 0 and self.clock() - self.last_ok < VENUE_TIMEOUT_S

    def take_lapse(self) -> bool:
        """True once after the switch lapsed (no accepted heartbeat for 10 s): resync our orders."""
        lapsed = self.last_ok > 0 and not self.armed
        fresh = lapsed and not self._lapse_seen
        self._lapse_seen = lapsed
        return fresh


def _run_here(callback: Callable[[], None]) -> None:
    callback()


class HeartbeatThread:
    def __init__(self, rest: RestClient, *, path: str, interval_ms: int, log: Logger,
                 watchdog_ms: int = 10_000, clock: Callable[[], float] = time.monotonic,
                 post: Callable[[Callable[[], None]], None] = _run_here) -> None:
        self.rest = rest
        self.path = path
        self.interval_s = interval_ms / 1000
        self.watchdog_s = watchdog_ms / 1000
        self.log = log
        self.clock = clock
        self.post = post  # hands a callback to the loop's thread (``Bridge.post``)
        self.status = HeartbeatStatus(clock)  # read and written on the loop's thread only
        self.ids = HeartbeatIds()
        self.sent = 0
        self.failures = 0
        self.quiet = Throttle(first=1, every=10)  # heartbeat_failed lines (thread-local)
        self._pet = clock()
        self._armed = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="order-heartbeat", daemon=True)

    # -- called from the main loop ----------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def arm(self) -> None:
        if not self._armed.is_set():
            self._armed.set()

    @property
    def arming(self) -> bool:
        return self._armed.is_set()

    @property
    def armed(self) -> bool:
        return self.status.armed

    def pet(self) -> None:
        self._pet = self.clock()

    def take_lapse(self) -> bool:
        return self.status.take_lapse()

    def stop(self, timeout: float = 0.2) -> None:
        self._stop.set()
        self._armed.set()
        self._thread.join(timeout)
        self.rest.close()

    # -- the thread -----------------------------------------------------------------------------

    def _run(self) -> None:
        self._armed.wait()
        withheld = False
        while not self._stop.is_set():
            if self.clock() - self._pet > self.watchdog_s:
                if not withheld:
                    self.log.error("heartbeat_withheld", reason="main loop not seen",
                                   seconds=round(self.clock() - self._pet, 1))
                withheld = True
                self._stop.wait(min(RETRY_S, self.interval_s))
                continue
            withheld = False
            ok = self._beat()
            self._stop.wait(self.interval_s if ok else RETRY_S)

    def _beat(self) -> bool:
        res = self.rest.heartbeat(self.path, self.ids.next_id)
        outcome = self.ids.on_reply(res.status, res.body)
        if outcome == "resend":
            res = self.rest.heartbeat(self.path, self.ids.next_id)
            outcome = self.ids.on_reply(res.status, res.body)
        if outcome == "accepted":
            if self.sent == 0 or self.failures:
                self.log.info("heartbeat_armed" if self.sent == 0 else "heartbeat_recovered",
                              failures=self.failures)
            at = self.clock()
            self.post(lambda: self.status.accepted(at))
            self.sent += 1
            self.failures = 0
            self.quiet = Throttle(first=1, every=10)
            return True
        self.failures += 1
        if self.quiet.count():  # the first failure, then every 10th until one is accepted again
            self.log.warning("heartbeat_failed", status=res.status, error=res.error or str(res.body)[:200],
                             failures=self.failures)
        return False


def start_heartbeat(base_url: str, address: str, creds: ApiCreds, *, path: str, interval_ms: int,
                    timeout_ms: int, log: Logger,
                    post: Callable[[Callable[[], None]], None]) -> HeartbeatThread:
    """A heartbeat thread on its own keep-alive session (not yet armed); ``post`` is ``Bridge.post``."""
    rest = RestClient(base_url, address, timeout_ms=min(timeout_ms, 2_000))
    rest.creds = creds
    thread = HeartbeatThread(rest, path=path, interval_ms=interval_ms, log=log, post=post)
    thread.start()
    return thread
