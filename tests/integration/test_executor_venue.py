"""The executor as a real process against the local venue over real sockets: place, batch, cancel by id /
slot / market / all, crossing and balance rejections, the order heartbeat and the dead-man switch.

The harness here (``Rig``, ``Coordinator``, ``Events``) is shared by the other test_executor_* modules.
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any, Literal

import pytest

from actors.common.polymarket import LOCAL_TEST_PRIVATE_KEY
from bus import topics
from bus.codec import Header
from bus.logs import Logger
from bus.node import Node
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    ExecutorState,
    OpenOrders,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    PlaceOrder,
    RiskEvent,
)
from tests.integration.venue_client import KEY_A, Client
from tests.support.procs import Listener, Program, bus_config, program_env, running_proxy, short_tmpdir
from venue.app import VenueThread
from venue.config import VenueConfig

TIMEOUT = 10.0


class Quiet(Logger):
    def _write(self, level: str, event: str, fields: dict[str, Any]) -> None:
        pass


class Events:
    """Everything the executor publishes (exec.*, risk.*), kept in order; each wait claims one message."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.seen: list[tuple[bytes, Header, Any]] = []
        self.claimed: set[int] = set()

    def wait(self, pred: Callable[[Any], bool], timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        start = 0
        while True:
            for index in range(start, len(self.seen)):
                topic, header, msg = self.seen[index]
                if index not in self.claimed and pred(msg):
                    self.claimed.add(index)
                    assert header.src == topics.owner_of(topic) == "executor", (topic, header.src)
                    return msg
            start = len(self.seen)
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching executor message within {timeout}s; saw "
                                     f"{[type(m).__name__ for _, _, m in self.seen[-20:]]}")
            try:
                self.seen.append(self.listener.next(left))
            except TimeoutError:
                continue

    def of(self, message_type: type, **fields: Any) -> Any:
        return self.wait(lambda m: isinstance(m, message_type)
                         and all(getattr(m, k) == v for k, v in fields.items()))


class Coordinator:
    """Stands in for ``market:<holder>``: beats on the bus (its own loop in a thread) and pushes commands."""

    _ids = itertools.count(1)

    def __init__(self, rig: Rig, holder: str = "alpha") -> None:
        self.rig, self.holder = rig, holder
        self.node = Node(f"market:{holder}", rig.cfg, push_connect={"exec": rig.cfg.command_endpoint},
                         log=Quiet("coordinator"))
        self.thread = threading.Thread(target=self.node.run, args=(lambda t, h, m: None,),
                                       kwargs={"max_wait_ms": 20}, daemon=True)
        self.thread.start()

    def send(self, cmd: Any) -> Any:
        self.node.push("exec", topics.exec_cmd(self.holder), cmd)
        return cmd

    def place(self, *, slot: str = "yes_bid", asset: str | None = None, side: Literal["BUY", "SELL"] = "BUY",
              price: int = 400_000, size: int = 10_000_000, **kw: Any) -> PlaceOrder:
        return self.send(PlaceOrder(cmd_id=f"{self.holder}-{next(self._ids)}", holder=self.holder,
                                    market=kw.pop("market", self.rig.market), asset=asset or self.rig.yes,
                                    side=side, price=price, size=size, tick=10_000, neg_risk=False, slot=slot,
                                    ts=time.time_ns(), **kw))

    def cancel(self, *, ids: list[str] | None = None, slots: list[str] | None = None) -> CancelOrders:
        return self.send(CancelOrders(cmd_id=f"{self.holder}-{next(self._ids)}", holder=self.holder,
                                      market=self.rig.market, order_ids=ids or [], slots=slots or [],
                                      reason="test", ts=time.time_ns()))

    def cancel_market(self, market: str | None = None) -> CancelMarket:
        return self.send(CancelMarket(cmd_id=f"{self.holder}-{next(self._ids)}", holder=self.holder,
                                      market=market or self.rig.market, reason="rotate", ts=time.time_ns()))

    def stop(self) -> None:
        if self.thread.is_alive():
            self.node.stop()
            self.thread.join(2)
            self.node.close()


class Rig:
    """A bus proxy, a fresh local venue (no synthetic flow), a listener, and our account's REST view."""

    def __init__(self, stack: ExitStack, venue_config: VenueConfig | None = None) -> None:
        self.stack = stack
        self.run_dir = short_tmpdir("pmex")
        stack.callback(shutil.rmtree, self.run_dir, True)
        self.cfg = bus_config(self.run_dir)
        stack.enter_context(running_proxy(self.cfg))
        self.venue = stack.enter_context(VenueThread(venue_config or VenueConfig(flow=False), seed=7))
        market = self.venue.call(lambda: self.exchange.catalogue.reward_markets()[0])
        self.market, (self.yes, self.no) = market.condition_id, market.token_ids
        self.url = self.venue.urls["clob"]
        listener = Listener(self.cfg, b"exec.", b"risk.")
        stack.callback(listener.close)
        self.events = Events(listener)
        self.us = Client(self.url, LOCAL_TEST_PRIVATE_KEY)  # the executor's own account, to look at
        self.us.derive()
        stack.callback(self.us.close)
        self.coordinators: list[Coordinator] = []
        stack.callback(self.stop_coordinators)

    def stop_coordinators(self) -> None:
        for coordinator in self.coordinators:
            coordinator.stop()

    @property
    def exchange(self) -> Any:
        return self.venue.venue.exchange  # type: ignore[union-attr]

    def env(self, **extra: str) -> dict[str, str]:
        return program_env(self.run_dir, PM_LOCAL_VENUE_URL=self.url, PM_EXEC_HEARTBEAT_MS="500",
                           PM_EXEC_STATE_PUBLISH_MS="200", PM_EXEC_ORDERS_PUBLISH_MS="500", **extra)

    def executor(self, ready: str = '"event":"executor_ready"', **extra: str) -> Program:
        program = Program(["-m", "actors.executor"], self.env(**extra))
        self.stack.callback(program.kill)
        program.read_until(lambda line: ready in line, timeout=TIMEOUT)
        return program

    def coordinator(self, holder: str = "alpha") -> Coordinator:
        coordinator = Coordinator(self, holder)
        self.coordinators.append(coordinator)
        return coordinator

    def open_orders(self) -> list[dict[str, Any]]:
        status, body, _ = self.us.private("GET", "/data/orders")
        assert status == 200, body
        return list(body["data"])

    def faults(self, **plan: Any) -> None:
        status, body, _ = self.us.request("POST", "/_venue/faults", json.dumps(plan).encode())
        assert status == 200, body

    def admin(self, path: str, body: dict[str, Any]) -> None:
        status, answer, _ = self.us.request("POST", path, json.dumps(body).encode())
        assert status == 200, answer


def wait_until(predicate: Callable[[], bool], timeout: float = TIMEOUT, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(0.02)


def exit_log(program: Program, event: str) -> dict[str, Any]:
    """SIGTERM the program and return its last ``event`` log line."""
    program.terminate_and_time()
    # one read_until only: Program keeps the lines after a match in its buffer, and at EOF drops them
    return json.loads(program.read_until(lambda line: f'"event":"{event}"' in line))


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
    cmds = [alpha.place(slot=f"s{i}", price=100_000 + 10_000 * i) for i in range(20)]
    ids = {rig.events.of(OrderPlaced, cmd_id=c.cmd_id).order_id for c in cmds}
    assert len(ids) == 20 and len(rig.open_orders()) == 20
    calls = exit_log(program, "rest_calls")
    posts = calls.get("POST /orders", 0) + calls.get("POST /order", 0)
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
    from actors.common.polymarket import creds_path, read_creds
    program = rig.executor()
    creds = read_creds(str(rig.run_dir))
    assert creds is not None and creds.api_key == rig.us.creds.api_key  # type: ignore[union-attr]
    assert creds_path(str(rig.run_dir)).stat().st_mode & 0o777 == 0o600
    secret = rig.us.creds.secret  # type: ignore[union-attr]
    assert not any(secret in line or rig.us.creds.passphrase in line for line in program.lines)  # type: ignore[union-attr]
    assert Path(rig.run_dir, "executor.sqlite").exists()
