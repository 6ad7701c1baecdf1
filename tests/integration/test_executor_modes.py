"""Modes and restarts: dry run against "Polymarket" sends nothing; live trading without a real key exits 2;
start-up after a crash cancels (or adopts) the orders the previous run left, by their recorded slots."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from schemas import CancelAll, ExecutorState, OpenOrders, OrderCancelled, OrderPlaced
from tests.support.executor_rig import Rig, crashed_run, exit_log, recording_host
from tests.support.procs import Program, program_env, short_tmpdir
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY


@pytest.fixture
def fake_polymarket() -> Iterator[tuple[str, list[str]]]:
    with recording_host() as host:
        yield host


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


Fake = tuple[str, list[str]]


def test_dry_run_signs_and_answers_but_sends_nothing(rig: Rig, fake_polymarket: Fake) -> None:
    url, seen = fake_polymarket
    program = rig.executor(PM_VENUE="polymarket", PM_DRY_RUN="true", POLYMARKET_REST_URL=url,
                           POLYMARKET_WS_BASE_URL=url.replace("http", "ws"), POLYMARKET_GAMMA_URL=url)
    alpha = rig.coordinator()
    placed = rig.events.of(OrderPlaced, cmd_id=alpha.place().cmd_id)
    assert placed.status == "dry_run" and re.fullmatch(r"0x[0-9a-f]{64}", placed.order_id)
    rig.events.wait(lambda m: isinstance(m, OpenOrders) and [o.order_id for o in m.orders] == [
        placed.order_id])
    rig.events.of(OrderCancelled, cmd_id=alpha.cancel(slots=["yes_bid"]).cmd_id)
    second = rig.events.of(OrderPlaced, cmd_id=alpha.place(slot="b").cmd_id)
    alpha.send(CancelAll(cmd_id="all-dry", holder="alpha", reason="test", ts=0))
    assert rig.events.of(OrderCancelled, cmd_id="all-dry").order_id == second.order_id
    state = rig.events.wait(lambda m: isinstance(m, ExecutorState))
    assert state.mode == "dry_run" and not state.heartbeat_armed
    calls = exit_log(program, "rest_calls")
    assert seen == [] and set(calls) == {"event", "level", "program", "ts"}  # not one HTTP request
    logged = [json.loads(line) for line in program.lines if '"event":"dry_run_order"' in line]
    assert [(d["order_id"], d["side"], d["price"], d["size"]) for d in logged] == [
        (placed.order_id, "BUY", 400_000, 10_000_000), (second.order_id, "BUY", 400_000, 10_000_000)]
    assert not any(re.search(r"0x[0-9a-f]{130}", line) for line in program.lines)  # never a signature


@pytest.mark.parametrize(("key", "why"), [("", "required for live trading"),
                                          (LOCAL_TEST_PRIVATE_KEY, "must never trade on Polymarket")],
                         ids=["no-key", "local-test-key"])
def test_live_trading_without_a_real_key_exits_2(key: str, why: str, fake_polymarket: Fake) -> None:
    url, seen = fake_polymarket
    run_dir = short_tmpdir("pmexk")
    env = program_env(run_dir, PM_VENUE="polymarket", PM_DRY_RUN="false", POLYMARKET_REST_URL=url,
                      POLYMARKET_PRIVATE_KEY=key)
    program = Program(["-m", "actors.executor"], env)
    try:
        line = program.read_until(lambda line: '"event":"config_error"' in line)
        assert program.proc.wait(5) == 2
        record = json.loads(line)
        assert record["variable"] == "POLYMARKET_PRIVATE_KEY" and why in record["error"]
        assert seen == []
    finally:
        program.kill()
        shutil.rmtree(run_dir, ignore_errors=True)


def test_startup_after_a_crash_cancels_what_the_last_run_left(rig: Rig) -> None:
    placed = crashed_run(rig)
    rig.executor()  # PM_EXEC_STARTUP=cancel (the default), same run directory, same SQLite registry
    for order in placed:
        gone = rig.events.of(OrderCancelled, order_id=order.order_id)
        assert (gone.holder, gone.slot, gone.reason) == ("alpha", order.slot, "startup")
    assert rig.open_orders() == []
    rig.events.wait(lambda m: isinstance(m, OpenOrders) and m.orders == [])


def test_startup_after_a_crash_can_adopt_its_orders_into_their_slots(rig: Rig) -> None:
    placed = crashed_run(rig)
    rig.executor(PM_EXEC_STARTUP="adopt")
    view = rig.events.wait(lambda m: isinstance(m, OpenOrders) and len(m.orders) == 2)
    expected = {(p.order_id, "alpha", p.slot) for p in placed}
    assert {(o.order_id, o.holder, o.slot) for o in view.orders} == expected
    alpha = rig.coordinators[0]  # still beating: its orders are kept
    replace = alpha.place(slot="yes_bid", price=380_000)
    assert rig.events.of(OrderCancelled, order_id=placed[0].order_id).reason == "replaced"
    new_id = rig.events.of(OrderPlaced, cmd_id=replace.cmd_id).order_id
    assert {o["id"] for o in rig.open_orders()} == {new_id, placed[1].order_id}
