"""What a pure core asks its shell to do: one output convention for every actor.

A core's handler takes its inputs (a message, the time) and returns an ``Effects`` (or fills the one it
is handed): messages to PUSH (commands, fills: the flows that must never be dropped), messages to
PUBLISH, and log lines (``note``). The core never touches a socket, a clock or a logger; the shell hands
the result to ``Node.apply``, the one function that performs it: pushes first (the hot path), then
publishes, then the log lines. A shell that must do something between deciding and announcing (the
executor makes its registry durable before announcing a change) does it before ``apply``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from schemas import BusMessage

Level = Literal["info", "warning", "error"]
Note = tuple[Level, str, dict[str, Any]]  # (level, event, fields)


class Effects:
    __slots__ = ("notes", "publishes", "pushes")

    def __init__(self) -> None:
        self.pushes: list[tuple[str, bytes, BusMessage]] = []  # (pipe, topic, message)
        self.publishes: list[tuple[bytes, BusMessage]] = []
        self.notes: list[Note] = []

    def push(self, pipe: str, topic: bytes, msg: BusMessage) -> None:
        self.pushes.append((pipe, topic, msg))

    def publish(self, topic: bytes, msg: BusMessage) -> None:
        self.publishes.append((topic, msg))

    def note(self, event: str, level: Level = "info", **fields: Any) -> None:
        """A log line: ``event`` first, then ``fields`` (never a secret)."""
        self.notes.append((level, event, fields))

    def warn(self, event: str, **fields: Any) -> None:
        self.notes.append(("warning", event, fields))

    def extend(self, other: Effects) -> Effects:
        self.pushes.extend(other.pushes)
        self.publishes.extend(other.publishes)
        self.notes.extend(other.notes)
        return self

    def clear(self) -> None:
        self.pushes.clear()
        self.publishes.clear()
        self.notes.clear()

    def __bool__(self) -> bool:
        return bool(self.pushes or self.publishes or self.notes)

    def __repr__(self) -> str:
        return f"Effects(pushes={self.pushes!r}, publishes={self.publishes!r}, notes={self.notes!r})"
