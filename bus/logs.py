"""JSON-lines logging: one object per line on stdout, ``event`` first, then fields.

Never log a key, secret, passphrase or signature: fields with such names are masked here as a last
line of defence, but callers should not pass them at all. No line per quiet poll.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Iterable
from typing import IO, Any

import msgspec

_SENSITIVE = ("secret", "passphrase", "private_key", "privatekey", "signature", "api_key_secret")
_encoder = msgspec.json.Encoder(enc_hook=str)


@functools.lru_cache(maxsize=4096)
def _sensitive(key: str) -> bool:
    lowered = key.lower()
    return any(word in lowered for word in _SENSITIVE)


def _mask(key: str, value: Any) -> Any:
    return "***" if _sensitive(key) else value


class Logger:
    __slots__ = ("_out", "program")

    def __init__(self, program: str, out: IO[str] | None = None) -> None:
        self.program = program
        self._out = out

    def _line(self, level: str, event: str, fields: dict[str, Any], ts: int) -> str:
        record: dict[str, Any] = {"event": event, "level": level, "program": self.program, "ts": ts}
        for key, value in fields.items():
            record[key] = _mask(key, value)
        return _encoder.encode(record).decode() + "\n"

    def _put(self, text: str) -> None:
        out = self._out or sys.stdout
        try:
            out.write(text)
            out.flush()
        except (BrokenPipeError, ValueError):
            pass

    def _write(self, level: str, event: str, fields: dict[str, Any]) -> None:
        self.lines(((level, event, fields),))

    def lines(self, notes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        """Lines ``(level, event, fields)`` in one write (a step's log lines: one system call, not one per
        line). Every line goes through here: a logger that records instead of writing overrides this."""
        line = self._line
        self._put("".join([line(level, event, fields, time.time_ns()) for level, event, fields in notes]))

    def info(self, event: str, **fields: Any) -> None:
        self._write("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._write("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._write("error", event, fields)


class Throttle:
    """The one rule for logging something that can flood: the first ``first`` occurrences of a key, then
    every ``every``-th. ``count(key)`` records an occurrence and returns its number if it should be
    logged, else 0. Pure (no clock): usable inside a core, which then ``note``s the line."""

    __slots__ = ("counts", "every", "first")

    def __init__(self, first: int = 10, every: int = 1000) -> None:
        self.first, self.every = first, every
        self.counts: dict[str, int] = {}

    def count(self, key: str = "") -> int:
        n = self.counts.get(key, 0) + 1
        self.counts[key] = n
        return n if n <= self.first or n % self.every == 0 else 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())
