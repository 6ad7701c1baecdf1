"""``python -m actors.ctl reconcile`` on a deliberately diverged journal: inventory missed part of a fill,
the venue holds what our trades say. The command prints both sides (exit 1), refuses to adopt while
inventory is not running (exit 3), and once it runs adopts the venue's balances through it (journalled with
the reason); then both sides match (exit 0)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actors.inventory.journal import Journal
from bus.endpoints import BusConfig
from schemas import Fill
from tests.support.procs import REPO, Program, program_env
from tests.support.venue_client import Client
from venue.app import VenueThread
from venue.config import VenueConfig
from venue_client.endpoints import LOCAL_TEST_ADDRESS, LOCAL_TEST_PRIVATE_KEY

M = 1_000_000
OTHER_KEY = "0x" + "71" * 32


@pytest.fixture
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(flow=False), seed=71) as v:
        yield v


def env(run_dir: Path, venue: VenueThread, creds: Any) -> dict[str, str]:
    return program_env(run_dir, PM_LOCAL_VENUE_URL=venue.urls["clob"], POLYMARKET_API_KEY=creds.api_key,
                       POLYMARKET_API_SECRET=creds.secret, POLYMARKET_API_PASSPHRASE=creds.passphrase,
                       POLYMARKET_FUNDER_ADDRESS=LOCAL_TEST_ADDRESS)


def ctl(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "actors.ctl", "reconcile", *args], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_reconcile_shows_a_diverged_journal_and_adopts_the_venue_through_inventory(
        bus: BusConfig, run_dir: Path, venue: VenueThread) -> None:
    catalogue = venue.venue.exchange.catalogue  # type: ignore[union-attr]
    market = venue.call(lambda: next(m for m in catalogue.open_markets() if m.kind == "updown"))
    cid, (yes, no) = market.condition_id, market.token_ids
    us, other = Client(venue.urls["clob"], LOCAL_TEST_PRIVATE_KEY), Client(venue.urls["clob"], OTHER_KEY)
    creds = us.derive()
    other.derive()
    assert us.place(yes, "BUY", "0.40", "10")[0] == 200  # rests ...
    assert other.place(no, "BUY", "0.60", "10", post_only=False)[0] == 200  # ... and is filled (a mint)

    # the journal missed 3 of the 10 shares (as if a partial fill had never been seen)
    journal = Journal(run_dir / "inventory.sqlite")
    journal.save_market(cid, yes, no)
    missed = Fill(trade_id="t1", order_id="o1", market=cid, asset=yes, side="BUY", price=400_000, size=7 * M,
                  status="MATCHED", role="MAKER", fee=0, source="ws", ts_event=1, ts_recv=1)
    journal.append(missed, "applied", 1)
    journal.close()
    environment = env(run_dir, venue, creds)

    shown = ctl(environment)  # no --market: the markets inventory holds
    assert shown.returncode == 1, shown.stderr
    assert f"market {cid}  DIFFERS" in shown.stdout
    assert "inventory=7 (avg 0.400000)  venue=10  our_trades=10 (avg 0.400000)" in shown.stdout
    assert "inventory=0 (avg 0.000000)  venue=0  our_trades=0" in shown.stdout  # the NO leg matches

    refused = ctl(environment, "--market", cid, "--adopt-venue")
    assert refused.returncode == 3 and "inventory is not running" in refused.stderr

    inventory = Program(["-m", "actors.inventory"], environment)
    try:
        inventory.read_until(lambda line: '"event":"ready"' in line)
        adopted = ctl(environment, "--market", cid, "--adopt-venue", "--reason", "missed a partial fill")
        assert adopted.returncode == 0, adopted.stdout + adopted.stderr
        assert "applied (yes=10 no=0, reason: missed a partial fill)" in adopted.stdout
        line = inventory.read_until(lambda line: '"event":"settlement"' in line and '"kind":"adjust"' in line)
        assert f'"yes_qty":{10 * M}' in line and '"reason":"missed a partial fill"' in line

        matched = ctl(environment, "--market", cid)
        assert matched.returncode == 0, matched.stdout
        assert f"market {cid}  MATCH" in matched.stdout
    finally:
        inventory.terminate_and_time()
        inventory.kill()
        us.close()
        other.close()

    reader = Journal.read_only(run_dir / "inventory.sqlite")
    [adjustment] = reader.settlements()
    reader.close()
    assert (adjustment.kind, adjustment.yes, adjustment.no, adjustment.source, adjustment.reason) == (
        "adjust", 10 * M, 0, "ctl", "missed a partial fill")
    assert time.time_ns() - adjustment.ts < 60 * 1_000_000_000
