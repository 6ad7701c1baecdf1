"""The executor's shell over real sockets: what the user-feed reports about one of our orders
(``OrderUpdate``: a partial fill, a cancel by the venue) is applied and announced in the step of the
wake-up it arrived in (``Executor.on_drained``), after the registry's journal was written (a coordinator
is only told what is on disk: docs/architecture.md, "The shell, and the order of what it publishes")."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from actors.executor.order_store import JOURNAL_SUFFIX, read_journal
from bus import topics
from bus.node import Node
from schemas import OpenOrders, OrderCancelled, OrderPlaced, OrderUpdate
from tests.support.executor_rig import Rig
from tests.support.quiet import Quiet
from tests.support.waits import wait_until


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


def stored_ids(db: Path) -> set[str]:
    """The registry on disk as a restart would load it: SQLite, then the journal replayed over it (the
    journal is read first, so a checkpoint in between loses nothing)."""
    journal = Path(f"{db}{JOURNAL_SUFFIX}").read_bytes()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        ids = {row[0] for row in conn.execute("SELECT order_id FROM orders")}
    for rows, gone in read_journal(journal):
        ids |= {row[0] for row in rows}
        ids -= set(gone)
    return ids


def test_a_fill_and_a_venue_cancel_reported_by_the_user_feed_are_applied_and_announced(rig: Rig) -> None:
    rig.executor()
    placed = rig.events.of(OrderPlaced, cmd_id=rig.coordinator().place().cmd_id)
    db = Path(rig.run_dir) / "executor.sqlite"
    wait_until(lambda: placed.order_id in stored_ids(db), "the placed order on disk")
    feed = Node("user-feed", rig.cfg, log=Quiet("user-feed"))  # stands in for the user-feed
    try:
        def update(kind: str, status: str, matched: int) -> None:
            now = time.time_ns()
            feed.publish(topics.user_order(rig.market), OrderUpdate(
                order_id=placed.order_id, market=rig.market, asset=rig.yes, side="BUY", price=placed.price,
                original_size=placed.size, size_matched=matched, status=status, reason="",
                kind=kind, ts_event=now, ts_recv=now))  # type: ignore[arg-type]

        def partly_filled() -> bool:
            update("UPDATE", "LIVE", 4_000_000)  # again until heard: a new publisher may lose its first sends
            try:
                rig.events.wait(lambda m: isinstance(m, OpenOrders) and any(
                    o.order_id == placed.order_id and o.size_matched == 4_000_000 for o in m.orders), 0.3)
            except AssertionError:
                return False
            return True

        wait_until(partly_filled, "the partial fill in the executor's view", timeout=20)
        update("CANCELLATION", "CANCELED", 4_000_000)
        gone = rig.events.of(OrderCancelled, order_id=placed.order_id)
        assert (gone.holder, gone.cmd_id, gone.reason) == (placed.holder, "", "canceled")
        assert placed.order_id not in stored_ids(db)  # written before it was announced
    finally:
        feed.close()
