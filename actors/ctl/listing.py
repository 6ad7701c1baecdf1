"""``status``, ``positions``, ``orders``, ``pnl``: what the engine is doing, read-only (the I/O half; the
rows and tables are ``actors.ctl.tables``).

- ``status``: every program supervisord runs (state, pid, uptime, exits in its log) beside its bus
  heartbeat (age, ready, gaps), one table; exit 0 if every program runs and heartbeats, 1 if one does
  not, 3 if neither supervisord nor any heartbeat answers (the engine is not running).
- ``positions``: each market inventory's journal knows (read-only: safe while inventory runs), both legs,
  average costs and net, named by the coordinator leasing it; exit 3 without a journal.
- ``orders``: our open orders as the executor last published them (``exec.orders``, every 2 s); exit 3
  if the executor is not heard.
- ``pnl``: per market and total: realised (the journal), unrealised (inventory's marks, from its
  ``inv.state`` when heard, else ``?``), rewards (not journalled yet: 0), fees (the journal's fills); exit 3
  without a journal.
Each listing takes ``--json`` (integers in 1e-6 units, as on the bus).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from actors.ctl import listen, supervisor, tables
from actors.ctl.config import CtlConfig
from actors.inventory.config import InventoryConfig
from actors.inventory.core import Inventory
from actors.inventory.journal import Journal
from actors.inventory.main import recover
from bus import topics
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from schemas import Heartbeat, InventoryState, Lease, OpenOrders

PROGRAM = "ctl"
NOT_OK, NOT_RUNNING = 1, 3


def register(sub: Any) -> None:
    def add(name: str, text: str, run: Any) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = sub.add_parser(name, help=text, description=text)
        p.add_argument("--json", action="store_true", help="JSON rows (integers in 1e-6 units)")
        p.set_defaults(run=run)
        return p

    p = add("status", "supervisord and bus heartbeats, one row per program (exit 1 if one is not ok)", status)
    p.add_argument("--listen", type=float, default=2.5, help="seconds to listen for heartbeats")
    p = add("positions", "positions per market from inventory's journal", positions)
    p.add_argument("--listen", type=float, default=1.5, help="seconds to listen for coordinator names")
    p = add("orders", "our open orders as the executor last published them", orders)
    p.add_argument("--holder", default="", help="only this coordinator's orders")
    p.add_argument("--listen", type=float, default=5.0, help="seconds to wait for the executor's list")
    p = add("pnl", "PnL per market and total: realised, unrealised, rewards, fees", pnl)
    p.add_argument("--listen", type=float, default=1.5, help="seconds to listen for inventory's marks")


def emit(args: argparse.Namespace, rows: list[Any], text: str, extra: dict[str, Any] | None = None) -> None:
    if args.json:
        print(json.dumps({"rows": tables.as_json(rows), **(extra or {})}))
    else:
        print(text)


def status(args: argparse.Namespace) -> int:
    bus, cfg = load_or_exit(BusConfig, PROGRAM), load_or_exit(CtlConfig, PROGRAM)
    procs, problem = supervisor.processes(supervisor.url(bus.run_dir, cfg.supervisor_url))
    heard = listen.heartbeats(bus, procs, args.listen)
    now = time.time_ns()
    beats = {m.program: (m, h.ts_ns) for _t, h, m in heard if isinstance(m, Heartbeat)}
    restarts = tables.count_restarts(supervisor.log_text(bus.run_dir))
    rows = tables.status_rows(procs, beats, restarts, now)
    emit(args, rows, tables.status_text(rows), {"supervisord": problem or "ok"})
    if problem and not args.json:
        sys.stderr.write(f"ctl: {problem}\n")
    if not procs and not beats:
        return NOT_RUNNING
    return 0 if rows and all(r.ok for r in rows) else NOT_OK


def read_journal(bus: BusConfig) -> tuple[Inventory, Journal] | None:
    path = load_or_exit(InventoryConfig, PROGRAM).db_path(bus.run_dir)
    if not Path(path).exists():
        sys.stderr.write(f"ctl: no inventory journal at {path}\n")
        return None
    journal = Journal.read_only(str(path))
    inventory = Inventory(InventoryConfig().limits)
    recover(journal, inventory)
    return inventory, journal


def names(bus: BusConfig, seconds: float) -> tuple[dict[str, str], dict[str, InventoryState]]:
    """Condition id -> coordinator, and inventory's newest published state per market (for its marks)."""
    heard = listen.collect(bus, [topics.prefix("coord", "lease"), topics.prefix("inv", "state")], seconds)
    leases = listen.latest(heard, Lease, lambda m: f"{m.holder}/{m.market}").values()
    return tables.lease_names(leases), listen.latest(heard, InventoryState, lambda m: m.market)


def positions(args: argparse.Namespace) -> int:
    bus = load_or_exit(BusConfig, PROGRAM)
    read = read_journal(bus)
    if read is None:
        return NOT_RUNNING
    inventory, journal = read
    journal.close()
    held, _states = names(bus, args.listen)
    now = time.time_ns()
    rows = tables.position_rows([inventory.state(m, now) for m in inventory.markets], held)
    emit(args, rows, tables.positions_text(rows) + ("" if rows else "\n(inventory's journal is empty)"))
    return 0


def orders(args: argparse.Namespace) -> int:
    bus = load_or_exit(BusConfig, PROGRAM)
    heard = listen.collect(bus, [topics.exec_orders()], args.listen,
                           until=lambda h: any(isinstance(m, OpenOrders) for _t, _h, m in h))
    lists = [m for _t, _h, m in heard if isinstance(m, OpenOrders)]
    if not lists:
        sys.stderr.write(f"ctl: the executor's order list was not heard within {args.listen:g} s "
                         "(is the executor running?)\n")
        return NOT_RUNNING
    rows = tables.order_rows(lists[-1].orders, args.holder)
    emit(args, rows, tables.orders_text(rows) + ("" if rows else "\n(no open order)"))
    return 0


def pnl(args: argparse.Namespace) -> int:
    bus = load_or_exit(BusConfig, PROGRAM)
    read = read_journal(bus)
    if read is None:
        return NOT_RUNNING
    inventory, journal = read
    try:
        fees, fills = tables.fees_by_market(journal.replay_events())
    finally:
        journal.close()
    held, states = names(bus, args.listen)
    now = time.time_ns()
    realized = {m: inventory.state(m, now).realized_pnl for m in inventory.markets}
    unrealized = {m: s.unrealized_pnl for m, s in states.items()}
    rows = tables.pnl_rows(realized, fees, fills, unrealized, held)
    emit(args, rows, tables.pnl_text(rows), {"total": tables.as_json([tables.pnl_total(rows)])[0]})
    return 0
