"""Helpers for tests that run real programs: temp bus dirs, subprocesses, bounded waits.

No fixed sleeps: everything waits for an expected line or message with a deadline.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import msgspec
import zmq

from bus import codec, curve
from bus.codec import Header
from bus.endpoints import BusConfig
from bus.proxy import Proxy

REPO = Path(__file__).resolve().parents[2]


def short_tmpdir(prefix: str = "pm") -> Path:
    """ipc:// paths must stay under ~100 bytes, so use a short directory in /tmp."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o700)
    return path


def bus_config(run_dir: Path) -> BusConfig:
    return BusConfig(run_dir=str(run_dir), heartbeat_ms=200)


def program_env(run_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PM_", "POLYMARKET_"))}
    env.update({"PM_RUN_DIR": str(run_dir), "PM_HEARTBEAT_MS": "200", "PYTHONUNBUFFERED": "1",
                "PM_ENV_FILE": "/dev/null", "PM_INVENTORY_DB": str(run_dir / "inventory.sqlite"),
                "PM_EXEC_DB": str(run_dir / "executor.sqlite"),
                "PM_VENUE_STATE": str(run_dir / "venue.sqlite"),
                "PM_METRICS_ADDR": "127.0.0.1:0"})  # any free port: never a user's make up (9464)
    env.update(extra)
    return env


@contextmanager
def running_proxy(cfg: BusConfig) -> Iterator[Proxy]:
    proxy = Proxy(cfg, zmq.Context())
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


@contextmanager
def proxied_bus() -> Iterator[BusConfig]:
    """A bus of its own (a short run dir, so the ipc paths fit) with the proxy running; removed after."""
    run_dir = short_tmpdir()
    try:
        cfg = bus_config(run_dir)
        with running_proxy(cfg):
            yield cfg
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)


class Program:
    """A program run as a real OS process, with its stdout read line by line."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, *args], cwd=REPO, env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.lines: list[str] = []
        self._buf = b""

    def read_until(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        """Return the first stdout line matching ``predicate``; fail after ``timeout`` seconds."""
        for line in self.lines:
            if predicate(line):
                return line
        while b"\n" in self._buf:  # complete lines read earlier, after a previous match
            raw, self._buf = self._buf.split(b"\n", 1)
            self.lines.append(raw.decode(errors="replace"))
            if predicate(self.lines[-1]):
                return self.lines[-1]
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                break
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            self._buf += chunk
            while b"\n" in self._buf:
                raw, self._buf = self._buf.split(b"\n", 1)
                line = raw.decode(errors="replace")
                self.lines.append(line)
                if predicate(line):
                    return line
        raise AssertionError(f"no matching line within {timeout}s; output so far:\n" + "\n".join(self.lines))

    def terminate_and_time(self, timeout: float = 5.0) -> float:
        """SIGTERM the process; return seconds until it exited."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=timeout)
        return time.monotonic() - start

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


class Listener:
    """A SUB socket on the bus for tests: receive decoded messages with a deadline."""

    def __init__(self, cfg: BusConfig, *prefixes: bytes) -> None:
        self.ctx = zmq.Context.instance()
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        curve.secure_client(self.sub, cfg.keys_dir, "tap")  # with CURVE on, the tests listen as the tap
        self.sub.connect(cfg.subscribe_endpoint)
        for p in prefixes or (b"",):
            self.sub.setsockopt(zmq.SUBSCRIBE, p)

    def next(self, timeout: float = 5.0) -> tuple[bytes, Header, msgspec.Struct]:
        if not self.sub.poll(int(timeout * 1000)):
            raise TimeoutError(f"no bus message within {timeout}s")
        topic, header, msg = codec.decode(self.sub.recv_multipart())
        return topic, header, msg

    def read_for(self, seconds: float, handle: Callable[[bytes, Header, msgspec.Struct], object]) -> None:
        """Hand every message received during ``seconds`` to ``handle`` (returns early when none comes)."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            try:
                topic, header, msg = self.next(timeout=left)
            except TimeoutError:
                return
            handle(topic, header, msg)

    def wait_for(self, predicate: Callable[[bytes, Header, msgspec.Struct], bool],
                 timeout: float = 5.0) -> tuple[bytes, Header, msgspec.Struct]:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"expected bus message not seen within {timeout}s")
            topic, header, msg = self.next(remaining)
            if predicate(topic, header, msg):
                return topic, header, msg

    def close(self) -> None:
        self.sub.close()
