"""Positions: owned by the inventory program (``inv.*`` topics), the single writer of positions."""

from __future__ import annotations

from typing import Literal

from schemas.base import Message
from schemas.user import Fill


class InventoryState(Message, frozen=True, tag="inv.state"):
    """Seed-000 §2.1, per market (condition id). Quantities, costs and PnL in 1e-6 units.

    ``portfolio_cost`` = yes_avg_cost + no_avg_cost when both legs are > 0, else 0.
    ``can_open`` = |net_diff| < max_net_diff and (portfolio_cost < max_portfolio_cost or == 0)
    and each leg's qty * avg_cost < max_position_value.
    ``max_net_diff`` and ``max_position_value`` are inventory's own limits (``PM_MAX_NET_DIFF``,
    ``PM_MAX_POSITION_VALUE``), published so that consumers check against the same numbers (one source);
    0 = unknown (a publisher that predates them).
    """

    market: str
    yes_asset: str
    no_asset: str
    yes_qty: int
    no_qty: int
    yes_avg_cost: int
    no_avg_cost: int
    net_diff: int
    portfolio_cost: int
    can_open: bool
    realized_pnl: int
    unrealized_pnl: int
    fills: int  # fills applied so far (net of reversals)
    ts: int
    max_net_diff: int = 0  # PM_MAX_NET_DIFF, 1e-6 shares (0 = unknown)
    max_position_value: int = 0  # PM_MAX_POSITION_VALUE, 1e-6 USDC (0 = unknown)
    # the market resolved: ``winner`` is worth 1, the other token 0, PnL realised; net_diff 0, can_open False;
    # published (as redeemable) while either leg is still held, until the executor redeemed it
    resolved: bool = False
    winner: str = ""  # the winning token once resolved


FillAction = Literal["applied", "recorded", "reversed", "duplicate"]


class FillApplied(Message, frozen=True, tag="inv.fill"):
    """Echo of every fill inventory received, and what it did with it."""

    fill: Fill
    action: FillAction
    ts: int


InventoryMessage = InventoryState | FillApplied
