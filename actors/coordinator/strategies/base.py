"""The interface every strategy implements, and the inputs it decides from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import msgspec

from actors.coordinator.model import Decision, MarketSpec, Position, Slot, Top


class Inputs(msgspec.Struct, frozen=True):
    """Everything a strategy may read, as of ``now`` (1e-6 units, ns). Built once per decision."""

    market: MarketSpec
    yes: Top  # the YES token's own top of book
    no: Top  # the NO token's own top of book
    view: Top  # the YES top consistent with the NO book (``model.yes_view``)
    position: Position
    toxic: bool  # either token's order flow is toxic (ofi)
    slots: Mapping[str, Slot]  # our open orders, by slot
    volatility: int  # sum of |Δmid|/mid over the volatility window (``signals.MidWindow``)
    widen_bid: int  # ticks added to the bid side after post-only rejections (``signals.RejectWidening``)
    widen_ask: int
    net_max: int  # the risk layer's hard cap on |net_diff| (PM_NET_MAX; 0: none)
    reduce_only: bool  # the risk layer is in reduce-only: it will drop what does not reduce |net_diff|
    now: int
    # bid levels (price, size), best first, per leg "yes" / "no": only for a strategy that ``reads_depth``
    depth: Mapping[str, Sequence[tuple[int, int]]] = {}


class Strategy(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def widens_on_reject(self) -> bool:
        """Post-only rejections widen a side (and the strategy reads the volatility) instead of waiting
        out the executor's back-off."""
        ...

    @property
    def merges_pairs(self) -> bool:
        """Complete pairs may be merged back into collateral (``merging``): the strategy only ever buys
        both legs and never sells them, so a pair is worth exactly 1 to it whatever the outcome."""
        ...

    def base_size(self, market: MarketSpec) -> int:
        """Shares per quote (the unit of ``PM_REDUCE_ONLY_THRESHOLD``)."""
        ...

    def decide(self, i: Inputs) -> Decision: ...
