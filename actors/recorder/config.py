"""Recorder configuration: whether it records, where, how often a file is made durable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from bus.config import Env


class RecorderConfig(msgspec.Struct, frozen=True, kw_only=True):
    """The recorder (group core): with `PM_RECORD=true` it writes every market WebSocket frame of the
    leased markets, their metadata and our own orders and fills to hourly zstandard files
    (docs/backtest.md, "The recording format"); otherwise it exits at once (code 0)."""

    record: Annotated[bool, Env("PM_RECORD")] = False
    dir: Annotated[str, Env("PM_RECORD_DIR")] = ""  # "" = var/record beside the run directory
    flush_s: Annotated[float, Env("PM_RECORD_FLUSH_S"), Meta(gt=0, le=3600)] = 5.0  # a frame ends this often

    def path(self, run_dir: str) -> Path:
        return Path(self.dir) if self.dir else Path(run_dir).resolve().parent / "record"
