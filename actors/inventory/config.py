"""The inventory's configuration (seed-001 §5), read from ``PM_*`` variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from actors.inventory.positions import Limits
from bus.config import Env
from schemas.units import MICRO


class InventoryConfig(msgspec.Struct, frozen=True, kw_only=True):
    max_net_diff: Annotated[int, Env("PM_MAX_NET_DIFF", micros=True), Meta(gt=0)] = 10 * MICRO
    max_portfolio_cost: Annotated[int, Env("PM_MAX_PORTFOLIO_COST", micros=True), Meta(gt=0)] = 1_020_000
    max_position_value: Annotated[int, Env("PM_MAX_POSITION_VALUE", micros=True), Meta(gt=0)] = 5 * MICRO
    db: Annotated[str, Env("PM_INVENTORY_DB")] = ""  # "" = <state dir>/inventory.sqlite, see db_path
    # how often marks are refreshed from the books and changed states published; at most the 1 s keep-alive
    mark_ms: Annotated[int, Env("PM_INVENTORY_MARK_MS"), Meta(ge=10, le=1000)] = 250
    # how often the CLOB is asked whether held markets no coordinator trades have resolved (and at start);
    # 0: never (then only the market-feed's MarketResolved resolves a market)
    resolve_ms: Annotated[int, Env("PM_INVENTORY_RESOLVE_MS"), Meta(ge=0, le=3_600_000)] = 10_000

    @property
    def limits(self) -> Limits:
        return Limits(self.max_net_diff, self.max_portfolio_cost, self.max_position_value)

    def db_path(self, run_dir: str) -> Path:
        """``PM_INVENTORY_DB``, or ``inventory.sqlite`` beside the run directory: ``var/inventory.sqlite``
        by default, ``$PM_VAR/inventory.sqlite`` under supervisord (``PM_RUN_DIR`` = ``$PM_VAR/run``)."""
        return Path(self.db) if self.db else Path(run_dir).resolve().parent / "inventory.sqlite"
