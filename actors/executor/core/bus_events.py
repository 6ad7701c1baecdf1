"""What the executor says on the bus, built in one place (pure), and the log line that goes with each.

Every ``PlaceOrder`` gets exactly one answer on ``exec.event.<holder>.``: ``OrderPlaced`` or
``OrderFailed``, except an order of unknown outcome, which is answered ``OrderFailed``
(``unknown_outcome``) at once and, if reconciliation then finds it live, ``OrderPlaced`` with the
same ``cmd_id``. ``OrderCancelled`` goes to the topic of the order's holder, whoever cancelled it.
``announce`` puts an event into the step's ``Effects`` together with its log line.
"""

from __future__ import annotations

from msgspec.structs import asdict

from bus import topics
from bus.effects import Effects, Level
from schemas import BusMessage, FailReason, OrderCancelled, OrderFailed, OrderPlaced, PlaceOrder, RiskEvent
from schemas.system import Severity

PROGRAM = "executor"
Out = tuple[bytes, BusMessage]
_LOG: dict[type, tuple[Level, str]] = {OrderPlaced: ("info", "order_placed"),
                                       OrderFailed: ("warning", "order_failed"),
                                       OrderCancelled: ("info", "order_cancelled"),
                                       RiskEvent: ("warning", "risk_event")}


def announce(fx: Effects, out: Out, count: int = 0) -> None:
    """Publish ``out`` and log it (a ``RiskEvent`` of severity info, e.g. a foreign order left alone: at
    level info); ``count``: the line is throttled (``bus.logs.Throttle``), this is the n-th like it."""
    topic, msg = out
    fx.publish(topic, msg)
    level, event = _LOG.get(type(msg), ("info", "bus_event"))
    if isinstance(msg, RiskEvent) and msg.severity == "info":
        level = "info"
    fields = asdict(msg)  # every announced message is flat (str, int): its fields as they are, in C
    if count:
        fx.note(event, level, count=count, **fields)
    else:
        fx.note(event, level, **fields)


def announce_quietly(fx: Effects, out: Out, count: int) -> None:
    """Publish ``out``; log it only if its throttle says so (``count`` > 0)."""
    if count:
        announce(fx, out, count)
    else:
        fx.publish(*out)


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

