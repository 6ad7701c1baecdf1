"""`python -m venue --state FILE` killed with SIGKILL in the middle of a trade, and started again on the
same file: the paper accounts carry on.

Alice rests a bid, Bob takes part of it (a trade MATCHED, not yet MINED), Alice arms her heartbeat; the
venue is killed at once. Restarted on the same file, the venue has the same balances, positions, open
orders, trades and order ids (a re-posted order is a duplicate); Alice's user socket authenticates with
no REST call first and sees the trade go on to CONFIRMED under its id; a second venue on the same file
is refused while the first one runs.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.procs import REPO
from tests.support.venue_client import KEY_A, KEY_B, Client, events, recv_until, ws_connect

CONFIG = {"flow": False, "assets": ["btc"], "intervals": ["1h"], "reward_markets": 1,
          "mined_delay_ms": 4000, "confirmed_delay_ms": 4000}
SLUG = "venue-reward-market-1"


class VenueProc:
    def __init__(self, tmp: Path) -> None:
        self.tmp, self.state = tmp, tmp / "venue.sqlite"
        (tmp / "venue.json").write_text(json.dumps(CONFIG))
        self.proc: subprocess.Popen[bytes] | None = None
        self.ready: dict[str, Any] = {}

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "venue", "--port", "0", "--seed", "3", "--config",
                str(self.tmp / "venue.json"), "--state", str(self.state)]

    def start(self) -> dict[str, Any]:
        with open(self.tmp / "venue.log", "ab") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(self.argv(), cwd=REPO, stdout=subprocess.PIPE, stderr=log)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            assert line, f"the venue exited: {(self.tmp / 'venue.log').read_text()}"
            record = json.loads(line)
            if record["event"] == "venue_ready":
                self.ready = record
                return record
        raise AssertionError("the venue did not come up")

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def venue(tmp_path: Path) -> Iterator[VenueProc]:
    proc = VenueProc(tmp_path)
    try:
        yield proc
    finally:
        proc.stop()


def account(client: Client, tokens: list[str]) -> dict[str, Any]:
    """What the venue says of an account: balances, open orders, trades."""
    status, collateral, _ = client.private("GET", "/balance-allowance?asset_type=COLLATERAL")
    assert status == 200
    shares = {}
    for token in tokens:
        status, body, _ = client.private("GET", f"/balance-allowance?asset_type=CONDITIONAL&token_id={token}")
        shares[token] = body["balance"]
    _, orders, _ = client.private("GET", "/data/orders")
    _, trades, _ = client.private("GET", "/data/trades")
    return {"pusd": collateral["balance"], "shares": shares,
            "orders": sorted((o["id"], o["size_matched"], o["original_size"]) for o in orders["data"]),
            "trades": sorted((t["id"], t["size"], t["price"], t["trader_side"]) for t in trades["data"])}


def test_a_venue_killed_mid_trade_carries_on_from_its_file(venue: VenueProc) -> None:
    ready = venue.start()
    alice, bob = Client(ready["clob"], KEY_A), Client(ready["clob"], KEY_B)
    alice.derive(), bob.derive()
    status, market = alice.get(f"/gamma/markets/slug/{SLUG}")
    assert status == 200, market
    yes, no = json.loads(market["clobTokenIds"])
    assert alice.place(yes, "BUY", "0.50", "20")[0] == 200
    taker = bob.order_body(bob.sign(no, "BUY", "0.50", "8"), post_only=False)
    status, taken, _ = bob.private("POST", "/order", taker)
    assert status == 200 and taken["status"] == "matched", taken
    [trade_id] = taken["tradeIDs"]
    assert alice.private("POST", "/v1/heartbeats", b'{"heartbeat_id": ""}')[0] == 200
    before = {"alice": account(alice, [yes, no]), "bob": account(bob, [yes, no])}
    assert before["alice"]["orders"] and before["bob"]["trades"]
    venue.kill9()  # the trade is MATCHED: MINED comes 4 s after the match
    alice.close(), bob.close()

    ready = venue.start()
    assert alice.creds is not None
    ws = ws_connect(ready["ws_user"])  # no REST call first: the key is known again
    try:
        creds = alice.creds
        ws.send(json.dumps({"type": "user", "auth": {"apiKey": creds.api_key, "secret": creds.secret,
                                                     "passphrase": creds.passphrase}}))
        alice.conn, bob.conn = Client(ready["clob"]).conn, Client(ready["clob"]).conn
        after = {"alice": account(alice, [yes, no]), "bob": account(bob, [yes, no])}
        assert after == before
        status, again, _ = bob.private("POST", "/order", taker)
        assert (status, again) == (400, {"error": f"order {taken['orderID']} is invalid. Duplicated."})
        recv_until(ws, lambda f: any(e.get("event_type") == "trade" and e["id"] == trade_id
                                     and e["status"] == "CONFIRMED" for e in events(f)), timeout=20)
    finally:
        ws.close()
    _, trades, _ = bob.private("GET", "/data/trades")
    assert [(t["id"], t["status"]) for t in trades["data"]] == [(trade_id, "CONFIRMED")]

    second = subprocess.run(venue.argv(), cwd=REPO, capture_output=True, timeout=30)
    assert second.returncode == 1
    [refusal] = [json.loads(line) for line in second.stdout.splitlines() if b"state_unusable" in line]
    assert "in use by another venue" in refusal["error"]
    alice.close(), bob.close()
