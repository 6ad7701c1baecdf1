"""The engine's own resting orders in a recording made while it traded: their level changes, from the
recorded ``user.order`` events, so that the simulated exchange leaves them out of the recorded levels."""

from __future__ import annotations

from backtest import recfile
from schemas import OrderUpdate


def own_levels(rec: recfile.Recording) -> list[tuple[int, str, str, int, int]]:
    """(ts, token, side, price, size change) of the engine's own resting orders, from the recorded
    ``user.order`` events: placed -> +size, matched -> -matched, cancelled / done -> -what was left.
    Timed by the venue's event time (ms): the book frame that shows the order is often received
    before the user channel's event about it; fills by their receive time (see below)."""
    left: dict[str, int] = {}
    out: list[tuple[int, str, str, int, int]] = []
    for recv, _topic, msg in rec.own:
        if not isinstance(msg, OrderUpdate):
            continue
        ts = min(recv, msg.ts_event) if msg.ts_event > 0 else recv
        before = left.get(msg.order_id)
        if before is None:
            if msg.kind != "PLACEMENT":
                continue
            before = left[msg.order_id] = msg.original_size
            out.append((ts, msg.asset, msg.side, msg.price, before))
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
