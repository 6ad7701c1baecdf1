"""The back-fill watermark on disk (``$PM_RUN_DIR/user-feed-state.json``), so a restart back-fills its gap.

Written atomically (temp file + rename). A stale file is always safe: the watermark only moves
forward, so an older one makes the next back-fill reach further back (inventory dedupes).
A missing or unreadable file starts from scratch (back-fill from ``now - lookback``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from actors.user_feed.core import Watermark


def load(path: Path) -> tuple[Watermark, str]:
    """The saved watermark, and an error text when the file exists but cannot be used."""
    try:
        data = json.loads(path.read_text())
        return Watermark.from_json(data), ""
    except FileNotFoundError:
        return Watermark(), ""
    except (OSError, ValueError, TypeError, AttributeError) as exc:
        return Watermark(), f"{type(exc).__name__}: {exc}"


def save(path: Path, mark: Watermark) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(mark.to_json(), f)
    os.replace(tmp, path)
