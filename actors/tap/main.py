"""The tap: subscribe to everything on the proxy's output and print, record or count it.

It only ever opens a SUB socket: the tap cannot publish.
"""

from __future__ import annotations

import argparse
import sys
import time
from types import FrameType

import zmq

from actors.tap import core
from bus import codec, curve
from bus.bridge import Wakeup
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Throttle

PROGRAM = "tap"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m actors.tap", description="Sniff the bus.")
    p.add_argument("--prefix", action="append", default=[], help="topic prefix to show (repeatable)")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument("--record", metavar="FILE", help="also write a lossless, replayable recording")
    p.add_argument("--replay", metavar="FILE", help="print a recording instead of listening")
    p.add_argument("--stats", action="store_true", help="print per-stream rates and gaps instead")
    p.add_argument("--stats-interval", type=float, default=2.0, metavar="S")
    p.add_argument("--count", type=int, default=0, help="exit after N messages")
    p.add_argument("--timeout", type=float, default=0.0, help="exit after S seconds")
    return p.parse_args(argv)


class Output:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stats = core.Stats()
        self.seen = 0
        self.bad = 0
        self.bad_log = Throttle()  # a flood of garbage must not flood the terminal

    def show(self, frames: list[bytes]) -> None:
        try:
            topic, header, msg = codec.decode(frames)
        except codec.FrameError as exc:
            self.bad += 1
            if n := self.bad_log.count():
                sys.stderr.write(f"tap: undecodable frame ({exc}) [{n}]\n")
            return
        self.seen += 1
        if self.args.stats:
            self.stats.observe(topic, header)
            return
        if self.args.json:
            sys.stdout.buffer.write(core.as_json(topic, header, msg) + b"\n")
        else:
            sys.stdout.write(core.as_text(topic, header, msg) + "\n")
        sys.stdout.flush()


def replay(args: argparse.Namespace) -> int:
    out = Output(args)
    prefixes = [p.encode() for p in args.prefix]
    with open(args.replay, "rb") as f:
        for _, frames in core.read_records(f):
            if not prefixes or frames[0].startswith(tuple(prefixes)):
                out.show(frames)
    return 0


def listen(args: argparse.Namespace) -> int:
    cfg = load_or_exit(BusConfig, PROGRAM)
    stop = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stop
        stop = True

    wakeup = Wakeup()
    wakeup.catch_signals(on_signal)
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 1_000_000)
    curve.client_or_exit(sub, cfg.keys_dir, PROGRAM)
    sub.connect(cfg.subscribe_endpoint)
    for prefix in args.prefix or [""]:
        sub.setsockopt(zmq.SUBSCRIBE, prefix.encode())
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    poller.register(wakeup.fd, zmq.POLLIN)
    record = open(args.record, "wb") if args.record else None  # noqa: SIM115 - closed below
    if record is not None:
        record.write(core.RECORD_MAGIC)
    out = Output(args)
    start = last_report = time.monotonic()
    try:
        while not stop:
            now = time.monotonic()
            if args.timeout and now - start >= args.timeout:
                break
            if args.stats and now - last_report >= args.stats_interval:
                print("\n".join(out.stats.report(now - last_report)), flush=True)
                last_report = now
            if not poller.poll(200):
                continue
            while True:
                try:
                    frames = sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                if record is not None:
                    core.write_record(record, time.time_ns(), frames)
                out.show(frames)
                if args.count and out.seen >= args.count:
                    stop = True
                    break
    except BrokenPipeError:
        pass
    finally:
        if args.stats:
            print("\n".join(out.stats.report(max(time.monotonic() - last_report, 1e-9))), flush=True)
        if record is not None:
            record.close()
        sub.close()
        wakeup.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return replay(args) if args.replay else listen(args)
