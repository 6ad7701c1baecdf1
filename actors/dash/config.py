"""The dashboard's settings (``python -m actors.dash`` / ``make dash``)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from bus.config import Env


class DashConfig(msgspec.Struct, frozen=True, kw_only=True):
    # how often the screen is redrawn (a key redraws at once)
    refresh_ms: Annotated[int, Env("PM_DASH_REFRESH_MS"), Meta(ge=50, le=10_000)] = 250
