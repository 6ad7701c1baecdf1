"""Tick to order through the whole multi-process system, and where the time goes.

Scenario (deterministic; the venue runs it on its own loop, see ``venue/server/bench.py``): flow off,
the coordinator quotes ``venue-reward-market-1`` with ``PM_PAIR_TARGET=0.5`` (each bid rests 0.25 below
its mid: never at the touch, so our own orders never move the mids), ``PM_DEBOUNCE_MS=0`` and
``PM_REPRICE_THRESHOLD=0.03``. Each event the bench maker moves the Yes mid by 0.04 (its bid/ask
0.05 either side), which the venue sends as one ``price_change`` frame covering both tokens. The
market-feed turns it into two ``Book``s (Yes, then No); after the Yes one alone both wanted bids move by
only 0.02 (below the threshold), after the No one by 0.04: so every event makes the coordinator
re-quote each slot exactly once (one ``PlaceOrder`` per slot; the executor POSTs both new orders and
writes the cancel of the replaced ones right behind). The venue waits for the two orders at the
expected prices, then 3 ms, then moves again: one event at a time.

The executor POSTs first only when the coordinator proved that the old and the new bid both filling
keeps inventory's limits (``PlaceOrder.overlap_with``). Here the legs stay flat (nothing fills) and each
bid is 5 shares at 0.37 at most: net_diff would reach exactly the default ``PM_MAX_NET_DIFF`` (10) and a
leg at most 3.70 USDC of the default ``PM_MAX_POSITION_VALUE`` (5), so every replacement is pipelined.
``pipelined_share`` checks it on the bus: the executor announces a pipelined replacement's
``OrderPlaced`` before the ``OrderCancelled`` ("replaced") of the order it replaced, a cancel-first one the
other way round. (The venue's arrival order cannot tell: under load the previous event's cancel may
arrive after its settle time, at the start of the next event.)

Stamps (all ``time.time_ns()``, one clock for every process):
venue frame written -> market-feed ``Book.ts_recv`` (after the socket read) -> ``Book`` header ts
(published) -> ``PlaceOrder/CancelOrders.ts`` (coordinator decides, read from the executor's ``exec.cmd``
echo) -> venue receives ``POST /order(s)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.coordinator.model import MarketSpec, Top
from actors.coordinator.strategies.pair_ofi import PairParams, balanced_prices
from bench.stats import pct
from bench.system import BusTap, System
from bus import topics
from schemas import Book, CancelOrders, OrderCancelled, OrderPlaced, PlaceOrder
from schemas.units import ONE

MID_STEP = 40_000
HALF_SPREAD = 50_000
LOW, HIGH = 380_000, 620_000
SETTLE_MS = 3  # quiet time after an event's orders arrived, before the next move
TIMEOUT_MS = 1000  # an event whose orders never all arrived counts at this (it is not dropped)
ARRIVAL_STAMP = "data_received"  # where the venue stamps an order's arrival (venue/server/bench.py)
PARAMS = PairParams(pair_target=500_000, bid_size=5_000_000)
STAGES = ("venue write -> feed read", "feed read -> Book published", "Book published -> coordinator decides",
          "coordinator decides -> order at venue")
STAGE_NOTES = {
    STAGES[0]: "loopback TCP + the market-feed's wake-up and WebSocket read",
    STAGES[1]: "market-feed: parse, book, conflate; publish the Yes Book, then the No Book (stamp)",
    STAGES[2]: "bus hop through the proxy + coordinator decode, drain, decide",
    STAGES[3]: "coordinator pushes the commands + PUSH/PULL hop + executor: sign, POST written "
               "(the cancel of the replaced order right behind it) + the venue reads it",
}


def mids(n: int, start: int = 500_000) -> list[int]:
    """A walk between LOW and HIGH in MID_STEP steps: every event moves the mid by exactly one step."""
    out, mid, step = [], start, MID_STEP
    for _ in range(n):
        if not LOW <= mid + step <= HIGH:
            step = -step
        mid += step
        out.append(mid)
    return out


def expected(mid: int, yes: str, no: str) -> list[tuple[str, int]]:
    """The two orders the strategy must send for this mid (computed by the strategy's own function)."""
    market = MarketSpec(market="", yes_asset=yes, no_asset=no, tick=10_000, min_size=5_000_000)
    yes_top = Top(mid - HALF_SPREAD, mid + HALF_SPREAD)
    no_top = Top(ONE - yes_top.ask, ONE - yes_top.bid)
    bid_yes, bid_no = balanced_prices(PARAMS, market, yes_top, no_top)
    return [(yes, bid_yes), (no, bid_no)]


@dataclass
class Event:
    write: int
    complete: bool
    first_request: int = 0  # venue receives the first order request (a POST, or a cancel sent first)
    post: int = 0  # venue receives the first POST with an expected order
    last_post: int = 0  # ... with the last expected order
    stages: list[int] = field(default_factory=list)  # ns per STAGES entry (empty if a stamp is missing)


def start_quoting(system: System, yes: str, no: str, timeout_s: float = 60.0) -> dict[str, Any]:
    """Put the bench maker's first quotes in; the venue answers once both of our bids were POSTed."""
    mid = 500_000
    reply = system.post("/_venue/bench/requote", {
        "token_id": yes, "moves": [[mid - HALF_SPREAD, mid + HALF_SPREAD]],
        "expect": [expected(mid, yes, no)], "settle_ms": 0, "timeout_ms": int(timeout_s * 1000)},
        timeout=timeout_s + 10)
    if reply["error"] or not reply["events"][0]["complete"]:
        raise RuntimeError(f"the coordinator never quoted: {reply}")
    return dict(reply["events"][0])


def run(system: System, tap: BusTap | None, yes: str, no: str, events: int, warmup: int,
        settle_ms: int = SETTLE_MS) -> list[Event]:
    """``warmup + events`` events, one at a time; with a ``tap``, each event gets its per-stage times."""
    walk = mids(warmup + events)
    wanted = [expected(m, yes, no) for m in walk]
    body = {"token_id": yes, "moves": [[m - HALF_SPREAD, m + HALF_SPREAD] for m in walk], "expect": wanted,
            "settle_ms": settle_ms, "timeout_ms": TIMEOUT_MS}
    reply = system.post("/_venue/bench/requote", body, timeout=600)
    if reply["error"]:
        raise RuntimeError(f"requote run failed: {reply['error']}")
    out = [_event(raw, set(wanted[i])) for i, raw in enumerate(reply["events"])]
    if tap is not None:
        _attach_stages(out, tap, yes, no)
    return out[warmup:]


def _event(raw: dict[str, Any], wanted: set[tuple[str, int]]) -> Event:
    event = Event(write=raw["write_ns"], complete=raw["complete"])
    for t, key, orders in raw["requests"]:
        event.first_request = event.first_request or t
        if key.startswith("POST") and wanted.intersection(map(tuple, orders)):
            event.post = event.post or t
            wanted.difference_update(map(tuple, orders))
            if not wanted:
                event.last_post = t
    return event


def _attach_stages(events: list[Event], tap: BusTap, yes: str, no: str) -> None:
    """Match each event with the feed's first Books and the coordinator's first command after it."""
    t_yes, t_no = topics.md_book(yes), topics.md_book(no)
    books = [(msg.ts_recv, header.ts_ns, topic) for _, topic, header, msg in list(tap.seen)
             if type(msg) is Book and topic in (t_yes, t_no)]
    cmds = sorted((msg.ts, header.ts_ns) for _, topic, header, msg in list(tap.seen)
                  if type(msg) in (PlaceOrder, CancelOrders) and topic.startswith(b"exec.cmd."))
    bi = ci = 0
    for event in events:
        w = event.write
        while bi < len(books) and books[bi][0] < w:
            bi += 1
        while ci < len(cmds) and cmds[ci][0] < w:
            ci += 1
        frame = [b for b in books[bi:bi + 2] if b[0] == books[bi][0]] if bi < len(books) else []
        if len(frame) != 2 or ci >= len(cmds) or not event.first_request or not event.post:
            continue
        recv, published = frame[0][0], frame[-1][1]
        decided = cmds[ci][0]
        event.stages = [recv - w, published - recv, decided - published, event.post - decided]


def pipelined_share(tap: BusTap) -> float:
    """Of the replacements the executor answered while ``tap`` listened to ``exec.event``, the share it
    POSTed before the replaced order's cancel was answered: ``OrderPlaced`` first under that command."""
    first: dict[str, type] = {}  # cmd_id -> the first of OrderPlaced / OrderCancelled("replaced") seen
    replacing: set[str] = set()
    for _, _, _, msg in list(tap.seen):
        if type(msg) is OrderCancelled and msg.reason == "replaced":
            replacing.add(msg.cmd_id)
            first.setdefault(msg.cmd_id, OrderCancelled)
        elif type(msg) is OrderPlaced:
            first.setdefault(msg.cmd_id, OrderPlaced)
    placed_first = sum(first[cmd_id] is OrderPlaced for cmd_id in replacing)
    return round(placed_first / len(replacing), 3) if replacing else 0.0


def summary(events: list[Event]) -> dict[str, Any]:
    """Percentiles in µs. An event that never completed counts at ``TIMEOUT_MS`` in every latency (a
    slow outlier is the thing to see, not to drop); stages only cover complete, stamped events."""
    done = [e for e in events if e.complete and e.post]
    cap = TIMEOUT_MS * 1000.0

    def after(stamp: int, e: Event) -> float:
        return min((stamp - e.write) / 1000, cap) if stamp and e.complete else cap

    to_post = [after(e.post, e) for e in events]
    to_first = [after(e.first_request, e) for e in events]
    to_last = [after(e.last_post, e) for e in events]
    staged = [e.stages for e in done if e.stages]
    stages = {name: pct([s[i] / 1000 for s in staged]) for i, name in enumerate(STAGES)}
    slowest = max(stages, key=lambda name: stages[name]["p50"]) if staged else ""
    return {"events": len(events), "complete": len(done), "timed_out": len(events) - len(done),
            "arrival_stamp": ARRIVAL_STAMP, "tick_to_order_us": pct(to_post),
            "tick_to_first_request_us": pct(to_first), "tick_to_both_orders_us": pct(to_last),
            "stages_us": stages, "staged_events": len(staged), "slowest_stage": slowest}
