"""supervisord runs group core from deploy/supervisord.conf and stops it cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from actors.common.polymarket import VenueEndpoints
from deploy.render import render
from tests.support.procs import REPO, short_tmpdir

BIN = Path(sys.executable).parent


@pytest.fixture
def deployment() -> Iterator[tuple[Path, dict[str, str]]]:
    var = short_tmpdir("pmsv")
    (var / "run").mkdir(mode=0o700)
    (var / "log").mkdir()
    ctl_home = var / "venv"
    (var / "supervisord.generated.conf").write_text(render([], VenueEndpoints(venue="polymarket")))
    script = REPO / "deploy" / "write_ctl_conf.sh"
    subprocess.run([str(script), str(REPO), str(var), str(ctl_home)], check=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PM_")}
    env.update({"PM_ROOT": str(REPO), "PM_VAR": str(var)})
    yield ctl_home / "etc" / "supervisord.conf", env
    pidfile = var / "run" / "supervisord.pid"
    if pidfile.exists():  # never leave a supervisord behind, even when the test failed
        try:
            os.kill(int(pidfile.read_text()), 15)
        except (ProcessLookupError, ValueError):
            pass
    shutil.rmtree(var, ignore_errors=True)


def ctl(conf: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([str(BIN / "supervisorctl"), "-c", str(conf), *args], env=env, capture_output=True,
                          text=True, timeout=30)
    return proc.stdout + proc.stderr


def wait_for(fn, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not fn():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_group_core_starts_and_stops_cleanly(deployment: tuple[Path, dict[str, str]]) -> None:
    conf, env = deployment
    var = Path(env["PM_VAR"])
    subprocess.run([str(BIN / "supervisord"), "-c", str(conf)], env=env, check=True, timeout=30)
    wait_for(lambda: "RUNNING" in ctl(conf, env, "status", "core:bus"))
    status = ctl(conf, env, "status")
    assert "core:bus" in status and "RUNNING" in status
    assert "tap" in status and "STOPPED" in status  # on demand only
    bus_pid = int(ctl(conf, env, "pid", "core:bus").strip())
    sup_pid = int((var / "run" / "supervisord.pid").read_text())
    assert (var / "run" / "bus-in.sock").exists()
    assert oct((var / "run").stat().st_mode & 0o777) == "0o700"

    assert "Shut down" in ctl(conf, env, "shutdown")
    wait_for(lambda: not alive(sup_pid) and not alive(bus_pid))
    log = (var / "log" / "bus.log").read_text()
    assert '"event":"ready"' in log and '"event":"stopped"' in log
