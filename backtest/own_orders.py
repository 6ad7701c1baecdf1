"""The engine's own resting orders in a recording made while it traded: their level changes, from the
recorded ``user.order`` events, so that the simulated exchange leaves them out of the recorded levels."""

from __future__ import annotations

import bisect

from backtest import recfile
from schemas import OrderUpdate, PlaceOrder

Key = tuple[str, str, int, int]  # asset, side, price, size
LOOKBACK_NS = 60_000_000_000  # a placement is looked for no further back than this


def own_levels(rec: recfile.Recording, entry_ns: int = 0) -> list[tuple[int, str, str, int, int]]:
    """(ts, token, side, price, size change) of the engine's own resting orders, from the recorded
    ``user.order`` events: placed -> +size, matched -> -matched, cancelled / done -> -what was left.
    Timed by the venue's event time (ms): the book frame that shows the order is often received
    before the user channel's event about it; fills by their receive time (see below).

    An order placed before the user-feed had subscribed to its market (a window's first orders, decided
    as soon as its books came) has no ``PLACEMENT`` event: its first event (a fill, a cancellation) then
    stands for it, placed ``entry_ns`` after the latest ``PlaceOrder`` echo of the same asset, side, price
    and size. (Without it, that live order counted as someone else's queue ahead of the simulated one.)"""
    decided: dict[Key, list[int]] = {}  # the PlaceOrder echoes' decision times, per order shape
    for _recv, _topic, msg in rec.own:
        if isinstance(msg, PlaceOrder):
            decided.setdefault((msg.asset, msg.side, msg.price, msg.size), []).append(msg.ts)
    for times in decided.values():
        times.sort()
    left: dict[str, int] = {}
    out: list[tuple[int, str, str, int, int]] = []
    for recv, _topic, msg in rec.own:
        if not isinstance(msg, OrderUpdate):
            continue
        ts = min(recv, msg.ts_event) if msg.ts_event > 0 else recv
        before = left.get(msg.order_id)
        if before is None:
            if msg.kind == "PLACEMENT":
                placed = ts
            elif (placed := unseen_placement(decided, msg, ts, entry_ns)) < 0:
                continue
            before = left[msg.order_id] = msg.original_size
            out.append((placed, msg.asset, msg.side, msg.price, before))
        now_left = 0 if msg.kind == "CANCELLATION" or msg.status.startswith(("CANCELED", "MATCHED")) \
            else max(msg.original_size - msg.size_matched, 0)
        if now_left != before:
            # a fill: at its receive time, after the print (received before the user channel's event)
            # that the simulated exchange reads as having taken our live order (``touch_takers``)
            when = recv if msg.kind == "UPDATE" and now_left < before else ts
            out.append((when, msg.asset, msg.side, msg.price, now_left - before))
            left[msg.order_id] = now_left
    out.sort(key=lambda e: e[0])
    return out


def unseen_placement(decided: dict[Key, list[int]], msg: OrderUpdate, ts: int, entry_ns: int) -> int:
    """When an order whose first event is ``msg`` (not a placement) came to rest: ``entry_ns`` after the
    latest decision of its shape not after ``ts`` (and not after ``ts`` itself); -1: no such decision."""
    times = decided.get((msg.asset, msg.side, msg.price, msg.original_size), [])
    i = bisect.bisect_right(times, ts)
    if i == 0 or ts - times[i - 1] > LOOKBACK_NS:
        return -1
    return min(times[i - 1] + entry_ns, ts)
