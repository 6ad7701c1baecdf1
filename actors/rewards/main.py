"""The rewards scanner (``python -m actors.rewards``; program ``rewards-scanner``, group core).

Owner of ``rewards.market.<condition>.``: at start and every ``PM_REWARDS_RESCAN_S`` (10 s after a failed
or empty scan: the venue may still be starting) it reads every
reward market and both books off the loop (``fetch``, a ``Bridge`` worker), ranks them (``core.Scanner``,
pure) and publishes the top ``PM_REWARDS_MAX_MARKETS`` as ``RewardMarket``; every second it publishes the
last selection again, so a coordinator that starts late has it within a second. Between scans, the
tracked markets' books are polled every ``PM_REWARDS_BOOK_S`` for the volatility check's mid samples.
Every ``PM_REWARDS_SCORING_S`` it asks the venue which of our orders on the selected markets score
(``/orders-scoring``, with the API credentials the executor hands off) and publishes ``RewardScoring``.
``python -m actors.rewards score FILE`` is the scoring formula on its own (``score_cli``).

config -> Node -> core -> timers -> run -> close.
"""

from __future__ import annotations

from typing import Any

from actors.ctl.config import CtlConfig
from actors.rewards import fetch
from actors.rewards.config import RewardsConfig
from actors.rewards.core import Scanner
from actors.user_feed import credentials
from bus.bridge import Bridge
from bus.config import describe, load_or_exit
from bus.effects import Effects
from bus.endpoints import BusConfig
from bus.logs import Logger, Throttle
from bus.node import Dispatcher, Node
from schemas.units import MICRO, NS
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints
from venue_client.l2 import L2Client
from venue_client.markets.gamma import MarketHttp

PROGRAM = "rewards-scanner"
PUBLISH_MS = 1000


def main() -> int:
    log = Logger(PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    cfg = load_or_exit(RewardsConfig, PROGRAM)
    venue = load_or_exit(VenueEndpoints, PROGRAM)
    signer = load_or_exit(CtlConfig, PROGRAM)  # the account's signer address, as the user-feed reads it
    api_env = load_or_exit(ApiCredentials, PROGRAM)
    log.info("rewards_config", **describe(cfg))
    node = Node(PROGRAM, bus, subscriptions=[], log=log)
    scanner = Scanner(cfg)
    http = MarketHttp(venue.gamma_url, venue.rest_url, retries=1)
    books_http = http.fork()  # the book polls may run beside a scan: a session each (not thread-safe)
    bridge = Bridge("rewards-scan").attach(node)
    failures = Throttle(first=3, every=100)

    def perform(fn: Any, *args: Any) -> None:
        fx = Effects()
        fn(*args, fx)
        node.apply(fx)

    def failed(what: str, error: BaseException | None) -> None:
        if n := failures.count():
            log.warning("scan_failed", what=what, error=f"{type(error).__name__}: {error}"[:300], count=n)

    next_scan = [0]  # when the next scan is due (ns); far ahead while one is in flight

    def scanned(result: list[fetch.Candidate] | None, error: BaseException | None) -> None:
        if result is None:
            failed("scan", error)
        else:
            perform(scanner.scan, result, node.clock())
        # a failed or empty scan (the venue starting, books not yet quoted) is tried again soon
        wait = cfg.rescan_s if scanner.selected else min(cfg.rescan_s, cfg.retry_s)
        next_scan[0] = node.clock() + wait * NS

    def sampled(result: list[fetch.TokenBook] | None, error: BaseException | None) -> None:
        if result is None:
            failed("books", error)
        else:
            scanner.sample(result)

    l2: list[L2Client] = []  # once the credentials are known (the executor writes them at its start)

    def scored(result: dict[str, dict[str, bool]] | None, error: BaseException | None) -> None:
        if result is None:
            failed("scoring", error)
        else:
            perform(scanner.on_scoring, result, node.clock())

    def score(at: int) -> None:
        if not l2:
            account = credentials.find(api_env, bus.run_dir, signer=signer.signer_address,
                                       local=venue.is_local)
            if account is None:
                return
            l2.append(L2Client(venue.rest_url, account.creds, account.signer, timeout_s=5.0))
        markets = {m.market for m in scanner.selected}
        if markets:
            bridge.submit("scoring", lambda: fetch.scoring(l2[0], markets), scored)

    def scan(at: int) -> None:
        if at >= next_scan[0] and bridge.submit("scan", lambda: fetch.candidates(http), scanned):
            next_scan[0] = at + 3600 * NS

    def poll(at: int) -> None:
        tracked = list(scanner.tracked)
        if tracked:
            bridge.submit("books", lambda: fetch.books(books_http, tracked), sampled)

    scan(node.clock())
    node.every(max(50, cfg.book_s * 1000 // MICRO), poll)
    def every_second(at: int) -> None:
        perform(scanner.publish)
        scan(at)

    node.every(PUBLISH_MS, every_second)
    if cfg.scoring_s:
        node.every(cfg.scoring_s * 1000, score)
    try:
        return node.run(Dispatcher({}, log))
    finally:
        bridge.close()
        http.close()
        books_http.close()
        for client in l2:
            client.close()
        node.close()
