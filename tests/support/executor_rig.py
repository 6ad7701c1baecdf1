"""The executor under test as a real process, against a fresh local venue over real sockets.

    with ExitStack() as stack:
        rig = Rig(stack)                        # bus proxy, venue (no synthetic flow), listener, our account
        program = rig.executor()                # python -m actors.executor, waits for executor_ready
        alpha = rig.coordinator("alpha")        # a stand-in coordinator: beats, pushes commands
        placed = rig.events.of(OrderPlaced, cmd_id=alpha.place().cmd_id)

``Recorder`` / ``recording_host`` stand in for the real Polymarket host when a test must prove that
nothing was sent there. Every wait is bounded (``TIMEOUT``).
"""

from __future__ import annotations

import itertools
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Literal

from bus import codec, topics
from bus.codec import Header
from bus.node import Node
from schemas import (
    CancelMarket,
    CancelOrders,
    InventoryState,
    OrderPlaced,
    PlaceOrder,
    Settlement,
    SettlementApplied,
)
from tests.support.procs import Listener, Program, bus_config, program_env, running_proxy, short_tmpdir
from tests.support.quiet import Quiet
from tests.support.venue_client import Client
from venue.app import VenueThread
from venue.config import VenueConfig
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY

TIMEOUT = 10.0


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

    def order(self, *, slot: str = "yes_bid", asset: str | None = None, side: Literal["BUY", "SELL"] = "BUY",
              price: int = 400_000, size: int = 10_000_000, **kw: Any) -> PlaceOrder:
        """A PlaceOrder of this holder (not sent)."""
        return PlaceOrder(cmd_id=f"{self.holder}-{next(self._ids)}", holder=self.holder,
                          market=kw.pop("market", self.rig.market), asset=asset or self.rig.yes, side=side,
                          price=price, size=size, tick=10_000, neg_risk=False, slot=slot, ts=time.time_ns(),
                          **kw)

    def place(self, *, slot: str = "yes_bid", asset: str | None = None, side: Literal["BUY", "SELL"] = "BUY",
              price: int = 400_000, size: int = 10_000_000, **kw: Any) -> PlaceOrder:
        return self.send(self.order(slot=slot, asset=asset, side=side, price=price, size=size, **kw))

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


class Inventory:
    """Stands in for the inventory program: receives what the executor PUSHes on its pipe (settlements),
    publishes states and echoes (``inv.*``)."""

    def __init__(self, rig: Rig) -> None:
        self.node = Node("inventory", rig.cfg, pull_bind=rig.cfg.fill_endpoint, log=Quiet("inventory"))

    def publish(self, state: InventoryState) -> None:
        self.node.publish(topics.inv_state(state.market), state)

    def pushed(self, timeout: float = TIMEOUT) -> Settlement:
        """The next settlement the executor pushed."""
        assert self.node.pull is not None
        if not self.node.pull.poll(int(timeout * 1000)):
            raise AssertionError(f"no settlement pushed within {timeout}s")
        _, _, msg = codec.decode(self.node.pull.recv_multipart())
        assert isinstance(msg, Settlement), msg
        return msg

    def until_pushed(self, act: Callable[[], object], timeout: float = TIMEOUT) -> Settlement:
        """Repeat ``act`` (a new publisher's first messages may be lost) until a settlement is pushed."""
        deadline = time.monotonic() + timeout
        while True:
            act()
            try:
                return self.pushed(timeout=0.2)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    def ack(self, settlement: Settlement) -> None:
        self.node.publish(topics.inv_settle(settlement.market),
                          SettlementApplied(settlement=settlement, action="applied", ts=time.time_ns()))

    def close(self) -> None:
        self.node.close()


def state(market: str, yes_asset: str, no_asset: str, yes: int, no: int, *, resolved: bool = False,
          winner: str = "") -> InventoryState:
    return InventoryState(market=market, yes_asset=yes_asset, no_asset=no_asset, yes_qty=yes, no_qty=no,
                          yes_avg_cost=0, no_avg_cost=0, net_diff=0, portfolio_cost=0, can_open=not resolved,
                          realized_pnl=0, unrealized_pnl=0, fills=0, ts=time.time_ns(), resolved=resolved,
                          winner=winner)


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

    def inventory(self) -> Inventory:
        inventory = Inventory(self)
        self.stack.callback(inventory.close)
        return inventory

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


def exit_log(program: Program, event: str) -> dict[str, Any]:
    """SIGTERM the program and return its last ``event`` log line."""
    program.terminate_and_time()
    # one read_until only: Program keeps the lines after a match in its buffer, and at EOF drops them
    return json.loads(program.read_until(lambda line: f'"event":"{event}"' in line))


def crashed_run(rig: Rig) -> list[OrderPlaced]:
    """A first executor places two orders for alpha, then dies without a word (kill -9)."""
    first = rig.executor(PM_EXEC_SYNC_MS="0")
    alpha = rig.coordinator()
    placed = [rig.events.of(OrderPlaced, cmd_id=alpha.place(slot=s, price=p).cmd_id)
              for s, p in (("yes_bid", 400_000), ("yes_bid_2", 390_000))]
    first.proc.kill()
    first.proc.wait(5)
    assert len(rig.open_orders()) == 2
    return placed


class Recorder(BaseHTTPRequestHandler):
    """A stand-in for the real CLOB host that records every request it gets (and answers 500)."""

    seen: ClassVar[list[str]] = []

    def _any(self) -> None:
        type(self).seen.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.end_headers()

    do_GET = do_POST = do_DELETE = do_PUT = _any

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def recording_host() -> Iterator[tuple[str, list[str]]]:
    """A ``Recorder`` on a free loopback port: (its URL, the requests it saw)."""
    Recorder.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", Recorder.seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
