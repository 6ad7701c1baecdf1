"""`python -m venue` as a real process: ready line with the URLs, JSON-lines logs, fast SIGTERM stop,
`PM_VENUE_ACCOUNT_TYPE` (and a bad value: exit 2)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from clob.wallets import beacon_deposit_wallet_address
from tests.support.venue_client import KEY_A, Client

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 15.0


def _read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    assert proc.stdout is not None
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    try:
        if not sel.select(timeout):
            raise TimeoutError("no output from the venue")
        return proc.stdout.readline()
    finally:
        sel.close()


def test_cli_ready_line_logs_and_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "venue", "--port", "0", "--flow", "off", "--seed", "5",
                             "--state", ":memory:"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + TIMEOUT
        ready = None
        lines = []
        while ready is None:
            line = _read_line(proc, deadline - time.monotonic())
            assert line, f"venue exited early: {proc.stderr.read() if proc.stderr else b''!r}"
            record = json.loads(line)
            lines.append(record)
            if record["event"] == "venue_ready":
                ready = record
        assert next(iter(ready)) == "event"
        assert ready["clob"].startswith("http://127.0.0.1:") and ready["ws_market"].endswith("/ws/market")
        assert ready["gamma"].endswith("/gamma") and ready["ws_user"].endswith("/ws/user")
        with urllib.request.urlopen(ready["clob"] + "/ok", timeout=5) as resp:
            assert json.loads(resp.read()) == "OK"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - started < 1.0
        assert proc.stdout is not None
        for raw in proc.stdout.read().splitlines():
            record = json.loads(raw)
            assert next(iter(record)) == "event"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def _ready(proc: subprocess.Popen[bytes]) -> dict[str, object]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        line = _read_line(proc, deadline - time.monotonic())
        assert line, f"venue exited early: {proc.stderr.read() if proc.stderr else b''!r}"
        record = json.loads(line)
        if record["event"] == "venue_ready":
            return record


def test_pm_venue_account_type_makes_every_paper_account_a_deposit_wallet() -> None:
    env = {**os.environ, "PM_ENV_FILE": os.devnull, "PM_VENUE_ACCOUNT_TYPE": "DEPOSIT_WALLET"}
    argv = [sys.executable, "-m", "venue", "--port", "0", "--flow", "off", "--state", ":memory:"]
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        ready = _ready(proc)
        assert ready["account_type"] == "DEPOSIT_WALLET"
        client = Client(str(ready["clob"]), KEY_A)
        try:
            client.derive()  # opens the key's account: a deposit wallet, deployed
            wallet = beacon_deposit_wallet_address(client.signer.address)  # type: ignore[union-attr]
            assert client.get(f"/relayer/deployed?address={wallet}&type=WALLET") == (200, {"deployed": True})
            query = "/balance-allowance?asset_type=COLLATERAL&signature_type=3"
            status, balance, _ = client.private("GET", query)
            assert status == 200 and int(balance["balance"]) > 0
        finally:
            client.close()
    finally:
        proc.terminate()
        proc.wait(5)


def test_a_bad_pm_venue_account_type_exits_2_naming_it() -> None:
    env = {**os.environ, "PM_ENV_FILE": os.devnull, "PM_VENUE_ACCOUNT_TYPE": "SAFE"}
    proc = subprocess.run([sys.executable, "-m", "venue", "--port", "0"], cwd=ROOT, env=env,
                          capture_output=True, timeout=TIMEOUT)
    assert proc.returncode == 2
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["event"], r["variable"]) for r in records] == [("config_error", "PM_VENUE_ACCOUNT_TYPE")]
