"""Orders a person placed by hand on the engine's own account, against the local venue with the real executor
(``PM_EXEC_FOREIGN_ORDERS=cancel_traded``, the default): a restart cancels none of them before it knows a
coordinator trades their market; the one whose market gets leased is cancelled then; the other is left
alone and reported once (RiskEvent info); stopping the executor cancels only what the engine placed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from bus import topics
from bus.node import Node
from schemas import ExecutorState, Lease, OrderCancelled, OrderPlaced, RiskEvent
from tests.support.executor_rig import TIMEOUT, Rig, exit_log
from tests.support.quiet import Quiet


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


def by_hand(rig: Rig, token: str) -> str:
    status, body = rig.us.place(token, "BUY", "0.1", "10")
    assert status == 200 and body["success"], body
    return str(body["orderID"])


def test_foreign_orders_are_cancelled_only_in_traded_markets_and_the_exit_cancels_only_ours(rig: Rig) -> None:
    other = rig.venue.call(lambda: rig.exchange.catalogue.reward_markets()[1])
    traded_by_hand = by_hand(rig, rig.yes)  # in rig.market, which coordinator alpha is going to lease
    elsewhere = by_hand(rig, other.token_ids[0])  # in a market no coordinator trades
    program = rig.executor()  # PM_EXEC_STARTUP=cancel: a restart, with two strangers on the account
    rig.events.wait(lambda m: isinstance(m, ExecutorState))
    # no lease heard yet: neither is cancelled
    assert {o["id"] for o in rig.open_orders()} == {traded_by_hand, elsewhere}

    leaser = Node("market:alpha", rig.cfg, log=Quiet("coordinator"))
    rig.stack.callback(leaser.close)
    deadline = time.monotonic() + TIMEOUT
    gone = None
    while gone is None:  # a coordinator re-publishes its lease every second
        leaser.publish(topics.coord_lease("alpha"), Lease(holder="alpha", market=rig.market,
                                                           yes_asset=rig.yes, no_asset=rig.no,
                                                               ttl_ms=5000, ts=0))
        try:
            gone = rig.events.wait(lambda m: isinstance(m, OrderCancelled) and m.order_id == traded_by_hand,
                                   timeout=0.3)
        except AssertionError:
            assert time.monotonic() < deadline, "the leased market's foreign order was not cancelled"
    assert (gone.holder, gone.market, gone.reason) == ("unowned", rig.market, "unknown_order")

    report = rig.events.of(RiskEvent, kind="foreign_order")
    assert (report.severity, report.market) == ("info", other.condition_id) and elsewhere in report.message
    ours = rig.events.of(OrderPlaced, cmd_id=rig.coordinator().place(price=200_000).cmd_id).order_id
    assert {o["id"] for o in rig.open_orders()} == {elsewhere, ours}

    calls = exit_log(program, "rest_calls")  # SIGTERM
    assert "DELETE /cancel-all" not in calls
    assert [o["id"] for o in rig.open_orders()] == [elsewhere]  # the person's order outlives the engine's
    assert sum(line.count('"kind":"foreign_order"') for line in program.lines) == 1  # reported once
