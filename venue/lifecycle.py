"""Trade status timers: MATCHED -> MINED -> CONFIRMED, or MATCHED -> RETRYING -> FAILED.

A trade's fate is drawn once, at match time (FaultPlan.failed_trade_rate). The timeline then only
schedules its status changes; the Exchange re-sends the same trade id to every party on each change
and, on FAILED, rolls the trade's balance deltas back.
"""

from __future__ import annotations

import heapq

from schemas.units import MS

NEXT_OK = {"MATCHED": "MINED", "MINED": "CONFIRMED"}
NEXT_FAIL = {"MATCHED": "RETRYING", "RETRYING": "FAILED"}
TERMINAL = frozenset({"CONFIRMED", "FAILED"})


class Timeline:
    """A heap of pending status changes, ordered by due time then insertion order."""

    def __init__(self, *, mined_delay_ms: int, confirmed_delay_ms: int) -> None:
        self._mined_ns = mined_delay_ms * MS
        self._confirmed_ns = confirmed_delay_ms * MS
        self._heap: list[tuple[int, int, str, str]] = []
        self._seq = 0

    def __len__(self) -> int:
        return len(self._heap)

    def start(self, trade_id: str, *, now_ns: int, fails: bool) -> None:
        """Schedule the first change after MATCHED."""
        self._push(now_ns + self._mined_ns, trade_id, "RETRYING" if fails else "MINED")

    def resume(self, trade_id: str, *, status: str, match_ns: int, fails: bool) -> None:
        """Schedule the next change of a trade restored in `status` (MATCHED, MINED or RETRYING), due
        when it would have been due had the venue never stopped."""
        first = match_ns + self._mined_ns
        if status == "MATCHED":
            self._push(first, trade_id, "RETRYING" if fails else "MINED")
        else:
            self._push(first + self._confirmed_ns, trade_id, NEXT_OK.get(status) or NEXT_FAIL[status])

    def due(self, now_ns: int) -> list[tuple[str, str]]:
        """Pop every change due by `now_ns` as (trade_id, new_status), scheduling the next ones."""
        out: list[tuple[str, str]] = []
        heap = self._heap
        while heap and heap[0][0] <= now_ns:
            due_ns, _, trade_id, status = heapq.heappop(heap)
            out.append((trade_id, status))
            following = NEXT_OK.get(status) or NEXT_FAIL.get(status)
            if following is not None:
                self._push(due_ns + self._confirmed_ns, trade_id, following)
        return out

    def _push(self, due_ns: int, trade_id: str, status: str) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (due_ns, self._seq, trade_id, status))
