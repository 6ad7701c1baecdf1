"""Two hosts (docs/operations.md): ``PM_HOST_PROGRAMS`` / ``PM_HOST_COORDINATORS`` make
``deploy/render.py`` keep the other host's programs from starting here, as ``autostart=false`` overrides
that a real supervisord applies over the programs ``deploy/supervisord.conf`` declares."""

from __future__ import annotations

import subprocess
import sys
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
from supervisor.xmlrpc import SupervisorTransport

from bus.config import ConfigError, load
from deploy.hosts import CORE, HostConfig
from deploy.render import render
from tests.support.supervised import pid_from_file
from tests.support.waits import wait_until
from venue_client.endpoints import VenueEndpoints

BIN = Path(sys.executable).parent
MARKETS = [("btc", "btc-updown-15m", {})]
LIVE = VenueEndpoints(venue="polymarket")


def test_one_host_runs_everything() -> None:
    text = render(MARKETS, LIVE, HostConfig())
    assert "autostart=false" not in text and "[program:btc]" in text


def test_the_exchange_host() -> None:
    host = load(HostConfig, environ={"PM_HOST_PROGRAMS": "executor, user-feed,inventory",
                                     "PM_HOST_COORDINATORS": "false"})
    text = render(MARKETS, LIVE, host)
    off = {line.split(":")[1].rstrip("]") for line in text.splitlines() if line.startswith("[program:")}
    assert off == {"bus", "ofi", "market-feed", "metrics", "recorder"} and text.count("autostart=false") == 5
    assert "[group:market]" not in text


def test_the_recorder_runs_on_the_host_that_lists_it() -> None:
    """PM_RECORD=true on both hosts: only the host whose PM_HOST_PROGRAMS names ``recorder`` starts it (it
    is in CORE), so a two-host engine records once."""
    a = load(HostConfig, environ={"PM_HOST_PROGRAMS": "bus,market-feed,ofi,metrics,recorder"})
    b = load(HostConfig, environ={"PM_HOST_PROGRAMS": "executor,user-feed,inventory",
                                  "PM_HOST_COORDINATORS": "false"})
    on = "[program:recorder]\nautostart=true"
    assert on in render(MARKETS, LIVE, a, record=True)
    text_b = render(MARKETS, LIVE, b, record=True)
    assert on not in text_b and "[program:recorder]\nautostart=false" in text_b
    assert on in render(MARKETS, LIVE, HostConfig(), record=True)  # one host: it runs everything


def test_an_unknown_program_is_refused() -> None:
    with pytest.raises(ConfigError, match="PM_HOST_PROGRAMS"):
        load(HostConfig, environ={"PM_HOST_PROGRAMS": "executor,exceutor"})


def test_supervisord_applies_the_overrides(run_dir: Path) -> None:
    """What the overrides rely on: a section in the included file changes the one declared before it."""
    (run_dir / "log").mkdir()
    programs = "".join(f"\n[program:{p}]\ncommand=sleep 60\nautostart=true\nstartsecs=0\n" for p in CORE)
    generated = run_dir / "generated.conf"
    generated.write_text(render([], LIVE, HostConfig(programs="executor,user-feed,inventory",
                                                     coordinators=False)))
    conf = run_dir / "supervisord.conf"
    conf.write_text(f"""[unix_http_server]
file={run_dir}/s.sock
[supervisord]
logfile={run_dir}/log/supervisord.log
pidfile={run_dir}/sd.pid
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[group:core]
programs={",".join(CORE)}
{programs}
[include]
files={generated}
""")
    subprocess.run([str(BIN / "supervisord"), "-c", str(conf)], check=True, timeout=30)
    pid_from_file(run_dir / "sd.pid")
    rpc: Any = xmlrpc.client.ServerProxy("http://127.0.0.1",
                                         transport=SupervisorTransport(None, None, f"unix://{run_dir}/s.sock"))
    try:
        def states() -> dict[str, str]:
            return {p["name"]: p["statename"] for p in rpc.supervisor.getAllProcessInfo()}

        wait_until(lambda: states().get("executor") == "RUNNING", "this host's programs started", timeout=20)
        wait_until(lambda: all(states()[p] == "RUNNING" for p in ("executor", "user-feed", "inventory")),
                   "all of this host's programs")
        assert {p for p, s in states().items() if s == "STOPPED"} == {"bus", "ofi", "market-feed", "metrics",
                                                                      "recorder"}
    finally:
        rpc.supervisor.shutdown()
