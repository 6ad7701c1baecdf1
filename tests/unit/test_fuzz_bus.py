"""Fuzzing the bus: ``codec.decode`` on any multipart message, and a ``Node`` receiving garbage over real
sockets (PUB -> proxy -> SUB and PUSH -> PULL, ipc in a temporary directory).

``decode`` raises only ``FrameError``; whatever it accepts re-encodes. A node that receives garbage
counts every undecodable frame in ``bad_frames`` with a ``bad_frame`` warning, counts valid messages
no handler wants in ``Dispatcher.unknown`` (``unhandled_message``), keeps running, and its state
(here: an inventory fed by the fill pipe) is exactly what the valid messages alone make it.
"""

from __future__ import annotations

import random
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zmq
from hypothesis import given
from hypothesis import strategies as st

from actors.inventory.core import Inventory
from actors.inventory.positions import Limits
from bus import codec, topics
from bus.codec import FrameError, Header
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Fill, Heartbeat, Lease
from tests.support.fuzz import DEEP, FUZZ, byte_mutated
from tests.support.procs import bus_config, running_proxy, short_tmpdir
from tests.support.samples import FILL, SAMPLES, T
from tests.support.waits import wait_until

TOPIC = b"md.book.123."
HEADER = codec.encode_header("market-feed", T, 7, T)
BODIES = [codec.encode_body(m) for m in SAMPLES]  # type: ignore[arg-type]


def decodes(frames: list[bytes]) -> bool:
    try:
        _, header, msg = codec.decode(frames)
    except FrameError:
        return False
    assert isinstance(header, Header)
    assert codec.decode_body(codec.encode_body(msg)) == msg  # what was accepted is a real message
    return True


@FUZZ
@given(st.lists(st.binary(max_size=40), max_size=5))
def test_decode_raises_only_frame_errors_on_random_parts(frames: list[bytes]) -> None:
    decodes(frames)


@FUZZ
@given(st.sampled_from(BODIES), st.integers(0, 2), st.data())
def test_decode_raises_only_frame_errors_on_damaged_real_frames(body: bytes, part: int,
                                                                 data: st.DataObject) -> None:
    frames = [TOPIC, HEADER, body]
    frames[part] = data.draw(byte_mutated(frames[part]))
    decodes(frames)
    decodes(frames[: data.draw(st.integers(0, 2))])  # truncated multipart
    decodes([*frames, data.draw(st.binary(max_size=8))])  # one part too many


@pytest.mark.parametrize(("frames", "why"), [
    ([b"md.book.\xff.", HEADER, BODIES[0]], "topic is not UTF-8"),
    ([TOPIC, b"\x95\x04\xa1x\x01\x01\x01", BODIES[0]], "protocol version 4"),
    ([TOPIC, HEADER, b"\x91" * 100_000], "bad body"),
    ([TOPIC, b"\x91" * 100_000, BODIES[0]], "bad header"),
    ([TOPIC, HEADER, b"\x92\xa4Bo\xffk\x00"], "bad body"),  # invalid UTF-8 in the tag: a UnicodeDecodeError
    ([TOPIC, HEADER, DEEP], "bad body"),
], ids=["topic-utf8", "version", "deep-body", "deep-header", "tag-utf8", "json-not-msgpack"])
def test_hostile_frames_are_frame_errors(frames: list[bytes], why: str) -> None:
    with pytest.raises(FrameError, match=why):
        codec.decode(frames)


# -- a node over real sockets ---------------------------------------------------------------------


def garbage(seed: int, n: int) -> list[list[bytes]]:
    """Multipart messages that must all fail to decode: random parts, wrong part counts, damaged
    headers and bodies (truncated, so never another valid message), hostile bytes."""
    rng = random.Random(seed)
    out: list[list[bytes]] = [
        [b"x"], [TOPIC, HEADER], [TOPIC, HEADER, BODIES[0], b""], [b"", b"", b""],
        [b"inv.fill.\xfe.", HEADER, codec.encode_body(FILL)], [TOPIC, HEADER, b"\x91" * 50_000],
        [TOPIC, codec.encode_header("x", 1, 1, 1)[:-1], BODIES[0]], [TOPIC, HEADER, b"\x92\xa4Fi\xffl\x00"],
    ]
    while len(out) < n:
        body = rng.choice(BODIES)
        kind = rng.randrange(3)
        if kind == 0:
            out.append([rng.randbytes(rng.randrange(12)) for _ in range(rng.choice([1, 2, 4, 5]))])
        elif kind == 1:
            out.append([TOPIC, HEADER, body[: rng.randrange(1, len(body))]])
        else:
            out.append([TOPIC, rng.randbytes(rng.randrange(1, 12)), body])
    assert not any(decodes(frames) for frames in out)
    return out


class Recorder(Logger):
    def __init__(self) -> None:
        super().__init__("fuzz")
        self.events: list[str] = []

    def lines(self, notes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        self.events.extend(f"{level}:{event}" for level, event, _ in notes)


@pytest.fixture
def run_dir() -> Iterator[Path]:
    path = short_tmpdir("pmfz")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_node_counts_garbage_and_keeps_its_state(run_dir: Path) -> None:
    cfg = bus_config(run_dir)
    pull = f"ipc://{run_dir}/fills.sock"
    log = Recorder()
    inventory = Inventory(Limits(10**12, 10**12, 10**12))
    leases: list[str] = []

    def on_fill(topic: bytes, header: Header, fill: Fill) -> None:
        inventory.apply(fill)

    dispatch = Dispatcher({Fill: on_fill, Lease: lambda t, h, m: leases.append(m.holder)}, log)
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    with running_proxy(cfg):
        node = Node("inventory", cfg, subscriptions=[b""], pull_bind=pull, log=log)
        thread = threading.Thread(target=node.run, args=(dispatch,), kwargs={"max_wait_ms": 50}, daemon=True)
        thread.start()
        pub, push = ctx.socket(zmq.PUB), ctx.socket(zmq.PUSH)
        for sock in (pub, push):
            sock.setsockopt(zmq.LINGER, 0)
            sock.setsockopt(zmq.SNDTIMEO, 5000)
        pub.connect(cfg.publish_endpoint)
        push.connect(pull)
        try:
            wait_until(lambda: node.ready, "the node to be ready")

            def lease(holder: str) -> list[bytes]:
                msg = Lease(holder=holder, market="0xm", yes_asset="1", no_asset="2", ttl_ms=5000, ts=T)
                return [topics.coord_lease("probe"), HEADER, codec.encode_body(msg)]

            def probe() -> bool:  # PUB drops everything until it has heard the subscription
                pub.send_multipart(lease("probe"))
                return "probe" in leases

            wait_until(probe, "the publisher to be subscribed")
            on_sub, on_pull = garbage(1, 60), garbage(2, 60)
            unknown = [topics.sys_hb("x"), HEADER, codec.encode_body(Heartbeat(program="x", pid=1, ready=True,
                                                                              gaps=0, ts=T))]
            for frames in on_sub:
                pub.send_multipart(frames)
            pub.send_multipart(lease("sentinel"))
            for frames in [*on_pull, unknown]:
                push.send_multipart(frames)
            push.send_multipart([topics.inv_fill(FILL.market), HEADER, codec.encode_body(FILL)])
            wait_until(lambda: "sentinel" in leases and bool(inventory.records), "both sentinels")
        finally:
            node.stop()
            thread.join(5)
            pub.close()
            push.close()
            node.close()
    assert not thread.is_alive()
    assert node.bad_frames == len(on_sub) + len(on_pull)
    # the first ten are logged, then one line per thousand: a flood must not flood the log
    assert log.events.count("warning:bad_frame") == min(node.bad_frames, 10) + node.bad_frames // 1000
    assert dispatch.unknown == 1 and "warning:unhandled_message" in log.events
    only_the_valid_fill = Inventory(Limits(10**12, 10**12, 10**12))
    only_the_valid_fill.apply(FILL)
    assert inventory.positions == only_the_valid_fill.positions
    assert set(inventory.records) == {(FILL.trade_id, FILL.order_id)}
