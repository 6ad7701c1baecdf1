"""The file that keeps a coordinator's risk halt across restarts: written on every change, removed when
the halt ends, and read at start; an unreadable file means a halt that needs a person (fail closed)."""

from __future__ import annotations

from pathlib import Path

from actors.coordinator.halt_file import HaltFile, default_path
from actors.coordinator.risk.halts import Halt
from actors.coordinator.risk.layer import RiskLayer
from actors.coordinator.risk.params import RiskParams

S = 1_000_000_000


def test_a_halt_round_trips_and_its_end_removes_the_file(tmp_path: Path) -> None:
    f = HaltFile(tmp_path / "halt-btc.json")
    risk = RiskLayer(RiskParams(), "btc")
    risk.halt = Halt("stop_loss", 5 * S, 0, True, "unrealised pnl -5.2 <= -5 USDC", taker_at=6 * S)
    f.save(risk.record())
    again = RiskLayer(RiskParams(), "btc")
    assert f.restore(again, 100 * S) == "" and again.halt == risk.halt
    f.save(None)
    assert not f.path.exists()
    fresh = RiskLayer(RiskParams(), "btc")
    assert f.restore(fresh, 100 * S) == "" and fresh.halt is None


def test_an_unreadable_file_fails_closed(tmp_path: Path) -> None:
    for text in ("{not json", '["a list"]', '{"kind": "stop_loss", "bogus": 1}'):
        f = HaltFile(tmp_path / "halt-btc.json")
        f.path.write_text(text)
        risk = RiskLayer(RiskParams(), "btc")
        assert f.restore(risk, 0) != ""
        assert risk.halt is not None and risk.halt.kind == "manual_halt" and risk.halt.until == 0


def test_the_default_place_is_beside_the_run_directory(tmp_path: Path) -> None:
    assert default_path(str(tmp_path / "run"), "btc") == tmp_path / "halt-btc.json"
