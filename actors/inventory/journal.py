"""The fill journal: SQLite in WAL mode, the source of truth for positions.

Every fill message that changed or advanced a fill's lifecycle (everything but exact duplicates) is
appended and committed before its effect is published. At start the journal is replayed, in order,
through the same ``Inventory.apply`` as live fills: start-up and crash recovery are one code path.
``UNIQUE(trade_id, order_id, status)`` makes a second append of the same event a no-op.

Settlements (merges, redemptions, resolutions, adjustments: ``schemas.settlement``) go to their own table,
one row per key (``UNIQUE``), each with ``after_fill``: the ``seq`` of the last fill journalled before it.
``replay_events`` merges both tables back into the order they arrived in (a settlement right after the fill
it followed), which is what a reversed fill's recomputation depends on.

The ``markets`` table caches each market's tokens as last leased, so that after a restart fills are
attributed to their market before the coordinator's next lease arrives. It is not a source of truth.

``synchronous=FULL``: a commit survives a power loss, not only a killed process (fills are money, and
they arrive a few per second at most).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import msgspec

from schemas import Fill, Settlement

SCHEMA = """
CREATE TABLE IF NOT EXISTS fills (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    trade_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    action TEXT NOT NULL,
    ts INTEGER NOT NULL,
    body BLOB NOT NULL,
    UNIQUE (trade_id, order_id, status)
);
CREATE TABLE IF NOT EXISTS settlements (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    market TEXT NOT NULL,
    after_fill INTEGER NOT NULL,
    action TEXT NOT NULL,
    ts INTEGER NOT NULL,
    body BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS markets (
    market TEXT PRIMARY KEY,
    yes_asset TEXT NOT NULL,
    no_asset TEXT NOT NULL
);
"""

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Fill)
_settlements = msgspec.msgpack.Decoder(Settlement)


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    @classmethod
    def read_only(cls, path: Path | str) -> Journal:
        """The journal opened read-only (safe while inventory runs, WAL); nothing is created or written."""
        journal = cls.__new__(cls)
        journal.path = Path(path)
        journal.db = sqlite3.connect(f"file:{journal.path}?mode=ro", uri=True, timeout=5.0)
        return journal

    @property
    def journal_mode(self) -> str:
        return str(self.db.execute("PRAGMA journal_mode").fetchone()[0])

    def append(self, fill: Fill, action: str, ts: int) -> bool:
        """Commit one fill event; False if this (trade_id, order_id, status) was already journalled."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO fills (trade_id, order_id, status, action, ts, body) VALUES (?,?,?,?,?,?)",
            (fill.trade_id, fill.order_id, fill.status, action, ts, _encoder.encode(fill)),
        )
        return cur.rowcount == 1

    def replay(self) -> Iterator[Fill]:
        """Every journalled fill, in the order it was received."""
        for (body,) in self.db.execute("SELECT body FROM fills ORDER BY seq"):
            yield _decoder.decode(body)

    def append_settlement(self, s: Settlement, action: str, ts: int) -> bool:
        """Commit one settlement, placed after the last fill journalled; False if its key was journalled."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO settlements (key, kind, market, after_fill, action, ts, body) "
            "VALUES (?, ?, ?, (SELECT COALESCE(MAX(seq), 0) FROM fills), ?, ?, ?)",
            (s.key, s.kind, s.market, action, ts, _encoder.encode(s)),
        )
        return cur.rowcount == 1

    def replay_events(self) -> Iterator[Fill | Settlement]:
        """Every journalled fill and settlement, in the order they were received."""
        rows = self.db.execute(
            "SELECT seq AS a, 0 AS b, 0 AS settled, body FROM fills "
            "UNION ALL SELECT after_fill AS a, seq AS b, 1 AS settled, body FROM settlements ORDER BY a, b")
        for _, _, settled, body in rows:
            yield _settlements.decode(body) if settled else _decoder.decode(body)

    def settlements(self) -> list[Settlement]:
        rows = self.db.execute("SELECT body FROM settlements ORDER BY seq")  # (every kind, arrival order)
        return [_settlements.decode(body) for (body,) in rows]

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM fills").fetchone()[0])

    def save_market(self, market: str, yes_asset: str, no_asset: str) -> None:
        self.db.execute(
            "INSERT INTO markets (market, yes_asset, no_asset) VALUES (?,?,?) "
            "ON CONFLICT(market) DO UPDATE SET yes_asset=excluded.yes_asset, no_asset=excluded.no_asset",
            (market, yes_asset, no_asset),
        )

    def markets(self) -> list[tuple[str, str, str]]:
        return [(m, y, n) for m, y, n in self.db.execute("SELECT market, yes_asset, no_asset FROM markets")]

    def close(self) -> None:
        self.db.close()
