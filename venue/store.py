"""The venue's state file (SQLite, `var/venue.sqlite` by default): lock, schema, load, write; and when
to write (`Durable`).

Durability (venue/DESIGN.md, "State and restarts"): the file is in WAL mode with `synchronous=NORMAL`,
so a commit has been handed to the kernel (written into the WAL file) when it returns: a venue killed
with SIGKILL loses nothing it committed. A crash of the machine itself may lose the last commits (they
are fsynced at checkpoints, which a background thread runs every few seconds so the loop never waits
for the disk), never the file's consistency.

When: `Durable.flush` commits what is marked in `Exchange.changes` before anything leaves the process
whenever a client will hear of a change (the HTTP server holds replies until then, the app flushes
before every WebSocket drain), and at least every `every_ms` for the rest (the synthetic traders'
balances, market volumes, the latent price walks).

One venue per file: the file is locked (`flock`) while a venue has it open; a second one is refused
(`StateLocked`), and so is `make reset-paper`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

from schemas.units import MS
from venue.persist import (
    AccountRecord,
    Batch,
    Collector,
    HeartbeatRecord,
    Snapshot,
    decode_market,
    decode_order,
    decode_trade,
)

SCHEMA_VERSION = "1"
CHECKPOINT_EVERY_S = 5.0
_INT64 = 2**63

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(api_key TEXT PRIMARY KEY, address TEXT NOT NULL, owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS balances(address TEXT NOT NULL, asset TEXT NOT NULL, units NOT NULL,
                                    PRIMARY KEY(address, asset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS markets(condition_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS orders(order_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS trades(seq INTEGER PRIMARY KEY, trade_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seen(order_id TEXT PRIMARY KEY, forget_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS heartbeats(api_key TEXT PRIMARY KEY, expected TEXT NOT NULL,
                                      last_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS blobs(name TEXT PRIMARY KEY, body BLOB NOT NULL);
"""


class StateError(Exception):
    """The state file cannot be used (locked by another venue, or written by another version)."""


class StateLocked(StateError):
    pass


def is_locked(path: Path) -> bool:
    """Does a running venue hold this state file? (False when there is no file.)"""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also releases the probe's lock
    return False


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # closed last (see close)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise StateLocked(f"{path} is in use by another venue") from None
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        self.db.execute("PRAGMA busy_timeout=2000")
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        self.fresh = row is None
        if self.fresh:
            self.db.execute("INSERT INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            self._close_files()
            raise StateError(f"{path} was written by state version {row[0]}, this venue reads "
                             f"{SCHEMA_VERSION}: start a fresh paper account (make reset-paper)")
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoints, name="venue-checkpoint", daemon=True)
        self._checkpointer.start()

    # ---- load ---------------------------------------------------------------------------------
    def load(self, now_ns: int) -> Snapshot | None:
        """The stored state, or None for a fresh file."""
        if self.fresh:
            return None
        db = self.db
        balances: dict[str, dict[str, int]] = {}
        for address, asset, units in db.execute("SELECT address, asset, units FROM balances"):
            balances.setdefault(address, {})[asset] = int(units)
        return Snapshot(
            accounts=[AccountRecord(*row) for row in
                      db.execute("SELECT api_key, address, owner FROM accounts ORDER BY rowid")],
            balances=balances,
            markets=[decode_market(b) for (b,) in db.execute("SELECT body FROM markets ORDER BY rowid")],
            orders=[decode_order(b) for (b,) in db.execute("SELECT body FROM orders")],
            trades=[decode_trade(b) for (b,) in db.execute("SELECT body FROM trades ORDER BY seq")],
            seen=[(oid, int(ns)) for oid, ns in db.execute(
                "SELECT order_id, forget_ns FROM seen WHERE forget_ns > ? ORDER BY forget_ns", (now_ns,))],
            heartbeats=[HeartbeatRecord(*row) for row in
                        db.execute("SELECT api_key, expected, last_ns FROM heartbeats")],
            blobs={name: bytes(body) for name, body in db.execute("SELECT name, body FROM blobs")},
        )

    # ---- write --------------------------------------------------------------------------------
    def write(self, batch: Batch) -> None:
        """One transaction: the batch's upserts and deletions."""
        db = self.db
        db.execute("BEGIN")
        try:
            if batch.accounts:
                db.executemany("INSERT INTO accounts VALUES (?, ?, ?) ON CONFLICT(api_key) DO UPDATE SET "
                               "address = excluded.address, owner = excluded.owner",
                               [(a.api_key, a.address, a.owner) for a in batch.accounts])
            if batch.balances:
                db.executemany("INSERT OR REPLACE INTO balances VALUES (?, ?, ?)",
                               [(a, s, u if -_INT64 <= u < _INT64 else str(u)) for a, s, u in batch.balances])
            if batch.balances_gone:
                db.executemany("DELETE FROM balances WHERE address = ? AND asset = ?", batch.balances_gone)
            _upsert(db, "markets", "condition_id", batch.markets, batch.markets_gone)
            _upsert(db, "orders", "order_id", batch.orders, batch.orders_gone)
            if batch.trades:
                db.executemany("INSERT INTO trades(trade_id, body) VALUES (?, ?) ON CONFLICT(trade_id) DO "
                               "UPDATE SET body = excluded.body", batch.trades)
            if batch.seen:
                db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?)", batch.seen)
            if batch.forget_seen_before_ns:
                db.execute("DELETE FROM seen WHERE forget_ns <= ?", (batch.forget_seen_before_ns,))
            if batch.heartbeats:
                db.executemany("INSERT OR REPLACE INTO heartbeats VALUES (?, ?, ?)",
                               [(h.api_key, h.expected, h.last_ns) for h in batch.heartbeats])
            if batch.heartbeats_gone:
                db.executemany("DELETE FROM heartbeats WHERE api_key = ?",
                               [(k,) for k in batch.heartbeats_gone])
            if batch.blobs:
                db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?)", batch.blobs)
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # ---- life ---------------------------------------------------------------------------------
    def _checkpoints(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA busy_timeout=2000")
        try:
            while not self._stop.wait(CHECKPOINT_EVERY_S):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    continue  # busy: the next round
        finally:
            db.close()

    def close(self) -> None:
        """Fold the WAL into the file and release it (a later venue may open it at once)."""
        self._stop.set()
        self._checkpointer.join(5.0)
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._close_files()

    def _close_files(self) -> None:
        self.db.close()
        os.close(self._lock)  # after SQLite's own handles: closing a file drops the process's locks on it


def _upsert(db: sqlite3.Connection, table: str, key: str, rows: list[tuple[str, bytes]],
            gone: list[str]) -> None:
    if rows:
        db.executemany(f"INSERT INTO {table} VALUES (?, ?) ON CONFLICT({key}) DO UPDATE SET "
                       "body = excluded.body", rows)
    if gone:
        db.executemany(f"DELETE FROM {table} WHERE {key} = ?", [(k,) for k in gone])


class Durable:
    """When the venue writes its state (see the module's docstring)."""

    def __init__(self, store: Store, collector: Collector, clock_ns: Callable[[], int], *,
                 every_ms: int = 1000) -> None:
        self.store = store
        self.collector = collector
        self.clock_ns = clock_ns
        self.every_ns = every_ms * MS
        self._next_ns = clock_ns() + self.every_ns
        self.commits = 0

    def dirty(self) -> bool:
        """Is there a change a client will hear of that is not written yet?"""
        return self.collector.ex.changes.urgent

    def commit(self) -> None:
        """Write now what a client will hear of (the HTTP server calls this before held replies)."""
        self.flush()

    def flush(self, *, force: bool = False) -> None:
        """Write what is marked if a client will hear of it, the period is over, or `force`."""
        now = self.clock_ns()
        everything = force or now >= self._next_ns
        if not (everything or self.collector.ex.changes.urgent):
            return
        if everything:
            self._next_ns = now + self.every_ns
        batch = self.collector.collect(now_ns=now, everything=everything)
        if batch:
            self.store.write(batch)
            self.commits += 1

    def close(self) -> None:
        self.flush(force=True)
        self.store.close()
