"""The venue's state file (SQLite, `var/venue.sqlite` by default) and its journal: lock, schema, load,
write; and when to write (`Durable`).

Two files: the tables (SQLite, WAL mode, `synchronous=NORMAL`) and a journal beside them
(`venue.sqlite.journal`). A commit the venue's clients wait for appends one record to the journal: one
`write(2)` of the batch (length, CRC-32, msgpack), a few microseconds, after which a venue killed with
SIGKILL loses nothing (the kernel has the bytes). About once a second (`Durable`'s period) the batches
journaled since are folded into one transaction on the tables and the journal is emptied. At start a
journal left by a killed venue is applied to the tables first (applying a batch twice changes nothing;
a record cut short by the kill is dropped: its reply was never sent). A crash of the machine itself may
lose the last second or so (nothing is fsynced but SQLite's checkpoints, which a background thread runs
every few seconds so the loop never waits for the disk), never the tables' consistency.

When: `Durable.flush` journals what is marked in `Exchange.changes` before anything leaves the process
whenever a client will hear of it (the HTTP server before each such reply, the app before every WebSocket
drain), and writes the tables at least every `every_ms` with the rest (the synthetic traders'
balances, market volumes, the latent price walks).

One venue per file: the tables' file is locked (`flock`) while a venue has it open; a second one is
refused (`StateLocked`), and so is `make reset-paper`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import struct
import threading
import zlib
from collections.abc import Callable
from pathlib import Path

import msgspec

from schemas.units import MS
from venue.persist import (
    AccountRecord,
    Batch,
    Collector,
    HeartbeatRecord,
    Snapshot,
    decode_batch,
    decode_market,
    decode_order,
    decode_trade,
    encode_batch,
)

SCHEMA_VERSION = "1"
CHECKPOINT_EVERY_S = 5.0
JOURNAL_SUFFIX = ".journal"
_HEAD = struct.Struct("<II")  # record length, CRC-32 of the record

# Tables written on every order request are WITHOUT ROWID (one b-tree: half the pages of a commit).
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts(api_key TEXT PRIMARY KEY, address TEXT NOT NULL, owner TEXT NOT NULL)
    WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS balances(address TEXT NOT NULL, asset TEXT NOT NULL, units NOT NULL,
                                    PRIMARY KEY(address, asset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS markets(condition_id TEXT PRIMARY KEY, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS orders(order_id TEXT PRIMARY KEY, body BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS trades(seq INTEGER PRIMARY KEY, trade_id TEXT NOT NULL UNIQUE, body BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS seen(order_id TEXT PRIMARY KEY, forget_ns INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS heartbeats(api_key TEXT PRIMARY KEY, expected TEXT NOT NULL,
                                      last_ns INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs(name TEXT PRIMARY KEY, body BLOB NOT NULL);
"""


class StateError(Exception):
    """The state file cannot be used (locked by another venue, or written by another version)."""


class StateLocked(StateError):
    pass


def journal_path(path: Path) -> Path:
    return path.with_name(path.name + JOURNAL_SUFFIX)


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


def read_journal(data: bytes) -> list[Batch]:
    """The whole records of a journal, in order (a cut or damaged tail ends it)."""
    batches: list[Batch] = []
    at = 0
    while at + _HEAD.size <= len(data):
        size, crc = _HEAD.unpack_from(data, at)
        body = data[at + _HEAD.size:at + _HEAD.size + size]
        if len(body) < size or zlib.crc32(body) != crc:
            break
        try:
            batches.append(decode_batch(body))
        except msgspec.DecodeError:
            break
        at += _HEAD.size + size
    return batches


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # closed last (see _close_files)
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
        self._journal = os.open(journal_path(path), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        row = self.db.execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
        self.fresh = row is None
        if self.fresh:
            self.db.execute("INSERT INTO meta VALUES ('version', ?)", (SCHEMA_VERSION,))
        elif row[0] != SCHEMA_VERSION:
            self._close_files()
            raise StateError(f"{path} was written by state version {row[0]}, this venue reads "
                             f"{SCHEMA_VERSION}: start a fresh paper account (make reset-paper)")
        self._pending: list[Batch] = []  # journaled, not yet in the tables (merged when they are written)
        self.replayed = self._replay()
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(target=self._checkpoints, name="venue-checkpoint", daemon=True)
        self._checkpointer.start()

    def _replay(self) -> int:
        """Apply what a killed venue had journaled; returns the number of records applied."""
        size = os.fstat(self._journal).st_size
        if not size:
            return 0
        batches = read_journal(os.pread(self._journal, size, 0))
        self._pending.extend(batches)
        self.fresh = self.fresh and not batches
        self.write_tables()
        return len(batches)

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
                      db.execute("SELECT api_key, address, owner FROM accounts")],
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
    def journal(self, batch: Batch) -> None:
        """Make a batch survive a kill now: one record appended to the journal."""
        body = encode_batch(batch)
        os.write(self._journal, _HEAD.pack(len(body), zlib.crc32(body)) + body)
        self._pending.append(batch)

    def write_tables(self, batch: Batch | None = None) -> None:
        """One transaction: everything journaled so far (and `batch`); then the journal is emptied."""
        merged = Batch()
        for journaled in self._pending:
            merged.merge(journaled)
        if batch is not None:
            merged.merge(batch)
        if merged:
            _write(self.db, merged)
        self._pending = []
        if os.fstat(self._journal).st_size:
            os.ftruncate(self._journal, 0)

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
        """Write the tables, fold SQLite's WAL into the file and release it (a later venue may open it)."""
        self._stop.set()
        self._checkpointer.join(5.0)
        try:
            self.write_tables()
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            self._close_files()

    def _close_files(self) -> None:
        self.db.close()
        os.close(self._journal)
        os.close(self._lock)  # after SQLite's own handles: closing a file drops the process's locks on it


def _write(db: sqlite3.Connection, batch: Batch) -> None:
    db.execute("BEGIN")
    try:
        if batch.accounts:
            db.executemany("INSERT OR REPLACE INTO accounts VALUES (?, ?, ?)",
                           [(a.api_key, a.address, a.owner) for a in batch.accounts.values()])
        rows = [(address, asset, units) for address, assets in batch.balances.items()
                for asset, units in assets.items()]
        db.executemany("INSERT OR REPLACE INTO balances VALUES (?, ?, ?)",
                       [row for row in rows if row[2] is not None])
        db.executemany("DELETE FROM balances WHERE address = ? AND asset = ?",
                       [row[:2] for row in rows if row[2] is None])
        _upsert(db, "markets", "condition_id", batch.markets)
        _upsert(db, "orders", "order_id", batch.orders)
        if batch.trades:
            db.executemany("INSERT INTO trades(trade_id, body) VALUES (?, ?) ON CONFLICT(trade_id) DO "
                           "UPDATE SET body = excluded.body", batch.trades.items())
        if batch.seen:
            db.executemany("INSERT OR REPLACE INTO seen VALUES (?, ?)", batch.seen.items())
        if batch.forget_seen_before_ns:
            db.execute("DELETE FROM seen WHERE forget_ns <= ?", (batch.forget_seen_before_ns,))
        beats = batch.heartbeats
        db.executemany("INSERT OR REPLACE INTO heartbeats VALUES (?, ?, ?)",
                       [(h.api_key, h.expected, h.last_ns) for h in beats.values() if h is not None])
        db.executemany("DELETE FROM heartbeats WHERE api_key = ?",
                       [(key,) for key, beat in beats.items() if beat is None])
        if batch.blobs:
            db.executemany("INSERT OR REPLACE INTO blobs VALUES (?, ?)", batch.blobs.items())
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _upsert(db: sqlite3.Connection, table: str, key: str, rows: dict[str, bytes | None]) -> None:
    """Upserts keep a row's place (markets are restored in listing order); None deletes."""
    db.executemany(f"INSERT INTO {table} VALUES (?, ?) ON CONFLICT({key}) DO UPDATE SET body = excluded.body",
                   [(k, v) for k, v in rows.items() if v is not None])
    db.executemany(f"DELETE FROM {table} WHERE {key} = ?", [(k,) for k, v in rows.items() if v is None])


class Durable:
    """When the venue writes its state (see the module's docstring)."""

    def __init__(self, store: Store, collector: Collector, clock_ns: Callable[[], int], *,
                 every_ms: int = 1000) -> None:
        self.store = store
        self.collector = collector
        self.clock_ns = clock_ns
        self.every_ns = every_ms * MS
        self._next_ns = clock_ns() + self.every_ns
        self.journaled = 0
        self.written = 0

    def dirty(self) -> bool:
        """Is there a change a client will hear of that is not written yet?"""
        return self.collector.ex.changes.urgent

    def flush(self, *, periodic: bool = False, force: bool = False) -> None:
        """Journal what is marked if a client will hear of it. `periodic` (the tick loop): write the tables
        instead, with everything marked, when the period is over; `force`: now."""
        now = self.clock_ns()
        if force or (periodic and now >= self._next_ns):
            self._next_ns = now + self.every_ns
            self.store.write_tables(self.collector.collect(now_ns=now, everything=True))
            self.written += 1
        elif self.collector.ex.changes.urgent:
            batch = self.collector.collect(now_ns=now, everything=False)
            if batch:
                self.store.journal(batch)
                self.journaled += 1

    def close(self) -> None:
        self.flush(force=True)
        self.store.close()
