"""`python -m venue` as a real process: ready line with the URLs, JSON-lines logs, fast SIGTERM stop."""

from __future__ import annotations

import json
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

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
    proc = subprocess.Popen([sys.executable, "-m", "venue", "--port", "0", "--flow", "off", "--seed", "5"],
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
