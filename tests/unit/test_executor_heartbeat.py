"""The order heartbeat: the id protocol (table), and the thread's cadence, resend and watchdog."""

from __future__ import annotations

import sys
import threading
from typing import Any

import pytest

from actors.executor.core.venue_requests import HttpResult
from actors.executor.wire.heartbeat import HeartbeatIds, HeartbeatThread
from tests.support.quiet import Quiet
from tests.support.waits import wait_until


@pytest.mark.parametrize(("last", "status", "body", "outcome", "next_id"), [
    ("", 200, {"heartbeat_id": "h1"}, "accepted", "h1"),
    ("h1", 200, {"heartbeat_id": "h2"}, "accepted", "h2"),
    ("h1", 200, {"status": "ok"}, "accepted", "h1"),  # the documented POST /heartbeats variant
    ("h1", 200, {"status": "ok", "heartbeat_id": "h9"}, "accepted", "h9"),
    ("", 400, {"error_msg": "Invalid Heartbeat ID", "heartbeat_id": "exp"}, "resend", "exp"),
    ("h1", 400, {"error": "Invalid order payload"}, "failed", "h1"),
    ("h1", 401, {"error": "Unauthorized/Invalid api key"}, "failed", "h1"),
    ("h1", 0, None, "failed", "h1"),
    ("h1", 500, "oops", "failed", "h1"),
])
def test_heartbeat_id_protocol(last: str, status: int, body: Any, outcome: str, next_id: str) -> None:
    ids = HeartbeatIds()
    ids.next_id = last
    assert ids.on_reply(status, body) == outcome
    assert ids.next_id == next_id


def parked_on(thread: threading.Thread, event: threading.Event) -> bool:
    """``thread`` is blocked inside ``event.wait()`` (read from its current stack)."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code.co_name == "wait" and frame.f_locals.get("self") is event:
            return True
        frame = frame.f_back
    return False


class FakeRest:
    """Answers like the venue: the first send of a stale id is refused with the expected id."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.expected = "venue-id"
        self.beats = threading.Semaphore(0)

    def heartbeat(self, path: str, heartbeat_id: str) -> HttpResult:
        self.sent.append(heartbeat_id)
        if heartbeat_id != self.expected:
            body = {"error_msg": "Invalid Heartbeat ID", "heartbeat_id": self.expected}
            return HttpResult(status=400, body=body)
        self.expected = f"id{len(self.sent)}"
        self.beats.release()
        return HttpResult(status=200, body={"heartbeat_id": self.expected})

    def close(self) -> None:
        pass


def test_thread_waits_to_be_armed_then_beats_with_the_ids_it_is_given() -> None:
    rest = FakeRest()
    hb = HeartbeatThread(rest, path="/v1/heartbeats", interval_ms=20, log=Quiet())  # type: ignore[arg-type]
    hb.start()
    try:
        wait_until(lambda: parked_on(hb._thread, hb._armed), "the thread to wait for arming")
        assert rest.sent == []  # not armed: nothing sent, and nothing will be until arm()
        hb.arm()
        for _ in range(3):
            hb.pet()
            assert rest.beats.acquire(timeout=2)
        assert rest.sent[:3] == ["", "venue-id", "id2"]  # stale first id: resent at once with the venue's
        assert hb.armed and not hb.take_lapse()
    finally:
        hb.stop()


def test_watchdog_withholds_heartbeats_when_the_main_loop_is_wedged() -> None:
    now = [100.0]
    reads = [0]  # how often the thread has read the clock: it does on every turn of its loop

    def clock() -> float:
        reads[0] += 1
        return now[0]

    rest = FakeRest()
    rest.expected = ""
    log = Quiet()
    hb = HeartbeatThread(rest, path="/v1/heartbeats", interval_ms=10, log=log,  # type: ignore[arg-type]
                         watchdog_ms=1000, clock=clock)
    hb.start()
    try:
        hb.arm()
        assert rest.beats.acquire(timeout=2)
        now[0] += 5.0  # the main loop has not petted for 5 s
        wait_until(lambda: "heartbeat_withheld" in log.events, "the watchdog to withhold heartbeats")
        sent, turns = len(rest.sent), reads[0]
        wait_until(lambda: reads[0] >= turns + 5, "five more turns of the heartbeat loop")
        assert len(rest.sent) == sent  # withheld on every one of them
        now[0] += 6.0  # 11 s since the last accepted beat: the venue's switch has lapsed
        assert hb.take_lapse() and not hb.take_lapse()
        hb.pet()
        assert rest.beats.acquire(timeout=2)  # the loop is back: beating again
    finally:
        hb.stop()
