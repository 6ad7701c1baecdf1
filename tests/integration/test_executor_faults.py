"""The executor against the venue's injected faults: 429, 425 restarts and the post-only window, an
answer slower than our timeout (unknown outcome -> reconciled, not placed twice), a silent coordinator,
and a slow venue that holds up neither commands nor heartbeats (the loop never waits for a reply)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from functools import partial

import pytest

from bus import topics
from schemas import ExecutorState, Heartbeat, OrderCancelled, OrderFailed, OrderPlaced, RiskEvent
from tests.support.executor_rig import Rig
from tests.support.procs import Listener
from tests.support.waits import wait_until


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


def test_429_honours_retry_after_and_refuses_while_it_lasts(rig: Rig) -> None:
    rig.executor()
    alpha = rig.coordinator()
    rig.faults(rate_429=1.0, retry_after_s=7)
    limited = alpha.place()
    failed = rig.events.of(OrderFailed, cmd_id=limited.cmd_id)
    assert (failed.reason, failed.retry_after_ms) == ("rate_limited", 7000)
    rig.faults()
    again = alpha.place(slot="other")
    refused = rig.events.of(OrderFailed, cmd_id=again.cmd_id)
    assert refused.reason == "backoff" and 0 < refused.retry_after_ms <= 7000
    assert rig.events.wait(lambda m: isinstance(m, ExecutorState) and m.mode == "backoff")
    assert rig.open_orders() == []


def answers(cmd_id: str, msg: object) -> bool:
    return isinstance(msg, OrderPlaced | OrderFailed) and msg.cmd_id == cmd_id


def test_425_restart_backs_off_then_the_post_only_window(rig: Rig) -> None:
    rig.executor(PM_ALLOW_TAKER_EXIT="true")
    alpha = rig.coordinator()
    rig.admin("/_venue/restart-engine", {"restart_s": 1, "post_only_s": 30})
    first = alpha.place()
    failed = rig.events.of(OrderFailed, cmd_id=first.cmd_id)
    assert failed.reason == "engine_restart" and failed.retry_after_ms >= 1000
    rig.events.wait(lambda m: isinstance(m, ExecutorState) and m.mode == "backoff")
    placed = None
    for _ in range(50):  # keep quoting as a coordinator would, paced by the executor's own state ticks
        cmd = alpha.place()
        answer = rig.events.wait(partial(answers, cmd.cmd_id))
        if isinstance(answer, OrderPlaced):
            placed = answer
            break
        assert answer.reason in ("backoff", "engine_restart"), answer
        rig.events.wait(lambda m: isinstance(m, ExecutorState))
    assert placed is not None and placed.status == "live"
    rig.events.wait(lambda m: isinstance(m, ExecutorState) and m.mode == "post_only")
    taker = alpha.place(slot="exit", side="BUY", order_type="FAK", post_only=False, taker_exit=True)
    refused = rig.events.of(OrderFailed, cmd_id=taker.cmd_id)
    assert refused.reason == "post_only_mode"  # refused here: the venue would refuse it anyway


def test_the_venues_post_only_mode_answer_is_classified(rig: Rig) -> None:
    rig.executor(PM_ALLOW_TAKER_EXIT="true")
    alpha = rig.coordinator()
    rig.admin("/_venue/restart-engine", {"restart_s": 0, "post_only_s": 30})
    taker = alpha.place(slot="exit", price=500_000, order_type="FAK", post_only=False, taker_exit=True)
    rig.events.of(RiskEvent, kind="taker_exit")  # the opt-in exit is announced as a risk event
    failed = rig.events.of(OrderFailed, cmd_id=taker.cmd_id)
    assert failed.reason == "post_only_mode"
    assert failed.message == "post-only mode: only post-only orders and cancels are allowed"
    maker = alpha.place()
    assert rig.events.of(OrderPlaced, cmd_id=maker.cmd_id).status == "live"  # post-only orders still go


def test_an_answer_slower_than_our_timeout_is_reconciled_not_placed_twice(rig: Rig) -> None:
    rig.executor(PM_EXEC_HTTP_TIMEOUT_MS="300", PM_EXEC_RECONCILE_MS="1000")
    alpha = rig.coordinator()
    rig.faults(latency_ms=800)  # the venue takes the order, but answers after we gave up
    slow = alpha.place()
    unknown = rig.events.of(OrderFailed, cmd_id=slow.cmd_id)
    assert unknown.reason == "unknown_outcome"
    rig.faults()
    again = alpha.place(price=390_000)  # same slot while reconciling: not sent
    assert rig.events.of(OrderFailed, cmd_id=again.cmd_id).reason == "unknown_outcome"
    found = rig.events.of(OrderPlaced, cmd_id=slow.cmd_id)  # reconciled by its locally computed id
    assert found.order_id in unknown.message
    orders = rig.open_orders()
    assert [o["id"] for o in orders] == [found.order_id] and orders[0]["price"] == "0.4"
    replace = alpha.place(price=380_000)  # the slot is usable again: the found order is replaced
    rig.events.of(OrderCancelled, order_id=found.order_id, reason="replaced")
    new_id = rig.events.of(OrderPlaced, cmd_id=replace.cmd_id).order_id
    assert [o["id"] for o in rig.open_orders()] == [new_id]


def test_a_silent_coordinator_loses_its_orders(rig: Rig) -> None:
    rig.executor()  # bus heartbeat 200 ms in tests: silent after 3 missed = 600 ms
    alpha, beta = rig.coordinator("alpha"), rig.coordinator("beta")
    kept = rig.events.of(OrderPlaced, cmd_id=beta.place().cmd_id).order_id
    ids = {rig.events.of(OrderPlaced, cmd_id=alpha.place(slot=s).cmd_id).order_id for s in ("a", "b")}
    alpha.stop()  # its heartbeats stop
    risk = rig.events.of(RiskEvent, kind="coordinator_silent")
    assert risk.market == "alpha" and risk.severity == "warn"
    gone = {rig.events.of(OrderCancelled, reason="coordinator_silent").order_id for _ in ids}
    assert gone == ids
    wait_until(lambda: [o["id"] for o in rig.open_orders()] == [kept], what="alpha's orders cancelled")


def test_a_slow_venue_holds_up_neither_commands_nor_heartbeats(rig: Rig) -> None:
    rig.executor(PM_HEARTBEAT_MS="1000", PM_EXEC_SYNC_MS="0")  # the bus heartbeat every second (production)
    seen = Listener(rig.cfg, b"exec.", topics.sys_hb("executor"))  # in the order the executor published them
    rig.stack.callback(seen.close)
    alpha = rig.coordinator()
    rig.faults(latency_ms=1500)  # every REST answer takes 1.5 s

    slow = alpha.place(slot="a")
    seen.wait_for(lambda t, h, m: m == slow, timeout=10)  # echoed once its request was written
    invalid = alpha.place(slot="b", price=405_000)  # off the tick grid: the executor answers it itself
    other = alpha.place(slot="c", price=390_000)  # another slot: sent while the first is in flight
    before: list[object] = []
    while not answers(slow.cmd_id, msg := seen.next(10)[2]):
        before.append(msg)

    refused = [m for m in before if isinstance(m, OrderFailed) and m.cmd_id == invalid.cmd_id]
    assert [m.reason for m in refused] == ["invalid"]  # answered while the venue still held the first order
    assert other in before  # its request was written while the first one's reply was still out
    assert any(isinstance(m, Heartbeat) for m in before)  # the loop kept beating
    assert sum(isinstance(m, ExecutorState) for m in before) >= 2  # and publishing its state
    assert isinstance(msg, OrderPlaced) and msg.status == "live"
    assert rig.events.of(OrderPlaced, cmd_id=other.cmd_id).status == "live"
