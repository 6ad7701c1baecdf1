"""``python -m bench.tick`` (``make bench-tick``): tick to order only, quickly, for A/B comparisons.

The same scenario and stamps as ``make bench`` (``bench.latency``), without the other measurements:
one headline run (no bus tap) and one staged run (with a tap), plus CPU per event per program. The
machine's speed drifts by tens of percent over minutes (it is a shared VM), so compare two revisions
by interleaving runs, e.g. with a worktree of the other revision::

    git worktree add /tmp/before <rev>
    for i in 1 2 3; do (cd /tmp/before && ../main/.venv/bin/python -m bench.tick); \
                       (cd /work/main && .venv/bin/python -m bench.tick); done

Options: ``--events N`` (default 1000), ``--staged N`` (default 300, 0: none), ``--settle-ms MS``
(quiet time after each event's orders, default 3), ``--count N`` (N more events with a tap of every
topic: bus messages per event by type, heartbeats apart; default 0), ``--json``, ``--env K=V`` (a
setting for every program, e.g. ``--env PM_SPIN_US=200`` or ``--env PM_MD_DIRECT=false``; repeatable),
``--pin PROGRAM=CPUS`` (one program's CPUs: ``PM_CPU_AFFINITY``, the venue by ``sched_setaffinity``;
repeatable).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench import latency
from bench.system import SLUG, BusTap, System, cpu_s, cpu_us_per_event
from bus import topics

ROOT = Path(__file__).resolve().parents[1]


def measure(events: int, staged: int, settle_ms: int, env: dict[str, str] | None = None,
            count: int = 0, pins: dict[str, str] | None = None) -> dict[str, Any]:
    system = System(env=env, pins=pins)
    try:
        system.start()
        system.wait_venue()
        _, yes, no = system.tokens(SLUG)
        latency.start_quoting(system, yes, no)
        time.sleep(1.0)  # start-up traffic dies down
        before = {**system.cpu_seconds(), "bench": cpu_s(os.getpid())}
        head = latency.summary(latency.run(system, None, yes, no, events, 100, settle_ms=settle_ms))
        cpu = cpu_us_per_event(before, {**system.cpu_seconds(), "bench": cpu_s(os.getpid())}, events + 100)
        out: dict[str, Any] = {"revision_root": str(ROOT), "events": events, "settle_ms": settle_ms,
                               "load_at_end": round(os.getloadavg()[0], 2),
                               "arrival_stamp": head["arrival_stamp"], "timed_out": head["timed_out"],
                               "tick_to_order_us": head["tick_to_order_us"],
                               "tick_to_both_orders_us": head["tick_to_both_orders_us"],
                               "cpu_us_per_event": cpu,
                               "cpu_us_per_requote_engine": sum(v for k, v in cpu.items()
                                                                if k not in ("venue", "bench"))}
        if staged:
            tap = BusTap(system.bus, [topics.md_book(yes), topics.md_book(no), topics.prefix("exec", "cmd"),
                                      topics.prefix("exec", "event")])
            try:
                out["stages_us"] = latency.summary(latency.run(system, tap, yes, no, staged, 50,
                                                               settle_ms=settle_ms))["stages_us"]
                out["pipelined_share"] = latency.pipelined_share(tap)
            finally:
                tap.close()
        if count:
            out["messages_per_event"] = count_messages(system, yes, no, count, settle_ms)
        return out
    except Exception:
        print(system.logs(), file=sys.stderr)
        raise
    finally:
        system.stop()
        system.cleanup()


def count_messages(system: System, yes: str, no: str, events: int, settle_ms: int) -> dict[str, float]:
    """Bus messages per event by type and stream (``Book@md.book``), every stream the proxy carries but
    heartbeats. The tap subscribes to everything, so a stream no program reads is counted too."""
    tap = BusTap(system.bus, [b""])
    try:
        latency.run(system, None, yes, no, events, 0, settle_ms=settle_ms)
        time.sleep(0.2)  # the tap's thread drains what is in flight
        counts: dict[str, int] = {}
        for _, topic, _, msg in tap.seen:
            name = f"{type(msg).__name__}@{topic.split(b'.')[0].decode()}.{topic.split(b'.')[1].decode()}"
            counts[name] = counts.get(name, 0) + 1
    finally:
        tap.close()
    counts = {k: v for k, v in counts.items() if not k.startswith("Heartbeat@")}
    return {k: round(v / events, 2) for k, v in sorted(counts.items(), key=lambda kv: -kv[1])}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.tick", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--staged", type=int, default=300)
    parser.add_argument("--settle-ms", type=int, default=latency.SETTLE_MS)
    parser.add_argument("--count", type=int, default=0, help="N more events counting bus messages by type")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--env", action="append", default=[], metavar="K=V",
                        help="a setting for every program (e.g. PM_SPIN_US=200); repeatable")
    parser.add_argument("--pin", action="append", default=[], metavar="PROGRAM=CPUS",
                        help="pin one program to CPUs (PM_CPU_AFFINITY; the venue by sched_setaffinity), "
                             "e.g. --pin executor=1 --pin venue=0; programs: bus, executor, inventory, ofi, "
                             "user-feed, market-feed, coordinator, venue; repeatable")
    args = parser.parse_args(argv)
    env = dict(item.split("=", 1) for item in args.env)
    pins = dict(item.split("=", 1) for item in args.pin)
    r = measure(args.events, args.staged, args.settle_ms, env, args.count, pins)
    r["env"], r["pins"] = env, pins
    if args.json:
        print(json.dumps(r))
        return 0
    t, both = r["tick_to_order_us"], r["tick_to_both_orders_us"]
    print(f"{r['revision_root']}: {r['events']} events, settle {r['settle_ms']} ms, load {r['load_at_end']}")
    print(f"  tick to order      p50 {t['p50']:8.1f}  p95 {t['p95']:8.1f}  p99 {t['p99']:8.1f} µs "
          f"(arrival: {r['arrival_stamp']}; {r['timed_out']} timed out)")
    print(f"  tick to both       p50 {both['p50']:8.1f}  p95 {both['p95']:8.1f}  p99 {both['p99']:8.1f} µs")
    if "pipelined_share" in r:
        print(f"  replacements POSTed before their cancel (pipelined): {r['pipelined_share']:.1%}")
    for name, p in r.get("stages_us", {}).items():
        print(f"    {name:<44} p50 {p['p50']:8.1f}  p99 {p['p99']:8.1f} µs")
    print("  CPU µs per event: " + ", ".join(f"{k} {v}" for k, v in r["cpu_us_per_event"].items())
          + f"; engine {r['cpu_us_per_requote_engine']}")
    if "messages_per_event" in r:
        counted = r["messages_per_event"]
        print("  bus messages per event: " + ", ".join(f"{k} {v}" for k, v in counted.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
