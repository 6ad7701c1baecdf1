"""The executor reconciles with the venue over real sockets: at start-up and in its periodic sync (one code
path) it adopts the orders it knows and cancels the ones it does not; and it compares inventory's
positions with the venue's token balances, halting a market on a confirmed mismatch and clearing it."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from bus import topics
from bus.node import Node
from schemas import (
    BusMessage,
    ExecutorState,
    InventoryState,
    Lease,
    OpenOrders,
    OrderCancelled,
    OrderPlaced,
    RiskEvent,
)
from tests.support.executor_rig import Rig, crashed_run, exit_log, recording_host
from tests.support.quiet import Quiet
from tests.support.venue_client import KEY_A, Client
from venue_client.endpoints import LOCAL_TEST_ADDRESS

M = 1_000_000


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


class Beacon:
    """A stand-in program publishing ``make()`` on ``topic`` every ``period_ms`` from its own loop thread."""

    def __init__(self, rig: Rig, program: str, topic: bytes, make: Callable[[], BusMessage],
                 period_ms: int = 100) -> None:
        self.node = Node(program, rig.cfg, log=Quiet(program))
        self.node.every(period_ms, lambda now: self.node.publish(topic, make()))
        self.thread = threading.Thread(target=self.node.run, args=(lambda t, h, m: None,),
                                       kwargs={"max_wait_ms": 20}, daemon=True)
        self.thread.start()
        rig.stack.callback(self.stop)

    def stop(self) -> None:
        if self.thread.is_alive():
            self.node.stop()
            self.thread.join(2)
            self.node.close()


def stranger(rig: Rig, price: str = "0.30") -> str:
    """An order of our key that the executor did not place (another process, a lost registry row)."""
    status, body = rig.us.place(rig.yes, "BUY", price, "10")
    assert status == 200 and body["success"], body
    return str(body["orderID"])


def test_startup_adopts_the_orders_it_knows_and_cancels_the_ones_it_does_not(rig: Rig) -> None:
    placed = crashed_run(rig)
    unknown = stranger(rig)
    rig.executor(PM_EXEC_STARTUP="adopt")
    gone = rig.events.of(OrderCancelled, order_id=unknown)
    assert (gone.holder, gone.reason) == ("unowned", "unknown_order")
    view = rig.events.wait(lambda m: isinstance(m, OpenOrders) and len(m.orders) == 2)
    assert {(o.order_id, o.holder, o.slot) for o in view.orders} == {(p.order_id, "alpha", p.slot)
                                                                      for p in placed}
    assert {o["id"] for o in rig.open_orders()} == {p.order_id for p in placed}


def test_the_periodic_sync_cancels_an_order_it_does_not_know_and_keeps_its_own(rig: Rig) -> None:
    rig.executor(PM_EXEC_SYNC_MS="300")
    mine = rig.events.of(OrderPlaced, cmd_id=rig.coordinator().place().cmd_id)
    unknown = stranger(rig)
    gone = rig.events.of(OrderCancelled, order_id=unknown)
    assert (gone.holder, gone.reason) == ("unowned", "unknown_order")
    assert [o["id"] for o in rig.open_orders()] == [mine.order_id]


def held(rig: Rig, yes: int) -> None:
    """Give our account ``yes`` Yes shares on the venue: our bid rests, a counterparty mints against it."""
    other = Client(rig.url, KEY_A)
    rig.stack.callback(other.close)
    other.derive()
    shares = f"{yes / M:g}"
    status, body = rig.us.place(rig.yes, "BUY", "0.40", shares)
    assert status == 200 and body["success"], body
    status, body = other.place(rig.no, "BUY", "0.60", shares, post_only=False)
    assert status == 200 and body["tradeIDs"], body
    positions = rig.venue.call(lambda: rig.exchange.positions(LOCAL_TEST_ADDRESS))
    assert positions.get(rig.yes) == yes and rig.open_orders() == []


def test_a_confirmed_inventory_mismatch_halts_the_market_and_clears_when_they_match(rig: Rig) -> None:
    held(rig, 10 * M)
    inventory = {"yes": 0}

    def state() -> Any:
        return InventoryState(market=rig.market, yes_asset=rig.yes, no_asset=rig.no, yes_qty=inventory["yes"],
                              no_qty=0, yes_avg_cost=400_000, no_avg_cost=0, net_diff=inventory["yes"],
                              portfolio_cost=0, can_open=True, realized_pnl=0, unrealized_pnl=0, fills=1,
                              ts=time.time_ns())

    Beacon(rig, "market:alpha", topics.coord_lease("alpha"), lambda: Lease(
        holder="alpha", market=rig.market, yes_asset=rig.yes, no_asset=rig.no,
            ttl_ms=2000, ts=time.time_ns()), 200)
    Beacon(rig, "inventory", topics.inv_state(rig.market), state)
    rig.executor(PM_RECONCILE_MS="200", PM_RECONCILE_CONFIRM="2")

    halt = rig.events.of(RiskEvent, kind="inventory_mismatch")
    assert (halt.program, halt.market, halt.severity) == ("executor", rig.market, "halt")
    assert halt.message == "yes 0 vs venue 10000000, no 0 vs venue 0 (1e-6 shares; 2 checks)"
    inventory["yes"] = 10 * M  # inventory catches up (say, a fill that was in flight)
    cleared = rig.events.wait(lambda m: isinstance(m, RiskEvent) and m.severity == "info")
    assert (cleared.kind, cleared.market) == ("inventory_mismatch", rig.market)
    assert cleared.message == "yes 10000000 vs venue 10000000, no 0 vs venue 0 (1e-6 shares): matched again"


def test_dry_run_never_asks_polymarket_for_balances(rig: Rig) -> None:
    url, seen = rig.stack.enter_context(recording_host())
    Beacon(rig, "market:alpha", topics.coord_lease("alpha"), lambda: Lease(
        holder="alpha", market=rig.market, yes_asset=rig.yes, no_asset=rig.no,
            ttl_ms=2000, ts=time.time_ns()), 100)
    program = rig.executor(PM_VENUE="polymarket", PM_DRY_RUN="true", POLYMARKET_REST_URL=url,
                           POLYMARKET_WS_BASE_URL=url.replace("http", "ws"), POLYMARKET_GAMMA_URL=url,
                           PM_RECONCILE_MS="100")
    for _ in range(5):  # a second of the executor's life: ten check periods
        rig.events.wait(lambda m: isinstance(m, ExecutorState))
    assert exit_log(program, "rest_calls").keys() == {"event", "level", "program", "ts"}
    assert seen == []
