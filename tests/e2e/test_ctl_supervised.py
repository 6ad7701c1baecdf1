"""``python -m actors.ctl status`` and ``doctor`` against the engine as ``make up`` runs it: the real
supervisord (``tests.support.supervised``), its XML-RPC socket and its log beside the bus heartbeats. A
program killed with SIGKILL is restarted by supervisord and counted in ``restarts``."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from deploy.render import parse_markets
from tests.support.procs import REPO
from tests.support.stack import Stack
from tests.support.supervised import CORE_PROGRAMS, Supervised
from tests.support.waits import wait_for_value

pytestmark = pytest.mark.e2e

VENUE = {"window_seconds": 3600, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
         "flow_params": {"noise_rate_per_min": 0.0, "informed_prob": 0.0}}


def ctl(stack: Stack, *args: str) -> tuple[int, Any]:
    done = subprocess.run([sys.executable, "-m", "actors.ctl", *args, "--json"], cwd=REPO, env=stack.env(),
                          capture_output=True, text=True, timeout=90)
    return done.returncode, json.loads(done.stdout)


def test_status_and_doctor_under_supervisord() -> None:
    with Stack(venue_config=VENUE) as stack:
        engine = Supervised(stack.dir, stack.env(PM_WINDOW_SECONDS="3600"),
                            markets=parse_markets("btc btc-updown-15m\n"))
        try:
            engine.start()

            last: list[Any] = []

            def all_ok() -> dict[str, Any] | None:
                code, body = ctl(stack, "status")
                last[:] = [body]
                return {r["program"]: r for r in body["rows"]} if code == 0 else None

            try:
                rows = wait_for_value(all_ok, "every program RUNNING and heartbeating", timeout=60, every=0.5)
            except AssertionError:
                raise AssertionError(last) from None
            names = {p.split(":", 1)[1] if p.startswith("core:") else p for p in CORE_PROGRAMS}
            assert names | {"market:btc"} <= set(rows)
            assert all(rows[n]["state"] == "RUNNING" and rows[n]["pid"] for n in names)
            assert rows["executor"]["restarts"] == 0

            killed = engine.kill9("core:ofi")
            assert killed

            def restarted() -> dict[str, Any] | None:
                code, body = ctl(stack, "status")
                row = next(r for r in body["rows"] if r["program"] == "ofi")
                return row if code == 0 and row["pid"] != killed and row["restarts"] >= 1 else None

            ofi = wait_for_value(restarted, "ofi restarted, counted and heartbeating again", timeout=60,
                                 every=0.5)
            assert ofi["state"] == "RUNNING"

            code, body = ctl(stack, "doctor")
            checks = {c["name"]: c["verdict"] for c in body["checks"]}
            assert checks["supervisord"] == "ok" and checks["program market:btc"] == "ok", body
            assert code == 0, body
        finally:
            engine.force_down()
