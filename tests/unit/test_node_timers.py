"""``Node.at`` (one-shot) beside ``Node.every``: what ``_run_timers`` calls, and when the loop wakes next.

A fake clock is passed in; ``_run_timers(now)`` is the loop's own step (no sleeping, no sockets read).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from bus.endpoints import BusConfig
from bus.node import Node
from tests.support.quiet import Quiet

MS = 1_000_000
_ids = itertools.count()


def node(tmp_path: Path) -> Node:
    n = next(_ids)
    bus = BusConfig(run_dir=str(tmp_path), bus_in=f"inproc://timers-in-{n}", bus_out=f"inproc://timers-out-{n}",
                    exec_cmd=f"inproc://timers-cmd-{n}")
    return Node("timers", bus, clock=lambda: 0, log=Quiet("timers"))


def test_a_one_shot_runs_once_when_due_and_sets_the_next_wake_up(tmp_path: Path) -> None:
    n = node(tmp_path)
    try:
        n._next_hb = 10_000 * MS  # no heartbeat in the way
        calls: list[tuple[str, int]] = []
        n.every(10, lambda now: calls.append(("every", now)))
        n.at(4 * MS, lambda now: calls.append(("at", now)))
        assert n._run_timers(1 * MS) == 3 * MS  # the one-shot is the nearest
        assert n._run_timers(5 * MS) == 5 * MS  # ran; now the periodic one (due at 10 ms)
        assert calls == [("at", 5 * MS)]
        n._run_timers(10 * MS)
        n._run_timers(30 * MS)
        assert calls == [("at", 5 * MS), ("every", 10 * MS), ("every", 30 * MS)]
    finally:
        n.close()


def test_a_one_shot_may_arm_the_next_one(tmp_path: Path) -> None:
    n = node(tmp_path)
    try:
        n._next_hb = 10_000 * MS
        calls: list[int] = []

        def fire(now: int) -> None:
            calls.append(now)
            if len(calls) < 3:
                n.at(now + 2 * MS, fire)

        n.at(1 * MS, fire)
        assert n._run_timers(1 * MS) == 2 * MS
        assert n._run_timers(3 * MS) == 2 * MS
        assert n._run_timers(5 * MS) == 10_000 * MS - 5 * MS  # none left: the heartbeat is next
        assert calls == [1 * MS, 3 * MS, 5 * MS]
    finally:
        n.close()
