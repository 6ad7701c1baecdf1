"""Backtest against live (issue #18 §4, docs/backtest.md "Backtest against live"): the engine trades
btc-updown-15m on the local venue with the recorder on; the recording is backtested with the same settings
and the latencies measured in it (``backtest.compare.measured_sim``); the backtest's fill count and volume
must stay within a band of the live ones.

Two versions:

- ``test_short_backtest_stays_near_live`` (in the suite): 45 s (``PM_BT_LIVE_SHORT_S``, from the engine's
  first order) of 10-second windows of two markets at once (btc and eth) and a busier tape, about a minute
  of wall time; fails when the backtest's fills or volume leave ``SHORT_BOUND`` of live.
- ``test_backtest_fill_count_stays_near_live`` (``slow``: ``make test-all``, ``make backtest-live``): the
  3-minute default (``PM_BT_LIVE_MINUTES``; ``make backtest-live`` runs 10) of 60-second windows, writing the
  figures to ``PM_BT_LIVE_OUT`` (``var/backtest-live.json``); fails outside ``BOUND``.

Both replay each decision with the latency of the live decision nearest in time and merges with the live
merge latency (``compare.measured_sim``'s defaults; docs/backtest.md, "Verdict (stop 26)"), and start the
engine only once the recorder hears the bus. ``PM_BT_LIVE_KEEP=DIR`` copies the recording to DIR.

Waiting here is observing the bus for the run's length (the measurement window), never a sleep for
synchronisation.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from backtest import compare, recfile
from schemas import Heartbeat, PlaceOrder
from tests.support.procs import Listener
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e]

VENUE = {
    "window_seconds": 60, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
    "mined_delay_ms": 300, "confirmed_delay_ms": 600,
    "flow_params": {"noise_rate_per_min": 150.0},
}
# OFI's kill switch off (a threshold no 3 s window reaches): kills flapping every few seconds made both runs
# hinge on which side of a millisecond each kill ended (docs/backtest.md); the comparison is of the
# exchange model, the kill switch has its own e2e test
ENGINE = {"PM_BID_SIZE": "5", "PM_MAX_NET_DIFF": "40", "PM_MAX_POSITION_VALUE": "60",
          "PM_HEARTBEAT_MS": "500", "PM_OFI_TOXICITY_THRESHOLD": "100000"}
# the band the long run must hold: 3- and 10-minute runs gave 1.04, 0.94 and 1.01 (docs/backtest.md)
BOUND = 0.30
# the short run: more windows (each window's opening fills decide its hedge path, so more windows average
# that out) and more takers, so 45 s hold enough fills to compare. With seed 1 alone nine runs at load
# average 8-24 gave 0.93, 0.82, 1.22, 1.67, 1.00, 1.00, 0.91, 0.85, 0.92 and CI once 0.69; the median of
# seeds 1-9 over twelve later runs gave 0.89-1.12 (docs/backtest.md, "Verdict (stop 24)"), and CI 0.70,
# below live in every seed; with the live merge latency and the latency timeline (stop 26) see
# docs/backtest.md, "Verdict (stop 26)"; 20-second windows gave 1.07, 0.75, 0.60, 0.83, 0.60. Each window's
# path is its own (one fill taken or not decides Balanced or Hedge for the rest of it), so the count's noise
# falls with the number of windows: two markets at once give twice as many in the same 45 s (one market,
# twenty runs: 0.73-1.19; two markets, ten runs: 0.87-1.05)
SHORT_WINDOW_S = 10
SHORT_VENUE = {**VENUE, "assets": ["btc", "eth"], "window_seconds": SHORT_WINDOW_S,
               "flow_params": {"noise_rate_per_min": 300.0}}
SHORT_MARKETS = ["btc-updown-15m", "eth-updown-15m"]  # two markets at once: twice the windows in 45 s
SHORT_BOUND = 0.30


def live_then_backtest(seconds: float, venue: dict[str, Any], window_s: int,
                       markets: list[str] | None = None) -> dict[str, Any]:
    """Run the engine with the recorder for ``seconds``, stop it, backtest the recording; the comparison."""
    with Stack(venue_config=venue, env=ENGINE) as stack:
        root = stack.dir / "record"
        stack.start_program("bus", "bus")
        stack.bus = Listener(stack.bus_cfg)
        stack.start_program("recorder", "actors.recorder", PM_RECORD="true", PM_RECORD_DIR=str(root),
                            PM_RECORD_FLUSH_S="1")
        # the recorder hears the bus (its own heartbeat came back) before the engine starts: a first order
        # and fill it missed would start the backtest flat where live held a leg (seen in a 3-minute run)
        stack.bus.wait_for(lambda _t, _h, m: isinstance(m, Heartbeat) and m.program == "recorder" and m.ready,
                           timeout=60)
        markets = markets or ["btc-updown-15m"]
        stack.start_engine(markets, window_seconds=window_s)
        try:
            # the run is measured from the engine's first order (start-up takes long on a loaded machine)
            stack.bus.wait_for(lambda _t, _h, m: isinstance(m, PlaceOrder), timeout=120)
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:  # the measurement window: the bus is read, not slept on
                try:
                    stack.bus.next(timeout=1.0)
                except TimeoutError:
                    continue
            for slug in markets:
                stack.procs[f"market:{slug}"].stop()
            stack.wait(lambda: not stack.open_orders(), 15, "orders left open after the coordinator stopped")
            stack.procs["recorder"].stop()  # SIGTERM: the file's last frame is closed
            files = sorted(root.glob("*" + recfile.SUFFIX))
            keep = os.environ.get("PM_BT_LIVE_KEEP")  # a directory: the recording is copied there
            if keep:
                Path(keep).mkdir(parents=True, exist_ok=True)
                for f in files:
                    shutil.copy(f, Path(keep) / f.name)
            rec = recfile.load(files)
            out = compare.compare_runs(rec, compare.runs(rec, ENGINE, compare.measured_sim(rec)))
            print(json.dumps(out, indent=2))
            assert out["live"]["fills"] >= 5, f"too few live fills to compare: {out}\n{stack.logs()}"
            # out["live_fills_before_data"]: live fills before the recording held their market's book (the
            # recorder behind the market-feed: the backtest cannot have them); reported, not asserted: under
            # heavy load the recorder's first book of a window can come a few ms after the engine's order
            return out
        except AssertionError:
            print(stack.logs())
            raise


def off_by(out: dict[str, Any], key: str) -> float:
    live, sim = out["live"][key], out["backtest"][key]
    return abs(sim - live) / live


def test_short_backtest_stays_near_live() -> None:
    out = live_then_backtest(float(os.environ.get("PM_BT_LIVE_SHORT_S", "45")), SHORT_VENUE, SHORT_WINDOW_S,
                             SHORT_MARKETS)
    assert off_by(out, "fills") <= SHORT_BOUND, f"backtest fills drifted from live: {out}"
    assert off_by(out, "volume_usd") <= SHORT_BOUND, f"backtest volume drifted from live: {out}"


@pytest.mark.slow
def test_backtest_fill_count_stays_near_live() -> None:
    out = live_then_backtest(float(os.environ.get("PM_BT_LIVE_MINUTES", "3")) * 60, VENUE, 60)
    target = os.environ.get("PM_BT_LIVE_OUT")
    if target:
        Path(target).write_text(json.dumps(out, indent=2) + "\n")
    assert off_by(out, "fills") <= BOUND, f"backtest fills drifted from live: {out}"
    assert off_by(out, "volume_usd") <= BOUND, f"backtest volume drifted from live: {out}"
