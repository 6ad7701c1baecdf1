"""Pre-signing against the local venue over real sockets (issue 20 §3): the executor (pre-signing on:
``PM_EXEC_PRESIGN_MAX_AGE_MS`` set) re-quotes one slot back and forth by a tick; the orders it signed in idle
time, before their command was even sent, are accepted by the venue, and the venue refuses nothing.

The venue runs in this process (``Rig``): its ``place`` is wrapped to see each order's signed ``timestamp``
and the venue's answer. An order whose timestamp is older than the moment its command was sent can only be
a pre-signed one.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from schemas import OrderFailed, OrderPlaced
from tests.support.executor_rig import Rig, exit_log

REQUOTES = 60  # at most; the test stops once PRE_SIGNED_WANTED orders were pre-signed
PRE_SIGNED_WANTED = 3


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


def record_places(rig: Rig) -> dict[str, tuple[int, int]]:
    """order id -> (signed timestamp ms, the venue's HTTP status), for every order the venue is sent."""
    seen: dict[str, tuple[int, int]] = {}
    exchange = rig.exchange
    place = exchange.place

    def recording(**kw: Any) -> Any:
        reply = place(**kw)
        seen[kw["order"].order_id] = (kw["order"].timestamp_ms, reply.status)
        return reply

    rig.venue.call(lambda: setattr(exchange, "place", recording))
    return seen


def test_pre_signed_orders_are_accepted_by_the_venue(rig: Rig) -> None:
    seen = record_places(rig)
    program = rig.executor(PM_EXEC_PRESIGN_MAX_AGE_MS="10000", PM_EXEC_PRESIGN_TICKS="2")
    alpha = rig.coordinator()
    pre_signed: list[str] = []
    for i in range(REQUOTES):
        price = 300_000 + 10_000 * (i % 2)  # back and forth by one tick, replacing the slot's order
        sent_at = time.time_ns() // 1_000_000
        cmd = alpha.place(slot="yes_bid", price=price)
        placed = rig.events.of(OrderPlaced, cmd_id=cmd.cmd_id)
        assert placed.status == "live"
        assert placed.order_id in seen  # announced once the venue answered
        if seen[placed.order_id][0] < sent_at:  # signed before its command existed
            pre_signed.append(placed.order_id)
            if len(pre_signed) >= PRE_SIGNED_WANTED:
                break
    assert len(pre_signed) >= PRE_SIGNED_WANTED, f"only {len(pre_signed)} of {i + 1} orders were pre-signed"
    assert all(status == 200 for _, status in seen.values()), seen  # the venue refused nothing
    assert not [m for _, _, m in rig.events.seen if isinstance(m, OrderFailed)]
    counts = exit_log(program, "presigned")
    assert counts["hits"] >= PRE_SIGNED_WANTED and counts["signed"] >= counts["hits"]
    assert {o["id"] for o in rig.open_orders()} == set()  # cancelled at exit, pre-signed or not


def test_with_pre_signing_off_every_order_is_signed_when_sent(rig: Rig) -> None:
    seen = record_places(rig)
    program = rig.executor()  # the default: off
    alpha = rig.coordinator()
    for i in range(6):
        sent_at = time.time_ns() // 1_000_000
        placed = rig.events.of(OrderPlaced, cmd_id=alpha.place(price=300_000 + 10_000 * (i % 2)).cmd_id)
        assert seen[placed.order_id][0] >= sent_at
    program.terminate_and_time()
    assert all(status == 200 for _, status in seen.values())
