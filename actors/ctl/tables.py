"""The listings of ``actors.ctl`` (``status``, ``positions``, ``orders``, ``pnl``), pure: what was heard
on the bus, what supervisord reports and inventory's journal in; rows, a text table and JSON out.

Money, prices and sizes stay integers in 1e-6 units in the rows and in ``--json``; the text table shows
them as decimals. Times are passed in (ns).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from schemas import Fill, Heartbeat, InventoryState, Lease, OpenOrder, Settlement
from schemas.units import MICRO, NS

ALIVE_S = 3.0  # three heartbeats missed: dead (bus.md)
ELSEWHERE = "elsewhere"  # not started by this host's supervisord, heard on the bus: another host runs it


@dataclass(frozen=True, slots=True)
class ProgramRow:
    program: str  # the bus name: executor, market:btc-updown-15m ...
    state: str  # supervisord's statename, "-" when supervisord does not run it (or is not reachable)
    pid: int
    uptime_s: int
    restarts: int  # exits supervisord logged for it (var/log/supervisord.log)
    heartbeat_age_s: float | None  # None: no heartbeat heard
    ready: bool
    gaps: int
    on_demand: bool = False  # autostart=false: not started unless asked (the tap, another host's program)

    @property
    def ok(self) -> bool:
        """Running and heartbeating (the venue has no heartbeat: running is enough); a program started only
        on demand may also be stopped."""
        alive = self.heartbeat_age_s is not None and self.heartbeat_age_s < ALIVE_S
        if self.program == "venue":
            return self.state == "RUNNING"
        if self.on_demand and self.state == "STOPPED":
            return True
        return alive and self.state in ("RUNNING", "-", ELSEWHERE)


def bus_name(group: str, name: str) -> str:
    """supervisord's ``group:name`` -> the program's bus name (coordinators keep ``market:``)."""
    return f"market:{name}" if group == "market" else name


def status_rows(processes: Iterable[Mapping[str, Any]], heartbeats: Mapping[str, tuple[Heartbeat, int]],
                restarts: Mapping[str, int], now_ns: int) -> list[ProgramRow]:
    """One row per program supervisord runs, plus every program heard on the bus that it does not
    (``heartbeats``: program -> (its newest heartbeat, its publish time ns); ``restarts``: supervisord's
    bare program name -> exits logged)."""
    rows: dict[str, ProgramRow] = {}
    for p in processes:
        name = bus_name(str(p["group"]), str(p["name"]))
        hb = heartbeats.get(name)
        running = p.get("statename") == "RUNNING"
        state = str(p.get("statename", "?"))
        if state == "STOPPED" and hb is not None and (now_ns - hb[1]) / NS < ALIVE_S:
            state = ELSEWHERE
        rows[name] = ProgramRow(
            program=name, state=state, pid=int(p.get("pid") or 0),
            uptime_s=max(0, int(p.get("now", 0)) - int(p.get("start", 0))) if running else 0,
            restarts=restarts.get(str(p["name"]), 0),
            heartbeat_age_s=None if hb is None else round((now_ns - hb[1]) / NS, 1),
            ready=bool(hb and hb[0].ready), gaps=hb[0].gaps if hb else 0,
            on_demand=not p.get("autostart", True))
    for name, (msg, at) in heartbeats.items():
        if name not in rows:
            rows[name] = ProgramRow(program=name, state="-", pid=msg.pid, uptime_s=0, restarts=0,
                                    ready=msg.ready,
                                    heartbeat_age_s=round((now_ns - at) / NS, 1), gaps=msg.gaps)
    return sorted(rows.values(), key=lambda r: (r.program.startswith("market:"), r.program))


def count_restarts(supervisord_log: str) -> dict[str, int]:
    """``exited: <name> (...)`` lines of supervisord's log, per bare program name (as supervisord logs it:
    ``executor``, a coordinator's name in deploy/markets.conf)."""
    counts: dict[str, int] = {}
    for line in supervisord_log.splitlines():
        marker = line.find(" exited: ")
        if marker < 0:
            continue
        name = line[marker + len(" exited: "):].split(" ", 1)[0]
        counts[name] = counts.get(name, 0) + 1
    return counts


@dataclass(frozen=True, slots=True)
class PositionRow:
    market: str  # condition id
    name: str  # the coordinator holding it ("" when none is heard)
    yes_qty: int
    yes_avg: int
    no_qty: int
    no_avg: int
    net: int
    resolved: bool


def position_rows(states: Iterable[InventoryState], names: Mapping[str, str]) -> list[PositionRow]:
    return sorted((PositionRow(market=s.market, name=names.get(s.market, ""), yes_qty=s.yes_qty,
                               yes_avg=s.yes_avg_cost, no_qty=s.no_qty, no_avg=s.no_avg_cost,
                               net=s.net_diff, resolved=s.resolved)
                   for s in states), key=lambda r: (r.name == "", r.name, r.market))


def lease_names(leases: Iterable[Lease]) -> dict[str, str]:
    """Condition id -> the coordinator(s) holding it (comma-joined when two hold one market)."""
    out: dict[str, set[str]] = {}
    for lease in leases:
        out.setdefault(lease.market, set()).add(lease.holder)
    return {m: ",".join(sorted(h)) for m, h in out.items()}


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: str
    holder: str
    market: str
    asset: str
    side: str
    price: int
    size: int
    size_matched: int
    slot: str
    post_only: bool


def order_rows(orders: Iterable[OpenOrder], holder: str = "") -> list[OrderRow]:
    return sorted((OrderRow(o.order_id, o.holder, o.market, o.asset, o.side, o.price, o.size, o.size_matched,
                            o.slot, o.post_only)
                   for o in orders if not holder or o.holder == holder),
                  key=lambda r: (r.holder, r.market, r.slot, r.price))


@dataclass(frozen=True, slots=True)
class PnlRow:
    market: str
    name: str
    realized: int
    unrealized: int | None  # None: inventory's state not heard (no mark)
    rewards: int  # not journalled yet: 0
    fees: int
    fills: int

    @property
    def total(self) -> int:
        return self.realized + (self.unrealized or 0) + self.rewards - self.fees


def fees_by_market(events: Iterable[Fill | Settlement]) -> tuple[dict[str, int], dict[str, int]]:
    """Fees paid and fills counted per market, from the journal's events: a fill is one (trade, order),
    journalled once per status it reaches (MATCHED, MINED, CONFIRMED), counted once; FAILED undoes it."""
    counted: dict[tuple[str, str], Fill] = {}
    for e in events:
        if not isinstance(e, Fill):
            continue
        key = (e.trade_id, e.order_id)
        if e.status == "FAILED":
            counted.pop(key, None)
        else:
            counted.setdefault(key, e)
    fees: dict[str, int] = {}
    fills: dict[str, int] = {}
    for f in counted.values():
        fees[f.market] = fees.get(f.market, 0) + f.fee
        fills[f.market] = fills.get(f.market, 0) + 1
    return fees, fills


def pnl_rows(realized: Mapping[str, int], fees: Mapping[str, int], fills: Mapping[str, int],
             unrealized: Mapping[str, int], names: Mapping[str, str]) -> list[PnlRow]:
    markets = sorted(set(realized) | set(fees) | set(unrealized))
    rows = [PnlRow(market=m, name=names.get(m, ""), realized=realized.get(m, 0), unrealized=unrealized.get(m),
                   rewards=0, fees=fees.get(m, 0), fills=fills.get(m, 0)) for m in markets]
    return sorted(rows, key=lambda r: (r.name == "", r.name, r.market))


def pnl_total(rows: Sequence[PnlRow]) -> PnlRow:
    return PnlRow(market="TOTAL", name="", realized=sum(r.realized for r in rows),
                  unrealized=sum(r.unrealized or 0 for r in rows), rewards=sum(r.rewards for r in rows),
                  fees=sum(r.fees for r in rows), fills=sum(r.fills for r in rows))


# -- output ------------------------------------------------------------------------------------------


def as_json(rows: Iterable[Any]) -> list[dict[str, Any]]:
    return [asdict(r) for r in rows]


def dec(units: int | None, places: int = 4) -> str:
    """1e-6 units as a decimal, trailing zeros kept to ``places`` ("?" for unknown)."""
    return "?" if units is None else f"{units / MICRO:.{places}f}"


def short(identifier: str, width: int = 12) -> str:
    return identifier if len(identifier) <= width else identifier[:width - 2] + ".."


def render(headers: Sequence[str], cells: Iterable[Sequence[object]]) -> str:
    """An aligned text table (numbers right-aligned)."""
    body = [[str(c) for c in row] for row in cells]
    widths = [max([len(h), *(len(r[i]) for r in body)]) for i, h in enumerate(headers)]

    def line(row: Sequence[str]) -> str:
        out = []
        for i, cell in enumerate(row):
            numeric = cell.replace(".", "", 1).replace("-", "", 1).isdigit()
            out.append(cell.rjust(widths[i]) if numeric else cell.ljust(widths[i]))
        return "  ".join(out).rstrip()

    return "\n".join([line(list(headers)), *(line(r) for r in body)])


def status_text(rows: Sequence[ProgramRow]) -> str:
    def age(r: ProgramRow) -> str:
        return "-" if r.heartbeat_age_s is None else f"{r.heartbeat_age_s:.1f}s"

    def uptime(r: ProgramRow) -> str:
        return f"{r.uptime_s}s" if r.state == "RUNNING" else "-"

    return render(("program", "state", "pid", "uptime", "restarts", "heartbeat", "ready", "gaps", "ok"),
                  [(r.program, r.state, r.pid or "-", uptime(r), r.restarts, age(r),
                    "yes" if r.ready else "no", r.gaps, "✓" if r.ok else "✗") for r in rows])


def positions_text(rows: Sequence[PositionRow]) -> str:
    return render(("coordinator", "market", "yes", "yes_avg", "no", "no_avg", "net", "resolved"),
                  [(r.name or "-", short(r.market), dec(r.yes_qty, 2), dec(r.yes_avg), dec(r.no_qty, 2),
                    dec(r.no_avg), dec(r.net, 2), "yes" if r.resolved else "no") for r in rows])


def orders_text(rows: Sequence[OrderRow]) -> str:
    return render(("holder", "slot", "side", "price", "size", "matched", "market", "order"),
                  [(r.holder, r.slot or "-", r.side, dec(r.price), dec(r.size, 2), dec(r.size_matched, 2),
                    short(r.market), short(r.order_id, 14)) for r in rows])


def pnl_text(rows: Sequence[PnlRow]) -> str:
    total = pnl_total(rows)
    return render(("coordinator", "market", "realised", "unrealised", "rewards", "fees", "total", "fills"),
                  [(r.name or "-", short(r.market), dec(r.realized), dec(r.unrealized), dec(r.rewards),
                    dec(r.fees), dec(r.total), r.fills) for r in [*rows, total]])
