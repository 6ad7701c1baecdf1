"""Start a fresh paper account: delete the local venue's state and the engine's journals together.

    python deploy/reset_paper.py [--yes]          (make reset-paper [CONFIRM=yes])

The paper account lives in the venue's state file and the engine remembers it in its journals; deleting
one without the others leaves the engine's inventory disagreeing with the venue (an
``inventory_mismatch`` halt), so this deletes them all, and nothing else (logs stay):

- the venue's state: ``PM_VENUE_STATE``, default ``var/venue.sqlite``, and its ``.journal``;
- inventory's fill journal: ``PM_INVENTORY_DB``, default ``var/inventory.sqlite``;
- the executor's order registry: ``PM_EXEC_DB``, default ``var/executor.sqlite``;
- the user-feed's back-fill watermark: ``PM_USER_STATE_FILE``, default ``var/run/user-feed-state.json``;
- the API credentials the executor derived: ``var/run/api-creds.json``;

each SQLite file with its ``-wal`` / ``-shm`` / ``-journal`` (and the executor's ``-orders`` journal).
Paths come from the settings the programs themselves read (the environment, then ``.env``). Refused
(exit 1, nothing deleted) while the engine runs (``make up``: supervisord's pid file names a live
process) or a venue holds its state file; asks to type ``yes`` unless ``--yes``. A bad setting exits 2
naming it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Annotated

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actors.inventory.config import InventoryConfig
from actors.user_feed.config import UserFeedConfig
from bus.config import EXIT_CONFIG, ConfigError, Env, load
from bus.endpoints import BusConfig
from venue.config import VenueEnv
from venue.store import is_locked, journal_path
from venue_client.credentials import creds_path

SQLITE_SIDES = ("", "-wal", "-shm", "-journal", "-orders")  # -orders: the executor's registry journal


class ExecutorDb(msgspec.Struct, frozen=True, kw_only=True):
    """The executor's ``PM_EXEC_DB`` alone (its whole config would read the private key)."""

    db_path: Annotated[str, Env("PM_EXEC_DB")] = ""


def durable_files() -> tuple[list[Path], Path, Path | None]:
    """(every file that holds the paper account, supervisord's pid file, the venue's state file)."""
    run_dir = load(BusConfig).run_dir
    state_dir = Path(run_dir).resolve().parent
    venue = load(VenueEnv).state_path()
    databases = [load(InventoryConfig).db_path(run_dir),
                 Path(load(ExecutorDb).db_path or state_dir / "executor.sqlite")]
    if venue is not None:
        databases.insert(0, venue)
    files = [Path(f"{db}{side}") for db in databases for side in SQLITE_SIDES]
    if venue is not None:
        files.insert(len(SQLITE_SIDES), journal_path(venue))
    files += [load(UserFeedConfig).state_path(run_dir), creds_path(run_dir)]
    return files, Path(run_dir) / "supervisord.pid", venue


def running_pid(pidfile: Path) -> int:
    """The live process a pid file names, or 0."""
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return 0
    except PermissionError:
        return pid
    return pid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="reset_paper.py", description=__doc__.split("\n")[0])
    parser.add_argument("--yes", action="store_true", help="do not ask (make reset-paper CONFIRM=yes)")
    args = parser.parse_args(argv)
    try:
        files, pidfile, venue = durable_files()
    except ConfigError as error:
        print(f"reset-paper: {error}", file=sys.stderr)
        return EXIT_CONFIG
    pid = running_pid(pidfile)
    if pid:
        print(f"reset-paper: the engine is running (supervisord pid {pid}): `make down` first; "
              "nothing deleted", file=sys.stderr)
        return 1
    if venue is not None and is_locked(venue):
        print(f"reset-paper: a venue is running on {venue}: stop it first; nothing deleted", file=sys.stderr)
        return 1
    present = [path for path in files if path.exists()]
    if not present:
        print("reset-paper: no paper account to delete")
        return 0
    print("This deletes the paper account (the venue's balances, positions, orders and trades) and the "
          "engine's journals:")
    for path in present:
        print(f"  {path}")
    if not args.yes:
        try:
            answer = input('Type "yes" to delete them: ')
        except EOFError:
            answer = ""
        if answer.strip() != "yes":
            print("reset-paper: not confirmed; nothing deleted", file=sys.stderr)
            return 1
    for path in present:
        path.unlink(missing_ok=True)
    print(f"reset-paper: deleted {len(present)} files; the next `make up` opens a fresh paper account")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
