"""``python -m bench`` (``make bench``): every performance figure in one run, printed as a table and
written to ``bench/results.json``.

1. tick to order through the whole multi-process system (``bench.latency``), next to the same pipeline
   in one process (``bench.floor``) and a bare bus hop (``bench.zmqhop``); per-stage stamps in a
   second, shorter run (it adds a bus subscriber, so it is kept out of the headline figures);
2. signing: µs per order, ours vs the official SDK (``bench/sign.py``);
3. market-feed throughput at <= 5 ms added lag, and a burst of books at the coordinator
   (``bench.feedrate``);
4. memory per program and in total; 5. cold start to the first resting quote.

Options: ``--events N`` (default 5000), ``--quick`` (small counts, for a smoke test), ``--out FILE``.
Timings are only measured here, never asserted in tests. The machine is shared: the table shows how
busy it was with other work while the system ran (``other_busy_pct``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from bench import ab, feedrate, floor, iofloor, latency, zmqhop
from bench import backtest as backtest_bench
from bench.system import SLUG, BusTap, System, cpu_s, cpu_us_per_event
from bus import topics
from schemas.units import NS

ROOT = Path(__file__).resolve().parents[1]
QUIET_SETTLE_MS = 15  # a second pacing: on this VM a quieter machine answers slower (cold caches)
GOALS = {"tick_p50": 1000, "tick_p99": 3000, "io_ratio": 2.0, "sign_us": 150, "sign_speedup": 8,
         "feed": 30_000, "rss_mb": 60, "cold_s": 5.0}


def machine() -> dict[str, Any]:
    model, virtual = "", False
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and not model:
                model = line.split(":", 1)[1].strip()
            virtual = virtual or (line.startswith("flags") and " hypervisor" in line)
    return {"cores": os.cpu_count(), "cpu_model": model, "virtual_machine": virtual,
            "kernel": platform.release(), "python": platform.python_version(),
            "loadavg_at_start": os.getloadavg()[0]}


class CpuWatch:
    """How busy the whole machine was, and how much of that was not our processes."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.start = self._sample()

    def _sample(self) -> tuple[int, int, int]:
        with open("/proc/stat") as f:
            ticks = list(map(int, f.readline().split()[1:]))
        ours = 0
        for pid in self.pids:
            with contextlib.suppress(OSError), open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
                ours += int(fields[11]) + int(fields[12])
        return sum(ticks), ticks[3] + ticks[4], ours

    def result(self) -> dict[str, float]:
        total, idle, ours = (b - a for a, b in zip(self.start, self._sample(), strict=True))
        busy = total - idle
        return {"busy_pct": round(100 * busy / max(total, 1), 1),
                "ours_pct": round(100 * ours / max(total, 1), 1),
                "other_busy_pct": round(100 * max(0, busy - ours) / max(total, 1), 1)}


def sign_figures(n: int) -> dict[str, float]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("bench_sign", ROOT / "bench" / "sign.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with contextlib.redirect_stdout(io.StringIO()):
        return dict(module.main(n))


def system_figures(events: int, warmup: int, staged: int, rates: list[int], bursts: int) -> dict[str, Any]:
    system = System()
    try:
        system.start()
        system.wait_venue()
        _, yes, no = system.tokens(SLUG)
        first = latency.start_quoting(system, yes, no)
        posts = [t for t, key, _ in first["requests"] if key.startswith("POST")]
        cold = {"cold_start_s": round((posts[0] - system.started_ns) / NS, 3)}
        time.sleep(1.0)  # let start-up traffic (back-fills, first heartbeats) die down
        pids = [p.pid for p in system.procs.values()] + [os.getpid()]
        watch = CpuWatch(pids)
        before = {**system.cpu_seconds(), "bench": cpu_s(os.getpid())}
        headline = latency.summary(latency.run(system, None, yes, no, events, warmup))
        headline["machine_during"] = watch.result()
        headline["cpu_us_per_event"] = cpu_us_per_event(
            before, {**system.cpu_seconds(), "bench": cpu_s(os.getpid())}, events + warmup)
        quiet = latency.summary(latency.run(system, None, yes, no, max(100, events // 5), 50,
                                            settle_ms=QUIET_SETTLE_MS))
        memory = system.memory_mb()
        tap = BusTap(system.bus, [topics.md_book(yes), topics.md_book(no), topics.prefix("exec", "cmd"),
                                  topics.prefix("exec", "event")])
        try:
            stages = latency.summary(latency.run(system, tap, yes, no, staged, 50))
            stages["pipelined_share"] = latency.pipelined_share(tap)
        finally:
            tap.close()
        watch = CpuWatch(pids)
        burst = feedrate.burst(system, yes, no, bursts=bursts)
        feed = feedrate.throughput(system, rates)
        feed["machine_during"] = watch.result()
        system.check_alive()
        return {"headline": headline, "staged": stages, "memory": memory, "cold": cold, "burst": burst,
                "feed": feed, "quiet": quiet}
    except Exception:
        print(system.logs())
        raise
    finally:
        system.stop()
        system.cleanup()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke test, not figures")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results.json"))
    args = parser.parse_args(argv)
    quick = args.quick
    events = 300 if quick else args.events
    started = time.monotonic()
    info = machine()
    print(f"machine: {info['cores']} cores, {info['cpu_model']}, load {info['loadavg_at_start']:.2f}",
          flush=True)
    sign = sign_figures(200 if quick else 2000)
    print("signing done", flush=True)
    floor_figures = floor.run(events, warmup=100 if quick else 300)
    floor_figures["io"] = iofloor.run(max(300, events // 5) if not quick else 200, 50)
    print("floors done", flush=True)
    hops = zmqhop.run(1000 if quick else 5000)
    print("zmq hops done", flush=True)
    rates = [10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 80_000, 100_000]
    sysf = system_figures(events, 50 if quick else 200, 200 if quick else 1000, rates[:3] if quick else rates,
                          4 if quick else 20)
    results = assemble(info, sign, floor_figures, hops, sysf)
    # one core, in-process
    results.update(backtest_bench.run(0.05 if quick else 0.25, 1 if quick else backtest_bench.REPEATS))
    results["goals"]["backtest_ge_200k_events_per_s"] = \
        results["backtest_events_per_s"] >= backtest_bench.GOAL_EVENTS_PER_S
    print("backtest done", flush=True)
    if rev := os.environ.get("BENCH_AB_REV"):
        print(f"A/B against {rev}, interleaved", flush=True)
        results["ab"] = ab.run(rev, rounds=1 if quick else 3, events=300 if quick else 1000)
        results["ab_speedup_p50"] = results["ab"]["ab_speedup_p50"]
    results["bench_seconds"] = round(time.monotonic() - started, 1)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nwritten to {args.out} in {results['bench_seconds']} s")
    return 0


def _three(d: dict[str, float]) -> dict[str, float]:
    return {"p50": d["p50"], "p95": d["p95"], "p99": d["p99"]}


def assemble(info: dict[str, Any], sign: dict[str, float], floor_f: dict[str, Any],
             hops: dict[str, dict[str, float]], sysf: dict[str, Any]) -> dict[str, Any]:
    head, staged = sysf["headline"], sysf["staged"]
    rss = {name: round(m["rss"], 1) for name, m in sysf["memory"].items()}
    engine = {name: mb for name, mb in rss.items() if name != "venue"}
    floor_p = floor_f["floor_in_process_us"]
    io_p = floor_f["io"]["io_floor_us"]
    cpu = head["cpu_us_per_event"]
    rig = ("venue", "bench")  # the test double and this harness: what the rig costs, not the engine
    return {
        "tick_to_order_us": _three(head["tick_to_order_us"]),
        "floor_in_process_us": _three(floor_p),
        "io_floor_us": _three(io_p),
        "zmq_hop_us": _three(hops["pubsub_via_proxy"]),
        "ratio_p50_to_floor": round(head["tick_to_order_us"]["p50"] / max(io_p["p50"], 1e-9), 2),
        "ratio_p50_to_cpu_floor": round(head["tick_to_order_us"]["p50"] / max(floor_p["p50"], 1e-9), 2),
        "cpu_us_per_requote": {name: us for name, us in cpu.items() if name not in rig},
        "cpu_us_per_requote_total": sum(us for name, us in cpu.items() if name not in rig),
        "rig_cpu_us_per_event": {name: cpu[name] for name in rig if name in cpu},
        "arrival_stamp": head["arrival_stamp"],
        "timed_out_events": head["timed_out"],
        "sign_us_ours": round(sign["ours_build_sign_us"], 1),
        "sign_us_sdk": round(sign["sdk_build_sign_us"], 1),
        "feed_msgs_per_s": sysf["feed"]["feed_msgs_per_s"],
        "feed_msgs_per_s_majority": sysf["feed"]["feed_msgs_per_s_majority"],
        "rss_mb": rss,
        "rss_mb_total": round(sum(engine.values()), 1),
        "cold_start_s": sysf["cold"]["cold_start_s"],
        "machine": info,
        "slowest_stage": staged["slowest_stage"],
        "details": {
            "tick_to_order": {k: head[k] for k in ("events", "complete", "tick_to_first_request_us",
                                                   "tick_to_both_orders_us", "machine_during",
                                                   "cpu_us_per_event")},
            "tick_to_order_definition": "venue writes the price_change frame -> venue receives the first "
                                        "POST /order(s) carrying a resulting order (PM_EXEC_REPLACE="
                                        "pipelined: the POST goes first, the cancel of the replaced "
                                        "order right behind it, when the coordinator found the overlap "
                                        "within inventory's limits; pipelined_share: how often)",
            "pipelined_share": staged["pipelined_share"],
            "stages_us": staged["stages_us"], "stage_notes": latency.STAGE_NOTES,
            "staged_events": staged["staged_events"],
            "staged_tick_to_order_us": staged["tick_to_order_us"],
            "tick_to_order_quiet_us": sysf["quiet"]["tick_to_order_us"],
            "tick_to_order_quiet_definition": f"the same, {QUIET_SETTLE_MS} ms of quiet after each event "
                                              f"instead of {latency.SETTLE_MS} ms",
            "floor": floor_f, "zmq_hops": hops,
            "zmq_hop_definition": "Node.publish -> real proxy process -> Node.run handler in another process "
                                  "(ipc PUB/XSUB/XPUB/SUB); md_direct: the market-feed's own PUB -> "
                                  "SUB (PM_MD_DIRECT); pushpull: one ipc PUSH -> PULL hop",
            "sign": sign, "feed": sysf["feed"], "burst": sysf["burst"],
            "rss_definition": "VmRSS per process (shared libraries counted in each); total = engine "
                              "programs, venue excluded (it is the test double); PSS in memory_mb",
            "memory_mb": sysf["memory"], "rss_mb_total_with_venue": round(sum(rss.values()), 1),
        },
        "goals": goals(info, sign, io_p, head, sysf, rss),
    }


def goals(info: dict[str, Any], sign: dict[str, float], io_p: dict[str, float], head: dict[str, Any],
          sysf: dict[str, Any], rss: dict[str, float]) -> dict[str, bool]:
    t = head["tick_to_order_us"]
    return {
        "tick_to_order_p50_le_1ms": t["p50"] <= GOALS["tick_p50"],
        "tick_to_order_p99_le_3ms": t["p99"] <= GOALS["tick_p99"],
        "tick_to_order_le_2x_io_floor": t["p50"] <= GOALS["io_ratio"] * io_p["p50"],
        "sign_le_150us": sign["ours_build_sign_us"] <= GOALS["sign_us"],
        "sign_8x_sdk": sign["sdk_build_sign_us"] >= GOALS["sign_speedup"] * sign["ours_build_sign_us"],
        "feed_ge_30k_per_s": sysf["feed"]["feed_msgs_per_s"] >= GOALS["feed"],
        "rss_le_60mb_each": all(mb <= GOALS["rss_mb"] for mb in rss.values()),
        "cold_start_le_5s": sysf["cold"]["cold_start_s"] <= GOALS["cold_s"],
    }


def print_table(r: dict[str, Any]) -> None:
    d = r["details"]
    head = d["tick_to_order"]

    def row(name: str, p: dict[str, float], goal: str = "") -> None:
        print(f"  {name:<44}{p['p50']:>10.1f}{p['p95']:>10.1f}{p['p99']:>10.1f}   {goal}")

    m = r["machine"]
    print(f"\nmachine: {m['cores']} cores, {m['cpu_model']}, kernel {m['kernel']}, Python {m['python']}")
    busy = head["machine_during"]
    print(f"during tick to order: machine {busy['busy_pct']}% busy, of which other work "
          f"{busy['other_busy_pct']}%\n")
    print(f"  {'latency (µs)':<44}{'p50':>10}{'p95':>10}{'p99':>10}   goal")
    row(f"tick to order, system ({head['complete']} events)", r["tick_to_order_us"],
        "p50 <= 1000, p99 <= 3000")
    row("  tick to first request", head["tick_to_first_request_us"])
    row("  tick to both orders", head["tick_to_both_orders_us"])
    quiet = d["tick_to_order_quiet_us"]
    row(f"  events {QUIET_SETTLE_MS} ms apart ({quiet['n']} events)", quiet)
    row("I/O floor: one process, same sockets", r["io_floor_us"])
    row("CPU floor: same pipeline, no I/O", r["floor_in_process_us"])
    row("bare bus hop: PUB -> proxy -> SUB (ipc)", r["zmq_hop_us"])
    row("bare bus hop: md PUB -> SUB, direct (ipc)", d["zmq_hops"]["md_direct"])
    row("bare bus hop: PUSH -> PULL (ipc)", d["zmq_hops"]["pushpull"])
    print(f"  ratio p50 system / I/O floor: {r['ratio_p50_to_floor']}  (goal <= 2); "
          f"/ CPU floor: {r['ratio_p50_to_cpu_floor']}")
    cpu = head["cpu_us_per_event"]
    print(f"  CPU per re-quote (µs, all threads): {', '.join(f'{k} {v}' for k, v in cpu.items())}; "
          f"engine total {r['cpu_us_per_requote_total']} (rig: venue + bench harness "
          f"{sum(r['rig_cpu_us_per_event'].values())})")
    print(f"  order arrival stamped at the venue's {r['arrival_stamp']}; {r['timed_out_events']} events "
          f"timed out (counted at {latency.TIMEOUT_MS} ms)")
    print(f"\n  stages ({d['staged_events']} events, with a bus tap)")
    for name, p in d["stages_us"].items():
        mark = "  <- slowest" if name == r["slowest_stage"] else ""
        row("  " + name, p, mark)
    print(f"\n  signing: ours {r['sign_us_ours']} µs/order, SDK {r['sign_us_sdk']} µs/order, "
          f"{r['sign_us_sdk'] / r['sign_us_ours']:.1f}x  (goal <= 150 µs, >= 8x)")
    print(f"  feed throughput at p99 lag <= 5 ms: {r['feed_msgs_per_s']:,} msg/s  (goal >= 30,000); "
          f"CPU capacity ~{d['feed']['feed_cpu_capacity_msgs_per_s']:,} msg/s per core")
    print(f"    held by most of the {d['feed']['trials_per_rate']} trials a rate: "
          f"{d['feed']['feed_msgs_per_s_majority']:,} msg/s")
    for step in d["feed"]["steps"]:
        for trial in step["trials"]:
            lag = trial["lag_us"]
            print(f"    {trial['rate']:>7,}/s: lag p50 {lag['p50']:>8.1f} p99 {lag['p99']:>9.1f} µs, "
                  f"feed CPU {trial['feed_cpu']:.2f}, books {trial['books']:>6}, "
                  f"{'ok' if trial['sustained'] else 'NOT sustained'}")
    b = d["burst"]
    print(f"  burst ({b['bursts']} x {b['moves_per_burst']} books {b['gap_us']} µs apart): "
          f"{b['orders_per_burst']} orders per burst (ideal {b['ideal_orders_per_burst']}), "
          f"{b['stale_orders']} stale, {b['bursts_ending_on_latest']}/{b['bursts']} end on the latest book")
    print("\n  memory (RSS MB): " + ", ".join(f"{k} {v}" for k, v in r["rss_mb"].items()))
    print(f"  engine total {r['rss_mb_total']} MB (goal <= 60 MB each)")
    print(f"  cold start to first resting quote: {r['cold_start_s']} s  (goal <= 5 s)")
    print(f"  slowest stage: {r['slowest_stage']}")
    if "backtest_events_per_s" in r:
        bt = r["backtest_detail"]
        print(f"  backtest: {r['backtest_events_per_s']:,} events/s, best of {bt['repeats']} "
              f"(median {bt.get('median_events_per_s', 0):,}; goal >= {bt['goal_events_per_s']:,})")
    if "ab" in r:
        a = r["ab"]
        print(f"  A/B p50 against {a['ab_rev']} (interleaved): theirs {a['theirs_p50_us']} µs, ours "
              f"{a['ours_p50_us']} µs -> {a['ab_speedup_p50']}x")
    print("\n  goals: " + ", ".join(f"{k} {'MET' if v else 'MISSED'}" for k, v in r["goals"].items()))


if __name__ == "__main__":
    raise SystemExit(main())
