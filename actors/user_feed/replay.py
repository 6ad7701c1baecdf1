"""``--replay FILE``: raw user-channel frames (one per line) through the live code path, printed as the
bus messages they become, in the tap's ``--json`` format (pushed fills under ``inv.fill.<market>.``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import IO

from actors.tap.core import as_json
from actors.user_feed.core import Feed, Identity
from actors.user_feed.venue import parse_frame
from bus.codec import PROTOCOL_VERSION, Header

PROGRAM = "user-feed"


def run(path: str, me: Identity, out: IO[bytes], err: IO[str],
        clock: Callable[[], int] = time.time_ns) -> int:
    feed = Feed(me)
    run_id = clock()
    seq: dict[bytes, int] = {}
    frames = skipped = 0
    with open(path, "rb") as lines:
        for line in lines:
            if not line.strip():
                continue
            frames += 1
            parsed = parse_frame(line)
            skipped += parsed.skipped
            for event in parsed.events:
                now = clock()
                for o in feed.on_event(event, "ws", now):
                    seq[o.topic] = seq.get(o.topic, 0) + 1
                    header = Header(PROTOCOL_VERSION, PROGRAM, run_id, seq[o.topic], now)
                    out.write(as_json(o.topic, header, o.msg) + b"\n")
    out.flush()
    for error in feed.errors:
        err.write(f"user-feed: skipped {error}\n")
    err.write(f"user-feed: {frames} frames, {sum(seq.values())} messages, {skipped + feed.skipped} skipped, "
              f"{feed.unmatched_trades} trades without our orders\n")
    return 0


def main(path: str, api_key: str, address: str) -> int:
    return run(path, Identity(api_key, address), sys.stdout.buffer, sys.stderr)
