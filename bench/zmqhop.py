"""A bare bus hop, as the programs see it: ``Node.publish`` / ``Node.push`` in one process to the
``on_message`` callback of ``Node.run`` in another (header stamp -> handler, so msgpack encode, the
sockets, the wake-up and the decode are all in).

- ``pubsub``: ipc PUB -> the real proxy (``python -m bus``, its own process) -> SUB: the hop every
  message but market data takes (and every ``Book`` with ``PM_MD_DIRECT=false``);
- ``direct``: the market-feed's own md PUB -> SUB (``PM_MD_DIRECT``, the default): the hop every ``Book``
  takes from the market-feed to a coordinator;
- ``pushpull``: one ipc PUSH -> PULL hop: the hop every command takes from a coordinator to the executor.

Messages are real ``Book``s (two levels a side), one every ``gap_ms``, so each one finds the receiver
asleep in its poller like on the hot path. ``python -m bench.zmqhop --recv MODE DIR N`` is the receiving
side (prints one JSON line of one-way microseconds).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.stats import pct
from bus import topics
from bus.codec import Header
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Book

ROOT = Path(__file__).resolve().parents[1]
ASSET = "7" * 77
TOPIC = topics.md_book(ASSET)


def _book(i: int) -> Book:
    return Book(asset=ASSET, market="0x" + "ab" * 32,
                bids=[(480_000 + i % 10, 10_000_000), (470_000, 5_000_000)],
                asks=[(520_000, 10_000_000), (530_000, 5_000_000)], tick=10_000, epoch=1, ts_event=0,
                ts_recv=0)


def receive(mode: str, run_dir: str, n: int) -> None:
    bus = BusConfig(run_dir=run_dir, md_direct=mode == "direct")
    took: list[float] = []
    if mode in ("pubsub", "direct"):
        node = Node("bench-recv", bus, subscriptions=[TOPIC])
    else:
        node = Node("bench-recv", bus, pull_bind=bus.command_endpoint)

    def on_message(topic: bytes, header: Header, msg: object) -> None:
        took.append((time.time_ns() - header.ts_ns) / 1000)
        if len(took) >= n:
            node.stop()

    print(json.dumps({"ready": True}), flush=True)
    node.run(on_message, max_wait_ms=100)
    node.close()
    print(json.dumps({"us": took}), flush=True)


def hop(mode: str, n: int, gap_ms: float) -> dict[str, float]:
    run_dir = tempfile.mkdtemp(prefix="pmz", dir="/tmp")
    env = {**os.environ, "PM_RUN_DIR": run_dir, "PM_ENV_FILE": "/dev/null"}
    procs: list[subprocess.Popen[bytes]] = []
    try:
        bus = BusConfig(run_dir=run_dir, md_direct=mode == "direct")
        if mode in ("pubsub", "direct"):  # direct: the proxy runs too (the sender publishes both ways)
            procs.append(subprocess.Popen([sys.executable, "-m", "bus"], cwd=ROOT, env=env,
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        recv = subprocess.Popen([sys.executable, "-m", "bench.zmqhop", "--recv", mode, run_dir, str(n)],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE)
        procs.append(recv)
        assert recv.stdout is not None
        recv.stdout.readline()  # ready
        push = {"exec": bus.command_endpoint} if mode == "pushpull" else None
        node = Node("bench-send", bus, push_connect=push, md_bind=mode == "direct")
        time.sleep(0.5)  # subscriptions travel through the proxy; the PUSH connects
        send = node.publish if mode != "pushpull" else (lambda t, m: node.push("exec", t, m))
        for i in range(n + 200):  # extra: a few may be lost while the SUB's subscription propagates
            send(TOPIC, _book(i))
            time.sleep(gap_ms / 1000)
            if recv.poll() is not None:
                break
        out, _ = recv.communicate(timeout=10)
        node.close()
        lines = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
        took = next(line["us"] for line in lines if "us" in line)
        return pct(took[200:] if len(took) > 1000 else took)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(5)


def run(n: int = 5000, gap_ms: float = 0.5) -> dict[str, dict[str, float]]:
    return {"pubsub_via_proxy": hop("pubsub", n, gap_ms), "md_direct": hop("direct", n, gap_ms),
            "pushpull": hop("pushpull", n, gap_ms)}


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--recv":
        receive(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        print(json.dumps(run()))
