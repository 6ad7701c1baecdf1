"""supervisord runs group core from deploy/supervisord.conf and stops it cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.render import render
from tests.support.procs import REPO, short_tmpdir
from tests.support.supervised import pid_from_file
from tests.support.waits import wait_until
from venue_client.endpoints import VenueEndpoints

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
    env.update({"PM_ROOT": str(REPO), "PM_VAR": str(var), "PM_METRICS_ADDR": "127.0.0.1:0"})
    yield ctl_home / "etc" / "supervisord.conf", env
    pidfile = var / "run" / "supervisord.pid"
    if pidfile.exists():  # never leave a supervisord behind, even when the test failed
        try:
            os.kill(pid_from_file(pidfile, timeout=10), 15)
        except ProcessLookupError:
            pass
    shutil.rmtree(var, ignore_errors=True)


def ctl(conf: Path, env: dict[str, str], *args: str) -> str:
    proc = subprocess.run([str(BIN / "supervisorctl"), "-c", str(conf), *args], env=env, capture_output=True,
                          text=True, timeout=30)
    return proc.stdout + proc.stderr


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
    wait_until(lambda: "RUNNING" in ctl(conf, env, "status", "core:bus"), "core:bus RUNNING", timeout=20)
    status = ctl(conf, env, "status")
    assert "core:bus" in status and "RUNNING" in status
    assert "tap" in status and "STOPPED" in status  # on demand only
    bus_pid = int(ctl(conf, env, "pid", "core:bus").strip())
    sup_pid = pid_from_file(var / "run" / "supervisord.pid")
    bus_log = var / "log" / "bus.log"  # RUNNING only means alive for startsecs: wait for the bus itself
    wait_until(lambda: bus_log.exists() and '"event":"ready"' in bus_log.read_text(), "bus ready", timeout=20)
    assert (var / "run" / "bus-in.sock").exists()
    assert oct((var / "run").stat().st_mode & 0o777) == "0o700"

    assert "Shut down" in ctl(conf, env, "shutdown")
    wait_until(lambda: not alive(sup_pid) and not alive(bus_pid), "supervisord and the bus gone", timeout=20)
    log = (var / "log" / "bus.log").read_text()
    assert '"event":"ready"' in log and '"event":"stopped"' in log
