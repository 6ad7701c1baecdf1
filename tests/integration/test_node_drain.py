"""``Node.run(on_drained=...)``: decide once per wake-up, after everything that arrived together.

Real ZeroMQ sockets over ``inproc://`` (one context): a message is in the receiver's queue as soon as
``send`` returns, so "arrived together" is exact and the tests need no sleeps.
"""

from __future__ import annotations

from pathlib import Path

from bus import topics
from bus.codec import Header
from schemas import Heartbeat
from tests.support.inproc import beat, push_pair


def test_on_drained_runs_once_after_every_queued_message(tmp_path: Path) -> None:
    receiver, sender = push_pair(tmp_path)
    try:
        for i in range(5):
            sender.push("r", topics.sys_hb("sender"), beat(i))
        seen: list[int] = []
        drained: list[list[int]] = []

        def on_message(topic: bytes, header: Header, msg: Heartbeat) -> None:
            seen.append(msg.ts)

        def on_drained() -> None:
            drained.append(list(seen))
            receiver.stop()

        receiver.run(on_message, max_wait_ms=50, on_drained=on_drained)

        assert drained == [[0, 1, 2, 3, 4]]  # one decision, on all five, the newest last
    finally:
        sender.close()
        receiver.close()


def test_on_drained_runs_again_for_messages_that_arrive_later(tmp_path: Path) -> None:
    receiver, sender = push_pair(tmp_path)
    try:
        sender.push("r", topics.sys_hb("sender"), beat(0))
        drained: list[int] = []

        def on_drained() -> None:
            drained.append(len(drained))
            if len(drained) == 1:  # arrives while the first batch is being decided on
                sender.push("r", topics.sys_hb("sender"), beat(1))
                sender.push("r", topics.sys_hb("sender"), beat(2))
            else:
                receiver.stop()

        seen: list[int] = []
        receiver.run(lambda t, h, m: seen.append(m.ts), max_wait_ms=50, on_drained=on_drained)

        assert seen == [0, 1, 2] and drained == [0, 1]
    finally:
        sender.close()
        receiver.close()
