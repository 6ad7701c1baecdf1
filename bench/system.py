"""The whole engine (venue included) as OS processes in a private directory, for the benchmarks.

Like ``make up`` minus supervisord: every program is started at once as ``python -m ...`` with its own
log file, ipc directory, port and SQLite files, so nothing is shared with a running ``make up``.
Also: a bus listener thread (decoded messages with receive times), venue admin calls, and per-process
memory from ``/proc``.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import IO, Any

import requests
import zmq

from bus import codec
from bus.codec import Header
from bus.endpoints import BusConfig

ROOT = Path(__file__).resolve().parents[1]
MODULES = {"bus": "bus", "executor": "actors.executor", "inventory": "actors.inventory", "ofi": "actors.ofi",
           "user-feed": "actors.user_feed", "market-feed": "actors.market_feed"}
COORDINATOR = "market:bench"
SLUG = "venue-reward-market-1"  # long-lived: no rotation while the bench runs
VENUE_CONFIG = {"flow": False, "assets": ["btc"], "intervals": ["1h"], "windows_ahead": 1,
                "reward_markets": 2, "reward_specs": []}  # the same markets as before the varied ones
ENGINE_ENV = {
    "POLYMARKET_MARKET_SLUG": SLUG, "PM_COORDINATOR_NAME": "bench",
    "PM_PAIR_TARGET": "0.5",  # quotes rest 0.25 below each mid: never at the touch, so they never move it
    "PM_REPRICE_THRESHOLD": "0.03",  # a 0.04 move of both mids re-quotes; the half-applied move (0.02) not
    "PM_DEBOUNCE_MS": "0",
    "PM_BID_SIZE": "5",
    "PM_RATE_TIER": "elite",  # two orders and two cancels per event, ~200 events/s
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class System:
    def __init__(self, *, venue_config: dict[str, Any] | None = None, env: dict[str, str] | None = None,
                 seed: int = 7, argv: dict[str, list[str]] | None = None,
                 pins: dict[str, str] | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="pmb", dir="/tmp"))  # ipc paths must stay short
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(mode=0o700)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.seed = seed
        self.venue_config = VENUE_CONFIG if venue_config is None else venue_config
        self.extra_env = {**ENGINE_ENV, **(env or {})}
        self.bus = BusConfig(run_dir=str(self.run_dir))
        self.argv = argv or {}  # program -> python argv instead of ``-m module`` (profiling wrappers)
        # program (``MODULES``' names, ``coordinator``, ``venue``) -> CPUs: ``PM_CPU_AFFINITY`` for ours,
        # ``sched_setaffinity`` for the venue (the rig: it reads no PM_* setting)
        self.pins = pins or {}
        unknown = set(self.pins) - {*MODULES, "coordinator", "venue"}
        if unknown:
            raise ValueError(f"no such program to pin: {sorted(unknown)} (known: {sorted(MODULES)}, "
                             "coordinator, venue)")
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self._logs: list[IO[bytes]] = []
        self.started_ns = 0

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PM_", "POLYMARKET_"))}
        env.update({"PYTHONUNBUFFERED": "1", "PM_ENV_FILE": "/dev/null", "PM_RUN_DIR": str(self.run_dir),
                    "PM_VENUE": "local", "PM_LOCAL_VENUE_URL": self.url,
                    "PM_INVENTORY_DB": str(self.dir / "inventory.sqlite"),
                    "PM_EXEC_DB": str(self.dir / "executor.sqlite"),
                    "PM_VENUE_STATE": str(self.dir / "venue.sqlite"), **self.extra_env})
        return env

    def _spawn(self, name: str, argv: list[str]) -> None:
        log = open(self.dir / f"{name.replace(':', '-')}.log", "ab")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        env = self.env()
        pin = self.pins.get("coordinator" if name == COORDINATOR else name)
        if pin and name != "venue":
            env["PM_CPU_AFFINITY"] = pin
        self.procs[name] = subprocess.Popen([sys.executable, *self.argv.get(name, argv)], cwd=ROOT,
                                            env=env, stdout=log, stderr=subprocess.STDOUT)
        if pin and name == "venue":
            os.sched_setaffinity(self.procs[name].pid, {int(c) for c in pin.split(",")})

    def start_venue(self) -> None:
        """Start only the venue (the I/O floor is its only client)."""
        config = self.dir / "venue.json"
        config.write_text(json.dumps(self.venue_config))
        self.started_ns = time.time_ns()
        self._spawn("venue", ["-m", "venue", "--port", str(self.port), "--seed", str(self.seed),
                              "--config", str(config)])

    def start(self) -> None:
        """Start the venue and every program at once (what ``make up`` does, without supervisord)."""
        self.start_venue()
        for name, module in MODULES.items():
            self._spawn(name, ["-m", module])
        self._spawn(COORDINATOR, ["-m", "actors.coordinator"])

    def check_alive(self) -> None:
        dead = {name: p.returncode for name, p in self.procs.items() if p.poll() is not None}
        if dead:
            raise RuntimeError(f"programs exited: {dead}\n{self.logs()}")

    def stop(self) -> None:
        for name in reversed(list(self.procs)):
            proc = self.procs[name]
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for log in self._logs:
            log.close()

    def cleanup(self) -> None:
        if os.environ.get("PM_KEEP_BENCH_DIR"):
            print(f"bench files kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"== {path.name}\n{path.read_text(errors='replace')[-tail:]}"
                         for path in sorted(self.dir.glob("*.log")))

    # -- the venue ---------------------------------------------------------------------------------

    def get(self, path: str, timeout: float = 5.0) -> Any:
        reply = requests.get(self.url + path, timeout=timeout)
        reply.raise_for_status()
        return reply.json()

    def post(self, path: str, body: dict[str, Any], timeout: float = 600.0) -> Any:
        reply = requests.post(self.url + path, data=json.dumps(body), timeout=timeout)
        if reply.status_code != 200:
            raise RuntimeError(f"POST {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json()

    def tokens(self, slug: str) -> tuple[str, str, str]:
        """(condition id, Yes token, No token) of a market."""
        market = self.get(f"/gamma/markets/slug/{slug}")
        yes, no = json.loads(market["clobTokenIds"])
        return market["conditionId"], yes, no

    def wait_venue(self, timeout: float = 20.0) -> None:
        wait(lambda: self._venue_ok(), timeout, "venue did not come up")

    def _venue_ok(self) -> bool:
        self.check_alive()
        try:
            return requests.get(self.url + "/ok", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def cpu_seconds(self) -> dict[str, float]:
        return {name: cpu_s(proc.pid) for name, proc in self.procs.items()}

    # -- memory ------------------------------------------------------------------------------------

    def memory_mb(self) -> dict[str, dict[str, float]]:
        """Per program: RSS (what ``ps`` shows) and PSS (shared pages split between sharers), in MB."""
        out: dict[str, dict[str, float]] = {}
        for name, proc in self.procs.items():
            rollup = Path(f"/proc/{proc.pid}/smaps_rollup")
            fields: dict[str, float] = {}
            for line in rollup.read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("Rss", "Pss"):
                    fields[key.lower()] = int(value.split()[0]) / 1024
            out[name] = fields
        return out


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system, every thread) a process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_us_per_event(before: dict[str, float], after: dict[str, float], events: int) -> dict[str, int]:
    """µs of CPU per event per program between two ``System.cpu_seconds()`` readings."""
    return {name: round((after[name] - before[name]) * 1e6 / max(events, 1)) for name in before}


def wait(predicate: Callable[[], bool], timeout: float, what: str, poll: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(poll)


class BusTap:
    """A SUB socket on the bus drained by a thread: ``(recv_ns, topic, header, msg)`` in order."""

    def __init__(self, bus: BusConfig, prefixes: Iterable[bytes]) -> None:
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.RCVHWM, 1_000_000)
        self.sub.connect(bus.subscribe_endpoint)
        for prefix in prefixes:
            self.sub.setsockopt(zmq.SUBSCRIBE, prefix)
        self.seen: list[tuple[int, bytes, Header, Any]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-bus-tap", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self.sub, zmq.POLLIN)
        seen = self.seen
        while not self._stop.is_set():
            if not poller.poll(100):
                continue
            while True:
                try:
                    frames = self.sub.recv_multipart(zmq.NOBLOCK)
                except zmq.Again:
                    break
                now = time.time_ns()
                try:
                    topic, header, msg = codec.decode(frames)
                except codec.FrameError:
                    continue
                seen.append((now, topic, header, msg))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sub.close()
