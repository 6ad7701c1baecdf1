"""The order registry (slots, change log) and its durable SQLite store."""

from __future__ import annotations

from pathlib import Path

from actors.executor.core.registry import Live, Registry
from actors.executor.order_store import OrderStore


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
