"""``python -m actors.ctl doctor``: the pre-flight checklist (the I/O half; verdicts and hints are
``actors.ctl.doctor``). ✓/✗ per check with a hint per failure; exit 1 on any ✗.

Checks: Python and the pinned packages; every program's configuration (the structs ``bus.envdoc``
lists); the venue's REST (``/time``) and both WebSockets (a handshake each); the clock against the
venue's ``/time``; the private key (set or, in paper mode, the test key; never printed) and its address;
API credentials (``POLYMARKET_API_*`` or derivable: ``GET /auth/derive-api-key``, the read a dry run also
makes); in live mode the wallet's pUSD balance; supervisord and every program's heartbeat; free disk for
``var/``. ``--skip NAME`` (repeatable) skips a check (``--skip programs`` before ``make up``).

The key is read here only to derive its address and sign the derive request; it is never printed, logged
or sent anywhere (the signature of the request is what goes to the venue, as the executor's does).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import requests

from actors.ctl import doctor, listen, supervisor, tables
from actors.ctl.config import CtlConfig
from actors.executor.config import ExecutorConfig, same_key
from bus import topics
from bus.config import REPO_ROOT, ConfigError, load, load_or_exit
from bus.endpoints import BusConfig
from bus.envdoc import SOURCES
from clob.auth import ApiCreds, l1_headers, l2_headers
from clob.signer import Signer
from schemas import Heartbeat
from venue_client import ws
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY, VenueEndpoints

PROGRAM = "ctl"
SKIPPABLE = ("python", "packages", "config", "venue", "clock", "key", "credentials", "balance", "supervisord",
             "programs", "disk")


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
    signer, key_check = _key(venue)
    add("key", lambda: key_check)
    add("credentials", lambda: _credentials(venue, signer, args.timeout, bus.run_dir))
    add("balance", lambda: _balance(venue, signer, cfg, args.timeout))
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


def _key(venue: VenueEndpoints | None) -> tuple[Signer | None, doctor.Check]:
    local = venue is None or venue.is_local
    try:
        key = load(ExecutorConfig).private_key.strip()
    except ConfigError as exc:
        return None, doctor.key(False, "", f"{exc.variable}: configuration invalid", local)
    if key and not local and same_key(key, LOCAL_TEST_PRIVATE_KEY):
        return None, doctor.key(True, "", "the documented test key must never trade on Polymarket", local)
    try:
        signer = Signer(key or LOCAL_TEST_PRIVATE_KEY) if (key or local) else None
    except ValueError:
        return None, doctor.key(True, "", "POLYMARKET_PRIVATE_KEY is not a usable key", local)
    return signer, doctor.key(bool(key), signer.address if signer else "", "", local)


def _credentials(venue: VenueEndpoints | None, signer: Signer | None, timeout: float,
                 run_dir: str) -> doctor.Check:
    given = load(ApiCredentials)
    if given.complete:
        return doctor.credentials("", "given in POLYMARKET_API_* (not shown)")
    if venue is None or signer is None:
        return doctor.credentials("no key to derive them with", "")
    try:
        reply = requests.get(f"{venue.rest_url}/auth/derive-api-key", timeout=timeout,
                             headers=l1_headers(signer, timestamp_s=int(time.time())))
    except requests.RequestException as exc:
        return doctor.credentials(f"derive request failed ({exc.__class__.__name__})", "")
    if not reply.ok:
        return doctor.credentials(f"derive refused: HTTP {reply.status_code}", "")
    return doctor.credentials("", f"derivable for {signer.address} (not shown)")


def _balance(venue: VenueEndpoints | None, signer: Signer | None, cfg: CtlConfig,
             timeout: float) -> doctor.Check:
    live = venue is not None and venue.sends_orders and not venue.is_local
    if not live or venue is None or signer is None:
        return doctor.balance(live, None, "no key")
    try:
        body = requests.get(f"{venue.rest_url}/auth/derive-api-key", timeout=timeout,
                            headers=l1_headers(signer, timestamp_s=int(time.time()))).json()
        creds = ApiCreds(api_key=body["apiKey"], secret=body["secret"], passphrase=body["passphrase"])
        path = "/balance-allowance"
        headers = l2_headers(creds, address=signer.address, timestamp_s=int(time.time()), method="GET",
                             path=path)
        reply = requests.get(f"{venue.rest_url}{path}", headers=headers, timeout=timeout,
                             params={"asset_type": "COLLATERAL", "signature_type": str(cfg.signature_type)})
        if not reply.ok:
            return doctor.balance(True, None, f"HTTP {reply.status_code}")
        return doctor.balance(True, int(reply.json()["balance"]), "")
    except (requests.RequestException, KeyError, ValueError, TypeError) as exc:
        return doctor.balance(True, None, f"not read ({exc.__class__.__name__})")


def _programs(bus: BusConfig, procs: list[dict[str, Any]]) -> list[doctor.Check]:
    heard = listen.collect(bus, [topics.prefix("sys", "hb")], 2.5)
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
