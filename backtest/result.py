"""What a backtest produced (``Result``: fills, commands, PnL, inventory, quotes, modes, rewards), the
report's input; money in 1e-6 units."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backtest import recfile
from backtest.params import SimParams
from schemas import Command


@dataclass
class FillRow:
    ts: int
    market: str
    leg: str  # yes | no
    side: str
    price: int
    size: int
    reason: str
    slot: str


@dataclass
class Result:
    """Everything the report reads; money in 1e-6 units."""

    params: dict[str, str]
    sim: SimParams
    markets: dict[str, recfile.Meta]
    fills: list[FillRow] = field(default_factory=list)
    commands: list[tuple[int, Command]] = field(default_factory=list)
    rejects: int = 0
    pnl: list[tuple[int, int, int, int, int]] = field(default_factory=list)  # ts + 4 PnL parts
    inventory: list[tuple[int, int, int]] = field(default_factory=list)  # ts, yes qty, no qty (all markets)
    quotes: list[tuple[int, int, int, int]] = field(default_factory=list)  # mid, our bid, our ask
    mids: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # market -> (ts, yes mid)
    modes: dict[str, int] = field(default_factory=dict)  # mode -> ns spent
    risk_events: list[dict[str, Any]] = field(default_factory=list)
    rewards_total: int = 0
    fees_total: int = 0
    events: int = 0
    frames: int = 0
    wall_s: float = 0.0
