"""Thread -> loop hand-off (``bus.bridge``): results of blocking work come back on the loop's thread,
through the queue, after the fd wakes the poller. Waits are bounded; nothing sleeps a fixed time."""

from __future__ import annotations

import select
import threading

import pytest

from bus.bridge import Bridge, Wakeup

TIMEOUT_S = 5.0


def wait_readable(fd: int) -> None:
    ready, _, _ = select.select([fd], [], [], TIMEOUT_S)
    assert ready, "the bridge never woke the loop"


def test_a_submitted_job_reports_on_the_loop_thread_and_one_job_per_name_runs_at_a_time() -> None:
    bridge = Bridge("test")
    release = threading.Event()
    seen: list[tuple[object, BaseException | None, str]] = []
    try:
        assert bridge.submit("job", lambda: release.wait(TIMEOUT_S) and 42,
                             lambda r, e: seen.append((r, e, threading.current_thread().name)))
        assert not bridge.submit("job", lambda: 0, lambda r, e: None)  # still running
        release.set()
        wait_readable(bridge.fd)
        assert bridge.drain() == 1
        assert seen == [(42, None, threading.current_thread().name)] and bridge.running == set()
    finally:
        bridge.close()


def test_an_exception_is_handed_to_done_not_raised_in_the_thread() -> None:
    bridge = Bridge("test")
    seen: list[BaseException | None] = []
    try:
        bridge.submit("boom", lambda: 1 // 0, lambda r, e: seen.append(e))
        wait_readable(bridge.fd)
        bridge.drain()
        assert isinstance(seen[0], ZeroDivisionError)
    finally:
        bridge.close()


def test_post_runs_callbacks_in_order_and_drain_empties_the_fd() -> None:
    bridge = Bridge("test")
    seen: list[int] = []
    try:
        worker = threading.Thread(target=lambda: [bridge.post(lambda i=i: seen.append(i)) for i in range(5)])
        worker.start()
        worker.join(TIMEOUT_S)
        wait_readable(bridge.fd)
        assert bridge.drain() == 5 and seen == [0, 1, 2, 3, 4]
        ready, _, _ = select.select([bridge.fd], [], [], 0)
        assert ready == [] and bridge.drain() == 0
    finally:
        bridge.close()


@pytest.mark.parametrize("times", [1, 100_000])
def test_a_wakeup_never_blocks_the_writer_and_clears(times: int) -> None:
    wakeup = Wakeup()
    try:
        for _ in range(times):
            wakeup.wake()
        wait_readable(wakeup.fd)
        wakeup.clear()
        ready, _, _ = select.select([wakeup.fd], [], [], 0)
        assert ready == []
    finally:
        wakeup.close()
