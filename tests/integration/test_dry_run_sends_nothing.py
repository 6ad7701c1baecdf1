"""A dry run against "Polymarket" sends no mutating request, and live trading fails fast without credentials.

Every ``POLYMARKET_*_URL`` points at a recording HTTP server on 127.0.0.1 (allowed with
``PM_VENUE=polymarket``) that answers GETs plausibly and records every request; a POST, DELETE, PUT or
PATCH fails the test. The real executor program runs against it with a real (non-test) private key,
takes place / cancel / cancel-market / cancel-all commands, and is stopped with SIGTERM (the exit path).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from schemas import CancelAll, CancelMarket, MergePairs, OrderCancelled, OrderPlaced
from schemas.units import MICRO
from tests.support.executor_rig import Rig, exit_log, state
from tests.support.procs import Program
from venue_client.credentials import read_creds

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # not the local test key
MUTATING = ("POST", "DELETE", "PUT", "PATCH")


class FakePolymarket(BaseHTTPRequestHandler):
    """Answers GETs as the CLOB would (``derive`` decides the L1 derive), records every request."""

    seen: ClassVar[list[tuple[str, str]]] = []
    derive: ClassVar[int] = 200

    def _record(self) -> str:
        path = self.path.split("?")[0]
        type(self).seen.append((self.command, path))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        return path

    def _answer(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        path = self._record()
        if path == "/auth/derive-api-key":
            if self.derive == 200:
                self._answer(200, {"apiKey": "dry-key", "secret": "c2VjcmV0", "passphrase": "pp"})
            else:
                self._answer(self.derive, {"error": "Could not derive api key!"})
        elif path.startswith("/data/"):
            self._answer(200, {"data": [], "next_cursor": "LTE=", "limit": 100, "count": 0})
        else:
            self._answer(200, {})

    def _mutating(self) -> None:
        self._record()
        self._answer(401, {"error": "Unauthorized/Invalid api key"})

    do_POST = do_DELETE = do_PUT = do_PATCH = _mutating

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def polymarket() -> Iterator[str]:
    FakePolymarket.seen, FakePolymarket.derive = [], 200
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePolymarket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def rig() -> Iterator[Rig]:
    with ExitStack() as stack:
        yield Rig(stack)


def urls(url: str) -> dict[str, str]:
    return {"POLYMARKET_REST_URL": url, "POLYMARKET_WS_BASE_URL": url.replace("http", "ws"),
            "POLYMARKET_GAMMA_URL": url}


@pytest.mark.parametrize("derive", [200, 401], ids=["derive-ok", "derive-refused"])
def test_a_dry_run_sends_no_mutating_request(rig: Rig, polymarket: str, derive: int) -> None:
    FakePolymarket.derive = derive
    program = rig.executor(PM_VENUE="polymarket", PM_DRY_RUN="true", POLYMARKET_PRIVATE_KEY=KEY,
                           PM_EXEC_SYNC_MS="200", PM_RECONCILE_MS="200", **urls(polymarket))
    expected = '"event":"credentials_ready"' if derive == 200 else '"event":"credentials_failed"'
    program.read_until(lambda line: expected in line)
    alpha = rig.coordinator()
    first = rig.events.of(OrderPlaced, cmd_id=alpha.place().cmd_id)
    assert first.status == "dry_run"
    rig.events.of(OrderCancelled, cmd_id=alpha.cancel(slots=["yes_bid"]).cmd_id)
    second = rig.events.of(OrderPlaced, cmd_id=alpha.place(slot="b").cmd_id)
    third = rig.events.of(OrderPlaced, cmd_id=alpha.place(slot="c", price=390_000).cmd_id)
    alpha.send(CancelMarket(cmd_id="market-dry", holder="alpha", market=rig.market, reason="t", ts=0))
    assert rig.events.of(OrderCancelled, cmd_id="market-dry").order_id in (second.order_id, third.order_id)
    fourth = rig.events.of(OrderPlaced, cmd_id=alpha.place(slot="d").cmd_id)
    alpha.send(CancelAll(cmd_id="all-dry", holder="alpha", reason="test", ts=0))
    assert rig.events.of(OrderCancelled, cmd_id="all-dry").order_id == fourth.order_id
    rig.events.of(OrderPlaced, cmd_id=alpha.place(slot="e").cmd_id)  # left open for the exit path

    exit_log(program, "rest_calls")  # SIGTERM: the exit path ran

    assert [req for req in FakePolymarket.seen if req[0] in MUTATING] == []
    assert FakePolymarket.seen == [("GET", "/auth/derive-api-key")] * len(FakePolymarket.seen)
    assert FakePolymarket.seen  # the only request: derive, a GET (no create, no heartbeat, no cancel)
    shared = read_creds(str(rig.run_dir))
    if derive == 200:  # the user-feed can watch the real account, read-only
        assert shared is not None and shared.api_key == "dry-key"
        assert len(FakePolymarket.seen) == 1
    else:
        assert shared is None


def test_a_dry_run_without_a_real_key_sends_nothing_at_all(rig: Rig, polymarket: str) -> None:
    program = rig.executor(PM_VENUE="polymarket", PM_DRY_RUN="true", **urls(polymarket))
    alpha = rig.coordinator()
    rig.events.of(OrderPlaced, cmd_id=alpha.place().cmd_id)
    exit_log(program, "rest_calls")
    assert FakePolymarket.seen == []


def test_live_trading_exits_2_when_no_credentials_can_be_had(rig: Rig, polymarket: str) -> None:
    FakePolymarket.derive = 401  # and the create (a POST) is refused too
    program = Program(["-m", "actors.executor"], rig.env(PM_VENUE="polymarket", PM_DRY_RUN="false",
                                                         POLYMARKET_PRIVATE_KEY=KEY, **urls(polymarket)))
    rig.stack.callback(program.kill)
    line = json.loads(program.read_until(lambda line: '"event":"credentials_unavailable"' in line,
                                         timeout=30))
    assert program.proc.wait(10) == 2
    assert line["level"] == "error" and line["tries"] >= 2
    assert "derive: HTTP 401" in line["error"] and "create: HTTP 401" in line["error"]
    program.read_until(lambda text: "executor: cannot obtain API credentials from" in text)  # the stderr line
    assert set(FakePolymarket.seen) == {("GET", "/auth/derive-api-key"), ("POST", "/auth/api-key")}
    assert KEY.removeprefix("0x") not in "\n".join(program.lines)



def test_a_dry_run_notes_merges_and_redemptions_and_sends_nothing(rig: Rig, polymarket: str) -> None:
    program = rig.executor(PM_VENUE="polymarket", PM_DRY_RUN="true", POLYMARKET_PRIVATE_KEY=KEY,
                           **urls(polymarket))
    inventory, alpha = rig.inventory(), rig.coordinator()
    merge = MergePairs(cmd_id="m1", holder="alpha", market=rig.market, yes_asset=rig.yes, no_asset=rig.no,
                       min_size=5 * MICRO, ts=0)

    def noted(event: str, act: Callable[[], object]) -> dict[str, object]:
        deadline = time.monotonic() + 10
        while True:  # a new publisher's first messages may be lost: repeat until the line shows
            act()
            try:
                return dict(json.loads(program.read_until(lambda line: f'"event":"{event}"' in line,
                                                          timeout=0.3)))
            except AssertionError:
                if time.monotonic() > deadline:
                    raise

    line = noted("dry_run_merge", lambda: (
        inventory.publish(state(rig.market, rig.yes, rig.no, 6 * MICRO, 7 * MICRO)), alpha.send(merge)))
    assert (line["market"], line["amount"]) == (rig.market, 6 * MICRO)
    line = noted("dry_run_redeem", lambda: inventory.publish(
        state(rig.market, rig.yes, rig.no, 0, 7 * MICRO, resolved=True, winner=rig.no)))
    assert (line["market"], line["winner"]) == (rig.market, rig.no)
    assert inventory.node.pull is not None and not inventory.node.pull.poll(0)  # nothing for inventory
    exit_log(program, "rest_calls")
    assert [req for req in FakePolymarket.seen if req[0] in MUTATING] == []
