"""The dashboard's screen from a ``View`` (pure: rich renderables, no terminal I/O). Prices are shown as
fractions of 1, sizes in shares, money in USD."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from actors.dash.core import MarketRow, Quote, Top, View
from actors.dash.keys import HELP, Ui

MODE_STYLE = {"balanced": "green", "quoting": "green", "hedge": "yellow", "kill": "red", "blocked": "red",
              "halted": "red", "withdrawn": "dim", "rotating": "cyan"}


def px(units: int) -> str:
    return f"{units / 1e6:.3f}" if units else "-"


def qty(units: int) -> str:
    return f"{units / 1e6:.1f}"


def usd(units: int) -> str:
    return f"{units / 1e6:+.2f}"


def book(t: Top | None) -> str:
    if t is None:
        return "no book"
    return f"{px(t.bid)} x{qty(t.bid_size)} / {px(t.ask)} x{qty(t.ask_size)}"


def quote(q: Quote) -> str:
    if not q.size:
        return f"{q.slot} {px(q.price)} (wanted)"
    ahead = "?" if q.ahead is None else qty(q.ahead)
    return f"{q.slot} {px(q.price)} x{qty(q.size)} ahead {ahead}"


def markets(rows: tuple[MarketRow, ...]) -> Table:
    t = Table(title="markets", expand=True, title_justify="left", show_lines=True)
    for name in ("market", "mode", "books yes | no", "our quotes", "inventory", "pnl", "ofi", "risk"):
        t.add_column(name, overflow="fold")
    for r in rows:
        style = "red" if r.halted else MODE_STYLE.get(r.mode, "")
        mode = Text(f"{r.mode or '?'}\n", style=style)
        mode.append(f"{r.reason}\n{r.strategy}", style="dim")
        inventory = (f"yes {qty(r.yes_qty)} @{px(r.yes_avg)}\nno  {qty(r.no_qty)} @{px(r.no_avg)}\n"
                     f"net {qty(r.net)}")
        pnl = f"real {usd(r.realized)}\nunrl {usd(r.unrealized)}\n{r.spark}"
        ofi = f"yes {qty(r.ofi_yes)}\nno  {qty(r.ofi_no)}" + ("\nTOXIC" if r.toxic else "")
        risk = r.risk or "ok"
        if r.rewards:
            risk += f"\n{r.rewards}"
        t.add_row(Text(f"{r.name}\n{r.condition[:12]}.."), mode, Text(f"{book(r.yes)}\n{book(r.no)}"),
                  Text("\n".join(quote(q) for q in r.quotes) or "none"), Text(inventory), Text(pnl),
                  Text(ofi), Text(risk, style="red" if r.halted else ""))
    return t


def programs(view: View) -> Table:
    t = Table(title="programs", title_justify="left")
    for name in ("program", "heartbeat", "restarts", "gaps", "ready"):
        t.add_column(name)
    for p in view.programs:
        t.add_row(Text(p.program), Text(f"{p.age_s:.1f}s", style="red" if p.age_s > 3 else ""),
                  str(p.restarts), str(p.gaps), "yes" if p.ready else "no")
    return t


def executor(view: View) -> Text:
    rejected = ", ".join(f"{k} {n}" for k, n in view.rejections) or "none"
    return Text(f"executor: {view.executor or 'not heard'}\nrejections: {rejected}")


def events(view: View, ui: Ui, height: int) -> Table:
    t = Table(title=f"risk events and adjustments ({len(view.events)})", expand=True, title_justify="left")
    for name in ("source", "kind", "what"):
        t.add_column(name, overflow="ellipsis", no_wrap=True)
    for e in view.events[ui.scroll:ui.scroll + max(1, height)]:
        t.add_row(Text(e.source), Text(e.kind), Text(e.text))  # Text: never read as rich markup
    return t


def screen(view: View, ui: Ui, clock: str, height: int) -> RenderableType:
    head = Text(f"pm-maker dash · {clock} · {view.messages} msgs · gaps {view.gaps}", style="bold")
    if ui.typing:
        head.append(f" · filter: {ui.filter}_", style="yellow")
    elif ui.filter:
        head.append(f" · filter: {ui.filter}", style="yellow")
    market_lines = 4 * max(1, len(view.markets)) + 4
    left = max(3, height - market_lines - len(view.programs) - 14)
    empty = f"no market matches {view.filter!r}" if view.filter else "no market heard yet"
    table = markets(view.markets) if view.markets else Text(empty)
    return Group(head, table, programs(view), executor(view), events(view, ui, left),
                 Text(HELP, style="reverse" if ui.help else "dim"))
