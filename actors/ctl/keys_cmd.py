"""``python -m actors.ctl keys [--dir D] [--client NAME ...] [--force]``: the bus's CURVE keys (see
``bus.curve``).

Writes, into ``--dir`` (default ``PM_BUS_KEYS``, else ``var/keys`` beside ``var/run``; mode 0700, every
file 0600):
- ``server.key`` / ``server.key_secret``: the server pair (the proxy and the two PULL servers);
- ``<program>.key`` / ``<program>.key_secret``: one client pair per program: the core programs, ``ctl``,
  ``tap``, ``dash``, one per coordinator of ``deploy/markets.conf`` (``market-<name>``), and each
  ``--client``;
- ``clients/<program>.key``: the public keys the servers admit (delete one to shut that program out).
Existing keys are kept (a key other hosts already hold must not change under them) unless ``--force``.
Prints what it wrote; never prints a secret key. Then set ``PM_BUS_KEYS`` to the directory on each host.
"""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path
from typing import Any

import zmq.auth

from bus.config import REPO_ROOT, load_or_exit
from bus.curve import CLIENTS, SERVER, key_name
from bus.endpoints import BusConfig
from deploy.render import parse_markets

PROGRAM = "ctl"
CORE = ("bus", "market-feed", "user-feed", "inventory", "ofi", "executor", "metrics", "tap", "ctl", "dash")


def register(sub: Any) -> None:
    text = "write the bus's CURVE keys (server pair, one client pair per program) into var/keys"
    p: argparse.ArgumentParser = sub.add_parser("keys", help=text, description=text)
    p.add_argument("--dir", default="", help="the key directory (default: PM_BUS_KEYS, else var/keys)")
    p.add_argument("--client", action="append", default=[],
                   help="another program's client key (repeatable)")
    p.add_argument("--force", action="store_true",
                   help="replace existing keys (every host needs the new ones)")
    p.set_defaults(run=run)


def programs(markets_conf: str, extra: list[str]) -> list[str]:
    """Every program that needs a client key (pure)."""
    coordinators = [f"market:{name}" for name, _slug, _env in parse_markets(markets_conf)]
    return list(dict.fromkeys([*CORE, *coordinators, *extra]))


def run(args: argparse.Namespace) -> int:
    bus = load_or_exit(BusConfig, PROGRAM)
    directory = Path(args.dir or bus.keys_dir or Path(bus.run_dir).resolve().parent / "keys")
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    clients = directory / CLIENTS
    clients.mkdir(mode=0o700, exist_ok=True)
    os.chmod(clients, 0o700)
    conf = REPO_ROOT / "deploy" / "markets.conf"
    names = [SERVER, *(key_name(p) for p in programs(conf.read_text() if conf.exists() else "", args.client))]
    for name in names:
        written = write_pair(directory, name, args.force)
        if name != SERVER:
            shutil.copyfile(directory / f"{name}.key", clients / f"{name}.key")
            os.chmod(clients / f"{name}.key", 0o600)
        admitted = "" if name == SERVER else " (admitted)"
        print(f"{'wrote' if written else 'kept '} {directory / name}.key{admitted}")
    print(f"PM_BUS_KEYS={directory}")
    return 0


def write_pair(directory: Path, name: str, force: bool) -> bool:
    public, secret = directory / f"{name}.key", directory / f"{name}.key_secret"
    if public.exists() and secret.exists() and not force:
        return False
    for path in (public, secret):
        path.unlink(missing_ok=True)
    old = os.umask(0o077)  # created 0600 from the start: the secret is never readable by others
    try:
        zmq.auth.create_certificates(str(directory), name)
    finally:
        os.umask(old)
    for path in (public, secret):
        os.chmod(path, 0o600)
    return True
