"""When a coordinator asks the executor to merge its market's complete pairs back into collateral.

A pair (one YES + one NO) is worth exactly 1 pUSD whatever the outcome, so a strategy that only buys both
legs below 1 (``pair_ofi``: its whole edge is ``1 - yes_avg - no_avg`` per pair) loses nothing by merging
them at once and frees the capital (and the position limits) they hold. A strategy that may sell its
inventory back must not have it merged away, so merging is per strategy: ``Strategy.merges_pairs``.

Once a second (``Holding.every_second``), while inventory's state of the held market shows at least
``PM_MERGE_MIN_SHARES`` of both legs and the market is not resolved, a ``MergePairs`` goes to the executor,
which merges ``min(yes, no)`` of what inventory and the venue both hold (and ignores the command while a
merge of that market is in flight). ``PM_MERGE_MIN_SHARES=0`` turns merging off. Pure.
"""

from __future__ import annotations

from schemas import InventoryState, MergePairs


def merge_command(state: InventoryState | None, market: str, *, holder: str, merges: bool, min_size: int,
                  now: int) -> MergePairs | None:
    """The ``MergePairs`` to send now for ``market``, or None (``merges``: ``Strategy.merges_pairs``)."""
    if min_size <= 0 or not merges or state is None or state.market != market or \
            state.resolved or min(state.yes_qty, state.no_qty) < min_size:
        return None
    return MergePairs(cmd_id=f"merge-{now}", holder=holder, market=market, yes_asset=state.yes_asset,
                      no_asset=state.no_asset, min_size=min_size, ts=now)
