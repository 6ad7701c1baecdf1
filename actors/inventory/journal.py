"""The fill journal: SQLite in WAL mode, the source of truth for positions.

Every fill message that changed or advanced a fill's lifecycle (everything but exact duplicates) is
appended and committed before its effect is published. At start the journal is replayed, in order,
through the same ``Inventory.apply`` as live fills: start-up and crash recovery are one code path.
``UNIQUE(trade_id, order_id, status)`` makes a second append of the same event a no-op.

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

from schemas import Fill

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
CREATE TABLE IF NOT EXISTS markets (
    market TEXT PRIMARY KEY,
    yes_asset TEXT NOT NULL,
    no_asset TEXT NOT NULL
);
"""

_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Fill)


class Journal:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None, timeout=5.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

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
