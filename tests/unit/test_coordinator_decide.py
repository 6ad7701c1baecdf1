"""``python -m actors.coordinator --decide FILE``: numbers in the file are read exactly (``parse_exact``)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.coordinator import decide_cli
from actors.coordinator.decide_cli import DecideError, units

SITUATION = {
    "params": {"pair_target": "0.99", "bid_size": "5"},
    "market": {"tick": "0.01", "min_size": "5"},
    "book": {"yes": {"bids": [["0.48", "100"]], "asks": [["0.52", "100"]]},
             "no": {"bids": [["0.48", "100"]], "asks": [["0.52", "100"]]}},
}


@pytest.mark.parametrize(("value", "expected"), [
    ("0.48", 480_000), ("0.480000", 480_000), (".5", 500_000), ("5", 5_000_000), ("1e-2", 10_000),
    (480_000, 480_000),  # an integer is already in 1e-6 units (the bus format)
])
def test_values_are_exact_units(value: str | int, expected: int) -> None:
    assert units(value, "x") == expected


@pytest.mark.parametrize("value", ["0.4850001", "abc", "", "NaN", "Infinity", True, 0.48, None])
def test_anything_else_is_an_error_naming_where(value: object) -> None:
    with pytest.raises(DecideError, match=r"^book\.yes price: "):
        units(value, "book.yes price")


def write(tmp_path: Path, doc: dict[str, object]) -> str:
    path = tmp_path / "situation.json"
    path.write_text(json.dumps(doc))
    return str(path)


def test_a_situation_prints_its_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert decide_cli.run(write(tmp_path, SITUATION)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] and {c["type"] for c in out["commands"]} == {"PlaceOrder"}
    assert all(c["price"] % 10_000 == 0 and c["size"] == 5_000_000 for c in out["commands"])


def test_a_price_finer_than_1e6_is_refused_not_truncated(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    book = {"yes": {"bids": [["0.4800001", "100"]], "asks": [["0.52", "100"]]}, "no": SITUATION["book"]["no"]}
    doc = {**SITUATION, "book": book}
    assert decide_cli.run(write(tmp_path, doc)) == 2
    assert "more than 6 decimal places" in capsys.readouterr().err
