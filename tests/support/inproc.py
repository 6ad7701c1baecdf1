"""A bus on ``inproc://`` endpoints (one ZeroMQ context) for Node tests: a message is in the receiver's
queue as soon as ``send`` returns, so "arrived together" is exact and the tests need no sleeps."""

from __future__ import annotations

import itertools
from pathlib import Path

from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Heartbeat

_ids = itertools.count()


def inproc_bus(tmp_path: Path) -> BusConfig:
    n = next(_ids)
    return BusConfig(run_dir=str(tmp_path), bus_in=f"inproc://drain-in-{n}", bus_out=f"inproc://drain-out-{n}",
                     exec_cmd=f"inproc://drain-cmd-{n}")


def beat(i: int) -> Heartbeat:
    return Heartbeat(program="sender", pid=1, ready=True, gaps=0, ts=i)


def push_pair(tmp_path: Path) -> tuple[Node, Node]:
    """A receiver bound to the command PULL and a sender PUSHing to it (pipe ``"r"``) on an inproc bus."""
    from tests.support.quiet import Quiet

    bus = inproc_bus(tmp_path)
    receiver = Node("receiver", bus, pull_bind=bus.command_endpoint, log=Quiet("receiver"))
    sender = Node("sender", bus, push_connect={"r": bus.command_endpoint}, log=Quiet("sender"))
    return receiver, sender
