"""`make reset-paper` (deploy/reset_paper.py) in a private state directory: it deletes the venue's state and
every journal of the engine, only after "yes" (or CONFIRM=yes), keeps the logs, and refuses while the
engine (supervisord) or a venue runs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.procs import REPO
from venue.store import Store

VENUE = ("venue.sqlite", "venue.sqlite-wal", "venue.sqlite-shm", "venue.sqlite.journal")
ENGINE = ("inventory.sqlite", "inventory.sqlite-wal", "executor.sqlite", "executor.sqlite-orders",
          "run/user-feed-state.json")
JOURNALS = (*VENUE, *ENGINE, "run/api-creds.json")
KEPT = ("log/venue.log", "supervisord.generated.conf")


@pytest.fixture
def var(tmp_path: Path) -> Path:
    var = tmp_path / "var"
    (var / "run").mkdir(parents=True)
    (var / "log").mkdir()
    for name in (*JOURNALS, *KEPT):
        (var / name).write_text("x")
    return var


def env(var: Path) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PM_", "POLYMARKET_"))}
    return {**base, "PM_ENV_FILE": os.devnull, "PM_RUN_DIR": str(var / "run")}


def reset(var: Path, *args: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "deploy/reset_paper.py", *args], cwd=REPO, env=env(var),
                          input=answer, capture_output=True, text=True, timeout=60)


def left(var: Path) -> set[str]:
    return {str(p.relative_to(var)) for p in var.rglob("*") if p.is_file()}


@pytest.mark.parametrize("answer", ["", "no\n", "y\n", "YES please\n"])
def test_without_a_yes_nothing_is_deleted(var: Path, answer: str) -> None:
    done = reset(var, answer=answer)
    assert done.returncode == 1 and "not confirmed" in done.stderr
    assert left(var) == {*JOURNALS, *KEPT}


def test_yes_deletes_the_venue_state_and_every_journal_and_keeps_the_logs(var: Path) -> None:
    done = reset(var, answer="yes\n")
    assert done.returncode == 0, done.stderr
    assert all(str(var / name) in done.stdout for name in JOURNALS)  # each file named before the question
    assert left(var) == set(KEPT)
    again = reset(var)
    assert (again.returncode, again.stdout.strip()) == (0, "reset-paper: no paper account to delete")


def test_settings_move_the_files_it_deletes(var: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = {"PM_VENUE_STATE": "paper.sqlite", "PM_INVENTORY_DB": "inv.sqlite", "PM_EXEC_DB": "exec.sqlite",
             "PM_USER_STATE_FILE": "feed.json"}
    for name in moved.values():
        (elsewhere / name).write_text("x")
    dotenv = tmp_path / ".env"
    dotenv.write_text("".join(f"{key}={elsewhere / name}\n" for key, name in moved.items()))
    done = subprocess.run([sys.executable, "deploy/reset_paper.py", "--yes"], cwd=REPO,
                          env={**env(var), "PM_ENV_FILE": str(dotenv)}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert list(elsewhere.iterdir()) == []
    assert left(var) == {*VENUE, *ENGINE, *KEPT}


def test_it_refuses_while_the_engine_runs(var: Path) -> None:
    (var / "run" / "supervisord.pid").write_text(str(os.getpid()))  # a live process: "supervisord"
    done = reset(var, "--yes")
    assert done.returncode == 1 and "the engine is running" in done.stderr
    assert left(var) == {*JOURNALS, *KEPT, "run/supervisord.pid"}


def test_a_stale_pid_file_does_not_stop_it(var: Path) -> None:
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    (var / "run" / "supervisord.pid").write_text(gone)
    assert reset(var, "--yes").returncode == 0
    assert left(var) == {*KEPT, "run/supervisord.pid"}


def test_it_refuses_while_a_venue_holds_its_state(var: Path) -> None:
    for name in VENUE:
        (var / name).unlink()
    store = Store(var / "venue.sqlite")
    try:
        done = reset(var, "--yes")
        assert done.returncode == 1 and "a venue is running" in done.stderr
        assert (var / "inventory.sqlite").exists()
    finally:
        store.close()
    assert reset(var, "--yes").returncode == 0
    assert left(var) == set(KEPT)


def test_make_reset_paper_confirm_yes_does_not_ask(var: Path) -> None:
    done = subprocess.run(["make", "-s", "reset-paper", "CONFIRM=yes"], cwd=REPO, env=env(var),
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert left(var) == set(KEPT)
