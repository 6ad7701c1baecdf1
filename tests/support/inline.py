"""``Bridge.submit``'s shape, run at once on the calling thread: for tests that drive a shell whose
blocking work (a market resolution) must finish inline, its ``done`` called before ``submit`` returns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bus.bridge import Done


def inline(name: str, fn: Callable[[], Any], done: Done) -> bool:
    try:
        result, error = fn(), None
    except Exception as exc:
        result, error = None, exc
    done(result, error)
    return True
