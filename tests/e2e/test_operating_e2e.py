"""Operating the engine, against a running one (real processes, the local venue, loopback only):
``python -m actors.ctl`` ``status``, ``positions``, ``orders``, ``pnl`` list what the engine does (text and
``--json``, exit codes); ``cancel-all`` goes through the executor and is acknowledged, the cancelled orders
seen gone at the venue; ``doctor`` and ``livetest``; the dashboard (``python -m actors.dash``) in tmux,
driven with send-keys and read with capture-pane. One engine for the module; each test waits for what it
needs (no fixed sleep)."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.procs import REPO
from tests.support.stack import Stack, quoting
from tests.support.waits import wait_for_value, wait_until
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY

pytestmark = pytest.mark.e2e

VENUE = {"window_seconds": 600, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
         "flow_params": {"noise_rate_per_min": 60.0, "informed_prob": 0.0}}
# the module's tests share one engine for minutes: keep it quoting (no toxic flow kills it in between)
ENGINE = {"PM_BID_SIZE": "5", "PM_HEARTBEAT_MS": "500", "PM_OFI_TOXICITY_THRESHOLD": "1000000"}
MARKET = "btc-updown-15m"


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with quoting(VENUE, ENGINE, MARKET) as s:
        yield s


def ctl(stack: Stack, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "actors.ctl", *args], cwd=REPO, env=stack.env(),
                          capture_output=True, text=True, timeout=timeout)


def as_json(done: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(done.stdout)


def test_every_command_has_help() -> None:
    for command in ("status", "positions", "orders", "pnl", "cancel-all"):
        done = subprocess.run([sys.executable, "-m", "actors.ctl", command, "--help"], cwd=REPO,
                              capture_output=True, text=True, timeout=30)
        assert done.returncode == 0 and "usage:" in done.stdout, command


def test_status_lists_every_program_with_its_heartbeat(stack: Stack) -> None:
    done = ctl(stack, "status", "--json")
    body = as_json(done)
    rows = {r["program"]: r for r in body["rows"]}
    for program in ("bus", "executor", "inventory", "ofi", "user-feed", "market-feed", f"market:{MARKET}"):
        assert rows[program]["heartbeat_age_s"] is not None and rows[program]["heartbeat_age_s"] < 3, program
    assert body["supervisord"].startswith("supervisord not reachable")  # the Stack runs no supervisord
    assert done.returncode == 0, done.stdout  # every program heard
    text = ctl(stack, "status")
    assert "executor" in text.stdout and "heartbeat" in text.stdout.splitlines()[0]


def test_orders_lists_the_coordinators_quotes(stack: Stack) -> None:
    def listed() -> list[dict[str, Any]] | None:
        """The listed orders once one of them is also open at the venue (the coordinator re-quotes: between
        a cancel and its replacement the list may be empty, and it is published every 2 s)."""
        done = ctl(stack, "orders", "--json", "--holder", MARKET)
        assert done.returncode == 0, done.stderr
        rows: list[dict[str, Any]] = as_json(done)["rows"]
        venue_ids = {o["id"] for o in stack.open_orders()}
        return rows if {r["order_id"] for r in rows} & venue_ids else None

    rows = wait_for_value(listed, "the coordinator's orders listed and open at the venue", timeout=90,
                          every=0.5)
    assert all(r["holder"] == MARKET and r["post_only"] for r in rows)
    assert "holder" in ctl(stack, "orders").stdout


def test_positions_and_pnl_read_the_journal(stack: Stack) -> None:
    positions = ctl(stack, "positions", "--json")
    assert positions.returncode == 0, positions.stderr
    rows = as_json(positions)["rows"]
    assert any(r["name"] == MARKET for r in rows)  # the market inventory learned from the lease, named
    pnl = ctl(stack, "pnl", "--json")
    assert pnl.returncode == 0, pnl.stderr
    body = as_json(pnl)
    assert set(body["total"]) >= {"realized", "unrealized", "rewards", "fees", "fills"}
    assert body["total"]["realized"] == sum(r["realized"] for r in body["rows"])
    assert "TOTAL" in ctl(stack, "pnl").stdout


def test_cancel_all_of_one_market_goes_through_the_executor(stack: Stack) -> None:
    before = wait_for_value(lambda: {o["id"] for o in stack.open_orders()} or None, "orders at the venue",
                            timeout=60, every=0.2)
    done = ctl(stack, "cancel-all", "--market", MARKET, "--timeout", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "acknowledged" in done.stdout
    wait_until(lambda: not before & {o["id"] for o in stack.open_orders()},
               "the old orders gone at the venue", timeout=30)


def test_cancel_all_of_an_unknown_market_says_so(stack: Stack) -> None:
    done = ctl(stack, "cancel-all", "--market", "nobody-trades-this")
    assert done.returncode == 3 and "no running coordinator" in done.stdout


def test_cancel_all_cancels_every_order(stack: Stack) -> None:
    done = ctl(stack, "cancel-all", "--timeout", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "every order: acknowledged" in done.stdout


def test_doctor_passes_against_the_running_engine_and_never_prints_the_key(stack: Stack) -> None:
    done = ctl(stack, "doctor", "--skip", "supervisord")  # the Stack runs the programs without supervisord
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    for name in ("packages", "config", "venue rest", "venue ws market", "venue ws user", "clock", "key",
                 "api credentials", "presign", "program executor", f"program market:{MARKET}", "disk"):
        assert any(line.startswith(f"✓ {name} ") for line in lines), (name, done.stdout)
    assert "- supervisord" in done.stdout and lines[-1] == "all checks passed"
    key = LOCAL_TEST_PRIVATE_KEY.removeprefix("0x")
    assert key not in done.stdout + done.stderr and key[:16] not in done.stdout


def test_doctor_fails_with_a_hint_when_the_venue_is_unreachable(stack: Stack) -> None:
    env = stack.env(PM_LOCAL_VENUE_URL="http://127.0.0.1:9")  # nothing listens on the discard port
    done = subprocess.run([sys.executable, "-m", "actors.ctl", "doctor", "--skip", "supervisord", "--json"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    checks = {c["name"]: c for c in json.loads(done.stdout)["checks"]}
    assert checks["venue rest"]["verdict"] == "fail" and "venue up" in checks["venue rest"]["hint"]
    assert checks["clock"]["verdict"] == "fail" and checks["python"]["verdict"] == "ok"


def test_livetest_places_sees_and_cancels_one_harmless_order(stack: Stack) -> None:
    done = ctl(stack, "livetest", "--market", MARKET, "--timeout", "30", timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    ticks = [line for line in done.stdout.splitlines() if line.startswith("✓ ")]
    assert len(ticks) == 6, done.stdout
    assert "- accepted when signed max age ago" in done.stdout  # pre-signing off: its age check skipped
    assert not [o for o in stack.open_orders() if o.get("price") in ("0.01", "0.001")]  # gone at the venue


class Tmux:
    """A private tmux server (its own socket) running one command in a detached 200x60 pane."""

    def __init__(self, stack: Stack, argv: list[str]) -> None:
        self.socket = f"pm-dash-{stack.port}"
        script = stack.dir / "dash.sh"
        env = {k: v for k, v in stack.env().items() if k not in ("COLUMNS", "LINES")}  # the pane's own size
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        # unset: the tmux server inherits this process's environment, which may size the terminal
        script.write_text(f"unset COLUMNS LINES\n{exports}cd {shlex.quote(str(REPO))}\n"
                          f"exec {shlex.join(argv)}\n")
        self.tmux("new-session", "-d", "-s", "dash", "-x", "200", "-y", "60",
                  f"bash {shlex.quote(str(script))}")

    def tmux(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "dash").stdout

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "dash", *keys)

    def alive(self) -> bool:
        return self.tmux("has-session", "-t", "dash").returncode == 0

    def close(self) -> None:
        self.tmux("kill-server")


def messages(screen: str) -> int:
    found = re.search(r"· (\d+) msgs", screen)
    return int(found.group(1)) if found else -1


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
def test_the_dashboard_shows_the_market_its_mode_and_our_quotes_and_updates(stack: Stack) -> None:
    pane = Tmux(stack, [sys.executable, "-m", "actors.dash"])
    try:
        wait_until(lambda: "pm-maker dash" in pane.screen(), "the first frame", timeout=30)
        try:
            wait_until(lambda: re.search(rf"{MARKET}.*(\n.*)?(yes|no)_bid \d\.\d{{3}}", pane.screen()),
                       "the market and one of our quotes on screen", timeout=90, every=0.2)
        except AssertionError:
            raise AssertionError(pane.screen()) from None
        modes = r"│ (balanced|hedge|kill|hold|blocked|withdrawn|quoting|rotating)\b"  # rotating: window ended
        wait_until(lambda: re.search(modes, pane.screen()), "the coordinator's mode on screen", timeout=30)
        screen = pane.screen()
        assert "pair_ofi" in screen and "executor" in screen and "heartbeat" in screen
        first = messages(screen)
        wait_until(lambda: messages(pane.screen()) > first, "the screen updates", timeout=30)
        pane.keys("/", "z", "z", "z", "Enter")
        wait_until(lambda: "no market matches 'zzz'" in pane.screen(), "the filter hides the market")
        pane.keys("Escape")
        wait_until(lambda: MARKET in pane.screen(), "the filter cleared")
        assert "q quit" in pane.screen()
        pane.keys("q")
        wait_until(lambda: not pane.alive(), "q quits", timeout=10)
    finally:
        pane.close()


def test_the_pmctl_wrapper_and_make_ctl(stack: Stack) -> None:
    done = subprocess.run([str(REPO / "pmctl"), "orders", "--json"], cwd=REPO, env=stack.env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "rows" in json.loads(done.stdout), done.stderr
    made = subprocess.run(["make", "-s", "ctl", "ARGS=status --json"], cwd=REPO, env=stack.env(),
                          capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stdout + made.stderr
    assert any(r["program"] == "executor" for r in json.loads(made.stdout.splitlines()[-1])["rows"])
