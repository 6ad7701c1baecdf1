"""The fill journal (real SQLite files) and the inventory's configuration."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from actors.inventory.config import InventoryConfig
from actors.inventory.core import Inventory
from actors.inventory.journal import Journal
from actors.inventory.main import recover
from bus.config import ConfigError, load
from schemas import Fill, Settlement
from tests.support.inventory_cases import CID, LIFECYCLE, LIMITS, NO, YES, fill, lease


def test_the_journal_is_in_wal_mode(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "sub" / "inv.sqlite")
    assert journal.journal_mode == "wal"
    journal.close()


def test_an_event_is_journalled_once(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "inv.sqlite")
    assert journal.append(fill("t1"), "applied", 1) is True
    assert journal.append(fill("t1"), "applied", 2) is False
    assert journal.append(fill("t1", "MINED"), "recorded", 3) is True
    assert journal.append(fill("t1", order="o2"), "applied", 4) is True
    assert journal.count() == 3
    journal.close()


def test_fills_survive_reopening_in_order(tmp_path: Path) -> None:
    events = [fill("t1"), fill("t2", side="SELL", size=1_000_000), fill("t1", "CONFIRMED")]
    journal = Journal(tmp_path / "inv.sqlite")
    for i, f in enumerate(events):
        journal.append(f, "applied", i)
    journal.close()
    reopened = Journal(tmp_path / "inv.sqlite")
    assert list(reopened.replay()) == events
    reopened.close()


def test_markets_are_upserted(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "inv.sqlite")
    journal.save_market(CID, YES, NO)
    journal.save_market(CID, YES, "333")
    assert journal.markets() == [(CID, YES, "333")]
    journal.close()


def test_recovery_rebuilds_exactly_the_live_state(tmp_path: Path) -> None:
    live = Inventory(LIMITS)
    journal = Journal(tmp_path / "inv.sqlite")
    live.hold(lease(), 0)
    journal.save_market(CID, YES, NO)
    for f in [f for _, events, _, _ in LIFECYCLE for f in events]:
        action = live.apply(f)
        if action != "duplicate":
            journal.append(f, action, 0)
    journal.close()

    recovered = Inventory(LIMITS)
    reopened = Journal(tmp_path / "inv.sqlite")
    assert recover(reopened, recovered) == reopened.count()
    assert recovered.state(CID, 0) == live.state(CID, 0)
    assert recovered.apply(fill("t1")) == "duplicate"
    reopened.close()


def test_a_duplicate_insert_is_rejected_by_the_database_itself(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "inv.sqlite")
    journal.append(fill("t1"), "applied", 1)
    db = sqlite3.connect(tmp_path / "inv.sqlite")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO fills (trade_id, order_id, status, action, ts, body) "
                    "VALUES ('t1', 'o1', 'MATCHED', 'applied', 0, x'00')")
    db.close()
    journal.close()


def test_config_defaults_are_the_seeds(tmp_path: Path) -> None:
    cfg = load(InventoryConfig, environ={}, dotenv=tmp_path / "none")
    assert (cfg.max_net_diff, cfg.max_portfolio_cost, cfg.max_position_value) == (10_000_000, 1_020_000,
                                                                                   5_000_000)
    assert cfg.db_path("/srv/pm/var/run") == Path("/srv/pm/var/inventory.sqlite")


def test_config_values_are_parsed_in_micros(tmp_path: Path) -> None:
    env = {"PM_MAX_NET_DIFF": "5", "PM_MAX_PORTFOLIO_COST": "0.99", "PM_MAX_POSITION_VALUE": "2.5",
           "PM_INVENTORY_DB": "/data/inv.sqlite"}
    cfg = load(InventoryConfig, environ=env, dotenv=tmp_path / "none")
    assert (cfg.limits.max_net_diff, cfg.limits.max_portfolio_cost, cfg.limits.max_position_value) == (
        5_000_000, 990_000, 2_500_000)
    assert cfg.db_path("/anything") == Path("/data/inv.sqlite")


@pytest.mark.parametrize("variable", ["PM_MAX_NET_DIFF", "PM_MAX_PORTFOLIO_COST", "PM_MAX_POSITION_VALUE"])
@pytest.mark.parametrize("value", ["0", "-1", "abc", "0.0000001"])
def test_bad_limits_name_the_variable(variable: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(InventoryConfig, environ={variable: value}, dotenv=tmp_path / "none")
    assert err.value.variable == variable


def merge(key: str, n: int) -> Settlement:
    return Settlement(key=key, kind="merge", market=CID, yes_asset=YES, no_asset=NO, yes=n, no=n, usdc=n)


def test_settlements_replay_in_their_place_among_the_fills(tmp_path: Path) -> None:
    M = 1_000_000
    events: list[Fill | Settlement] = [fill("t1", size=6 * M), fill("t2", asset=NO, size=6 * M),
                                       merge("m1", 5 * M), fill("t3", asset=NO, size=2 * M), merge("m2", M),
                                       fill("t1", "FAILED", size=6 * M)]
    journal = Journal(tmp_path / "inv.sqlite")
    live = Inventory(LIMITS)
    live.learn(CID, YES, NO)
    for e in events:
        if isinstance(e, Fill):
            journal.append(e, live.apply(e), 0)
        else:
            journal.append_settlement(e, live.apply_settlement(e), 0)
    journal.close()
    reopened = Journal.read_only(tmp_path / "inv.sqlite")
    assert list(reopened.replay_events()) == events
    assert [s.key for s in reopened.settlements()] == ["m1", "m2"]
    recovered = Inventory(LIMITS)
    assert recover(reopened, recovered) == len(events)
    assert recovered.state(CID, 0) == live.state(CID, 0)
    assert recovered.apply_settlement(merge("m1", 5 * M)) == "duplicate"  # dedup survives a restart
    reopened.close()


def test_a_settlement_key_is_journalled_once(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "inv.sqlite")
    assert journal.append_settlement(merge("m1", 1), "applied", 1) is True
    assert journal.append_settlement(merge("m1", 2), "applied", 2) is False
    assert [s.yes for s in journal.settlements()] == [1]
    journal.close()


def test_a_read_only_journal_cannot_be_written(tmp_path: Path) -> None:
    Journal(tmp_path / "inv.sqlite").close()
    reader = Journal.read_only(tmp_path / "inv.sqlite")
    with pytest.raises(sqlite3.OperationalError):
        reader.append(fill("t1"), "applied", 1)
    reader.close()
