"""The end-of-run audit: the inventory's fill journal against the venue's own record of our trades.

Independent of the engine's parsers on purpose: the venue side is read from ``/data/trades`` rows here
(our maker entries, matched by API key), not through the user-feed's code.

- ``venue_fills(rows, api_key)``: one ``VenueFill`` per (trade id, our order id), with the trade's final
  status. A FAILED trade's balances were rolled back by the venue, so it must count zero times.
- ``read_journal(path)``: the inventory's SQLite journal, read-only (safe while inventory runs: WAL).
- ``audit_fills``: every fill is applied exactly once net of reversals (``lost``: the venue has it and
  inventory does not; ``unreversed``: the venue FAILED it and inventory still counts it; ``double``:
  applied more than once net; ``phantom``: inventory applied a fill the venue never reported;
  ``differs``: applied with another asset, side, price or size than the venue's).
- ``audit_positions``: per token, inventory's quantity (the journal replayed through the real
  ``Inventory`` core, as a restart would) equals the venue's trade history and, for markets the venue
  has not paid out yet, the venue's positions, less what merges and redemptions burned (``burned``:
  the journal's settlements, each one the venue confirmed).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from actors.inventory.core import Inventory
from actors.inventory.journal import Journal
from actors.inventory.main import recover
from actors.inventory.positions import Limits
from schemas import Fill
from schemas.units import parse_exact

Key = tuple[str, str]  # (trade id, our order id)
FINAL = frozenset({"CONFIRMED", "FAILED"})


@dataclass(frozen=True, slots=True)
class VenueFill:
    trade_id: str
    order_id: str
    market: str
    asset: str
    side: str
    price: int
    size: int
    status: str

    @property
    def counts(self) -> bool:
        return self.status != "FAILED"


@dataclass(frozen=True, slots=True)
class JournalRow:
    trade_id: str
    order_id: str
    status: str
    action: str
    fill: Fill


def venue_fills(rows: Iterable[dict[str, Any]], api_key: str) -> tuple[dict[Key, VenueFill], list[Key]]:
    """Our fills in ``/data/trades`` rows, and keys seen twice in one trade (never expected)."""
    fills: dict[Key, VenueFill] = {}
    repeated: list[Key] = []
    for row in rows:
        status = str(row["status"]).upper().removeprefix("TRADE_STATUS_")
        legs = [(m["order_id"], m["asset_id"], m["side"], m["price"], m["matched_amount"])
                for m in row.get("maker_orders") or () if m.get("owner") == api_key]
        if str(row.get("trader_side", "")).upper() == "TAKER" and row.get("owner") == api_key:
            legs.append((row["taker_order_id"], row["asset_id"], row["side"], row["price"], row["size"]))
        seen: set[Key] = set()
        for order_id, asset, side, price, size in legs:
            key = (str(row["id"]), str(order_id))
            if key in seen:
                repeated.append(key)
            seen.add(key)
            fills[key] = VenueFill(trade_id=key[0], order_id=key[1], market=str(row["market"]),
                                   asset=str(asset), side=str(side).upper(), price=parse_exact(price),
                                   size=parse_exact(size), status=status)
    return fills, repeated


_decoder = msgspec.msgpack.Decoder(Fill)


def read_journal(path: Path) -> list[JournalRow]:
    if not path.exists():
        return []
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5.0)
    try:
        query = "SELECT trade_id, order_id, status, action, body FROM fills ORDER BY seq"
        rows = db.execute(query).fetchall()
    finally:
        db.close()
    return [JournalRow(t, o, s, a, _decoder.decode(body)) for t, o, s, a, body in rows]


@dataclass
class FillAudit:
    fills: int = 0  # our fills the venue reports, every status
    failed: int = 0  # of which FAILED (rolled back)
    lost: list[Key] = field(default_factory=list)
    unreversed: list[Key] = field(default_factory=list)
    double: list[Key] = field(default_factory=list)
    phantom: list[Key] = field(default_factory=list)
    differs: list[str] = field(default_factory=list)
    repeated: list[Key] = field(default_factory=list)

    @property
    def problems(self) -> int:
        return (len(self.lost) + len(self.unreversed) + len(self.double) + len(self.phantom)
                + len(self.differs) + len(self.repeated))

    def describe(self) -> str:
        return (f"fills={self.fills} failed={self.failed} lost={len(self.lost)} "
                f"unreversed={len(self.unreversed)} double={len(self.double)} phantom={len(self.phantom)} "
                f"differs={len(self.differs)} repeated={len(self.repeated)}")

    def details(self, limit: int = 10) -> list[str]:
        out: list[str] = []
        for name in ("lost", "unreversed", "double", "phantom", "repeated"):
            out += [f"{name}: trade={t} order={o}" for t, o in getattr(self, name)[:limit]]
        return out + self.differs[:limit]


def audit_fills(venue: dict[Key, VenueFill], journal: list[JournalRow],
                repeated: Iterable[Key] = ()) -> FillAudit:
    applied: Counter[Key] = Counter()
    reversed_: Counter[Key] = Counter()
    bodies: dict[Key, Fill] = {}
    for row in journal:
        key = (row.trade_id, row.order_id)
        if row.action == "applied":
            applied[key] += 1
            bodies[key] = row.fill
        elif row.action == "reversed":
            reversed_[key] += 1
    result = FillAudit(fills=len(venue), failed=sum(not f.counts for f in venue.values()),
                       repeated=list(repeated))
    for key, fill in venue.items():
        net = applied[key] - reversed_[key]
        if applied[key] > 1 or net > 1:
            result.double.append(key)
        elif fill.counts and net < 1:
            result.lost.append(key)
        elif not fill.counts and net > 0:
            result.unreversed.append(key)
        body = bodies.get(key)
        if body is not None:
            got = (body.asset, body.side, body.price, body.size)
            want = (fill.asset, fill.side, fill.price, fill.size)
            if got != want:
                result.differs.append(f"differs: trade={key[0]} order={key[1]} inventory={got} venue={want}")
    result.phantom = sorted(k for k in applied if k not in venue and applied[k] - reversed_[k] > 0)
    return result


def inventory_positions(journal: list[JournalRow]) -> dict[str, int]:
    """Token -> quantity, as inventory rebuilds it at start-up (the journal through ``Inventory.apply``)."""
    inventory = Inventory(Limits(1, 1, 1))
    for row in journal:
        inventory.apply(row.fill)
    return {asset: pos.qty for asset, pos in inventory.positions.items() if pos.qty}


def recovered_positions(path: Path) -> dict[str, int]:
    """Token -> quantity, as inventory rebuilds it at start-up from its journal: fills *and* settlements
    (merges, redemptions, resolutions, adjustments), through the same ``recover``. Read-only."""
    if not path.exists():
        return {}
    journal = Journal.read_only(path)
    try:
        inventory = Inventory(Limits(1, 1, 1))
        recover(journal, inventory)
    finally:
        journal.close()
    return {asset: pos.qty for asset, pos in inventory.positions.items() if pos.qty}


def traded_positions(venue: dict[Key, VenueFill]) -> dict[str, int]:
    """Token -> net shares bought by our fills that the venue did not roll back."""
    net: Counter[str] = Counter()
    for fill in venue.values():
        if fill.counts:
            net[fill.asset] += fill.size if fill.side == "BUY" else -fill.size
    return {asset: qty for asset, qty in net.items() if qty}


def burned(path: Path) -> dict[str, int]:
    """Token -> shares the journal's merges and redemptions (each confirmed by the venue) took out."""
    journal = Journal.read_only(path)
    try:
        out: Counter[str] = Counter()
        for s in journal.settlements():
            if s.kind in ("merge", "redeem"):
                out[s.yes_asset] += s.yes
                out[s.no_asset] += s.no
        return dict(out)
    finally:
        journal.close()


def audit_positions(inventory: dict[str, int], traded: dict[str, int], venue_positions: dict[str, int],
                    paid_out: set[str], burnt: dict[str, int] | None = None) -> list[str]:
    """Disagreements per token. ``inventory``: its fills alone, as ``traded`` counts them. ``paid_out``:
    tokens of markets the venue has resolved; once they are redeemed their positions are gone from the
    venue, so only the trade history can be compared. ``burnt``: what merges and redemptions took out."""
    problems = []
    burnt = burnt or {}
    for asset in sorted(set(inventory) | set(traded) | set(venue_positions)):
        qty = inventory.get(asset, 0)
        held = qty - burnt.get(asset, 0)
        name = f"position: token={asset[:12]}.. inventory={qty}"
        if qty != traded.get(asset, 0):
            problems.append(f"{name} venue_trades={traded.get(asset, 0)}")
        elif asset in venue_positions and held != venue_positions[asset]:
            problems.append(f"{name} burnt={burnt.get(asset, 0)} venue_positions={venue_positions[asset]}")
        elif asset not in venue_positions and asset not in paid_out and held:
            problems.append(f"{name} burnt={burnt.get(asset, 0)} venue_positions=0 (market open)")
    return problems


def all_final(venue: dict[Key, VenueFill]) -> bool:
    return all(f.status in FINAL for f in venue.values())
