"""``--replay FILE``: recorded market-channel frames -> the bus messages they produce, as JSON lines.

The same parser and book code as live (``MarketFeed.on_frame``), with every asset tracked. One raw
frame per line, as received (``-`` reads stdin); each message is printed in the tap's ``--json``
format (``{"topic","src","seq","ts_ns","type","body"}``) with per-topic sequence numbers. Warnings
(malformed frames) go to stderr, so stdout holds only bus messages.
"""

from __future__ import annotations

import sys
import time
from typing import IO

from actors.market_feed.config import FeedConfig
from actors.market_feed.effects import mark_frames
from actors.tap.core import as_json
from bus.codec import PROTOCOL_VERSION, Header
from bus.logs import Logger

PROGRAM = "market-feed"


def replay(lines: IO[bytes], out: IO[bytes], cfg: FeedConfig, log: Logger) -> int:
    """Feed every line through the live code path; returns how many messages were printed."""
    feed = cfg.feed(track_all=True)
    run = time.time_ns()
    seq: dict[bytes, int] = {}
    printed = 0
    for line in lines:
        data = line.rstrip(b"\r\n")
        if not data:
            continue
        now = time.time_ns()
        fx = feed.on_frame(data, now)
        mark_frames(fx.publishes)
        for topic, msg in fx.publishes:
            n = seq[topic] = seq.get(topic, 0) + 1
            out.write(as_json(topic, Header(PROTOCOL_VERSION, PROGRAM, run, n, now), msg) + b"\n")
            printed += 1
        for level, event, fields in fx.notes:
            getattr(log, level)(event, **fields)
    out.flush()
    return printed


def run(path: str, cfg: FeedConfig) -> int:
    log = Logger(PROGRAM, out=sys.stderr)
    try:
        if path == "-":
            replay(sys.stdin.buffer, sys.stdout.buffer, cfg, log)
        else:
            with open(path, "rb") as f:
                replay(f, sys.stdout.buffer, cfg, log)
    except BrokenPipeError:
        pass
    except OSError as exc:
        log.error("replay_failed", path=path, error=str(exc))
        return 1
    return 0
