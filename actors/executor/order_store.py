"""The durable order registry: SQLite in WAL mode, so a restart can adopt its own orders, with a journal
in front of it so that a step costs one ``write`` instead of a SQLite transaction.

The shell writes the core's change log through after each step, after the request went out (nothing is
added before the wire) and before the step's events are published (what a coordinator was told is on
disk). A step's changes are appended to the journal (``<db>-orders``: one length-prefixed msgpack record,
one ``os.write``); the pump tick (idle time, every 100 ms) and a clean exit move the journal into SQLite
in one transaction and empty it (``checkpoint``); start-up replays what a crash left in it (``load``).
Once ``write`` returns, the record survives the process (it is in the kernel's page cache), which is what
SQLite's WAL with ``synchronous=NORMAL`` gave per commit: neither syncs the disk per step. Replaying is
idempotent (upserts and deletes in order), so a crash between the checkpoint's commit and the journal's
truncation is harmless; an incomplete last record (a full disk) is ignored.

A crash between a venue's answer and the write loses at most that step's rows; start-up then finds those
orders on the venue without an owner (``unowned``) and cancels them (start-up ``cancel``) or lets
coordinator silence cancel them (``adopt``), so nothing is left that nobody manages.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from collections.abc import Iterable
from pathlib import Path

import msgspec

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
JOURNAL_SUFFIX = "-orders"  # beside the database: ``executor.sqlite-orders``
_LENGTH = struct.Struct("<I")
Row = tuple[str, str, str, str, str, str, int, int, int, int, str, int]
Change = tuple[list[Row], list[str]]  # (upserted rows, deleted order ids): one step's changes
_decode_change = msgspec.msgpack.Decoder(Change).decode
_encode = msgspec.msgpack.Encoder().encode


def _row(o: Live) -> Row:
    return (o.order_id, o.holder, o.slot, o.market, o.asset, o.side, o.price, o.size, o.size_matched,
            int(o.post_only), o.cmd_id, o.created_ns)


def read_journal(data: bytes) -> list[Change]:
    """The complete records of a journal's bytes, in order (an incomplete last one is left out)."""
    changes: list[Change] = []
    at = 0
    while at + _LENGTH.size <= len(data):
        (size,) = _LENGTH.unpack_from(data, at)
        end = at + _LENGTH.size + size
        if end > len(data):
            break
        changes.append(_decode_change(data[at + _LENGTH.size:end]))
        at = end
    return changes


class OrderStore:
    def __init__(self, path: str) -> None:
        self.journal: str | None = None  # no journal for an in-memory database (a dry run)
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.journal = path + JOURNAL_SUFFIX
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(_SCHEMA)
        self.pending: list[Change] = []  # written to the journal, not yet to SQLite
        self._fd = -1
        if self.journal is not None:
            self._fd = os.open(self.journal, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)

    def load(self) -> list[Live]:
        """The stored registry, after replaying what a crash left in the journal."""
        if self._fd >= 0:
            with open(self._fd, "rb", closefd=False) as journal:
                journal.seek(0)
                self.pending = read_journal(journal.read())
            self.checkpoint(force=True)
        rows = self.db.execute(f"SELECT {', '.join(_COLUMNS)} FROM orders").fetchall()
        return [Live(**dict(zip(_COLUMNS, (*row[:9], bool(row[9]), *row[10:]), strict=True))) for row in rows]

    def apply(self, upserts: Iterable[Live], deletes: Iterable[str]) -> None:
        """Make one step's changes durable: one journal write (SQLite directly without a journal)."""
        change: Change = ([_row(o) for o in upserts], list(deletes))
        if not change[0] and not change[1]:
            return
        if self._fd < 0:
            self._commit([change])
            return
        record = _encode(change)
        data = _LENGTH.pack(len(record)) + record
        if os.write(self._fd, data) != len(data):  # a full disk: stop like a failed commit would
            raise OSError(f"short write to {self.journal}")
        self.pending.append(change)

    def checkpoint(self, force: bool = False) -> None:
        """Move the journal into SQLite (one transaction), then empty it. Idle time: the pump tick."""
        if not self.pending and not force:
            return
        if self.pending:
            self._commit(self.pending)
            self.pending = []
        if self._fd >= 0:
            os.ftruncate(self._fd, 0)

    def _commit(self, changes: list[Change]) -> None:
        self.db.execute("BEGIN")
        try:
            for rows, gone in changes:
                if rows:
                    self.db.executemany(_UPSERT, rows)
                if gone:
                    self.db.executemany("DELETE FROM orders WHERE order_id = ?", [(i,) for i in gone])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self.checkpoint()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        self.db.close()
