"""A logger for tests: writes nothing, remembers the event names (``log.events``) for assertions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bus.logs import Logger


class Quiet(Logger):
    def __init__(self, program: str = "test") -> None:
        super().__init__(program)
        self.events: list[str] = []

    def lines(self, notes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        self.events.extend(event for _, event, _ in notes)
