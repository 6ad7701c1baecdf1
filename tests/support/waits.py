"""Waiting for a condition with a deadline: the one way tests wait (never a fixed sleep).

``wait_until`` re-checks ``predicate`` every ``every`` seconds (a short poll, not a guess at how long
something takes) and fails with ``what`` once ``timeout`` has passed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

TIMEOUT = 10.0


def wait_until(predicate: Callable[[], object], what: str = "condition", *, timeout: float = TIMEOUT,
               every: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not met within {timeout}s")
        time.sleep(every)  # poll interval of a bounded wait


def wait_for_value(produce: Callable[[], T | None], what: str = "value", *, timeout: float = TIMEOUT,
                      every: float = 0.02) -> T:
    """Like ``wait_until``, for a condition that yields something: the first value that is not None."""
    deadline = time.monotonic() + timeout
    while (value := produce()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not available within {timeout}s")
        time.sleep(every)  # poll interval of a bounded wait
    return value
