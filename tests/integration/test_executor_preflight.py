"""``python -m actors.executor --preflight`` (what ``ctl doctor`` asks about the key) against the local
venue: the executor's start-up checks, then one JSON line: the key's state and address, never the key;
credentials derived (a read); in live trading the wallet's balance and the exchanges it has not approved.
"Live" here is ``PM_VENUE=polymarket`` with every URL pointed at the local venue: nothing leaves the host."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from clob.signer import Signer
from tests.support.procs import REPO
from tests.support.stack import Stack

KEY = "0x" + "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # a throwaway test key


@pytest.fixture(scope="module")
def venue() -> Iterator[Stack]:
    with Stack(venue_config={"intervals": ["15m"], "assets": ["btc"], "reward_markets": 0}) as stack:
        yield stack


def preflight(stack: Stack, **env: str) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run([sys.executable, "-m", "actors.executor", "--preflight"], cwd=REPO,
                          env=stack.env(**env), capture_output=True, text=True, timeout=60)
    lines = done.stdout.strip().splitlines()
    return done.returncode, json.loads(lines[-1]), done.stdout + done.stderr


def test_paper_mode(venue: Stack) -> None:
    code, report, _ = preflight(venue)
    assert code == 0 and report["key"] == "unset" and report["local"] and not report["live"]
    assert report["credentials"] == "derived" and report["address"] == venue.address
    assert "balance" not in report
    assert report["presign_max_age_ms"] == 0  # pre-signing is off unless set


def test_live_mode_reports_the_balance_and_never_the_key(venue: Stack) -> None:
    url = venue.venue_url
    code, report, output = preflight(
        venue, PM_VENUE="polymarket", PM_DRY_RUN="false", POLYMARKET_PRIVATE_KEY=KEY,
        POLYMARKET_REST_URL=url, POLYMARKET_WS_BASE_URL=url.replace("http", "ws") + "/ws",
        POLYMARKET_GAMMA_URL=url + "/gamma", POLYMARKET_RELAYER_URL=url + "/relayer")
    assert code == 0, output
    assert report["key"] == "set" and report["live"] and report["address"] == Signer(KEY).address
    # the venue credits every new account with paper pUSD and approves its exchanges
    assert report["credentials"] == "derived" and report["balance"] > 0 and report["no_allowance"] == []
    assert KEY.removeprefix("0x") not in output and "secret" not in report
    assert report["presign_max_age_ms"] == 0  # pre-signing is off on Polymarket unless set


def test_a_bad_key_is_a_config_error(venue: Stack) -> None:
    code, report, _ = preflight(venue, PM_VENUE="polymarket", PM_DRY_RUN="false",
                                     POLYMARKET_PRIVATE_KEY="0x1234", POLYMARKET_REST_URL=venue.venue_url)
    assert code == 2 and report["variable"] == "POLYMARKET_PRIVATE_KEY" and "1234" not in report["error"]
