"""``livetest`` checks pre-signing's age bound (issue 20 §3 "Pre-signing": "...off by default in live mode,
and ``doctor``/``livetest`` can check it"), against a running engine (real processes, real sockets, the
local venue on loopback).

The engine runs with pre-signing on (``PM_EXEC_PRESIGN_MAX_AGE_MS=2000``) against a venue that refuses
orders signed more than 5 s ago (``max_order_age_ms``: a strict exchange; Polymarket's own bound is not
documented). livetest reads the bound as ``doctor`` does, from the executor's preflight (run with
livetest's environment): with the engine's 2000 ms the venue accepts the aged order and the run passes;
with 8000 ms the venue refuses it, the step fails telling the user to lower the bound, exit 1; with 0
(pre-signing off) the step is skipped, unless ``--age-ms`` names an age to check. No order of livetest's
is left open in any case.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from actors.ctl.livetest import AGE_STEP, STEPS
from tests.support.procs import REPO
from tests.support.stack import Stack, quoting
from tests.support.waits import wait_until

pytestmark = pytest.mark.e2e

MAX_ORDER_AGE_MS = 5_000
VENUE = {"window_seconds": 600, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
         "reward_specs": [], "max_order_age_ms": MAX_ORDER_AGE_MS,
         "flow_params": {"noise_rate_per_min": 60.0, "informed_prob": 0.0}}
ENGINE = {"PM_BID_SIZE": "5", "PM_HEARTBEAT_MS": "500", "PM_OFI_TOXICITY_THRESHOLD": "1000000",
          "PM_EXEC_PRESIGN_MAX_AGE_MS": "2000"}
MARKET = "btc-updown-15m"
LOWEST = ("0.01", "0.001")  # livetest's price: the lowest of the grid


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with quoting(VENUE, ENGINE, MARKET) as s:
        yield s


def livetest(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "actors.ctl", "livetest", "--market", MARKET, "--timeout", "30", *args]
    return subprocess.run(argv, cwd=REPO, env=stack.env(**env), capture_output=True, text=True, timeout=180)


def line(done: subprocess.CompletedProcess[str], name: str) -> str:
    [found] = [x for x in done.stdout.splitlines() if x[2:].startswith(name)]
    return found


def nothing_left_open(stack: Stack) -> None:
    wait_until(lambda: not [o for o in stack.open_orders() if o.get("price") in LOWEST],
               "no livetest order open at the venue", timeout=30)


def test_the_venue_accepting_the_bound_passes_and_both_orders_are_cancelled(stack: Stack) -> None:
    done = livetest(stack)
    assert done.returncode == 0, done.stdout + done.stderr
    passed = line(done, AGE_STEP)
    assert passed.startswith("✓ ") and "signed 2000 ms ago: placed, then cancelled" in passed
    assert all(line(done, name).startswith("✓ ") for name in STEPS), done.stdout
    nothing_left_open(stack)


def test_a_venue_refusing_an_order_that_old_fails_the_step_with_what_to_do(stack: Stack) -> None:
    done = livetest(stack, PM_EXEC_PRESIGN_MAX_AGE_MS="8000")  # older than the venue's 5 s
    assert done.returncode == 1, done.stdout + done.stderr
    failed = line(done, AGE_STEP)
    assert failed.startswith("✗ ") and "lower PM_EXEC_PRESIGN_MAX_AGE_MS below 8000" in failed, done.stdout
    assert "max_order_age_ms" in failed  # the venue's reason, passed on
    assert all(line(done, name).startswith("✓ ") for name in STEPS), done.stdout  # the first order: cancelled
    nothing_left_open(stack)


def test_pre_signing_off_skips_the_step(stack: Stack) -> None:
    done = livetest(stack, PM_EXEC_PRESIGN_MAX_AGE_MS="0")
    assert done.returncode == 0, done.stdout + done.stderr
    skipped = line(done, AGE_STEP)
    assert skipped.startswith("- ") and "skipped: pre-signing is off" in skipped
    nothing_left_open(stack)


def test_age_ms_checks_an_age_before_pre_signing_is_turned_on(stack: Stack) -> None:
    done = livetest(stack, "--age-ms", "3000", PM_EXEC_PRESIGN_MAX_AGE_MS="0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "signed 3000 ms ago: placed, then cancelled" in line(done, AGE_STEP)
    nothing_left_open(stack)
