"""The recorder's pure parts: a market's metadata from its CLOB entry, and the hourly files (which file a
record goes to, what a new file must repeat). No I/O: bodies and times are passed in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from backtest import recfile
from schemas.units import NS, ONE, parse_exact

HOUR_NS = 3600 * NS


def _units(value: Any, default: int = 0) -> int:
    if value is None or value == "":
        return default
    try:
        return parse_exact(str(value))
    except ValueError:
        return default


def iso_ns(text: Any) -> int:
    if not isinstance(text, str) or not text:
        return 0
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()) * NS
    except ValueError:
        return 0


def meta_from_clob(body: bytes, market: str, yes_asset: str, no_asset: str, *,
                   start_ns: int = 0) -> recfile.Meta:
    """``GET /markets/{condition_id}`` (the CLOB's full market) -> the recording's metadata. Missing fields
    take the venue's defaults (tick 0.01, minimum 5 shares, no rewards)."""
    doc = msgspec.json.decode(body)
    if not isinstance(doc, dict):
        raise ValueError("market: not a JSON object")
    found = doc.get("rewards")
    rewards: dict[str, Any] = found if isinstance(found, dict) else {}
    listed = rewards.get("rates")
    rates: list[Any] = listed if isinstance(listed, list) else []
    daily = sum(_units(r.get("rewards_daily_rate")) for r in rates if isinstance(r, dict))
    return recfile.Meta(
        market=market, yes_asset=yes_asset, no_asset=no_asset,
        tick=_units(doc.get("minimum_tick_size"), 10_000),
        min_size=_units(doc.get("minimum_order_size"), 5 * ONE),
        neg_risk=bool(doc.get("neg_risk", False)), slug=str(doc.get("market_slug", "")), start_ns=start_ns,
        end_ns=iso_ns(doc.get("end_date_iso")),
        rewards=recfile.Rewards(daily_rate=daily, max_spread_cents=float(rewards.get("max_spread") or 0),
                                min_size=_units(rewards.get("min_size")) if daily else 0))


def hour_of(ts: int) -> int:
    return ts // HOUR_NS


@dataclass
class Files:
    """Which hourly file is open and the metadata every new file starts with."""

    root: Path
    hour: int = -1
    metas: dict[str, recfile.Meta] = field(default_factory=dict)  # the markets recorded now

    def path_for(self, ts: int) -> Path | None:
        """The file to open before writing a record at ``ts`` (None: the open one is right)."""
        if hour_of(ts) == self.hour:
            return None
        self.hour = hour_of(ts)
        return recfile.hour_path(self.root, ts)
