"""The small state changes every reply handler shares: an order placed, refused, gone or found.

Each one updates the core's registry and queues the matching bus event, so the rule "every change of
our orders is announced, once" lives in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import msgspec

from actors.executor.core import bus_events as events
from actors.executor.core.registry import UNOWNED, Live
from schemas import FailReason, PlaceOrder

if TYPE_CHECKING:
    from actors.executor.core.executor_core import ExecutorCore

RESTING = ("live", "delayed", "dry_run")  # answers after which the order rests on the book


class Intent(NamedTuple):
    """Why an order is being cancelled, and on whose command."""

    cmd_id: str
    holder: str
    reason: str


@dataclass(slots=True)
class Pending:
    """An order of unknown outcome: its locally computed id is looked up before its slot is reused."""

    cmd: PlaceOrder
    order_id: str
    due: int
    attempts: int = 0
    stage: Literal["lookup", "list", "trades"] = "lookup"  # what is asked next
    cancel: Intent | None = None  # cancel it at once if it turns out to be live


def fail(core: ExecutorCore, cmd: PlaceOrder, reason: FailReason, retry_ms: int, message: str,
         now: int) -> None:
    core.out.append(events.failed(cmd, reason, retry_ms, message, now))


def placed(core: ExecutorCore, cmd: PlaceOrder, order_id: str, status: str, now: int) -> None:
    if status in RESTING:
        core.registry.put(Live(order_id=order_id, holder=cmd.holder, slot=cmd.slot, market=cmd.market,
                               asset=cmd.asset, side=cmd.side, price=cmd.price, size=cmd.size,
                               post_only=cmd.post_only, cmd_id=cmd.cmd_id, created_ns=now))
        core.heartbeat_wanted = not core.p.dry_run
    core.out.append(events.placed(cmd, order_id, status, now))


def gone(core: ExecutorCore, order_id: str, why: str | None, now: int) -> None:
    """The order is no longer on the venue (cancelled, filled, expired): forget it, say so once."""
    intent = core.to_cancel.pop(order_id, None)
    live = core.registry.remove(order_id)
    if live is None and intent is None:
        return
    if live is None:
        live = Live(order_id=order_id, holder=intent.holder if intent else UNOWNED, slot="", market="",
                    asset="", side="BUY", price=0, size=0)
    core.out.append(events.cancelled(
        cmd_id=intent.cmd_id if intent else "", holder=live.holder, order_id=order_id, market=live.market,
        asset=live.asset, slot=live.slot, reason=why or (intent.reason if intent else "cancelled"), now=now))


def found(core: ExecutorCore, pending: Pending, size_matched: int, now: int) -> None:
    """An order of unknown outcome is live after all: adopt it into its slot (cancel it if asked to)."""
    del core.limbo[pending.order_id]
    core.notes.append(("order_reconciled", {"order_id": pending.order_id, "found": True}))
    placed(core, pending.cmd, pending.order_id, "live", now)
    core.heartbeat_wanted = True
    live = core.registry.get(pending.order_id)
    if live is not None and size_matched:
        core.registry.put(msgspec.structs.replace(live, size_matched=size_matched))
    if pending.cancel is not None:
        core.to_cancel.setdefault(pending.order_id, pending.cancel)
