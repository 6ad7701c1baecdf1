"""user-feed: the authenticated user channel -> fills (PUSH to inventory) and order updates (bus).

Fills are pushed again until inventory acknowledges them (``acks``, ``outbox``).

``python -m actors.user_feed`` runs live; ``--replay FILE --api-key KEY [--address ADDR]`` prints what
recorded frames become. Bus source ``user-feed``; supervisord program ``user-feed`` (group core).
"""

from __future__ import annotations

import argparse

from actors.user_feed import replay
from actors.user_feed.acks import INVENTORY
from actors.user_feed.config import UserFeedConfig
from actors.user_feed.core import FILLS_PIPE
from actors.user_feed.live import UserFeed
from bus import topics
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig
from bus.node import Dispatcher, Node
from schemas import FillApplied, Heartbeat, Lease, LeaseRelease
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints

PROGRAM = "user-feed"
TICK_MS = 100


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m actors.user_feed", description=__doc__.splitlines()[0])
    p.add_argument("--replay", metavar="FILE", help="raw user-channel frames, one per line; print, don't run")
    p.add_argument("--api-key", default="", help="replay: our API key (finds our maker/taker orders)")
    p.add_argument("--address", default="", help="replay: our maker (funder) address")
    args = p.parse_args(argv)
    if args.replay and not (args.api_key or args.address):
        p.error("--replay needs --api-key (or --address) to know which orders are ours")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.replay:
        return replay.main(args.replay, args.api_key, args.address)
    cfg = load_or_exit(UserFeedConfig, PROGRAM)
    bus, endpoints = load_or_exit(BusConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM)
    creds = load_or_exit(ApiCredentials, PROGRAM)
    subscriptions = [topics.prefix("coord", "lease"), topics.sys_hb(INVENTORY), topics.prefix("inv", "fill")]
    node = Node(PROGRAM, bus, subscriptions=subscriptions, push_connect={FILLS_PIPE: bus.fill_endpoint})
    feed = UserFeed(node, cfg, endpoints, creds, state_path=cfg.state_path(bus.run_dir))
    node.log.info("config", **describe(cfg), venue=endpoints.venue, ws=feed.url, rest=endpoints.rest_url,
                  fills=bus.fill_endpoint)
    dispatch = Dispatcher({Lease: feed.on_lease, LeaseRelease: feed.on_release,
                           Heartbeat: feed.on_heartbeat, FillApplied: feed.on_applied}, node.log)
    node.every(TICK_MS, feed.tick)
    node.every(cfg.status_ms, feed.status_tick)
    node.every(TICK_MS, feed.resend_tick)
    try:
        node.run(dispatch)
    finally:
        feed.close()
        node.close()
    return feed.exit_code
