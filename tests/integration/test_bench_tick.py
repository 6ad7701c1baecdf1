"""``bench.tick`` end to end, tiny: the whole engine re-quotes on every event and every stamp is found.

No timing is asserted (timings belong to ``make bench``); this proves the harness measures what it
says: each event's two expected orders reached the venue in a POST, every stage was attributed, and every
replacement took the pipelined path (the scenario is within inventory's default limits).
"""

from __future__ import annotations

from bench import iofloor, latency, tick


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
