"""Order-flow imbalance: owned by the ofi program (``ofi.state.*``)."""

from __future__ import annotations

import msgspec

from schemas.base import Message


class OfiSide(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """One token's taker flow over the window (1e-6 share units)."""

    buy_volume: int
    sell_volume: int
    score: int  # buy_volume - sell_volume
    threshold: int  # the threshold in force (fixed, or adaptive)
    toxic: bool


class OfiState(Message, frozen=True, tag="ofi.state"):
    market: str
    yes: OfiSide
    no: OfiSide
    toxic: bool  # either side toxic = global kill
    window_ms: int
    ts: int


OfiMessage = OfiState
