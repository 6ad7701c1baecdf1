"""The one output convention (``bus.effects.Effects``, performed by ``Node.apply``) and the one rule for
logging what can flood (``bus.logs.Throttle``)."""

from __future__ import annotations

import io
import json
from typing import Any

from bus.effects import Effects
from bus.logs import Logger, Throttle
from bus.node import Node
from schemas import Heartbeat


def hb(n: int) -> Heartbeat:
    return Heartbeat(program="p", pid=n, ready=True, gaps=0, ts=n)


def test_effects_collect_pushes_publishes_and_notes_in_order_and_extend() -> None:
    fx = Effects()
    assert not fx
    fx.publish(b"a.", hb(1))
    fx.push("exec", b"c.", hb(2))
    fx.note("placed", id=1)
    other = Effects()
    other.warn("odd", why="x")
    other.publish(b"b.", hb(3))
    assert fx.extend(other) is fx and fx
    assert fx.publishes == [(b"a.", hb(1)), (b"b.", hb(3))] and fx.pushes == [("exec", b"c.", hb(2))]
    assert fx.notes == [("info", "placed", {"id": 1}), ("warning", "odd", {"why": "x"})]
    fx.clear()
    assert not fx


class FakeNode:
    """What ``Node.apply`` uses: push, publish, log."""

    def __init__(self) -> None:
        self.done: list[tuple[str, Any]] = []
        self.log = self

    def push(self, pipe: str, topic: bytes, msg: Any) -> None:
        self.done.append(("push", topic))

    def publish(self, topic: bytes, msg: Any) -> None:
        self.done.append(("publish", topic))

    def info(self, event: str, **fields: Any) -> None:
        self.done.append(("info", event))

    def warning(self, event: str, **fields: Any) -> None:
        self.done.append(("warning", event))

    def lines(self, notes: list[tuple[str, str, dict[str, Any]]]) -> None:
        self.done.extend((level, event) for level, event, _ in notes)


def test_apply_pushes_first_then_publishes_then_logs() -> None:
    fx = Effects()
    fx.note("n1")
    fx.publish(b"p1.", hb(1))
    fx.push("exec", b"c1.", hb(2))
    fx.warn("n2")
    fx.push("exec", b"c2.", hb(3))
    node = FakeNode()
    Node.apply(node, fx)  # type: ignore[arg-type]
    assert node.done == [("push", b"c1."), ("push", b"c2."), ("publish", b"p1."), ("info", "n1"),
                         ("warning", "n2")]


class CountingOut(io.StringIO):
    """A log stream that counts its writes (one per step, not one per line)."""

    writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


def test_a_steps_lines_go_out_in_one_write_each_as_its_own_line_would() -> None:
    one_by_one, batched = CountingOut(), CountingOut()
    notes: list[tuple[str, str, dict[str, Any]]] = [("info", "order_placed", {"order_id": "0x1", "price": 5}),
                                                     ("warning", "odd", {"api_key_secret": "s3cr3t"})]
    for level, event, fields in notes:
        getattr(Logger("executor", one_by_one), level)(event, **fields)
    Logger("executor", batched).lines(notes)
    assert (one_by_one.writes, batched.writes) == (2, 1)

    def without_ts(text: str) -> list[dict[str, Any]]:
        return [{k: v for k, v in json.loads(line).items() if k != "ts"} for line in text.splitlines()]

    assert without_ts(batched.getvalue()) == without_ts(one_by_one.getvalue())
    assert "s3cr3t" not in batched.getvalue()


def test_throttle_logs_the_first_ten_then_every_thousandth_per_key() -> None:
    throttle = Throttle()
    logged = [n for n in (throttle.count("a") for _ in range(3000)) if n]
    assert logged == [*range(1, 11), 1000, 2000, 3000]
    assert throttle.count("b") == 1 and throttle.total == 3001


def test_throttle_limits_are_configurable() -> None:
    throttle = Throttle(first=2, every=5)
    assert [throttle.count() for _ in range(10)] == [1, 2, 0, 0, 5, 0, 0, 0, 0, 10]
