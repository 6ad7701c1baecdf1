"""``python -m backtest run|sweep|compare``: the command line of the backtester.

``run --data FILE... [--strategy S] [--set PM_X=V ...] --report out.html``: one backtest, the HTML report
and its JSON summary (``out.json`` beside it). ``sweep --data FILE... --grid PM_X=a,b,c ...``: every
combination of the grids, one process per core, a table ranked by PnL per unit of inventory risk
(``--out table.md``; the JSON rows beside it). ``compare --data FILE...``: a recording made while the engine
traded, backtested with the latency measured in it, next to what the engine did (``backtest.compare``).
Latencies default to the measured tick-to-order p50 (``bench/results.json``) for entry and cancel;
``--entry-ms``, ``--cancel-ms``, ``--md-ms`` override.
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import sys
from typing import Any

from backtest import engine, recfile, report
from bus.config import ConfigError


def pairs(items: list[str], what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"{what}: expected NAME=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def sim_params(args: argparse.Namespace) -> engine.SimParams:
    measured = engine.bench_latency_ns()
    ms = 1_000_000
    return engine.SimParams(
        entry_ns=int(args.entry_ms * ms) if args.entry_ms is not None else measured,
        cancel_ns=int(args.cancel_ms * ms) if args.cancel_ms is not None else measured,
        md_ns=int(args.md_ms * ms), queue_power=args.queue_power, evaluate_timer=args.evaluate_timer)


def common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", nargs="+", required=True, help="recordings (*.pmrec.zst), oldest first")
    p.add_argument("--strategy", default=None, help="PM_STRATEGY (pair_ofi or neutral)")
    p.add_argument("--set", action="append", default=[], metavar="PM_X=V", help="a setting (repeatable)")
    p.add_argument("--entry-ms", type=float, default=None,
                   help="decision -> order rests (default: bench p50)")
    p.add_argument("--cancel-ms", type=float, default=None,
                   help="decision -> cancel done (default: bench p50)")
    p.add_argument("--md-ms", type=float, default=0.3, help="exchange -> coordinator (default 0.3)")
    p.add_argument("--queue-power", type=float, default=2.0,
                   help="queue model: f(x) = x**n in the cancellation split (default 2)")
    p.add_argument("--evaluate-timer", action="store_true", help="also act on every PM_EVALUATE_MS tick")


def settings_of(args: argparse.Namespace) -> dict[str, str]:
    env = pairs(args.set, "--set")
    if args.strategy:
        env["PM_STRATEGY"] = args.strategy
    return env


def cmd_run(args: argparse.Namespace) -> int:
    rec = recfile.load(args.data)
    res = engine.Backtest(settings_of(args), sim_params(args)).run(rec)
    s = report.write(res, args.report, args.json)
    sys.stdout.write(json.dumps({k: s[k] for k in ("pnl_usd", "pnl_per_inventory_risk", "fills", "commands",
                                                   "post_only_rejects", "events", "wall_s", "events_per_s")})
                     + "\n")
    return 0


_REC: recfile.Recording | None = None


def _init(paths: list[str]) -> None:
    global _REC
    _REC = recfile.load(paths)


def _one(job: tuple[dict[str, str], engine.SimParams]) -> dict[str, Any]:
    env, sim = job
    assert _REC is not None
    res = engine.Backtest(env, sim).run(_REC)
    s = report.summary(res)
    return {"params": env, "pnl_usd": s["pnl_usd"]["total"],
            "pnl_per_inventory_risk": s["pnl_per_inventory_risk"],
            "inventory_risk_shares": s["inventory_risk_shares"], "fills": s["fills"],
            "rewards_usd": s["pnl_usd"]["rewards"], "markout_5s": s["markouts"]["5s"]["per_share_usd"]}


def grid(base: dict[str, str], grids: list[str]) -> list[dict[str, str]]:
    axes: list[tuple[str, list[str]]] = []
    for g in grids:
        key, sep, values = g.partition("=")
        if not sep or not values:
            raise SystemExit(f"--grid: expected NAME=a,b,c, got {g!r}")
        axes.append((key.strip(), [v.strip() for v in values.split(",") if v.strip()]))
    return [{**base, **dict(zip([k for k, _ in axes], combo, strict=True))}
            for combo in itertools.product(*[vs for _, vs in axes])]


def cmd_sweep(args: argparse.Namespace) -> int:
    jobs = [(env, sim_params(args)) for env in grid(settings_of(args), args.grid)]
    procs = args.processes or os.cpu_count() or 1
    # spawn, not fork: a fork of a process with threads (ZeroMQ, a test runner) can inherit a held lock
    with multiprocessing.get_context("spawn").Pool(min(procs, len(jobs)), _init, (args.data,)) as pool:
        rows = pool.map(_one, jobs)
    rows.sort(key=lambda r: r["pnl_per_inventory_risk"], reverse=True)
    keys = [g.partition("=")[0].strip() for g in args.grid]
    lines = ["| rank | " + " | ".join(keys) + " | PnL USD | PnL / inventory risk | mean abs(net) | fills | "
             "rewards USD | markout 5s /share |",
             "|" + "---|" * (len(keys) + 7)]
    for i, r in enumerate(rows, 1):
        lines.append(f"| {i} | " + " | ".join(r["params"][k] for k in keys) +
                     f" | {r['pnl_usd']:.4f} | {r['pnl_per_inventory_risk']:.4f}"
                     f" | {r['inventory_risk_shares']:.2f}"
                     f" | {r['fills']} | {r['rewards_usd']:.4f} | {r['markout_5s']:.4f} |")
    text = "\n".join(lines) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
        with open(args.out.rsplit(".", 1)[0] + ".json", "w") as f:
            json.dump(rows, f, indent=2)
    sys.stdout.write(text)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    """The backtest of a recording made with the engine running, next to what the engine did."""
    from backtest import compare

    rec = recfile.load(args.data)
    sim = sim_params(args)
    if args.entry_ms is None and args.cancel_ms is None:  # what the recording measured (else as given)
        sim = compare.measured_sim(rec, sim, latency="median" if args.latency_median else args.latency)
    if args.seeds is not None and args.seeds < 1:
        raise ValueError(f"--seeds must be at least 1, not {args.seeds}")
    results = compare.runs(rec, settings_of(args), sim, args.seeds)
    out = compare.compare_runs(rec, results)
    if args.report:
        report.write(compare.median_run(results), args.report)
    sys.stdout.write(json.dumps(out, indent=2) + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=2)
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m backtest", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="one backtest and its report")
    common(r)
    r.add_argument("--report", default="backtest-report.html")
    r.add_argument("--json", default=None, help="the summary (default: the report's name, .json)")
    s = sub.add_parser("sweep", help="a parameter grid, in parallel, ranked")
    common(s)
    s.add_argument("--grid", action="append", required=True, metavar="PM_X=a,b", help="one axis (repeatable)")
    s.add_argument("--processes", type=int, default=0, help="worker processes (default: one per core)")
    s.add_argument("--out", default=None, help="the ranked table (markdown; JSON rows beside it)")
    c = sub.add_parser("compare", help="backtest a recording of the engine and compare with what it did")
    common(c)
    c.add_argument("--report", default=None, help="also the backtest's report")
    c.add_argument("--json", default=None, help="write the comparison here too")
    c.add_argument("--latency", choices=("timeline", "draw", "median"), default="timeline",
                   help="the recorded entry / cancel latencies: each decision takes the live one nearest in "
                        "time (timeline, the default), draws one (draw), or their median (median)")
    c.add_argument("--latency-median", action="store_true", help="the same as --latency median")
    c.add_argument("--seeds", type=int, default=None,
                   help="backtest runs, one latency seed each; the median run is compared "
                        "(default 9 when latencies are drawn, else 1: nothing else is random)")
    args = p.parse_args(argv)
    try:
        return {"run": cmd_run, "sweep": cmd_sweep, "compare": cmd_compare}[args.cmd](args)
    except ConfigError as exc:
        sys.stderr.write(f"backtest: config error: {exc}\n")
        return 2
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"backtest: {exc}\n")
        return 1
