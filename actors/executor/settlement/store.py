"""Confirmed settlements inventory has not acknowledged yet, on disk (SQLite, beside the order registry):
a merge or redemption the venue confirmed is written before it is pushed, and deleted once inventory's
echo arrives, so an executor restarted in between pushes it again (inventory applies a key once).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec

from schemas import Settlement

_SCHEMA = "CREATE TABLE IF NOT EXISTS settlements_unacked (key TEXT PRIMARY KEY, body BLOB NOT NULL)"
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Settlement)


class SettlementStore:
    def __init__(self, path: str) -> None:
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, isolation_level=None, timeout=5.0)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")  # money: a confirmed merge must survive a power loss
        self.db.execute(_SCHEMA)

    def add(self, settlement: Settlement) -> None:
        self.db.execute("INSERT OR REPLACE INTO settlements_unacked VALUES (?, ?)",
                        (settlement.key, _encoder.encode(settlement)))

    def remove(self, key: str) -> None:
        self.db.execute("DELETE FROM settlements_unacked WHERE key = ?", (key,))

    def load(self) -> list[Settlement]:
        return [_decoder.decode(body) for (body,) in self.db.execute("SELECT body FROM settlements_unacked")]

    def close(self) -> None:
        self.db.close()
