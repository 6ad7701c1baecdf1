"""Commands to the executor: coordinators PUSH them; the executor echoes them on ``exec.cmd.*``."""

from __future__ import annotations

from typing import Literal

from schemas.base import Message

OrderType = Literal["GTC", "GTD", "FAK", "FOK"]

# ``PlaceOrder.signed_age_ms``: only ``livetest`` may ask for an order signed in the past (to prove the venue
# accepts an order as old as pre-signing's ``PM_EXEC_PRESIGN_MAX_AGE_MS``), and never older than that
# setting's own maximum (one hour); the executor refuses anything else as "invalid"
SIGNED_AGE_HOLDER = "livetest"
MAX_SIGNED_AGE_MS = 3_600_000


class PlaceOrder(Message, frozen=True, tag="cmd.place"):
    """Place one order. Maker-only: ``post_only`` must be True for GTC/GTD.

    The only exception is an opted-in stop-loss exit (``taker_exit`` True, FAK).
    ``slot`` names the coordinator's quote slot (e.g. "yes_bid") so answers can be matched.

    ``overlap_with``: the ``cmd_id`` of the order this one replaces in its slot, set only when the
    producer proved that this order and that one may rest (and fill) together without breaking the risk
    limits (``actors.coordinator.overlap``). The executor then may POST this order before that one's
    cancel (``PM_EXEC_REPLACE=pipelined``), but only if that very order is the one in the slot. ``""``
    (the default): the old order is cancelled, and the cancel confirmed, before this one is sent.

    ``signed_age_ms``: sign the order with its millisecond ``timestamp`` this far in the past (0, the
    default: now). Only for holder ``SIGNED_AGE_HOLDER`` (``livetest``'s check that the venue accepts an
    order as old as pre-signing may send), at most ``MAX_SIGNED_AGE_MS``; the executor refuses it from
    any other holder, never signing old silently.
    """

    cmd_id: str
    holder: str  # coordinator name
    market: str  # condition id
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    size: int
    tick: int
    neg_risk: bool
    order_type: OrderType = "GTC"
    post_only: bool = True
    expiration: int = 0  # unix seconds (GTD only)
    slot: str = ""
    taker_exit: bool = False
    ts: int = 0
    overlap_with: str = ""  # cmd_id of the replaced order proved safe to overlap; "" = cancel first
    # ts_recv (ns, local) of the market data whose change drove this decision; 0 if none: tick to order is
    # measured from it (the metrics program's histogram), on one host's clock
    origin_ts: int = 0
    signed_age_ms: int = 0  # sign with timestamp = now - this (livetest only, see above); 0: now


class CancelOrders(Message, frozen=True, tag="cmd.cancel"):
    """Cancel by order id and/or by slot (the executor knows which order holds a slot)."""

    cmd_id: str
    holder: str
    market: str
    order_ids: list[str]
    slots: list[str]
    reason: str
    ts: int


class CancelMarket(Message, frozen=True, tag="cmd.cancel_market"):
    """Cancel everything this holder has on a market (rotation, kill, withdrawal)."""

    cmd_id: str
    holder: str
    market: str
    reason: str
    ts: int


class CancelAll(Message, frozen=True, tag="cmd.cancel_all"):
    """Cancel every order of the account (``make down``, operator)."""

    cmd_id: str
    holder: str
    reason: str
    ts: int


Command = PlaceOrder | CancelOrders | CancelMarket | CancelAll


class MergePairs(Message, frozen=True, tag="cmd.merge"):
    """Merge this market's complete pairs (one YES + one NO -> 1 pUSD) back into collateral.

    A coordinator sends it when its strategy wants pairs merged and inventory shows at least ``min_size``
    of both legs. The executor merges ``min(yes, no)`` of what inventory AND the venue hold, if that is at
    least ``min_size``, through the official SDK; one merge per market at a time (another command while
    one is in flight, or not yet acknowledged by inventory, is ignored). Not a ``Command``: it goes to the
    executor's settlement part, never to the order core.
    """

    cmd_id: str
    holder: str
    market: str  # condition id
    yes_asset: str
    no_asset: str
    min_size: int  # 1e-6 shares
    ts: int
