"""The rewards-scanner program over real sockets against the venue's varied reward markets (issue #16 §1):
the markets built to fail a seed-004 filter are rejected with that filter's step, the others are selected
and published as RewardMarket in rank order, and the last list is published again for late joiners."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus import topics
from bus.endpoints import BusConfig
from schemas import RewardMarket
from tests.support.procs import Listener, Program, program_env
from tests.support.stack import free_port
from tests.support.waits import wait_until
from venue.app import VenueThread
from venue.config import FlowConfig, VenueConfig

# makers only, fixed sizes (40, 80, 120, 160 shares per level): the safety checks' depth is certain
FLOW = FlowConfig(noise_rate_per_min=0.0, informed_prob=0.0, maker_size_min=40, maker_size_max=40)
PASS = {"rewards-even-odds", "rewards-longshot", "rewards-favourite"}
FAIL = {"rewards-blacklisted": "1 ", "rewards-big-size": "3 ", "rewards-ending-soon": "6 ",
        "rewards-tiny-pool": "7 "}


def books_two_sided(v: VenueThread) -> bool:
    """Every reward market's two tokens have bids and asks: the makers' first quotes are in (filter 4
    "no book" would otherwise reject a market the scanner saw before the venue's flow reached it)."""
    def check() -> bool:
        cat = v.venue.exchange.catalogue
        books = [v.venue.exchange.book(t) for m in cat.reward_markets() for t in m.token_ids]
        return bool(books) and all(b is not None and b["bids"] and b["asks"] for b in books)
    return v.call(check)


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(flow_params=FLOW, reward_markets=0, assets=("btc",), intervals=("1h",)),
                     seed=5, flow=True) as v:
        wait_until(lambda: books_two_sided(v), "reward markets' books two-sided", timeout=30)
        yield v


def test_the_scanner_selects_the_markets_that_pass_and_says_why_the_others_do_not(
        venue: VenueThread, bus: BusConfig, run_dir: Path) -> None:
    listener = Listener(bus, topics.prefix("rewards", "market"))
    program = Program(["-m", "actors.rewards"], program_env(
        run_dir, PM_LOCAL_VENUE_URL=venue.urls["clob"], PM_REWARDS_RESCAN_S="3600",
        PM_REWARDS_RETRY_S="1"))
    try:
        line = program.read_until(lambda s: '"event":"markets_selected"' in s, timeout=60)
        selected = json.loads(line)
        assert set(selected["slugs"]) <= PASS and "rewards-even-odds" in selected["slugs"], selected
        rejected = {json.loads(s)["slug"]: json.loads(s)["why"] for s in program.lines
                    if '"event":"market_rejected"' in s}
        for slug, step in FAIL.items():
            assert rejected[slug].startswith(step), (slug, rejected)
        seen: dict[int, RewardMarket] = {}
        while len(seen) < 2 * len(selected["slugs"]):  # the selection, then its repeat a second later
            _, _, msg = listener.next(timeout=10)
            assert isinstance(msg, RewardMarket)
            seen[len(seen)] = msg
        first = [seen[k] for k in range(len(selected["slugs"]))]
        assert [m.slug for m in first] == selected["slugs"] and [m.rank for m in first] == list(
            range(1, len(first) + 1))
        assert all(m.selected == len(first) and m.order_size >= m.min_size and m.est_daily > 0 for m in first)
    finally:
        program.terminate_and_time(timeout=10)
        listener.close()


def test_a_scanner_started_before_the_venue_scans_again_soon(bus: BusConfig, run_dir: Path) -> None:
    """A failed (or empty) scan is tried again after PM_REWARDS_RETRY_S (10 s; 1 s here), not after
    PM_REWARDS_RESCAN_S."""
    port = free_port()
    program = Program(["-m", "actors.rewards"], program_env(
        run_dir, PM_LOCAL_VENUE_URL=f"http://127.0.0.1:{port}", PM_REWARDS_RESCAN_S="3600",
        PM_REWARDS_RETRY_S="1"))
    try:
        program.read_until(lambda s: '"event":"scan_failed"' in s, timeout=30)
        cfg = VenueConfig(flow_params=FLOW, reward_markets=0, assets=("btc",), intervals=("1h",))
        with VenueThread(cfg, seed=5, flow=True, port=port):
            line = program.read_until(lambda s: '"event":"markets_selected"' in s and '"selected":0' not in s,
                                      timeout=60)
        assert "rewards-even-odds" in json.loads(line)["slugs"]
    finally:
        program.terminate_and_time(timeout=10)
