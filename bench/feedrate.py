"""Market-feed throughput, and what the coordinator does with a burst of books.

Throughput: the bench leases a token nobody else trades (``venue-reward-market-2``'s Yes token) as
holder ``feedbench``; the venue writes ``rate`` synthetic ``price_change`` frames per second to the
market-feed (``POST /_venue/bench/feed``: a chunk every millisecond). Frame ``i`` sets the top bid's
size to ``i + 1``, so each ``Book`` the feed publishes tells the newest frame it has applied. A chunk's
lag is the time from its write to the publication of the first ``Book`` that includes its last frame.
A rate is sustained when every chunk was published, with p99 lag <= 5 ms, and the venue kept pace. The
feed conflates per socket read, so under load it publishes fewer ``Book``s than it reads frames; every
frame is parsed. ``feed_cpu_capacity_msgs_per_s`` is the rate divided by the feed's CPU share at that
rate (the rate one fully busy core would carry).

Burst: ``moves`` re-quotes of the market the coordinator trades, written ``gap_us`` apart (each its
own write, so the feed reads and publishes them one by one). Ideal: the coordinator ends on the last
book and sends no order for the books in between. Counted from the order POSTs the venue received.
"""

from __future__ import annotations

import time
from typing import Any

from bench.latency import HALF_SPREAD, MID_STEP, expected
from bench.stats import pct
from bench.system import BusTap, System, cpu_s
from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Book, Lease
from schemas.units import MICRO

LAG_LIMIT_US = 5_000
HOLDER = "feedbench"


def lease(bus: BusConfig, market: str, asset: str) -> Node:
    node = Node(topics.coordinator_program(HOLDER), bus)
    node.publish(topics.coord_lease(HOLDER), Lease(holder=HOLDER, market=market, yes_asset=asset, no_asset="",
                                                   ttl_ms=3_600_000, ts=time.time_ns()))
    return node


def throughput(system: System, rates: list[int], seconds: float = 2.0) -> dict[str, Any]:
    market, yes, _ = system.tokens("venue-reward-market-2")
    topic = topics.md_book(yes)
    tap = BusTap(system.bus, [topic])
    node = None
    try:
        deadline = time.monotonic() + 10
        while not tap.seen:  # the lease reaches the feed through the proxy: repeat until the book comes
            node = node or lease(system.bus, market, yes)
            node.publish(topics.coord_lease(HOLDER), Lease(holder=HOLDER, market=market, yes_asset=yes,
                                                           no_asset="",
                                                           ttl_ms=3_600_000, ts=time.time_ns()))
            if time.monotonic() > deadline:
                raise TimeoutError("the market-feed never published the leased token's book")
            time.sleep(0.1)
        pid = system.procs["market-feed"].pid
        steps = []
        for rate in rates:
            steps.append(_one_rate(system, tap, yes, rate, seconds, pid))
            if not steps[-1]["sustained"]:
                break
        best = max((s["rate"] for s in steps if s["sustained"]), default=0)
        capacity = max((s["rate"] / s["feed_cpu"] for s in steps if s["feed_cpu"] > 0), default=0.0)
        return {"feed_msgs_per_s": best, "feed_cpu_capacity_msgs_per_s": round(capacity), "steps": steps}
    finally:
        tap.close()
        if node is not None:
            node.close()


def _one_rate(system: System, tap: BusTap, token: str, rate: int, seconds: float, pid: int) -> dict[str, Any]:
    start = len(tap.seen)
    cpu0 = cpu_s(pid)
    reply = system.post("/_venue/bench/feed", {"token_id": token, "rate": rate, "seconds": seconds})
    time.sleep(0.3)
    cpu = (cpu_s(pid) - cpu0) / max(reply["seconds"], 1e-9)
    books = [(header.ts_ns, msg.bids[0][1] // MICRO - 1) for _, _, header, msg in tap.seen[start:]
             if type(msg) is Book and msg.bids and msg.bids[0][0] == 500_000]
    chunks = reply["chunks"]
    lags: list[float] = []
    missing = 0
    bi = 0
    for k, (_, written) in enumerate(chunks):
        last = (chunks[k + 1][0] if k + 1 < len(chunks) else reply["frames"]) - 1
        while bi < len(books) and books[bi][1] < last:
            bi += 1
        if bi == len(books):
            missing = len(chunks) - k
            break
        lags.append((books[bi][0] - written) / 1000)
    lag = pct(lags)
    kept_pace = reply["seconds"] <= seconds * 1.1
    return {"rate": rate, "frames": reply["frames"], "venue_s": round(reply["seconds"], 3),
            "books": len(books), "lag_us": lag, "unpublished_chunks": missing, "feed_cpu": round(cpu, 2),
            "sustained": missing == 0 and lag["p99"] <= LAG_LIMIT_US and kept_pace}


def burst(system: System, yes: str, no: str, bursts: int = 20, moves: int = 5,
          gap_us: int = 100) -> dict[str, Any]:
    """``bursts`` bursts of ``moves`` re-quotes each, alternately up and down by MID_STEP per move."""
    mid = 500_000 - 2 * MID_STEP
    system.post("/_venue/bench/requote", {
        "token_id": yes, "moves": [[mid - HALF_SPREAD, mid + HALF_SPREAD]],
        "expect": [expected(mid, yes, no)], "timeout_ms": 2000, "settle_ms": 100})
    posted, stale, ending_on_latest = 0, 0, 0
    delays: list[float] = []
    for b in range(bursts):
        step = MID_STEP if b % 2 == 0 else -MID_STEP
        walk = [mid + step * (k + 1) for k in range(moves)]
        reply = system.post("/_venue/bench/requote", {
            "token_id": yes, "moves": [[m - HALF_SPREAD, m + HALF_SPREAD] for m in walk], "gap_us": gap_us,
            "settle_ms": 300})
        if reply["error"]:
            raise RuntimeError(f"burst failed: {reply['error']}")
        final = set(expected(walk[-1], yes, no))
        posts = [(t, [tuple(o) for o in got]) for t, key, got in reply["requests"] if key.startswith("POST")]
        orders = [o for _, got in posts for o in got]
        posted += len(orders)
        stale += sum(1 for o in orders if o not in final)
        ending_on_latest += final <= set(orders)
        hits = [t for t, got in posts if final & set(got)]
        if hits:
            delays.append((max(hits) - reply["writes"][-1]) / 1000)
        mid = walk[-1]
    return {"bursts": bursts, "moves_per_burst": moves, "gap_us": gap_us,
            "orders_per_burst": round(posted / bursts, 2), "ideal_orders_per_burst": 2,
            "stale_orders": stale, "bursts_ending_on_latest": ending_on_latest,
            "last_write_to_final_orders_us": pct(delays)}
