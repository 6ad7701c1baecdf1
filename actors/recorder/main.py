"""recorder: the leased markets' raw WebSocket frames, their metadata and our own orders and fills ->
hourly zstandard files (``backtest.recfile``) for the backtest (thin I/O shell).

Program mode (group core, ``PM_RECORD=true``; otherwise it exits 0 at once): it follows ``coord.lease``
like the market-feed and opens its *own* market WebSocket for the leased tokens (the market-feed's
``Shards`` decide the subscriptions, pings and reconnects; ``venue_client.ws.Sockets`` is the socket), so
the market-feed is not touched. Every frame is written as received, with its receive time; a market's
metadata is read from the CLOB (``/markets/{condition_id}``, off the loop) when it is first leased. Our own
stream (the ``exec.cmd`` echoes, ``user.order`` and ``user.placed``, ``inv.fill``, ``inv.settle``) goes to the
same files. It publishes nothing but its heartbeat. ``--markets A,B --hours H`` records public data without
the bus (``standalone``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from actors.market_feed.config import FeedConfig
from actors.recorder import standalone
from actors.recorder.config import RecorderConfig
from actors.recorder.core import Files
from actors.recorder.shell import OWN, PROGRAM, RecorderShell
from actors.recorder.sink import Sink
from bus import topics
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Node
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.gamma import MarketHttp


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m actors.recorder", description=__doc__.split("\n")[0])
    p.add_argument("--markets", help="record these markets (slugs or rotating prefixes, comma-separated) "
                   "without the bus: public data only, no key (PM_VENUE=polymarket for the real one)")
    p.add_argument("--hours", type=float, default=1.0, help="with --markets: how long (default 1)")
    p.add_argument("--out", default="", help="with --markets: the directory (default PM_RECORD_DIR)")
    args = p.parse_args(argv)
    cfg = load_or_exit(RecorderConfig, PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    if args.markets:
        return standalone.run(args.markets.split(","), args.hours, Path(args.out) if args.out else
                              cfg.path(bus.run_dir))
    log = Logger(PROGRAM)
    if not cfg.record:
        log.info("record_off", variable="PM_RECORD")
        return 0
    fcfg, venue = load_or_exit(FeedConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM)
    root = cfg.path(bus.run_dir)
    sink = Sink(Files(root), "local" if venue.is_local else "polymarket")
    node = Node(PROGRAM, bus, subscriptions=[topics.prefix("coord", "lease"), *OWN], log=log)
    shell = RecorderShell(node, fcfg, sink, venue.ws_base_url + "/market",
                          MarketHttp(venue.gamma_url, venue.rest_url))
    log.info("config", dir=str(root), venue=venue.venue, flush_s=cfg.flush_s)
    node.every(fcfg.check_ms, shell.on_tick)
    node.every(int(cfg.flush_s * 1000), shell.on_flush)
    try:
        return node.run(shell.on_message)
    finally:
        shell.close()
        node.close()
        sys.stdout.flush()

