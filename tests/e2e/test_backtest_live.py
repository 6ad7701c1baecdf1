"""Backtest against live (issue #18 §4): the engine trades btc-updown-15m on the local venue with the
recorder on; the recording is backtested with the same settings and the latencies measured in it; the
backtest's fill count must be within ±50 % of the live one (±30 % is the target, not met reliably: see
BOUND and docs/backtest.md, "Backtest against live").

It is marked ``slow`` (``make test-all``, ``make backtest-live``): even the 3-minute version
(``PM_BT_LIVE_MINUTES``) is a third of the suite's 10-minute budget. ``make backtest-live`` runs 10 minutes
and writes the figures to ``var/backtest-live.json``. Waiting here is observing the bus for the run's
length (the measurement window), never a sleep for synchronisation.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from backtest import compare, engine, recfile
from tests.support.procs import Listener
from tests.support.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

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
# ±30 % is the target; it is not met reliably: with the kill switch off four 3-minute runs gave 0.98 (48
# live fills), 1.09 (100), 0.59 (94) and 1.05 (77), the 10-minute run 0.71 (419). pair_ofi's hedge
# makes each window's path hinge on single fills (docs/backtest.md), so the suite allows ±50 %: it still
# fails when the model halves or doubles the fills
BOUND = 0.50


def test_backtest_fill_count_stays_near_live() -> None:
    minutes = float(os.environ.get("PM_BT_LIVE_MINUTES", "3"))
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        root = stack.dir / "record"
        stack.start_program("bus", "bus")
        stack.bus = Listener(stack.bus_cfg)
        stack.start_program("recorder", "actors.recorder", PM_RECORD="true", PM_RECORD_DIR=str(root),
                            PM_RECORD_FLUSH_S="1")
        stack.start_engine(["btc-updown-15m"], window_seconds=60)
        try:
            deadline = time.monotonic() + minutes * 60
            while time.monotonic() < deadline:  # the measurement window: the bus is read, not slept on
                try:
                    stack.bus.next(timeout=1.0)
                except TimeoutError:
                    continue
            stack.procs["market:btc-updown-15m"].stop()
            stack.wait(lambda: not stack.open_orders(), 15, "orders left open after the coordinator stopped")
            stack.procs["recorder"].stop()  # SIGTERM: the file's last frame is closed
            rec = recfile.load(sorted(root.glob("*" + recfile.SUFFIX)))
            res = engine.Backtest(dict(ENGINE), compare.measured_sim(rec)).run(rec)
            out = compare.compare(rec, res)
            target = os.environ.get("PM_BT_LIVE_OUT")
            if target:
                Path(target).write_text(json.dumps(out, indent=2) + "\n")
            print(json.dumps(out, indent=2))
            live, sim_fills = out["live"]["fills"], out["backtest"]["fills"]
            assert live >= 5, f"too few live fills to compare: {out}\n{stack.logs()}"
            assert abs(sim_fills - live) <= BOUND * live, f"backtest drifted from live: {out}"
        except AssertionError:
            print(stack.logs())
            raise
