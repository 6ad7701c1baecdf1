"""The executor as a real process against a local venue whose paper account is of another type than the
executor was told (the venue's type set in its config file, which the executor cannot see): the start-up
check and the exchange's wallet refusals end in a ``config_error`` with the fix and exit code 2, never in a
loop of refused orders.

- a wallet type the account does not have (no such wallet deployed, the relayer says): exit 2 at start,
  before any order;
- an account the executor cannot tell apart at start (an EOA key whose account trades through its deposit
  wallet): the first order's refusal ("... please use the deposit wallet flow") is the config error; one
  order was sent, no other after it.

Live trading asks the relayer as polymarket-client does (the legacy deposit wallet, then the current one),
within the start-up deadline; a dry run asks nothing but the L1 derive (a stand-in "Polymarket" on
loopback records every request).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from clob.signer import Signer
from clob.wallets import deposit_wallet_addresses, wallet_address
from schemas import OrderFailed, OrderPlaced, RiskEvent
from tests.support.executor_rig import Rig
from tests.support.procs import Program
from venue.config import VenueConfig
from venue_client.credentials import read_creds
from venue_client.endpoints import LOCAL_TEST_ADDRESS


def rig_with(stack: ExitStack, account_type: str) -> Rig:
    return Rig(stack, VenueConfig(flow=False, account_type=account_type))


def config_error(program: Program) -> dict[str, Any]:
    line = json.loads(program.read_until(lambda text: '"event":"config_error"' in text, timeout=15))
    assert program.proc.wait(10) == 2
    program.read_until(lambda text: text.startswith("executor: config error: "))  # for people (stderr)
    return dict(line)


@pytest.fixture
def stack() -> Iterator[ExitStack]:
    with ExitStack() as stack:
        yield stack


@pytest.mark.parametrize(("venue_type", "executor_type"), [
    ("EOA", "3"), ("EOA", "GNOSIS_SAFE"), ("DEPOSIT_WALLET", "1"), ("POLY_PROXY", "2")])
def test_a_wallet_the_account_does_not_have_is_a_config_error_before_any_order(
        stack: ExitStack, venue_type: str, executor_type: str) -> None:
    rig = rig_with(stack, venue_type)
    program = rig.executor(ready='"event":"executor_starting"', POLYMARKET_SIGNATURE_TYPE=executor_type)
    rig.coordinator().place()  # waits for the credentials and the check: never sent
    line = config_error(program)
    assert line["variable"] == "POLYMARKET_SIGNATURE_TYPE" and "deployed" in line["error"]
    assert f"{rig.url}/relayer" in line["error"]
    assert rig.open_orders() == [] and rig.exchange.engine.orders == {}
    assert read_creds(str(rig.run_dir)) is None  # the user-feed is not handed an account we do not trade


def test_the_first_order_refused_for_the_wallet_type_is_a_config_error_not_a_loop(stack: ExitStack) -> None:
    rig = rig_with(stack, "DEPOSIT_WALLET")
    program = rig.executor()  # an EOA by default: nothing to check at start
    alpha = rig.coordinator()
    first = alpha.place()
    failed = rig.events.of(OrderFailed, cmd_id=first.cmd_id)
    assert "please use the deposit wallet flow" in failed.message
    halt = rig.events.wait(lambda m: isinstance(m, RiskEvent) and m.kind == "account")
    assert halt.severity == "halt"
    line = config_error(program)
    assert line["variable"] == "POLYMARKET_SIGNATURE_TYPE"
    assert "POLYMARKET_SIGNATURE_TYPE=3" in line["error"] and "deposit wallet flow" in line["error"]
    calls = json.loads(program.read_until(lambda text: '"event":"rest_calls"' in text))
    assert calls.get("POST /order", 0) + calls.get("POST /orders", 0) == 1  # one refused order, no loop
    assert rig.open_orders() == []


def test_the_account_it_can_use_trades_as_its_wallet(stack: ExitStack) -> None:
    """The same venue, told the right type: the check finds the deposit wallet, orders rest as its own."""
    rig = rig_with(stack, "DEPOSIT_WALLET")
    rig.executor(POLYMARKET_SIGNATURE_TYPE="DEPOSIT_WALLET")
    placed = rig.events.of(OrderPlaced, cmd_id=rig.coordinator().place().cmd_id)
    owner = LOCAL_TEST_ADDRESS
    wallet = wallet_address("DEPOSIT_WALLET", owner)
    [order] = rig.open_orders()
    assert (order["id"], order["maker_address"], placed.status) == (placed.order_id, wallet, "live")
    shared = read_creds(str(rig.run_dir))
    assert shared is not None and (shared.address, shared.signer) == (wallet, owner)


# -- live trading on "Polymarket" (a recording stand-in on loopback) ------------------------------------

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # not the local test key


class FakePolymarket(BaseHTTPRequestHandler):
    """The CLOB (``/auth/derive-api-key``) and the relayer (``/relayer/deployed``: never deployed);
    records every request, refuses every mutating one."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def _answer(self, status: int, body: object) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        type(self).seen.append(("GET", path))
        if path == "/auth/derive-api-key":
            self._answer(200, {"apiKey": "live-key", "secret": "c2VjcmV0", "passphrase": "pp"})
        elif path == "/relayer/deployed":
            self._answer(200, {"deployed": False})
        else:
            self._answer(200, {"data": [], "next_cursor": "LTE="})

    def _mutating(self) -> None:
        type(self).seen.append((self.command, self.path.split("?")[0]))
        self._answer(401, {"error": "Unauthorized/Invalid api key"})

    do_POST = do_DELETE = do_PUT = do_PATCH = _mutating

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def polymarket() -> Iterator[str]:
    FakePolymarket.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakePolymarket)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("dry_run", [False, True], ids=["live", "dry-run"])
def test_live_trading_asks_the_relayer_as_the_sdk_does_and_a_dry_run_does_not(
        stack: ExitStack, polymarket: str, dry_run: bool) -> None:
    rig = Rig(stack)  # the bus (the venue it starts is not used)
    env = {"PM_VENUE": "polymarket", "PM_DRY_RUN": str(dry_run).lower(), "POLYMARKET_PRIVATE_KEY": KEY,
           "POLYMARKET_SIGNATURE_TYPE": "3", "POLYMARKET_REST_URL": polymarket,
           "POLYMARKET_WS_BASE_URL": polymarket.replace("http", "ws"), "POLYMARKET_GAMMA_URL": polymarket,
           "POLYMARKET_RELAYER_URL": f"{polymarket}/relayer"}
    program = Program(["-m", "actors.executor"], rig.env(**env))
    stack.callback(program.kill)
    owner = Signer(KEY).address
    beacon, uups = deposit_wallet_addresses(owner)
    if dry_run:  # signs for the derived (current) deposit wallet; asks nothing but the derive
        program.read_until(lambda text: '"event":"credentials_ready"' in text)
        line = json.loads(program.read_until(lambda text: '"event":"executor_starting"' in text))
        assert line["wallet"] == beacon
        program.terminate_and_time()
        assert FakePolymarket.seen == [("GET", "/auth/derive-api-key")]
        return
    line = config_error(program)
    assert line["variable"] == "POLYMARKET_SIGNATURE_TYPE"
    assert uups in line["error"] and beacon in line["error"]
    assert FakePolymarket.seen == [("GET", "/auth/derive-api-key"), ("GET", "/relayer/deployed"),
                                   ("GET", "/relayer/deployed")]  # the legacy wallet, then the current one
