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


NEUTRAL_LONG = {
    "strategy": "neutral",
    "env": {"PM_NEUTRAL_BASE_SIZE": "10", "PM_REDUCE_ONLY_THRESHOLD": "3"},
    "market": {"tick": "0.01", "min_size": "5"},
    "book": {"yes": {"bids": [["0.48", "100"]], "asks": [["0.52", "100"]]},
             "no": {"bids": [["0.48", "100"]], "asks": [["0.52", "100"]]}},
    "inventory": {"yes_qty": "30", "yes_avg_cost": "0.50"},
}


def test_neutral_prints_the_risk_layers_adjustments(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert decide_cli.run(write(tmp_path, NEUTRAL_LONG)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "reduce_only"
    assert [(c["slot"], c["side"], c["price"]) for c in out["commands"]] == [("yes_ask", "SELL", 500_000)]
    assert {(a["field"], a["reason"]) for a in out["adjustments"]} == {
        ("yes_bid.size", "reduce_only"), ("yes_bid_static.size", "reduce_only"),
        ("yes_ask_static.size", "reduce_only"), ("yes_ask.price", "reduce_only")}
    assert [(e["kind"], e["severity"]) for e in out["risk_events"]] == [("reduce_only", "warn")]


def test_a_shock_in_the_recent_mids_halts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {**NEUTRAL_LONG, "inventory": {}, "mids": ["0.30"]}
    assert decide_cli.run(write(tmp_path, doc)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "halted" and [c["type"] for c in out["commands"]] == ["CancelMarket"]
    assert [(e["kind"], e["severity"]) for e in out["risk_events"]] == [("shock_halt", "halt")]


def test_a_bad_setting_names_its_variable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {**NEUTRAL_LONG, "env": {"PM_PENNY_MIN_TICKS": "2"}}
    assert decide_cli.run(write(tmp_path, doc)) == 2
    assert "PM_PENNY_MIN_TICKS" in capsys.readouterr().err


FOLLOW_BOOK = {"yes": {"bids": [["0.44", "100"]], "asks": [["0.48", "100"]]},
               "no": {"bids": [["0.52", "100"]], "asks": [["0.56", "100"]]}}


def test_follow_a_drop_in_the_recent_mids_starts_a_round_at_the_bid(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    doc = {"strategy": "follow", "env": {"PM_FOLLOW_SHARES": "10"},
           "market": {"tick": "0.01", "min_size": "5"}, "book": FOLLOW_BOOK, "mids": ["0.52", "0.52", "0.50"]}
    assert decide_cli.run(write(tmp_path, doc)) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["mode"], out["reason"]) == ("buying", "drop")
    [place] = out["commands"]
    assert (place["asset"], place["side"], place["price"], place["size"], place["post_only"]) == (
        "YES", "BUY", 440_000, 10_000_000, True)


def test_follow_a_kept_round_under_its_floor_waits_without_an_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record = {"state": "SELLING", "rounds": 1, "reason": "long", "cooldown_until": 0,
              "round": {"number": 1, "leg": "yes", "target": 10_000_000, "base_qty": 0, "base_cost": 0,
                        "trigger": "manual:c", "bought": 10_000_000, "cost": 4_000_000, "floor": 500_000}}
    doc = {"strategy": "follow", "env": {"PM_FOLLOW_DROP_PCT": "0"}, "book": FOLLOW_BOOK,
           "inventory": {"yes_qty": "10", "yes_avg_cost": "0.40"}, "follow": record}
    assert decide_cli.run(write(tmp_path, doc)) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["mode"], out["reason"], out["commands"]) == ("wait_for_floor", "below_floor", [])
