"""A/B tick to order against another revision, interleaved in the same period (``BENCH_AB_REV=<rev>``).

This machine's speed drifts by 2x from hour to hour, so two revisions are only compared run against run:
``rounds`` times, ``python -m bench.tick --json`` of the other revision (a ``git worktree`` of it under
/tmp, run with this checkout's interpreter: the worktree's own packages come first on ``sys.path``), then
of this one. ``ab_speedup_p50`` = the other revision's median p50 over ours (> 1: we are faster).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def tick(cwd: Path, events: int) -> dict[str, Any]:
    argv = [sys.executable, "-m", "bench.tick", "--json", "--events", str(events), "--staged", "0"]
    out = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run(rev: str, rounds: int = 3, events: int = 1000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pm-ab-") as tmp:
        other = Path(tmp) / "other"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(other), rev], check=True,
                       capture_output=True)
        try:
            theirs, ours = [], []
            for _ in range(rounds):
                theirs.append(tick(other, events)["tick_to_order_us"]["p50"])
                ours.append(tick(ROOT, events)["tick_to_order_us"]["p50"])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)],
                           capture_output=True)
    return {"ab_rev": rev, "rounds": rounds, "events": events, "theirs_p50_us": theirs, "ours_p50_us": ours,
            "ab_speedup_p50": round(statistics.median(theirs) / max(statistics.median(ours), 1e-9), 2)}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)))
