"""``python -m actors.coordinator --decide FILE`` with strategy ``rewards``: the same pure ``act`` as live,
the selected market's reward settings from the file's ``reward`` block (seed-004 §2.3, §2.4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.coordinator import decide_cli

BOOK = {"yes": {"bids": [[f"0.{49 - k}", "60"] for k in range(5)], "asks": [["0.52", "60"]]},
        "no": {"bids": [[f"0.{47 - k}", "60"] for k in range(5)], "asks": [["0.51", "60"]]}}


def decide(tmp_path: Path, capsys: pytest.CaptureFixture[str], **doc: object) -> dict[str, object]:
    f = tmp_path / "case.json"
    f.write_text(json.dumps({"strategy": "rewards", "reward": {"min_size": "20", "max_spread": "0.035"},
                             "market": {"tick": "0.01", "min_size": "5"}, "book": BOOK, **doc}))
    assert decide_cli.run(str(f)) == 0
    out: dict[str, object] = json.loads(capsys.readouterr().out)
    return out


def test_bids_in_the_band(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = decide(tmp_path, capsys)
    got = {(c["slot"], c["side"], c["price"], c["size"]) for c in out["commands"]}  # type: ignore[attr-defined]
    assert got == {("yes_bid", "BUY", 480_000, 20_000_000), ("no_bid", "BUY", 460_000, 20_000_000)}
    assert all(c["post_only"] for c in out["commands"])  # type: ignore[attr-defined]


def test_a_held_position_is_hedged_and_counts_against_the_cap(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """§2.5: 20 YES held at 0.48 (9.6) + the YES bid (9.6) + the NO bid (9.2) > 25: the NO bid waits."""
    out = decide(tmp_path, capsys, inventory={"yes_qty": "20", "yes_avg_cost": "0.48"})
    got = {(c["slot"], c["side"], c["price"], c["size"]) for c in out["commands"]}  # type: ignore[attr-defined]
    assert got == {("yes_hedge", "SELL", 500_000, 20_000_000), ("yes_bid", "BUY", 480_000, 20_000_000)}
    assert "no: exposure" in str(out["reason"])


def test_the_exposure_cap_from_the_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = decide(tmp_path, capsys, env={"PM_REWARDS_MAX_EXPOSURE_PER_MARKET_USDC": "10"})
    slots = [c["slot"] for c in out["commands"]]  # type: ignore[attr-defined]
    assert slots == ["yes_bid"] and "no: exposure" in str(out["reason"])
