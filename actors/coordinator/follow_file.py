"""Where strategy ``follow`` keeps its round across restarts (the shell's I/O; the record is
``FollowMachine.record()``). A round's state, target, what it bought and at what average, its floor and
its cooldown must survive a crash (``kill -9``) of the coordinator: the file is written atomically
whenever the machine changes (its ``version``) and read at start. The orders themselves are not kept: a
restarted coordinator withdraws what its previous run left, and the round posts again at the book."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def default_path(run_dir: str, holder: str) -> Path:
    return Path(run_dir).resolve().parent / f"follow-{holder}.json"


class FollowFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> tuple[dict[str, Any] | None, str]:
        """(the record, "" or why the file was not usable: then no round is taken up)."""
        try:
            record = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None, ""
        except (OSError, ValueError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if not isinstance(record, dict) or not isinstance(record.get("state"), str):
            return None, "not a follow record"
        return record, ""

    def save(self, record: dict[str, Any]) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(record))
        os.replace(tmp, self.path)
