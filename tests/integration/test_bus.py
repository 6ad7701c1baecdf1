"""The bus over real ipc sockets: proxy, nodes, PUSH/PULL pipes, readiness, gaps, SIGTERM."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import msgspec
import pytest
import zmq

from bus import codec, topics
from bus.endpoints import BusConfig
from bus.node import Dispatcher, Node
from schemas import FeedStatus, Heartbeat, Lease, RiskEvent
from tests.support.procs import Listener, Program, bus_config, program_env, running_proxy
from tests.support.programs import PROGRAMS
from tests.support.quiet import Quiet
from tests.support.waits import wait_until


def start(node: Node, received: list[tuple[bytes, object]] | None = None) -> threading.Thread:
    def on_message(topic: bytes, header: codec.Header, msg: object) -> None:
        if received is not None:
            received.append((topic, msg))

    thread = threading.Thread(target=node.run, args=(on_message,), kwargs={"max_wait_ms": 50}, daemon=True)
    thread.start()
    return thread


def test_two_nodes_talk_through_the_proxy(bus: BusConfig) -> None:
    received: list[tuple[bytes, object]] = []
    a = Node("market:alpha", bus, log=Quiet("a"))
    b = Node("inventory", bus, subscriptions=[topics.prefix("coord", "lease")], log=Quiet("b"))
    lease = Lease(holder="alpha", market="0x1", yes_asset="1", no_asset="2", ttl_ms=5000, ts=1)

    def publish_until_received(now: int) -> None:  # runs in a's own loop thread: its sockets stay there
        if a.ready and b.ready and not received:  # (subscriptions propagate asynchronously)
            a.publish(topics.coord_lease("alpha"), lease)

    a.every(10, publish_until_received)
    threads = [start(a), start(b, received)]
    try:
        wait_until(lambda: received, "b receives a's lease")
        assert received and all(r == (b"coord.lease.alpha.", lease) for r in received)
        assert b.gaps.total == 0
    finally:
        for n in (a, b):
            n.stop()
        for t in threads:
            t.join(2)
        a.close()
        b.close()


def test_a_node_is_ready_only_when_its_own_heartbeat_comes_back(run_dir: Path) -> None:
    cfg = bus_config(run_dir)
    node = Node("ofi", cfg, log=Quiet("ofi"))
    beats: list[bool] = []  # node.ready as each heartbeat went out (from the node's own loop)
    send_heartbeat = node.heartbeat

    def counted_heartbeat(now: int) -> None:
        beats.append(node.ready)
        send_heartbeat(now)

    node.heartbeat = counted_heartbeat  # type: ignore[method-assign]
    thread = start(node)
    try:
        # no proxy yet: nothing can come back. Three heartbeats out (100 ms apart) and still not ready.
        wait_until(lambda: len(beats) >= 3, "three heartbeats without a proxy")
        assert not node.ready and not any(beats)
        with running_proxy(cfg):
            wait_until(lambda: node.ready, "ready once the proxy returns a heartbeat")
    finally:
        node.stop()
        thread.join(2)
        node.close()


def test_push_pull_pipe_delivers_every_message_in_order(bus: BusConfig, run_dir: Path) -> None:
    endpoint = f"ipc://{run_dir}/pipe.sock"
    received: list[tuple[bytes, object]] = []
    consumer = Node("executor", bus, pull_bind=endpoint, log=Quiet("e"))
    producer = Node("market:alpha", bus, push_connect={"exec": endpoint}, log=Quiet("p"))
    thread = start(consumer, received)
    try:
        events = [RiskEvent(program="market:alpha", market="m", kind="k", severity="info", message=str(i),
                            ts=i) for i in range(2000)]
        for e in events:
            producer.push("exec", topics.risk_event("market:alpha"), e)
        wait_until(lambda: len(received) == len(events), "all 2000 messages")
        assert [m for _, m in received] == events
        assert consumer.gaps.total == 0
    finally:
        consumer.stop()
        thread.join(2)
        consumer.close()
        producer.close()


def test_gaps_are_counted_over_real_sockets(bus: BusConfig) -> None:
    listener = Listener(bus, b"risk.")
    node = Node("market:alpha", bus, log=Quiet("n"))
    seen = Node("inventory", bus, subscriptions=[b"risk."], log=Quiet("i"))
    thread = start(seen)
    try:
        wait_until(lambda: seen.ready, "inventory node ready")
        topic = topics.risk_event("market:alpha")
        event = RiskEvent(program="market:alpha", market="", kind="k", severity="info", message="", ts=0)
        # make sure the subscription has propagated: publish until the listener sees one
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            node.publish(topic, event)
            if listener.sub.poll(50):
                break
        node._seq[topic] += 5  # skip five sequence numbers, as if five messages were lost
        node.publish(topic, event)
        wait_until(lambda: seen.gaps.total == 5, "five missing sequence numbers counted")
    finally:
        seen.stop()
        thread.join(2)
        for n in (node, seen):
            n.close()
        listener.close()


def test_unknown_message_types_are_counted_not_fatal() -> None:
    log = Quiet("x")
    seen: list[object] = []
    dispatch = Dispatcher({Lease: lambda t, h, m: seen.append(m)}, log)
    hb = Heartbeat(program="p", pid=1, ready=True, gaps=0, ts=0)
    dispatch(b"sys.hb.p.", codec.Header(1, "p", 1, 1, 0), hb)
    assert dispatch.unknown == 1 and not seen


def test_bad_frames_are_counted_and_skipped(bus: BusConfig) -> None:
    node = Node("inventory", bus, subscriptions=[b"risk."], log=Quiet("i"))
    got: list[tuple[bytes, object]] = []
    thread = start(node, got)
    pub = zmq.Context.instance().socket(zmq.PUB)
    pub.connect(bus.publish_endpoint)
    try:
        wait_until(lambda: node.ready, "node ready")
        good = [b"risk.event.x.", codec.encode_header("x", 1, 1, 0),
                codec.encode_body(RiskEvent(program="x", market="", kind="k", severity="info", message="",
                                            ts=0))]
        deadline = time.monotonic() + 5
        while not got and time.monotonic() < deadline:
            pub.send_multipart([b"risk.event.x.", b"\xc1garbage", b"\x00"])
            pub.send_multipart([b"risk.event.x."])
            pub.send_multipart(good)
            time.sleep(0.02)  # paces the producer while the subscription propagates (slow joiner)
        wait_until(lambda: got and node.bad_frames >= 2, "bad frames counted and the good one delivered")
    finally:
        pub.close()
        node.stop()
        thread.join(2)
        node.close()


@pytest.mark.parametrize(("name", "argv", "up_line"), PROGRAMS, ids=[p[0] for p in PROGRAMS])
def test_every_program_exits_within_1s_of_sigterm(name: str, argv: list[str], up_line: str,
                                                  run_dir: Path) -> None:
    env = program_env(run_dir)
    needs_bus = name != "bus"
    bus_proc = Program(["-m", "bus"], env) if needs_bus else None
    try:
        if bus_proc:
            bus_proc.read_until(lambda line: '"event":"ready"' in line)
        prog = Program(argv, env)
        try:
            prog.read_until(lambda line: up_line in line, timeout=15)
            elapsed = prog.terminate_and_time()
            assert prog.proc.returncode == 0, prog.lines
            assert elapsed < 1.0, f"{name} took {elapsed:.2f}s to stop"
        finally:
            prog.kill()
    finally:
        if bus_proc:
            bus_proc.kill()


def test_tap_sees_messages_from_two_publishers(run_dir: Path) -> None:
    env = program_env(run_dir)
    cfg = bus_config(run_dir)
    bus_proc = Program(["-m", "bus"], env)
    bus_proc.read_until(lambda line: '"event":"ready"' in line)
    tap = Program(["-m", "actors.tap", "--json", "--prefix", "coord."], env)
    done = threading.Event()

    def publish_both() -> None:  # keep publishing until the tap has seen both (slow-joiner safe)
        pubs = [Node(name, cfg, log=Quiet(name)) for name in ("market:alpha", "market:beta")]
        while not done.wait(0.05):
            for node, holder in zip(pubs, ("alpha", "beta"), strict=True):
                node.publish(topics.coord_lease(holder),
                             Lease(holder=holder, market="0x1", yes_asset="1", no_asset="", ttl_ms=1, ts=1))
        for node in pubs:
            node.close()

    publisher = threading.Thread(target=publish_both, daemon=True)
    publisher.start()
    try:
        for src in ("market:alpha", "market:beta"):
            line = tap.read_until(lambda line, src=src: f'"src":"{src}"' in line, timeout=10)
            record = json.loads(line)
            assert record["type"] == "Lease"
            assert record["body"]["holder"] == src.split(":")[1]
            assert topics.owner_of(record["topic"].encode()) == record["src"]
    finally:
        done.set()
        publisher.join(2)
        tap.kill()
        bus_proc.kill()


def test_market_data_goes_straight_to_its_subscribers_and_the_proxy_still_carries_it(bus: BusConfig) -> None:
    """md direct: the market-feed's node binds its own PUB; a node subscribed to md.* reads it there
    (once: not also through the proxy); a plain SUB on the proxy (the tap) sees it too."""
    received: list[tuple[bytes, object]] = []
    feed = Node("market-feed", bus, md_bind=True, log=Quiet("feed"))
    coord = Node("market:alpha", bus, subscriptions=[topics.prefix("md", "status")], log=Quiet("coord"))
    assert feed.md_pub is not None and coord.md_sub is not None
    tap = zmq.Context.instance().socket(zmq.SUB)
    tap.setsockopt(zmq.LINGER, 0)
    tap.connect(bus.subscribe_endpoint)
    tap.setsockopt(zmq.SUBSCRIBE, b"md.")
    tapped: list[bytes] = []
    sent: list[int] = []

    def publish(now: int) -> None:  # in the feed's own loop thread, until both have seen one
        if feed.ready and coord.ready and (not received or not tapped):
            feed.publish(topics.md_status("7"), FeedStatus(asset="7", live=True, reason="snapshot", ts=now))
            sent.append(now)

    feed.every(10, publish)
    threads = [start(feed), start(coord, received)]
    try:
        def tap_read() -> bool:
            while tap.poll(0):
                tapped.append(tap.recv_multipart()[0])
            return bool(tapped) and bool(received)

        wait_until(tap_read, "the coordinator and the tap both see the feed's md.status")
        feed.stop()
        threads[0].join(2)
        coord.stop()
        threads[1].join(2)
        assert {t for t, _ in received} == {b"md.status.7."} and tapped[0] == b"md.status.7."
        assert len(received) <= len(sent) and coord.gaps.total == 0  # never twice (no duplicate path)
    finally:
        for n in (feed, coord):
            n.stop()
        for t in threads:
            t.join(2)
        tap.close()
        feed.close()
        coord.close()


def test_a_spinning_node_pinned_to_a_cpu_still_reads_and_stops(bus: BusConfig) -> None:
    """PM_SPIN_US / PM_CPU_AFFINITY (off by default): the loop polls without sleeping, then blocks."""
    received: list[tuple[bytes, object]] = []
    spinning = msgspec.structs.replace(bus, spin_us=2000, cpu_affinity="0")
    saved = os.sched_getaffinity(0)  # the node pins the thread that makes it: this one, here
    a = Node("market:alpha", bus, log=Quiet("a"))
    b = Node("inventory", spinning, subscriptions=[topics.prefix("coord", "lease")], log=Quiet("b"))
    lease = Lease(holder="alpha", market="0x1", yes_asset="1", no_asset="2", ttl_ms=5000, ts=1)

    def publish_until_received(now: int) -> None:
        if a.ready and b.ready and not received:
            a.publish(topics.coord_lease("alpha"), lease)

    a.every(10, publish_until_received)
    threads = [start(a), start(b, received)]
    try:
        wait_until(lambda: received, "the spinning node receives the lease")
        assert received[0] == (b"coord.lease.alpha.", lease)
    finally:
        for n in (a, b):
            n.stop()
        for t in threads:
            t.join(2)
        assert not any(t.is_alive() for t in threads)
        a.close()
        b.close()
        os.sched_setaffinity(0, saved)
