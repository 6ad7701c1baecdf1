"""The durable order registry: SQLite in WAL mode, so a restart can adopt its own orders.

Simple durable version: the shell writes the core's change log through after each step, after the
request went out (nothing is added before the wire) and before the step's events are published (what
a coordinator was told is on disk). A crash between a venue's answer and the commit loses at most
that step's rows; start-up then finds those orders on the venue without an owner (``unowned``) and
cancels them (start-up ``cancel``) or lets coordinator silence cancel them (``adopt``), so nothing
is left that nobody manages.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from actors.executor.core.registry import Live

_COLUMNS = ("order_id", "holder", "slot", "market", "asset", "side", "price", "size", "size_matched",
            "post_only", "cmd_id", "created_ns")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    order_id TEXT PRIMARY KEY, holder TEXT NOT NULL, slot TEXT NOT NULL, market TEXT NOT NULL,
    asset TEXT NOT NULL, side TEXT NOT NULL, price INTEGER NOT NULL, size INTEGER NOT NULL,
    size_matched INTEGER NOT NULL, post_only INTEGER NOT NULL, cmd_id TEXT NOT NULL,
    created_ns INTEGER NOT NULL
)
"""
_UPSERT = f"INSERT OR REPLACE INTO orders VALUES ({', '.join('?' * len(_COLUMNS))})"


class OrderStore:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(_SCHEMA)

    def load(self) -> list[Live]:
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM orders").fetchall()
        return [Live(**dict(zip(_COLUMNS, (*row[:9], bool(row[9]), *row[10:]), strict=True))) for row in rows]

    def apply(self, upserts: Iterable[Live], deletes: Iterable[str]) -> None:
        rows = [(o.order_id, o.holder, o.slot, o.market, o.asset, o.side, o.price, o.size, o.size_matched,
                 int(o.post_only), o.cmd_id, o.created_ns) for o in upserts]
        gone = [(order_id,) for order_id in deletes]
        if not rows and not gone:
            return
        self.db.execute("BEGIN")
        try:
            if rows:
                self.db.executemany(_UPSERT, rows)
            if gone:
                self.db.executemany("DELETE FROM orders WHERE order_id = ?", gone)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.db.close()
