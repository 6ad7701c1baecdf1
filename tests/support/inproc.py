"""A bus on ``inproc://`` endpoints (one ZeroMQ context) for Node tests: a message is in the receiver's
queue as soon as ``send`` returns, so "arrived together" is exact and the tests need no sleeps."""

from __future__ import annotations

import itertools
from pathlib import Path

from bus.endpoints import BusConfig
from schemas import Heartbeat

_ids = itertools.count()


def inproc_bus(tmp_path: Path) -> BusConfig:
    n = next(_ids)
    return BusConfig(run_dir=str(tmp_path), bus_in=f"inproc://drain-in-{n}", bus_out=f"inproc://drain-out-{n}",
                     exec_cmd=f"inproc://drain-cmd-{n}")


def beat(i: int) -> Heartbeat:
    return Heartbeat(program="sender", pid=1, ready=True, gaps=0, ts=i)
