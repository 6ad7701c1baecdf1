"""``python -m actors.ctl cancel-all [--market M]``: cancel our orders through the executor (the only key
holder), acknowledged.

Without ``--market``: a ``CancelAll`` (every order the engine placed; the whole account only with
``PM_EXEC_FOREIGN_ORDERS=cancel_all``). With ``--market M`` (a coordinator's name, or a condition id:
every coordinator leasing it): a ``CancelMarket`` per holder of that market. The command is PUSHed on the
executor's command pipe; the executor echoes it on ``exec.cmd.<holder>.`` (received: acknowledged), and
the orders open before it (the executor's ``exec.orders`` list) are waited for until each is cancelled
(``exec.event``) or gone from a later list. The coordinators are not stopped: they quote again at their
next decision (``halt <market>`` first to keep one out of the market).

Exit 0: acknowledged and every targeted order gone; 1: not within ``--timeout``; 3: the executor (or, with
``--market``, a coordinator holding it) is not heard.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

from actors.ctl import listen
from actors.ctl.executor_link import ExecutorLink, NotRunning
from bus import topics
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from schemas import CancelAll, CancelMarket, Command, Lease, OpenOrder, OpenOrders, OrderCancelled

PROGRAM = "ctl"
NOT_DONE, NOT_RUNNING = 1, 3


def register(sub: Any) -> None:
    text = "cancel our orders through the executor (all, or one market's), acknowledged"
    p: argparse.ArgumentParser = sub.add_parser("cancel-all", help=text, description=text)
    p.add_argument("--market", default="",
                   help="a coordinator's name or a condition id (default: every order)")
    p.add_argument("--reason", default="operator", help="recorded with the cancels")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to wait for the cancels")
    p.set_defaults(run=run)


def commands(market: str, leases: list[Lease], reason: str, cmd_id: str, now: int) -> list[Command]:
    """The commands for ``--market`` (pure): one ``CancelMarket`` per (holder, condition) it names."""
    if not market:
        return [CancelAll(cmd_id=cmd_id, holder="ctl", reason=reason, ts=now)]
    pairs = sorted({(le.holder, le.market) for le in leases if market in (le.holder, le.market)})
    return [CancelMarket(cmd_id=f"{cmd_id}-{i}", holder=h, market=m, reason=reason, ts=now)
            for i, (h, m) in enumerate(pairs)]


def targeted(orders: list[OpenOrder], cmds: list[Command]) -> set[str]:
    """The open orders the commands cancel (pure)."""
    if any(isinstance(c, CancelAll) for c in cmds):
        return {o.order_id for o in orders}
    keys = {(c.holder, c.market) for c in cmds if isinstance(c, CancelMarket)}
    return {o.order_id for o in orders if (o.holder, o.market) in keys}


def run(args: argparse.Namespace) -> int:
    bus = load_or_exit(BusConfig, PROGRAM)
    leases: list[Lease] = []
    if args.market:
        # every holder of the market: a coordinator renews its lease once a second (and with each heartbeat
        # when those are slower), so one and a half renewal periods hear every holder
        period_s = max(bus.heartbeat_ms, 1000) / 1000
        heard = listen.collect(bus, [topics.prefix("coord", "lease")], 1.5 * period_s + 0.3)
        leases = list(listen.latest(heard, Lease, lambda m: f"{m.holder}/{m.market}").values())
    cmd_id = f"ctl-{os.getpid()}-{time.time_ns()}"
    cmds = commands(args.market, leases, args.reason, cmd_id, time.time_ns())
    if not cmds:
        sys.stdout.write(f"cancel-all: no running coordinator holds {args.market}\n")
        return NOT_RUNNING
    holders = {c.holder for c in cmds}
    subs = [topics.exec_orders(), topics.prefix("exec", "event"), *(topics.exec_cmd(h) for h in holders)]
    link = ExecutorLink(PROGRAM, bus, subs, Logger(PROGRAM, out=sys.stderr))
    try:
        link.require_executor(3 * bus.heartbeat_ms / 1000 + 1)
        listed = link.wait(lambda m: isinstance(m, OpenOrders), 5.0)
        before = targeted(listed.orders if listed is not None else [], cmds)
        for cmd in cmds:
            link.push(cmd)
        ids = {c.cmd_id for c in cmds}
        acked = link.wait(lambda m: _acked(m, ids, link), args.timeout)
        if acked is None:
            sys.stdout.write(f"cancel-all: the executor did not acknowledge within {args.timeout:g} s\n")
            return NOT_DONE
        gone = _gone(link, before, args.timeout)
        left = before - gone
        if left:
            sys.stdout.write(f"cancel-all: acknowledged; {len(left)} of {len(before)} orders still open "
                             f"after {args.timeout:g} s\n")
            return NOT_DONE
        what = f"market {args.market}" if args.market else "every order"
        sys.stdout.write(f"cancel-all: {what}: acknowledged, {len(before)} open orders cancelled\n")
        return 0
    except NotRunning as exc:
        sys.stdout.write(f"cancel-all: {exc}\n")
        return NOT_RUNNING
    finally:
        link.close()


def _acked(msg: object, ids: set[str], link: ExecutorLink) -> bool:
    """True once every command's echo was heard."""
    echoed = {m.cmd_id for _t, _h, m in link.heard if isinstance(m, (CancelAll, CancelMarket))}
    return ids <= echoed


def _gone(link: ExecutorLink, before: set[str], timeout_s: float) -> set[str]:
    """The targeted orders seen cancelled, or absent from a list published after the commands."""
    deadline = time.monotonic() + timeout_s
    start = len(link.heard)

    def done(_m: object) -> bool:
        return before <= seen()

    def seen() -> set[str]:
        gone = {m.order_id for _t, _h, m in link.heard if isinstance(m, OrderCancelled)}
        later = [m for _t, _h, m in link.heard[start:] if isinstance(m, OpenOrders)]
        if later:
            gone |= before - {o.order_id for o in later[-1].orders}
        return gone

    if before and not done(None):
        link.wait(done, max(0.0, deadline - time.monotonic()))
    return seen() & before
