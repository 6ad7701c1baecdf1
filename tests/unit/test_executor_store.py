"""The order registry (slots, change log) and its durable store (a journal in front of SQLite)."""

from __future__ import annotations

import os
from pathlib import Path

from actors.executor.core.registry import Live, Registry
from actors.executor.order_store import JOURNAL_SUFFIX, OrderStore, read_journal


def live(order_id: str, slot: str = "yes_bid", holder: str = "alpha", market: str = "0xm") -> Live:
    return Live(order_id=order_id, holder=holder, slot=slot, market=market, asset="1", side="BUY",
                price=480_000, size=5_000_000, cmd_id="c", created_ns=7)


def test_slots_map_to_the_latest_order_and_free_on_removal() -> None:
    reg = Registry()
    reg.put(live("0x1"))
    reg.put(live("0x2"))  # same slot: now holds 0x2
    assert reg.in_slot("alpha", "yes_bid").order_id == "0x2"  # type: ignore[union-attr]
    reg.remove("0x1")  # removing the older order leaves the slot alone
    assert reg.in_slot("alpha", "yes_bid").order_id == "0x2"  # type: ignore[union-attr]
    reg.remove("0x2")
    assert reg.in_slot("alpha", "yes_bid") is None and reg.in_slot("alpha", "") is None
    reg.put(live("0x3", slot=""))
    assert reg.in_slot("alpha", "") is None and reg.of("alpha") == [live("0x3", slot="")]
    assert reg.remove("0xnope") is None


def test_queries_by_holder_and_market() -> None:
    reg = Registry()
    for order in (live("0x1"), live("0x2", slot="b", market="0xn"), live("0x3", holder="beta")):
        reg.put(order)
    assert [o.order_id for o in reg.of("alpha", "0xm")] == ["0x1"]
    assert [o.order_id for o in reg.of()] == ["0x1", "0x2", "0x3"]
    assert reg.holders() == {"alpha", "beta"}
    assert [o.slot for o in reg.view()] == ["yes_bid", "b", "yes_bid"]


def test_change_log_round_trips_through_sqlite(tmp_path: Path) -> None:
    path = str(tmp_path / "run" / "executor.db")
    reg = Registry()
    reg.put(live("0x1"))
    reg.put(live("0x2", slot="b"))
    reg.remove("0x1")
    store = OrderStore(path)
    store.apply(*reg.drain_changes())
    assert reg.drain_changes() == ([], [])
    store.close()
    again = OrderStore(path)  # a restart
    assert again.load() == [live("0x2", slot="b")]
    assert again.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again.apply([], ["0x2"])
    assert again.load() == []
    again.close()


def test_loading_records_no_changes() -> None:
    reg = Registry()
    reg.load([live("0x1")])
    assert reg.drain_changes() == ([], []) and "0x1" in reg


def test_a_step_is_one_journal_write_and_sqlite_gets_it_at_the_checkpoint(tmp_path: Path) -> None:
    path = str(tmp_path / "executor.sqlite")
    store = OrderStore(path)
    store.apply([live("0x1"), live("0x2", slot="b")], [])
    store.apply([], ["0x1"])
    journal = Path(path + JOURNAL_SUFFIX)
    assert len(read_journal(journal.read_bytes())) == 2  # on disk (page cache) before anything is told
    assert store.db.execute("SELECT count(*) FROM orders").fetchone()[0] == 0  # SQLite: not yet
    store.checkpoint()
    assert journal.read_bytes() == b""
    assert [r[0] for r in store.db.execute("SELECT order_id FROM orders")] == ["0x2"]
    store.close()


def test_a_crash_leaves_the_journal_and_the_restart_replays_it_in_order(tmp_path: Path) -> None:
    path = str(tmp_path / "executor.sqlite")
    store = OrderStore(path)
    store.apply([live("0x1")], [])
    store.checkpoint()
    store.apply([live("0x2", slot="b")], ["0x1"])
    store.apply([live("0x2", slot="b", market="0xn")], [])  # the later change of the same order wins
    os.close(store._fd)  # the process dies here: no checkpoint, no close
    again = OrderStore(path)
    assert again.load() == [live("0x2", slot="b", market="0xn")]
    assert Path(path + JOURNAL_SUFFIX).read_bytes() == b""  # replayed into SQLite, then emptied
    again.close()
    assert OrderStore(path).load() == [live("0x2", slot="b", market="0xn")]


def test_replaying_a_journal_sqlite_already_has_changes_nothing(tmp_path: Path) -> None:
    """A crash between the checkpoint's commit and the journal's truncation: the replay is idempotent."""
    path = str(tmp_path / "executor.sqlite")
    store = OrderStore(path)
    store.apply([live("0x1"), live("0x2", slot="b")], [])
    store.apply([], ["0x1"])
    kept = Path(path + JOURNAL_SUFFIX).read_bytes()
    store.close()
    Path(path + JOURNAL_SUFFIX).write_bytes(kept)
    assert OrderStore(path).load() == [live("0x2", slot="b")]


def test_an_incomplete_last_record_is_ignored(tmp_path: Path) -> None:
    path = str(tmp_path / "executor.sqlite")
    store = OrderStore(path)
    store.apply([live("0x1")], [])
    store.apply([live("0x2", slot="b")], [])
    whole = Path(path + JOURNAL_SUFFIX).read_bytes()
    os.close(store._fd)
    Path(path + JOURNAL_SUFFIX).write_bytes(whole[:-3])  # the second record cut short (a full disk)
    assert OrderStore(path).load() == [live("0x1")]


def test_in_memory_dry_run_writes_sqlite_directly() -> None:
    store = OrderStore(":memory:")
    store.apply([live("0x1")], [])
    assert store.journal is None and store.pending == []
    assert store.load() == [live("0x1")]
