"""``--replay``: recorded frames through the live code path, printed in the tap's ``--json`` format."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from actors.user_feed import replay
from actors.user_feed.core import Identity
from tests.support.fixtures import NT_WS
from tests.support.procs import REPO

KEY = "a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5"
MARKET = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"


def frames_file(tmp_path: Path) -> Path:
    """One frame per line, as recorded: a placement, a trade filling two of ours, PONG, an array."""
    placement = json.loads((NT_WS / "order_placement.json").read_text())
    trade4 = json.loads((NT_WS / "user_trade4.json").read_text())
    confirmed = {**json.loads((NT_WS / "user_trade3.json").read_text())}
    array = json.dumps([confirmed, {"event_type": "x"}])
    lines = [json.dumps(placement), json.dumps(trade4), "PONG", "", array]
    path = tmp_path / "frames.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_replay_prints_pushed_fills_and_order_updates_as_tap_json(tmp_path: Path) -> None:
    out, err = io.BytesIO(), io.StringIO()
    clock = iter(range(1, 100)).__next__
    assert replay.run(str(frames_file(tmp_path)), Identity(KEY), out, err, clock=clock) == 0
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(r["topic"], r["type"], r["seq"]) for r in records] == [
        (f"user.placed.{MARKET}.", "OrderUpdate", 1),
        (f"inv.fill.{MARKET}.", "Fill", 1),
        (f"inv.fill.{MARKET}.", "Fill", 2),
        (f"inv.fill.{MARKET}.", "Fill", 3),
    ]
    assert all(r["src"] == "user-feed" for r in records)
    fills = [r["body"] for r in records if r["type"] == "Fill"]
    assert [(f["order_id"][:8], f["price"], f["status"], f["source"]) for f in fills] == [
        ("0x3ad09f", 400_000, "CONFIRMED", "ws"), ("0x67b598", 300_000, "CONFIRMED", "ws"),
        ("0x3ad09f", 513_000, "CONFIRMED", "ws")]
    assert "4 frames, 4 messages, 1 skipped" in err.getvalue()


def test_replay_from_the_command_line(tmp_path: Path) -> None:
    path = frames_file(tmp_path)
    done = subprocess.run([sys.executable, "-m", "actors.user_feed", "--replay", str(path), "--api-key", KEY],
                          cwd=REPO, capture_output=True, timeout=30, check=True)
    types = [json.loads(line)["type"] for line in done.stdout.splitlines()]
    assert types == ["OrderUpdate", "Fill", "Fill", "Fill"]
    missing = subprocess.run([sys.executable, "-m", "actors.user_feed", "--replay", str(path)], cwd=REPO,
                             capture_output=True, timeout=30)
    assert missing.returncode == 2 and b"--api-key" in missing.stderr
