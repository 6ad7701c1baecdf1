"""``Node.run(on_idle=...)``: background work in small slices, only when nothing is ready (the executor's
pre-signing). Real ZeroMQ sockets over ``inproc://`` (one context), as in test_node_drain.py: a message is
in the receiver's queue as soon as ``send`` returns, so the tests need no sleeps."""

from __future__ import annotations

from pathlib import Path

from bus import topics
from tests.support.inproc import beat, push_pair


def test_a_message_waits_for_one_idle_slice_at_most(tmp_path: Path) -> None:
    receiver, sender = push_pair(tmp_path)
    log: list[str] = []
    try:
        def on_idle() -> bool:
            log.append("slice")
            if log.count("slice") == 3:  # a message arrives during the third slice
                sender.push("r", topics.sys_hb("sender"), beat(7))
            if log.count("slice") == 6:
                receiver.stop()
            return True  # always more to do

        receiver.run(lambda t, h, m: log.append(f"message {m.ts}"), max_wait_ms=50, on_idle=on_idle)

        assert log[:5] == ["slice", "slice", "slice", "message 7", "slice"]  # read before the next slice
    finally:
        sender.close()
        receiver.close()


def test_idle_work_stops_when_there_is_none_and_the_loop_sleeps(tmp_path: Path) -> None:
    receiver, sender = push_pair(tmp_path)
    work = [3]  # slices of work left
    log: list[str] = []
    try:
        def on_idle() -> bool:
            log.append("asked")
            if work[0] == 0:
                if log.count("asked") == 4:  # asked once with nothing left: now a message wakes the loop
                    sender.push("r", topics.sys_hb("sender"), beat(1))
                return False
            work[0] -= 1
            return True

        def on_message(topic: bytes, header: object, msg: object) -> None:
            log.append("message")
            receiver.stop()

        receiver.run(on_message, max_wait_ms=5_000, on_idle=on_idle)

        assert log == ["asked"] * 4 + ["message"]  # three slices, one "nothing to do", then asleep
    finally:
        sender.close()
        receiver.close()
