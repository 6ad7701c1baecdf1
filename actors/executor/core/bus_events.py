"""What the executor says on the bus, built in one place (pure), and the maker-only order check.

Every ``PlaceOrder`` gets exactly one answer on ``exec.event.<holder>.``: ``OrderPlaced`` or
``OrderFailed``, except an order of unknown outcome, which is answered ``OrderFailed``
(``unknown_outcome``) at once and, if reconciliation then finds it live, ``OrderPlaced`` with the
same ``cmd_id``. ``OrderCancelled`` goes to the topic of the order's holder, whoever cancelled it.
"""

from __future__ import annotations

from bus import topics
from clob.orders import OrderError, check_order, is_v2_position_id
from schemas import BusMessage, FailReason, OrderCancelled, OrderFailed, OrderPlaced, PlaceOrder, RiskEvent
from schemas.system import Severity

PROGRAM = "executor"
Out = tuple[bytes, BusMessage]


def check_place(cmd: PlaceOrder, allow_taker_exit: bool) -> str | None:
    """Why ``cmd`` is refused as "invalid" (maker-only invariant, shape, tick grid), or None."""
    maker = cmd.order_type in ("GTC", "GTD") and cmd.post_only
    if not maker:
        if not cmd.taker_exit:
            return "maker-only: orders must be post-only GTC/GTD (taker_exit not set)"
        if not allow_taker_exit:
            return "maker-only: taker exits are disabled (PM_ALLOW_TAKER_EXIT=false)"
        if cmd.post_only:
            return "post-only is only for GTC/GTD orders"
    if (cmd.order_type == "GTD") != (cmd.expiration > 0):
        return "GTD orders need an expiration; other types must have expiration 0"
    if not cmd.market or not cmd.holder:
        return "holder and market are required"
    try:
        check_order(cmd.asset, cmd.side, cmd.price, cmd.size, cmd.tick, expiration=cmd.expiration)
    except OrderError as error:
        return str(error)
    if is_v2_position_id(cmd.asset):
        return "Protocol-V2 position ids are not supported"
    return None


def placed(cmd: PlaceOrder, order_id: str, status: str, now: int) -> Out:
    return topics.exec_event(cmd.holder), OrderPlaced(
        cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=order_id, market=cmd.market, asset=cmd.asset,
        side=cmd.side, price=cmd.price, size=cmd.size, slot=cmd.slot, status=status, ts=now)


def failed(cmd: PlaceOrder, reason: FailReason, retry_after_ms: int, message: str, now: int) -> Out:
    return topics.exec_event(cmd.holder), OrderFailed(
        cmd_id=cmd.cmd_id, holder=cmd.holder, market=cmd.market, asset=cmd.asset, side=cmd.side,
        price=cmd.price, size=cmd.size, slot=cmd.slot, reason=reason, message=message,
        retry_after_ms=retry_after_ms, ts=now)


def cancelled(*, cmd_id: str, holder: str, order_id: str, market: str, asset: str, slot: str, reason: str,
              now: int) -> Out:
    return topics.exec_event(holder), OrderCancelled(
        cmd_id=cmd_id, holder=holder, order_id=order_id, market=market, asset=asset, slot=slot,
        reason=reason, ts=now)


def risk(kind: str, severity: Severity, market: str, message: str, now: int) -> Out:
    return topics.risk_event(PROGRAM), RiskEvent(program=PROGRAM, market=market, kind=kind,
                                                 severity=severity, message=message, ts=now)
