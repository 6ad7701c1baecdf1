"""Where a coordinator keeps its risk halt across restarts (the shell's I/O; the record is
``RiskLayer.record()``). A stop-loss halt needs a person to clear it, so a restart (crash, supervisord,
``make reload``) must not clear it: the file is written (atomically) whenever the halt changes and read
at start. An unreadable file is reported and treated as a halt that needs a person (fail closed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from actors.coordinator.risk.layer import RiskLayer

UNREADABLE = {"kind": "manual_halt", "since": 0, "until": 0, "flatten": False,
              "reason": "the halt file could not be read: check it, then resume"}


def default_path(run_dir: str, holder: str) -> Path:
    return Path(run_dir).resolve().parent / f"halt-{holder}.json"


class HaltFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[dict[str, Any] | None, str]:
        """(the record, "" or why the file was not usable)."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None, ""
        except OSError as exc:
            return dict(UNREADABLE), f"{type(exc).__name__}: {exc}"
        try:
            record = json.loads(text)
            if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
                raise ValueError("not a halt record")
            return record, ""
        except ValueError as exc:
            return dict(UNREADABLE), str(exc)

    def save(self, record: dict[str, Any] | None) -> None:
        if record is None:
            self.path.unlink(missing_ok=True)
            return
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.path)

    def restore(self, risk: RiskLayer, now: int) -> str:
        """Take up the halt kept in the file; "" or why the file was not usable (then a halt that needs a
        person is in force)."""
        record, problem = self.load()
        try:
            risk.restore(record, now)
        except (TypeError, ValueError):
            problem = problem or "not a halt record"
            risk.restore(dict(UNREADABLE), now)
        return problem
