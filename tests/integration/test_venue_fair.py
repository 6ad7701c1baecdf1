"""Scripted fair values over real sockets: `POST /_venue/fair` moves a market's book mid (REST and the
market WebSocket) within a second, a config file's path is followed as the venue's clock advances, and
`python -m venue --config FILE` reads the paths."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import msgspec
import pytest

from schemas.units import NS
from tests.support.procs import Program, program_env, short_tmpdir
from tests.support.venue_client import events, recv_until, ws_connect
from tests.support.venue_fair import book_mid, get_fair, request, set_fair, wait_for_mid
from venue.app import VenueThread
from venue.config import FairPoint, FlowConfig, VenueConfig

QUIET = FlowConfig(noise_rate_per_min=0.0, informed_prob=0.0)  # makers only: the book's mid is the fair
WINDOW = 1_773_307_200  # a 5m window start (unix seconds)
SECOND = 1.0  # "within a second": the makers re-quote before the POST is answered, so this is ample


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(flow_params=QUIET), seed=7) as v:
        yield v


def _ws_touch(frame: Any, token: str) -> tuple[str, str] | None:
    for event in events(frame):
        for change in event.get("price_changes", []) if event.get("event_type") == "price_change" else []:
            if change["asset_id"] == token:
                return change["best_bid"], change["best_ask"]
    return None


def test_a_posted_fair_moves_the_book_mid_within_a_second(venue: VenueThread) -> None:
    url = venue.urls["clob"]
    current = get_fair(url, "btc-updown-15m")  # the rotating series names the window in progress
    yes, no = current["tokens"]
    assert current["slug"].startswith("btc-updown-15m-") and current["source"] == ""
    ws = ws_connect(venue.urls["ws_market"])
    try:
        ws.send(json.dumps({"type": "market", "assets_ids": [yes]}))
        recv_until(ws, lambda f: isinstance(f, list))  # the initial dump: subscribed
        for fair, touch in ((0.70, ("0.68", "0.72")), (0.30, ("0.28", "0.32"))):
            moved = set_fair(url, "btc-updown-15m", fair)
            assert (moved["market"], moved["yes"], moved["source"]) == (current["market"], str(fair), "pin")
            assert wait_for_mid(url, yes, round(fair * 1e6), timeout=SECOND)
            assert book_mid(url, no) == round((1 - fair) * 1e6)  # the No book is the mirror
            recv_until(ws, lambda f, t=touch: _ws_touch(f, yes) == t, timeout=SECOND)
    finally:
        ws.close()
    cleared = set_fair(url, current["market"], None)  # by condition id; back to the model
    assert cleared["source"] == ""


def test_a_bad_request_or_an_unknown_market_is_refused(venue: VenueThread) -> None:
    url = venue.urls["clob"]
    assert request(url, "POST", "/_venue/fair", {"market": "btc-updown-15m", "yes": 1.5})[0] == 400
    assert request(url, "POST", "/_venue/fair", {"yes": 0.5})[0] == 400
    status, body = request(url, "POST", "/_venue/fair", {"market": "nope", "yes": 0.5})
    assert (status, body) == (404, {"error": "no market 'nope'"})


class Clock:
    def __init__(self, now_ns: int) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns


def test_a_path_from_the_config_is_followed_as_time_passes() -> None:
    paths = {"btc-updown-5m": (FairPoint(t=0, yes=0.3), FairPoint(t=60, yes=0.3), FairPoint(t=60, yes=0.8),
                               FairPoint(t=120, yes=0.8), FairPoint(t=180, yes=0.2))}
    clock = Clock((WINDOW + 1) * NS)
    config = VenueConfig(flow_params=msgspec.structs.replace(QUIET, fair_paths=paths))
    with VenueThread(config, seed=7, clock_ns=clock) as v:
        url = v.urls["clob"]
        for second, want in ((10, 300_000), (90, 800_000), (150, 500_000), (179, 210_000)):
            clock.now_ns = (WINDOW + second) * NS
            v.call(v.venue.tick_now)  # type: ignore[union-attr]  # the venue's next tick, now
            state = get_fair(url, "btc-updown-5m")
            assert (state["source"], state["yes"]) == ("path", str(want / 1e6))
            wait_for_mid(url, state["tokens"][0], want, timeout=SECOND)


def test_python_m_venue_reads_the_paths_of_its_config_file() -> None:
    run_dir = short_tmpdir()
    config = run_dir / "venue.json"
    config.write_text(json.dumps({"flow_params": {
        "noise_rate_per_min": 0, "informed_prob": 0,
        "fair_paths": {"venue-reward-market-1": [{"t": 0, "yes": 0.25}]}}}))
    program = Program(["-m", "venue", "--port", "0", "--config", str(config)], program_env(run_dir))
    try:
        ready = json.loads(program.read_until(lambda line: '"venue_ready"' in line))
        state = get_fair(ready["clob"], "venue-reward-market-1")
        assert (state["source"], state["yes"]) == ("path", "0.25")
        wait_for_mid(ready["clob"], state["tokens"][0], 250_000, timeout=5.0)  # the first ladder
        assert program.terminate_and_time() < 5.0
    finally:
        program.kill()
        shutil.rmtree(run_dir, ignore_errors=True)
