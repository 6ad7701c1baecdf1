"""The backtest report: a JSON summary and one self-contained HTML page (inline SVG charts drawn here, no
plotting dependency, no external file). Pure: a ``Result`` in, text out.

Sections: the headline figures, PnL over time (realised, unrealised, rewards, fees, total), inventory per
leg, our quotes against the YES mid, fills, markouts at 1, 5, 30 and 60 s (adverse selection: the mid
that long after a fill against the fill's price, per share, positive = the fill was worth it), time in
each coordinator mode, risk events and the parameter table.
"""

from __future__ import annotations

import bisect
import html
import json
from dataclasses import asdict
from typing import Any

from backtest.engine import FillRow, Result
from schemas.units import NS, ONE

HORIZONS_S = (1, 5, 30, 60)
W, H, PAD = 860, 220, 44
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")


def usd(units: int | float) -> float:
    return round(units / ONE, 6)


def mid_at(series: list[tuple[int, int]], times: list[int], t: int) -> int | None:
    """The last mid at or before ``t``."""
    i = bisect.bisect_right(times, t) - 1
    return series[i][1] if i >= 0 else None


def markouts(res: Result) -> dict[str, dict[str, float]]:
    """Per horizon: fills measured, mean markout per share (USD) and the total (USD)."""
    times = {cid: [t for t, _ in s] for cid, s in res.mids.items()}
    out: dict[str, dict[str, float]] = {}
    for h in HORIZONS_S:
        total = shares = 0.0
        n = 0
        for f in res.fills:
            series = res.mids.get(f.market)
            if not series:
                continue
            yes_mid = mid_at(series, times[f.market], f.ts + h * NS)
            if yes_mid is None:
                continue
            mid = yes_mid if f.leg == "yes" else ONE - yes_mid
            edge = (mid - f.price) if f.side == "BUY" else (f.price - mid)
            total += edge * f.size / ONE
            shares += f.size / ONE
            n += 1
        out[f"{h}s"] = {"fills": n, "per_share_usd": round(total / shares / ONE, 6) if shares else 0.0,
                        "total_usd": round(total / ONE, 6)}
    return out


def inventory_risk(res: Result) -> float:
    """Mean |YES - NO| shares held over the run, plus one share (so a flat run does not divide by 0)."""
    if not res.inventory:
        return 1.0
    return 1.0 + sum(abs(y - n) for _, y, n in res.inventory) / len(res.inventory) / ONE


def summary(res: Result) -> dict[str, Any]:
    last = res.pnl[-1] if res.pnl else (0, 0, 0, 0, 0)
    realised, unrealised, rewards_, fees = last[1], last[2], last[3], last[4]
    total = realised + unrealised + rewards_ - fees
    volume = sum(f.price * f.size // ONE for f in res.fills)
    return {
        "pnl_usd": {"total": usd(total), "realised": usd(realised), "unrealised": usd(unrealised),
                    "rewards": usd(rewards_), "fees": usd(fees)},
        "pnl_per_inventory_risk": round(usd(total) / inventory_risk(res), 6),
        "inventory_risk_shares": round(inventory_risk(res) - 1.0, 4),
        "fills": len(res.fills),
        "fill_shares": round(sum(f.size for f in res.fills) / ONE, 2),
        "volume_usd": usd(volume),
        "fills_by_reason": {r: sum(1 for f in res.fills if f.reason == r)
                            for r in ("trade", "through", "cross")},
        "commands": len(res.commands),
        "post_only_rejects": res.rejects,
        "markouts": markouts(res),
        "modes_s": {m: round(ns / NS, 3) for m, ns in sorted(res.modes.items())},
        "risk_events": len(res.risk_events),
        "final_inventory_shares": {"yes": usd(res.inventory[-1][1]) if res.inventory else 0,
                                   "no": usd(res.inventory[-1][2]) if res.inventory else 0},
        "markets": {cid: m.slug for cid, m in res.markets.items()},
        "params": dict(sorted(res.params.items())),
        "sim": asdict(res.sim),
        "events": res.events, "frames": res.frames, "wall_s": round(res.wall_s, 3),
        "events_per_s": round(res.events / res.wall_s) if res.wall_s > 0 else 0,
    }


# -- SVG ------------------------------------------------------------------------------------------

def _thin(points: list[tuple[float, float]], limit: int = 1500) -> list[tuple[float, float]]:
    """At most ``limit`` points (evenly picked; the last kept): a page that opens at once."""
    if len(points) <= limit:
        return points
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit)] + [points[-1]]


Points = list[tuple[float, float | None]]  # y None: a gap (the line is broken there)


def segments(points: Points) -> list[list[tuple[float, float]]]:
    out: list[list[tuple[float, float]]] = [[]]
    for x, y in points:
        if y is None:
            if out[-1]:
                out.append([])
        else:
            out[-1].append((x, y))
    return [s for s in out if s]


def chart(title: str, series: list[tuple[str, Points]], unit: str,
          dots: list[tuple[str, list[tuple[float, float]]]] | None = None) -> str:
    """A line chart (time in minutes on x) as an inline SVG element."""
    every = [(x, y) for _, pts in series for x, y in pts if y is not None] + \
        [p for _, pts in (dots or []) for p in pts]
    if not every:
        return f"<h3>{html.escape(title)}</h3><p>(no data)</p>"
    x0, x1 = min(p[0] for p in every), max(p[0] for p in every)
    y0, y1 = min(p[1] for p in every), max(p[1] for p in every)
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y0, y1 = y0 - 1, y1 + 1

    def sx(x: float) -> float:
        return PAD + (x - x0) / (x1 - x0) * (W - 2 * PAD)

    def sy(y: float) -> float:
        return H - PAD / 2 - (y - y0) / (y1 - y0) * (H - PAD)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 20}" role="img">',
             f'<rect x="{PAD}" y="{PAD / 2}" width="{W - 2 * PAD}" height="{H - PAD}" fill="#fafafa" '
             'stroke="#ccc"/>']
    for k in range(5):
        yv = y0 + (y1 - y0) * k / 4
        parts.append(f'<text x="{PAD - 4}" y="{sy(yv) + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{yv:.4g}</text>')
        xv = x0 + (x1 - x0) * k / 4
        parts.append(f'<text x="{sx(xv):.1f}" y="{H + 4}" font-size="10" '
                     f'text-anchor="middle">{xv:.1f} min</text>')
    if y0 < 0 < y1:
        parts.append(f'<line x1="{PAD}" x2="{W - PAD}" y1="{sy(0):.1f}" y2="{sy(0):.1f}" stroke="#999" '
                     'stroke-dasharray="3,3"/>')
    legend_x = PAD + 8.0
    for i, (name, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        for seg in segments(pts):
            path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in _thin(seg))
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.4" points="{path}"/>')
        parts.append(f'<text x="{legend_x:.0f}" y="{PAD / 2 + 12}" font-size="11" fill="{colour}">'
                     f'{html.escape(name)}</text>')
        legend_x += 7.5 * len(name) + 18
    for j, (name, dpts) in enumerate(dots or []):
        colour = COLOURS[(len(series) + j) % len(COLOURS)]
        for x, y in _thin(dpts, 800):
            parts.append(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="{colour}"/>')
        parts.append(f'<text x="{legend_x:.0f}" y="{PAD / 2 + 12}" font-size="11" '
                     f'fill="{colour}">{html.escape(name)}</text>')
        legend_x += 7.5 * len(name) + 18
    parts.append("</svg>")
    return f"<h3>{html.escape(title)} <small>({html.escape(unit)})</small></h3>" + "".join(parts)


def table(rows: list[tuple[str, Any]] | list[list[Any]], head: list[str] | None = None) -> str:
    out = ["<table>"]
    if head:
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in head) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def render_html(res: Result, s: dict[str, Any] | None = None) -> str:
    s = s or summary(res)
    t0 = res.pnl[0][0] if res.pnl else 0

    def m(t: int) -> float:
        return (t - t0) / NS / 60

    pnl = res.pnl
    charts = [
        chart("PnL over time", [
            ("total", [(m(t), (r + u + w - f) / ONE) for t, r, u, w, f in pnl]),
            ("realised", [(m(t), r / ONE) for t, r, _, _, _ in pnl]),
            ("unrealised", [(m(t), u / ONE) for t, _, u, _, _ in pnl]),
            ("rewards", [(m(t), w / ONE) for t, _, _, w, _ in pnl]),
            ("fees", [(m(t), f / ONE) for t, _, _, _, f in pnl])], "USD"),
        chart("Inventory per leg", [("YES", [(m(t), y / ONE) for t, y, _ in res.inventory]),
                                    ("NO", [(m(t), n / ONE) for t, _, n in res.inventory])], "shares"),
        chart("Our quotes against the YES mid", [
            ("YES mid", [(m(t), mid / ONE) for t, mid, _, _ in res.quotes]),
            ("our YES bid", [(m(t), b / ONE if b else None) for t, _, b, _ in res.quotes]),
            ("our YES ask (1 - NO bid)", [(m(t), a / ONE if a else None) for t, _, _, a in res.quotes])],
            "price",
            dots=[("fills (YES terms)", [(m(f.ts), _yes_price(f) / ONE) for f in res.fills])]),
    ]
    head = [("total PnL", f"{s['pnl_usd']['total']:.4f} USD"), ("realised", s["pnl_usd"]["realised"]),
            ("unrealised", s["pnl_usd"]["unrealised"]), ("rewards", s["pnl_usd"]["rewards"]),
            ("fees", s["pnl_usd"]["fees"]), ("PnL per unit of inventory risk", s["pnl_per_inventory_risk"]),
            ("fills", s["fills"]), ("volume", f"{s['volume_usd']} USD"), ("commands", s["commands"]),
            ("post-only rejects", s["post_only_rejects"]),
            ("events / wall time", f"{s['events']} in {s['wall_s']} s ({s['events_per_s']}/s)")]
    mk = [[h, v["fills"], v["per_share_usd"], v["total_usd"]] for h, v in s["markouts"].items()]
    modes = [[k, v] for k, v in s["modes_s"].items()]
    fills = [[f"{m(f.ts):.2f}", f.leg, f.side, f.price / ONE, f.size / ONE, f.reason, f.slot]
             for f in res.fills[:500]]
    risk = [[f"{m(e['ts']):.2f}", e["type"], e.get("kind", e.get("field", "")),
             e.get("message", e.get("reason", ""))] for e in res.risk_events[:200]]
    params = [[k, v] for k, v in sorted(res.params.items())] + \
        [[f"sim.{k}", v] for k, v in asdict(res.sim).items()]
    body = "".join([
        "<h1>Backtest report</h1>",
        f"<p>markets: {html.escape(', '.join(sorted(s['markets'].values())))}</p>",
        "<h2>Headline</h2>", table(head),
        "<h2>Charts</h2>", *charts,
        "<h2>Markouts (adverse selection)</h2>",
        table(mk, ["horizon", "fills", "USD per share", "USD total"]),
        "<h2>Time in each mode</h2>", table(modes, ["mode", "seconds"]),
        "<h2>Fills</h2>", table(fills, ["min", "leg", "side", "price", "size", "how", "slot"]),
        f"<h2>Risk events ({len(res.risk_events)})</h2>",
        table(risk, ["min", "type", "kind", "message"]) if risk else "<p>none</p>",
        "<h2>Parameters</h2>", table(params, ["name", "value"]),
    ])
    style = ("body{font-family:sans-serif;max-width:900px;margin:1em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ddd;padding:2px 8px;"
             "font-size:13px;text-align:left}h3{margin-bottom:0}")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>Backtest report</title>"
            f"<style>{style}</style></head><body>{body}</body></html>\n")


def _yes_price(f: FillRow) -> int:
    return f.price if f.leg == "yes" else ONE - f.price


def write(res: Result, html_path: str, json_path: str | None = None) -> dict[str, Any]:
    s = summary(res)
    with open(html_path, "w") as f:
        f.write(render_html(res, s))
    jp = json_path or (html_path.rsplit(".", 1)[0] + ".json")
    with open(jp, "w") as f:
        json.dump(s, f, indent=2)
        f.write("\n")
    return s
