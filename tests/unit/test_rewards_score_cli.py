"""``python -m actors.rewards score FILE`` (issue #16 §6): the doc's worked example, both buckets, shares."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from actors.rewards.score_cli import micros, scores


def test_the_docs_worked_example_over_the_command_line(tmp_path: Path) -> None:
    """PROTOCOL §8.2: 100 shares at 0.49, mid 0.50, v = 3: S = 0.444… per share (Q_one 44.4, Q_min /3)."""
    f = tmp_path / "book.json"
    f.write_text(json.dumps({"max_spread_cents": 3, "min_size": 50, "mid": 0.50, "c": 3.0, "orders": [
        {"owner": "a", "token": "yes", "side": "BUY", "price": 0.49, "size": 100}]}))
    out = subprocess.run([sys.executable, "-m", "actors.rewards", "score", str(f)], capture_output=True,
                         text=True, check=True, timeout=60)
    got = json.loads(out.stdout)
    assert got["a"]["q_one"] == pytest.approx(400 / 9) and got["a"]["q_two"] == 0
    assert got["a"]["q_min"] == pytest.approx(400 / 27) and got["a"]["share"] == 1.0


def test_owners_share_the_sample_and_no_is_priced_in_no() -> None:
    got = scores({"max_spread_cents": 3, "min_size": 50, "mid": "0.5", "orders": [
        {"owner": "a", "token": "yes", "side": "BUY", "price": 0.49, "size": 100},
        {"owner": "a", "token": "no", "side": "BUY", "price": 0.49, "size": 100},   # Q_two, 1c from 0.50
        {"owner": "b", "token": "yes", "side": "BUY", "price": 0.5, "size": 100},
        {"owner": "c", "token": "yes", "side": "BUY", "price": 0.5, "size": 10}]})  # below min size
    assert got["a"]["q_min"] == pytest.approx(400 / 9)  # two-sided: min(Q_one, Q_two)
    assert got["b"]["q_min"] == pytest.approx(100 / 3)
    assert got["c"]["q_min"] == 0
    assert got["a"]["share"] + got["b"]["share"] == pytest.approx(1.0)


def test_a_seventh_decimal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        micros("0.1234567")
    f = tmp_path / "bad.json"
    f.write_text("{}")
    out = subprocess.run([sys.executable, "-m", "actors.rewards", "score", str(f)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2 and "score:" in out.stderr
