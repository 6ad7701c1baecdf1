"""Money after the trade: merges, redemptions, resolutions and operator adjustments of positions.

``Settlement`` is an input of inventory, PUSHed on its PULL pipe (the one fills use: it never drops), by
the executor (``merge``, ``redeem``: a confirmed transaction only), by inventory itself (``resolution``,
from the market-feed's ``MarketResolved`` or the CLOB) and by ``python -m actors.ctl reconcile
--adopt-venue`` (``adjust``). Inventory applies each ``key`` once, journals it before announcing it, and
echoes every one it receives (duplicates included) as ``SettlementApplied`` on ``inv.settle.<condition>.``:
the sender's acknowledgement, as ``FillApplied`` is for fills.

Quantities and money in 1e-6 units (shares, pUSD).
"""

from __future__ import annotations

from typing import Literal

from schemas.base import Message

SettlementKind = Literal["merge", "redeem", "resolution", "adjust"]
SettlementAction = Literal["applied", "duplicate", "refused"]


class Settlement(Message, frozen=True, tag="settle"):
    """What happened to a market's two positions outside the order book.

    - ``merge``: ``yes`` = ``no`` = n pairs burned, ``usdc`` = n pUSD credited (1 per pair);
    - ``redeem``: ``yes`` / ``no`` shares burned (all of each leg), ``usdc`` = the winning shares paid out,
      ``winner`` the winning token;
    - ``resolution``: ``winner`` is worth 1, the other token 0 (``yes``/``no``/``usdc`` 0);
    - ``adjust``: the operator adopts the venue's balances: ``yes`` / ``no`` are the new quantities,
      ``yes_avg`` / ``no_avg`` their average costs (from our trades), ``reason`` says why.
    ``key`` identifies it (``merge:<tx>``, ``redeem:<tx>``, ``resolution:<condition>``,
    ``adjust:<condition>:<ns>``); ``tx`` is the venue's transaction hash ("" when there is none).
    """

    key: str
    kind: SettlementKind
    market: str  # condition id
    yes_asset: str
    no_asset: str
    yes: int = 0
    no: int = 0
    usdc: int = 0
    winner: str = ""
    tx: str = ""
    source: str = ""  # executor | market-feed | clob | ctl
    reason: str = ""
    yes_avg: int = 0  # adjust only: 1e-6 pUSD per share
    no_avg: int = 0
    ts: int = 0


def redemption(market: str, yes_asset: str, no_asset: str, winner: str, yes: int, no: int, tx: str,
               now: int) -> Settlement:
    """The settlement a confirmed redemption is: both legs' shares burned (a negative balance counts as
    none), the winning leg's paid out at 1 pUSD each (the executor's, and the backtest's simulated one)."""
    yes, no = max(yes, 0), max(no, 0)
    return Settlement(key=f"redeem:{tx}", kind="redeem", market=market, yes_asset=yes_asset,
                      no_asset=no_asset, yes=yes, no=no, usdc=yes if winner == yes_asset else no,
                      winner=winner, tx=tx, source="executor", ts=now)


class SettlementApplied(Message, frozen=True, tag="inv.settle"):
    """Echo of every settlement inventory received, and what it did with it (``refused``: it names neither
    of the market's tokens as the winner, or a key no topic can carry)."""

    settlement: Settlement
    action: SettlementAction
    ts: int


SettlementMessage = Settlement | SettlementApplied
