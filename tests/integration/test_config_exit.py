"""Every program, run as ``python -m <program>`` with one bad setting, exits with code 2 naming the variable,
before it does anything: no socket bound or connected on the bus, no request to the venue.

"Nothing sent" is proved with tripwires, not timing: every URL points at a TCP socket that listens but
never accepts, and every bus endpoint is a Unix socket of ours at the ipc path. After the program has
exited, we connect to each tripwire ourselves and accept until our own connection comes out of the
(first-in, first-out) backlog: anything accepted before it was the program. A program that bound an
ipc endpoint would have replaced our socket file (its inode would differ).

All programs start at once (module fixture) so the whole file takes about as long as the slowest one.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.procs import REPO, program_env, short_tmpdir

SECRET_LOOKING_KEY = "0x" + "f" * 64  # 32 bytes of hex, but not a valid secp256k1 scalar
ENDPOINTS = ("bus-in", "bus-out", "exec-cmd", "inv-fill")


class TcpTripwire:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def intruders(self) -> int:
        """Connections made before ours (ours is identified by its port)."""
        probe = socket.create_connection(self.sock.getsockname(), timeout=5)
        mine = probe.getsockname()[1]
        self.sock.settimeout(10)
        count = 0
        try:
            while True:
                conn, peer = self.sock.accept()
                conn.close()
                if peer[1] == mine:
                    return count
                count += 1
        finally:
            probe.close()
            self.sock.close()


class IpcTripwire:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(64)
        self.inode = path.stat().st_ino

    def intruders(self) -> int:
        """Connections made before ours (ours is identified by its pid), or -1 if the path was re-bound."""
        if not self.path.exists() or self.path.stat().st_ino != self.inode:
            self.sock.close()
            return -1
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.connect(str(self.path))
        self.sock.settimeout(10)
        count = 0
        try:
            while True:
                conn, _ = self.sock.accept()
                pid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[0]
                conn.close()
                if pid == os.getpid():
                    return count
                count += 1
        finally:
            probe.close()
            self.sock.close()


@dataclass
class Case:
    program: str
    argv: list[str]
    variable: str
    value: str
    extra: dict[str, str] = field(default_factory=dict)


CASES = [
    Case("bus", ["-m", "bus"], "PM_BUS_IN", "tcp://10.1.2.3:5555"),
    Case("tap", ["-m", "actors.tap", "--json"], "PM_BUS_OUT", "tcp://0.0.0.0:5556"),
    Case("market-feed", ["-m", "actors.market_feed"], "PM_MD_PONG_TIMEOUT_S", "inf"),
    Case("market-feed", ["-m", "actors.market_feed"], "PM_MD_DEPTH", "0"),
    Case("user-feed", ["-m", "actors.user_feed"], "PM_USER_RECONNECT_MAX_MS", "100"),  # < the 500 ms minimum
    Case("inventory", ["-m", "actors.inventory"], "PM_MAX_NET_DIFF", "NaN"),
    Case("ofi", ["-m", "actors.ofi"], "PM_OFI_TOXICITY_THRESHOLD", "1e30"),
    Case("executor", ["-m", "actors.executor"], "PM_EXEC_HTTP_TIMEOUT_MS", "fast"),
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_FUNDER_ADDRESS", "0xnope"),
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_PRIVATE_KEY", SECRET_LOOKING_KEY),
    Case("executor", ["-m", "actors.executor"], "PM_HEARTBEAT_MS", "10"),
    # the wallet (actors/executor/wallet.py): a type that is none, a funder that is not the key's wallet of
    # that type, a type the local venue's paper account does not have
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_SIGNATURE_TYPE", "4"),
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_FUNDER_ADDRESS", "0x" + "12" * 20),
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_SIGNATURE_TYPE", "3",
         {"PM_VENUE_ACCOUNT_TYPE": "EOA"}),
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_SIGNATURE_TYPE", "2",
         {"POLYMARKET_FUNDER_ADDRESS": "0xbc0ff067b7740eff76c1ca93c875ba6b890d6b50"}),  # the deposit wallet
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_RELAYER_URL", "https://relayer-v2.polymarket.com"),
    Case("coordinator", ["-m", "actors.coordinator"], "PM_PAIR_TARGET", "2"),
    Case("coordinator", ["-m", "actors.coordinator"], "PM_MARKETS_HTTP_RETRIES", "99"),
    Case("metrics", ["-m", "actors.metrics"], "PM_METRICS_ADDR", "metrics.example.com:9464"),
    # paper mode (PM_VENUE=local) never reaches a host that is not loopback
    Case("executor", ["-m", "actors.executor"], "POLYMARKET_REST_URL", "https://clob.polymarket.com"),
    Case("user-feed", ["-m", "actors.user_feed"], "PM_LOCAL_VENUE_URL", "http://8.8.8.8:8900"),
    Case("market-feed", ["-m", "actors.market_feed"], "POLYMARKET_WS_BASE_URL",
         "wss://ws-subscriptions-clob.polymarket.com/ws"),
    Case("coordinator", ["-m", "actors.coordinator"], "POLYMARKET_GAMMA_URL", "https://gamma-api.polymarket.com"),
]


@dataclass
class Run:
    case: Case
    proc: subprocess.Popen[bytes]
    tcp: TcpTripwire
    ipc: list[IpcTripwire]
    run_dir: Path


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, Run]]:
    started: dict[str, Run] = {}
    try:
        for case in CASES:
            run_dir = short_tmpdir("pmcx")
            tcp = TcpTripwire()
            ipc = [IpcTripwire(run_dir / f"{name}.sock") for name in ENDPOINTS]
            settings = {"PM_VENUE": "local", "PM_LOCAL_VENUE_URL": tcp.url, "POLYMARKET_REST_URL": tcp.url,
                        "POLYMARKET_GAMMA_URL": tcp.url,
                        "POLYMARKET_WS_BASE_URL": tcp.url.replace("http", "ws"),
                        "PM_EXEC_DB": str(run_dir / "executor.sqlite"), **case.extra,
                        case.variable: case.value}
            env = program_env(run_dir, **settings)
            proc = subprocess.Popen([sys.executable, *case.argv], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            started[case_id(case)] = Run(case, proc, tcp, ipc, run_dir)
        yield started
    finally:
        for run in started.values():
            if run.proc.poll() is None:
                run.proc.kill()
            run.proc.wait(10)
            shutil.rmtree(run.run_dir, ignore_errors=True)


def case_id(case: Case) -> str:
    repeated = sum((c.program, c.variable) == (case.program, case.variable) for c in CASES) > 1
    return f"{case.program}:{case.variable}" + (f"={case.value}" if repeated else "")


@pytest.mark.parametrize("key", [case_id(c) for c in CASES])
def test_a_bad_value_exits_2_naming_the_variable_before_anything_is_sent(runs: dict[str, Run],
                                                                         key: str) -> None:
    run = runs[key]
    try:
        stdout, stderr = run.proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        run.proc.kill()
        raise AssertionError(f"{key}: still running with a bad {run.case.variable}") from None
    out, err = stdout.decode(errors="replace"), stderr.decode(errors="replace")
    assert run.proc.returncode == 2, f"{key}: exit {run.proc.returncode}\n{out}\n{err}"
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    [error] = [r for r in records if r["event"] == "config_error"]
    assert error["variable"] == run.case.variable and error["level"] == "error"
    assert run.case.variable in err  # and a human-readable line on stderr
    assert not any(r["event"] in ("started", "ready") for r in records)
    assert "Traceback" not in out + err
    assert run.tcp.intruders() == 0, f"{key} connected to the venue"
    assert [t.intruders() for t in run.ipc] == [0] * len(ENDPOINTS), f"{key} touched the bus"
    if run.case.variable == "POLYMARKET_PRIVATE_KEY":  # a bad key is named, never echoed
        assert run.case.value.removeprefix("0x") not in out + err


def test_the_venue_exits_2_naming_the_bad_field(tmp_path: Path) -> None:
    config = tmp_path / "venue.json"
    config.write_text(json.dumps({"fee_rate": "NaN"}))
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    proc = subprocess.run([sys.executable, "-m", "venue", "--port", str(port), "--config", str(config)],
                          cwd=REPO, env=program_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    [record] = [json.loads(line) for line in proc.stdout.splitlines() if '"config_invalid"' in line]
    assert "fee_rate" in record["error"]
    with pytest.raises(ConnectionRefusedError):  # it never listened
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
