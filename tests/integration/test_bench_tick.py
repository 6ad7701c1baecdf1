"""``bench.tick`` end to end, tiny: the whole engine re-quotes on every event and every stamp is found.

No timing is asserted (timings belong to ``make bench``); this proves the harness measures what it
says: each event's two expected orders reached the venue in a POST, every stage was attributed, and every
replacement took the pipelined path (the scenario is within inventory's default limits).
"""

from __future__ import annotations

import os

import pytest

from bench import feedrate, iofloor, latency, tick
from bench.system import System
from tests.support.waits import wait_until


def test_every_event_is_requoted_and_staged() -> None:
    r = tick.measure(events=20, staged=10, settle_ms=3)
    assert r["tick_to_order_us"]["n"] == 20 and r["tick_to_both_orders_us"]["n"] == 20
    assert r["pipelined_share"] == 1.0  # every replacement POSTed first: the overlap is within the limits
    assert list(r["stages_us"]) == list(latency.STAGES)
    assert all(stage["n"] == 10 for stage in r["stages_us"].values())
    assert set(r["cpu_us_per_event"]) >= {"venue", "bench", "executor", "market-feed", "market:bench"}
    assert r["arrival_stamp"] == "data_received" and r["timed_out"] == 0


def test_the_io_floor_answers_every_event_of_the_same_run() -> None:
    """The one-process loop (WebSocket read, pure cores, POST) completes every move of a requote run."""
    r = iofloor.run(events=20, warmup=5)
    assert r["events"] == 20 and r["timed_out"] == 0 and r["io_floor_us"]["n"] == 20


def test_an_event_that_never_completes_counts_at_the_timeout() -> None:
    done = latency.Event(write=0, complete=True, first_request=2_000, post=3_000, last_post=4_000)
    lost = latency.Event(write=0, complete=False)
    s = latency.summary([done, lost])
    assert (s["events"], s["complete"], s["timed_out"]) == (2, 1, 1)
    assert s["tick_to_order_us"]["max"] == latency.TIMEOUT_MS * 1000 and s["tick_to_order_us"]["n"] == 2


def test_count_names_each_stream_a_re_quote_moves() -> None:
    r = tick.measure(events=10, staged=0, settle_ms=3, count=10)
    counted = r["messages_per_event"]
    assert {"Book@md.book", "OrderUpdate@user.order", "OrderUpdate@user.placed"} <= set(counted)
    assert not any(name.startswith("Heartbeat@") for name in counted)


def test_feedrate_tries_each_rate_and_counts_only_its_own_books() -> None:
    """Every chunk of every trial is found in a Book of that trial (no timing asserted)."""
    system = System()
    try:
        system.start()
        system.wait_venue()
        r = feedrate.throughput(system, [1_000], seconds=0.3, trials=2)
    finally:
        system.stop()
        system.cleanup()
    [step] = r["steps"]
    assert len(step["trials"]) == 2 and r["trials_per_rate"] == 2
    assert all(t["unpublished_chunks"] == 0 and t["books"] > 0 for t in step["trials"])
    assert set(step["lag_p99_us"]) == {"min", "median", "max"}


def test_pinned_programs_run_on_their_cpus_and_unknown_names_are_refused() -> None:
    """``--pin PROGRAM=CPUS``: our programs get ``PM_CPU_AFFINITY`` (the node pins itself), the venue
    ``sched_setaffinity``; the others keep the harness's CPUs. A name that is no program is an error."""
    with pytest.raises(ValueError, match="no such program"):
        System(pins={"exekutor": "0"})
    system = System(pins={"executor": "0", "coordinator": "0", "venue": "0"})
    try:
        system.start()
        system.wait_venue()
        for name in ("executor", "market:bench", "venue"):  # a node pins itself once its imports are done
            pid = system.procs[name].pid
            wait_until(lambda pid=pid: os.sched_getaffinity(pid) == {0}, f"{name} on CPU 0", timeout=60)
        assert os.sched_getaffinity(system.procs["inventory"].pid) == os.sched_getaffinity(0)
    finally:
        system.stop()
        system.cleanup()
