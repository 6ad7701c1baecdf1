"""``python -m actors.ctl doctor``: the pre-flight checklist (the I/O half; verdicts and hints are
``actors.ctl.doctor``). ✓/✗ per check with a hint per failure; exit 1 on any ✗.

Checks: Python and the pinned packages; every program's configuration (the structs ``bus.envdoc``
lists); the venue's REST (``/time``) and both WebSockets (a handshake each); the clock against the
venue's ``/time``; the private key (set or, in paper mode, the test key; never printed) and its address;
API credentials (``POLYMARKET_API_*`` or derivable: ``GET /auth/derive-api-key``, the read a dry run also
makes); in live mode the wallet's pUSD balance; whether pre-signing is on and its age bound (``presign``);
supervisord and every program's heartbeat; free disk for
``var/``. ``--skip NAME`` (repeatable) skips a check (``--skip programs`` before ``make up``).

The key, the credentials and the balance are the executor's to check: the doctor runs
``python -m actors.executor --preflight`` (the executor's own start-up checks, reported as one JSON line:
the key's state and address, never the key) and turns its report into checks. Only the executor reads the
key.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from actors.ctl import doctor, listen, supervisor, tables
from actors.ctl.config import CtlConfig
from bus.config import REPO_ROOT, ConfigError, load, load_or_exit
from bus.endpoints import BusConfig
from bus.envdoc import SOURCES
from schemas import Heartbeat
from venue_client import ws
from venue_client.endpoints import VenueEndpoints

PROGRAM = "ctl"
SKIPPABLE = ("python", "packages", "config", "venue", "clock", "key", "credentials", "balance", "supervisord",
             "programs", "disk", "presign")


def register(sub: Any) -> None:
    text = "pre-flight checklist: ✓/✗ with a hint per failure (exit 1 on any ✗)"
    p: argparse.ArgumentParser = sub.add_parser("doctor", help=text, description=text)
    p.add_argument("--skip", action="append", default=[], choices=SKIPPABLE, help="skip a check (repeatable)")
    p.add_argument("--json", action="store_true", help="the checks as JSON")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds per network check")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    skip = set(args.skip)
    bus, cfg = load_or_exit(BusConfig, PROGRAM), load_or_exit(CtlConfig, PROGRAM)
    checks: list[doctor.Check] = []

    def add(name: str, produce: Any) -> None:
        if name in skip:
            checks.append(doctor.skip(name, "skipped (--skip)"))
        else:
            result = produce()
            checks.extend(result if isinstance(result, list) else [result])

    add("python", lambda: doctor.python(tuple(sys.version_info[:3])))  # type: ignore[arg-type]
    add("packages", _packages)
    add("config", _config)
    venue = _venue()
    add("venue", lambda: _reachability(venue, args.timeout))
    add("clock", lambda: doctor.clock(_venue_time(venue, args.timeout), time.time()))
    wanted = {"key", "credentials", "balance", "presign"} - skip
    report = preflight(args.timeout) if wanted else {}
    add("key", lambda: _key(report))
    add("credentials", lambda: _credentials(report))
    add("balance", lambda: _balance(report))
    add("presign", lambda: doctor.presign(report.get("presign_max_age_ms"), bool(report.get("local"))))
    procs, problem = supervisor.processes(supervisor.url(bus.run_dir, cfg.supervisor_url))
    add("supervisord", lambda: doctor.supervisord(problem))
    add("programs", lambda: _programs(bus, procs))
    add("disk", lambda: _disk(bus))
    if args.json:
        print(json.dumps({"checks": doctor.as_json(checks), "ok": doctor.exit_code(checks) == 0}))
    else:
        print(doctor.render(checks))
    return doctor.exit_code(checks)


def _packages() -> doctor.Check:
    pinned = doctor.parse_lock((REPO_ROOT / "requirements.lock").read_text())
    installed: dict[str, str | None] = {}
    for name in pinned:
        try:
            installed[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            installed[name] = None
    return doctor.packages(pinned, installed)


def _config() -> doctor.Check:
    problems = []
    for module, struct, _who in SOURCES:
        if struct == "ExecutorConfig":
            continue  # it holds the key: the executor checks it itself (``--preflight``, the key check)
        try:
            load(getattr(importlib.import_module(module), struct))
        except ConfigError as exc:
            problems.append(f"{exc.variable}: {exc.message}")
    return doctor.config(problems)


def _venue() -> VenueEndpoints | None:
    try:
        return load(VenueEndpoints)
    except ConfigError:
        return None  # reported by the config check


def _reachability(venue: VenueEndpoints | None, timeout: float) -> list[doctor.Check]:
    if venue is None:
        return [doctor.fail("venue", "no valid venue configuration", "see the config check")]
    out = [doctor.reachable("venue rest", venue.rest_url, _get_error(f"{venue.rest_url}/time", timeout))]
    for channel in ("market", "user"):
        url = f"{venue.ws_base_url}/{channel}"
        try:
            ws.handshake(url, timeout).close()
            error = ""
        except Exception as exc:  # any failure to connect is the finding
            error = f"{exc.__class__.__name__}: {exc}"
        out.append(doctor.reachable(f"venue ws {channel}", url, error))
    return out


def _get_error(url: str, timeout: float) -> str:
    try:
        reply = requests.get(url, timeout=timeout)
    except requests.RequestException as exc:
        return exc.__class__.__name__
    return "" if reply.ok else f"HTTP {reply.status_code}"


def _venue_time(venue: VenueEndpoints | None, timeout: float) -> float | None:
    if venue is None:
        return None
    try:
        reply = requests.get(f"{venue.rest_url}/time", timeout=timeout)
        return float(reply.json()) if reply.ok else None
    except (requests.RequestException, ValueError, TypeError):
        return None


def preflight(timeout: float) -> dict[str, Any]:
    """The executor's own start-up checks (``python -m actors.executor --preflight``): only the executor
    reads the key; its report names the key's state and address, never the key."""
    try:
        done = subprocess.run([sys.executable, "-m", "actors.executor", "--preflight"], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=4 * timeout + 10)
        lines = done.stdout.strip().splitlines()
        report: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except (subprocess.TimeoutExpired, ValueError, OSError) as exc:
        return {"error": f"the executor's preflight failed ({exc.__class__.__name__})"}
    return report or {"error": f"the executor's preflight printed nothing (exit {done.returncode})"}


def _key(report: dict[str, Any]) -> doctor.Check:
    if "error" in report:
        return doctor.key(False, "", str(report["error"]), bool(report.get("local", True)))
    return doctor.key(report.get("key") == "set", f"{report['address']} (wallet {report['wallet_type']} "
                      f"{report['wallet']})", "", bool(report.get("local")))


def _credentials(report: dict[str, Any]) -> doctor.Check:
    state = str(report.get("credentials", report.get("error", "unknown")))
    if state.startswith("skipped"):
        return doctor.skip("api credentials", state)
    if state in ("given", "derived"):
        return doctor.credentials("", f"{state} (not shown)")
    return doctor.credentials(state.removeprefix("error: "), "")


def _balance(report: dict[str, Any]) -> doctor.Check:
    error = str(report.get("balance_error", ""))
    return doctor.balance(bool(report.get("live")), report.get("balance"), error,
                          list(report.get("no_allowance") or []))


def _programs(bus: BusConfig, procs: list[dict[str, Any]]) -> list[doctor.Check]:
    heard = listen.heartbeats(bus, procs, 2.5)
    beats = {m.program: (m, h.ts_ns) for _t, h, m in heard if isinstance(m, Heartbeat)}
    rows = tables.status_rows(procs, beats, {}, time.time_ns())
    if not rows:
        return [doctor.fail("programs", "no heartbeat heard on the bus", "make up (or --skip programs)")]
    return doctor.programs(rows)


def _disk(bus: BusConfig) -> doctor.Check:
    var = Path(bus.run_dir).resolve().parent
    try:
        free: int | None = shutil.disk_usage(var).free
    except OSError:
        free = None
    return doctor.disk(str(var), free)
