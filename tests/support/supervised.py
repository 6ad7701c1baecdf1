"""The engine under a real supervisord, configured the way ``make up`` does it, in a private PM_VAR.

    engine = Supervised(var, env, markets=[("btc-updown-15m", "btc-updown-15m", {})])
    engine.start()                       # supervisord -c <var>/ctl/etc/supervisord.conf, all RUNNING
    engine.kill9("core:inventory")       # supervisord restarts it (autorestart=true)
    engine.stop_group("market")          # coordinators stop cleanly (quotes withdrawn)
    engine.shutdown()                    # what `make down` does: stop everything, supervisord exits

The configuration is the real one: ``deploy/write_ctl_conf.sh`` writes the ``[supervisorctl]`` +
``[include]`` file, which includes ``deploy/supervisord.conf`` (group core) and the file that
``deploy/render.py`` generates (group market). The venue is not part of it (tests run their own, with
faults). Programs inherit supervisord's environment, so ``env`` carries every ``PM_*`` setting.
Control goes through supervisord's XML-RPC interface on its unix socket.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport

from deploy.render import render
from tests.support.procs import REPO
from tests.support.waits import wait_for_value
from venue_client.endpoints import VenueEndpoints

BIN = Path(sys.executable).parent
CORE_PROGRAMS = ("core:bus", "core:inventory", "core:ofi", "core:executor", "core:user-feed",
                 "core:market-feed", "core:metrics")


def pid_from_file(pidfile: Path, timeout: float = 30.0) -> int:
    """The pid ``supervisord -c`` writes once it has daemonized: the command returns before the daemon
    writes it, so wait for a whole number in the file."""

    def read() -> int | None:
        try:
            text = pidfile.read_text().strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    return wait_for_value(read, f"a pid in {pidfile}", timeout=timeout, every=0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class Supervised:
    def __init__(self, var: Path, env: dict[str, str],
                 markets: list[tuple[str, str, dict[str, str]]]) -> None:
        self.var = var
        self.markets = markets
        # /metrics on any free port: tests.support.metrics.metrics_url(var / "log" / "metrics.log") names it
        self.env = {"PM_METRICS_ADDR": "127.0.0.1:0", **env, "PM_ROOT": str(REPO), "PM_VAR": str(var)}
        self.conf = var / "ctl" / "etc" / "supervisord.conf"
        self.socket = var / "run" / "supervisor.sock"
        self.pidfile = var / "run" / "supervisord.pid"
        self.pid = 0
        self._rpc: Any = None

    @property
    def programs(self) -> list[str]:
        return [*CORE_PROGRAMS, *(f"market:{name}" for name, _, _ in self.markets)]

    # -- lifecycle ----------------------------------------------------------------------------------

    def start(self, timeout: float = 30.0) -> None:
        """Also after a ``shutdown`` (``make up`` again): a fresh supervisord, control connection and pid."""
        if not (self.pid and _alive(self.pid)):
            self.pidfile.unlink(missing_ok=True)
        self._rpc = None
        (self.var / "run").mkdir(mode=0o700, exist_ok=True)
        (self.var / "log").mkdir(exist_ok=True)
        generated = render(self.markets, VenueEndpoints(venue="polymarket"))  # group market only
        (self.var / "supervisord.generated.conf").write_text(generated)
        subprocess.run([str(REPO / "deploy" / "write_ctl_conf.sh"), str(REPO), str(self.var),
                        str(self.var / "ctl")], check=True, env=self.env, timeout=30)
        subprocess.run([str(BIN / "supervisord"), "-c", str(self.conf)], env=self.env, check=True,
                       timeout=30, cwd=REPO)
        self.pid = pid_from_file(self.pidfile, timeout)
        self.wait(self.socket.exists, timeout, "supervisord did not open its control socket")
        self.wait(self.all_running, timeout, lambda: f"programs did not all reach RUNNING: {self.states()}")

    @property
    def rpc(self) -> Any:
        if self._rpc is None:
            transport = SupervisorTransport(None, None, f"unix://{self.socket}")
            self._rpc = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
        return self._rpc

    def shutdown(self, timeout: float = 30.0) -> bool:
        """``make down``: supervisord stops every program (coordinators first, bus last) and exits."""
        if not self.pid or not _alive(self.pid):
            return True
        try:
            self.rpc.supervisor.shutdown()
        except (OSError, xmlrpc.client.Fault):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(self.pid):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)  # poll interval of a bounded wait
        return True

    def force_down(self) -> None:
        """Never leave a supervisord or a program behind, whatever happened."""
        if not self.pid or not _alive(self.pid) or self.shutdown(timeout=20):
            return
        try:
            pids = [int(p["pid"]) for p in self.info().values() if p["pid"]]
        except (OSError, xmlrpc.client.Fault):
            pids = []
        for pid in [self.pid, *pids]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    # -- programs -----------------------------------------------------------------------------------

    def info(self) -> dict[str, dict[str, Any]]:
        return {f"{p['group']}:{p['name']}": p for p in self.rpc.supervisor.getAllProcessInfo()}

    def states(self) -> dict[str, str]:
        return {name: p["statename"] for name, p in self.info().items() if name in self.programs}

    def running(self, name: str) -> bool:
        return self.states().get(name) == "RUNNING"

    def all_running(self) -> bool:
        states = self.states()
        return all(states.get(name) == "RUNNING" for name in self.programs)

    def fatal(self) -> list[str]:
        """Programs supervisord gave up restarting (too many quick exits)."""
        return [name for name, state in self.states().items() if state in ("FATAL", "UNKNOWN")]

    def kill9(self, name: str) -> int:
        """SIGKILL a RUNNING program; returns its pid (0 when it was not running)."""
        info = self.info().get(name)
        if info is None or info["statename"] != "RUNNING" or not info["pid"]:
            return 0
        try:
            os.kill(int(info["pid"]), signal.SIGKILL)
        except ProcessLookupError:
            return 0
        return int(info["pid"])

    def stop_group(self, group: str) -> None:
        self.rpc.supervisor.stopProcessGroup(group, True)  # waits: SIGTERM, then stopwaitsecs

    def log_tail(self, program: str, chars: int = 3000) -> str:
        name = program.split(":", 1)[1]
        log = self.var / "log" / (f"market-{name}.log" if program.startswith("market:") else f"{name}.log")
        return log.read_text(errors="replace")[-chars:] if log.exists() else ""

    @staticmethod
    def wait(predicate: Callable[[], bool], timeout: float, what: str | Callable[[], str]) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(what if isinstance(what, str) else what())
            time.sleep(0.1)  # poll interval of a bounded wait
