"""``bench.tick`` end to end, tiny: the whole engine re-quotes on every event and every stamp is found.

No timing is asserted (timings belong to ``make bench``); this proves the harness measures what it
says: each event's two expected orders reached the venue in a POST, every stage was attributed, and every
replacement took the pipelined path (the scenario is within inventory's default limits).
"""

from __future__ import annotations

from bench import latency, tick


def test_every_event_is_requoted_and_staged() -> None:
    r = tick.measure(events=20, staged=10, settle_ms=3)
    assert r["tick_to_order_us"]["n"] == 20 and r["tick_to_both_orders_us"]["n"] == 20
    assert r["pipelined_share"] == 1.0  # every replacement POSTed first: the overlap is within the limits
    assert list(r["stages_us"]) == list(latency.STAGES)
    assert all(stage["n"] == 10 for stage in r["stages_us"].values())
    assert set(r["cpu_us_per_event"]) >= {"venue", "executor", "market-feed", "market:bench"}
