"""The executor as a real process against the local venue over real sockets: place, batch, cancel by id /
slot / market / all, crossing and balance rejections, the order heartbeat and the dead-man switch.

The harness (``Rig``, ``Coordinator``, ``Events``) is tests/support/executor_rig.py.
"""

from __future__ import annotations

import itertools
import os
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import zmq

from bus import codec, topics
from schemas import (
    CancelAll,
    ExecutorState,
    OpenOrders,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    PlaceOrder,
    RiskEvent,
)
from tests.support.executor_rig import Rig, exit_log
from tests.support.venue_client import KEY_A, Client
from tests.support.waits import wait_until
from venue.config import VenueConfig


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


# -- tests ----------------------------------------------------------------------------------------


def test_place_then_cancel_by_id_slot_market_and_all(rig: Rig) -> None:
    rig.executor()
    alpha, beta = rig.coordinator("alpha"), rig.coordinator("beta")
    cmds = [alpha.place(slot="yes_bid"), alpha.place(slot="no_bid", asset=rig.no, price=300_000),
            alpha.place(slot="yes_bid_2", price=390_000), beta.place(slot="yes_bid", price=380_000)]
    placed = {c.cmd_id: rig.events.of(OrderPlaced, cmd_id=c.cmd_id) for c in cmds}
    assert {p.status for p in placed.values()} == {"live"}
    assert {o["id"] for o in rig.open_orders()} == {p.order_id for p in placed.values()}
    rig.events.of(PlaceOrder, cmd_id=cmds[0].cmd_id)  # every command is echoed on exec.cmd.<holder>.
    view = rig.events.wait(lambda m: isinstance(m, OpenOrders) and len(m.orders) == 4)
    assert {(o.holder, o.slot) for o in view.orders} == {("alpha", "yes_bid"), ("alpha", "no_bid"),
                                                         ("alpha", "yes_bid_2"), ("beta", "yes_bid")}
    ids = [placed[c.cmd_id].order_id for c in cmds]

    by_id = alpha.cancel(ids=[ids[1]])
    gone = rig.events.of(OrderCancelled, cmd_id=by_id.cmd_id)
    assert (gone.order_id, gone.slot, gone.holder) == (ids[1], "no_bid", "alpha")
    by_slot = alpha.cancel(slots=["yes_bid"])
    assert rig.events.of(OrderCancelled, cmd_id=by_slot.cmd_id).order_id == ids[0]
    by_market = alpha.cancel_market()
    assert rig.events.of(OrderCancelled, cmd_id=by_market.cmd_id).order_id == ids[2]
    assert [o["id"] for o in rig.open_orders()] == [ids[3]]  # beta's order was not touched
    everything = alpha.send(CancelAll(cmd_id="all-1", holder="alpha", reason="test", ts=0))
    gone = rig.events.of(OrderCancelled, cmd_id=everything.cmd_id)
    assert (gone.order_id, gone.holder) == (ids[3], "beta")  # announced on the holder's own topic
    assert rig.open_orders() == []
    rig.events.wait(lambda m: isinstance(m, OpenOrders) and m.orders == [])
    state = rig.events.wait(lambda m: isinstance(m, ExecutorState) and m.heartbeat_armed)
    assert state.mode == "normal"


def test_commands_that_arrive_together_share_batches(rig: Rig) -> None:
    program = rig.executor()
    alpha = rig.coordinator()
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context()  # a pipe of our own, so it can be flushed
    pipe = ctx.socket(zmq.PUSH)
    pipe.connect(rig.cfg.command_endpoint)
    topic, seq = topics.exec_cmd(alpha.holder), itertools.count(1)

    def push(cmd: PlaceOrder) -> PlaceOrder:
        header = codec.encode_header("market:alpha", 1, next(seq), time.time_ns())
        pipe.send_multipart([topic, header, codec.encode_body(cmd)])
        return cmd

    warm = push(alpha.order(slot="warm", price=90_000))  # the pipe is connected and being read
    rig.events.of(OrderPlaced, cmd_id=warm.cmd_id)
    os.kill(program.proc.pid, signal.SIGSTOP)  # twenty commands arrive while it cannot read: together
    try:
        cmds = [push(alpha.order(slot=f"s{i}", price=100_000 + 10_000 * i)) for i in range(20)]
        pipe.close(linger=-1)
        ctx.term()  # returns once every frame is in the executor's socket buffer
    finally:
        os.kill(program.proc.pid, signal.SIGCONT)
    ids = {rig.events.of(OrderPlaced, cmd_id=c.cmd_id).order_id for c in cmds}
    assert len(ids) == 20 and len(rig.open_orders()) == 21
    calls = exit_log(program, "rest_calls")
    posts = calls.get("POST /orders", 0) + calls.get("POST /order", 0) - 1  # not the warm-up's
    assert 2 <= posts <= 5, calls  # 20 orders in a few batches of at most 15, not 20 requests
    # SIGTERM: what the engine placed is cancelled on the way out, by id (never the whole account)
    assert calls["DELETE /orders"] == 1 and "DELETE /cancel-all" not in calls and rig.open_orders() == []


def test_a_crossing_post_only_order_is_refused_and_its_side_backs_off(rig: Rig) -> None:
    other = Client(rig.url, KEY_A)
    other.derive()
    status, body = other.place(rig.no, "BUY", "0.5", "10")  # a No bid at 0.50 is a Yes ask at 0.50
    assert status == 200, body
    rig.executor()
    alpha = rig.coordinator()
    crossing = alpha.place(price=500_000)
    failed = rig.events.of(OrderFailed, cmd_id=crossing.cmd_id)
    assert (failed.reason, failed.retry_after_ms) == ("crosses_book", 1000)
    assert failed.message == "invalid post-only order: order crosses book"
    again = alpha.place(price=490_000)  # same side within the second: refused here, not sent
    assert rig.events.of(OrderFailed, cmd_id=again.cmd_id).reason == "backoff"
    other_side = alpha.place(slot="ask_no", asset=rig.no, price=400_000)
    assert rig.events.of(OrderPlaced, cmd_id=other_side.cmd_id).status == "live"
    other.close()


def test_not_enough_balance_blocks_the_side_and_raises_a_risk_event(rig: Rig) -> None:
    rig.executor()
    alpha = rig.coordinator()
    sell = alpha.place(slot="yes_ask", side="SELL", price=600_000)  # we hold no Yes tokens
    failed = rig.events.of(OrderFailed, cmd_id=sell.cmd_id)
    assert failed.reason == "balance" and failed.retry_after_ms > 0
    risk = rig.events.of(RiskEvent, kind="balance")
    assert (risk.program, risk.market, risk.severity) == ("executor", rig.market, "halt")
    again = alpha.place(slot="yes_ask", side="SELL", price=610_000)
    blocked = rig.events.of(OrderFailed, cmd_id=again.cmd_id)
    assert blocked.reason == "backoff" and "balance" in blocked.message


def test_the_heartbeat_keeps_orders_alive_and_the_dead_man_cancels_them_when_we_die() -> None:
    with ExitStack() as stack:
        rig = Rig(stack, VenueConfig(flow=False, heartbeat_timeout_ms=2000))
        program = rig.executor()
        key = rig.us.creds.api_key  # type: ignore[union-attr]
        alpha = rig.coordinator()
        order_id = rig.events.of(OrderPlaced, cmd_id=alpha.place().cmd_id).order_id
        wait_until(lambda: rig.venue.call(lambda: rig.exchange.heartbeats.armed(key)), what="venue armed")
        armed_at = last_beat(rig, key)
        rig.events.wait(lambda m: isinstance(m, ExecutorState) and m.heartbeat_armed)
        # accepted heartbeats keep coming past the venue's 2 s timeout, and the order is still there
        wait_until(lambda: last_beat(rig, key) > armed_at + 2_500_000_000, what="heartbeats past one timeout")
        assert [o["id"] for o in rig.open_orders()] == [order_id]
        program.proc.kill()  # kill -9: no goodbye, no cancel
        program.proc.wait(5)
        wait_until(lambda: rig.open_orders() == [], what="dead-man cancel")
        assert not rig.venue.call(lambda: rig.exchange.heartbeats.armed(key))


def last_beat(rig: Rig, key: str) -> int:
    return int(rig.venue.call(lambda: rig.exchange.heartbeats._last_ns.get(key, 0)))


def test_the_documented_heartbeats_path_works_too(rig: Rig) -> None:
    rig.executor(PM_EXEC_HEARTBEAT_PATH="/heartbeats")
    key = rig.us.creds.api_key  # type: ignore[union-attr]
    rig.events.of(OrderPlaced, cmd_id=rig.coordinator().place().cmd_id)
    wait_until(lambda: last_beat(rig, key) > 0, what="first heartbeat")
    first = last_beat(rig, key)
    wait_until(lambda: last_beat(rig, key) > first, what="a second heartbeat with the returned id")
    assert rig.venue.call(lambda: rig.exchange.heartbeats.armed(key))


def test_credentials_are_derived_and_shared_with_the_user_feed(rig: Rig) -> None:
    from venue_client.credentials import creds_path, read_creds
    program = rig.executor()
    creds = read_creds(str(rig.run_dir))
    assert creds is not None and creds.api_key == rig.us.creds.api_key  # type: ignore[union-attr]
    assert creds_path(str(rig.run_dir)).stat().st_mode & 0o777 == 0o600
    secret = rig.us.creds.secret  # type: ignore[union-attr]
    assert not any(secret in line or rig.us.creds.passphrase in line for line in program.lines)  # type: ignore[union-attr]
    assert Path(rig.run_dir, "executor.sqlite").exists()
