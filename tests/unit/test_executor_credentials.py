"""Obtaining API credentials: bounded tries for live trading (give up within about 10 s, the shell then exits
2), unbounded against the local venue; a dry run derives only, never creates. Time is an injected clock."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from actors.executor.core.venue_requests import HttpResult
from actors.executor.wallet import resolve_wallet
from actors.executor.wire.credentials import MAX_WAIT_S, START_DEADLINE_S, Attempts, Session
from actors.executor.wire.wallet_check import WalletCheck
from bus.logs import Logger
from clob.signer import Signer
from clob.wallets import deposit_wallet_addresses, wallet_address
from venue_client.credentials import ApiCredentials, read_creds

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
GOOD = HttpResult(status=200, body={"apiKey": "k-1", "secret": "c2VjcmV0", "passphrase": "pp"})
REFUSED = HttpResult(status=401, body={"error": "Unauthorized/Invalid api key"})
UNREACHABLE = HttpResult(status=0, error="ConnectionRefusedError", sent=False)


class Quiet(Logger):
    def __init__(self) -> None:
        super().__init__("executor")
        self.events: list[tuple[str, dict[str, Any]]] = []

    def lines(self, notes: Iterable[tuple[str, str, dict[str, Any]]]) -> None:
        self.events.extend((event, fields) for _, event, fields in notes)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeRest:
    """``l1`` answers from a script; each request costs ``cost_s`` of the clock (its round trip)."""

    def __init__(self, clock: Clock, answers: dict[str, list[HttpResult]], cost_s: float = 0.0) -> None:
        self.clock, self.answers, self.cost_s = clock, answers, cost_s
        self.calls: list[tuple[str, str, int]] = []
        self.creds: Any = None

    def l1(self, method: str, path: str, signer: Signer, *, timeout_ms: int = 0) -> HttpResult:
        self.calls.append((method, path, timeout_ms))
        self.clock.now += self.cost_s
        script = self.answers[f"{method} {path}"]
        return script.pop(0) if len(script) > 1 else script[0]


def session(rest: FakeRest, clock: Clock, run_dir: Path, log: Logger, **kw: Any) -> Session:
    return Session(rest, Signer(KEY), given=ApiCredentials(), funder=Signer(KEY).address,  # type: ignore[arg-type]
                   run_dir=str(run_dir), log=log, clock=clock, **kw)


def run_until(s: Session, clock: Clock, limit_s: float, step_s: float = 0.125) -> list[float]:
    """Call ``try_obtain`` every ``step_s`` (as the shell's 100 ms pump does); the clock times of each try."""
    tries: list[float] = []
    end = clock.now + limit_s
    while clock.now < end and not s.ready and not s.gave_up:
        before = len(s.rest.calls)  # type: ignore[attr-defined]
        at = clock.now
        s.try_obtain()
        if len(s.rest.calls) > before:  # type: ignore[attr-defined]
            tries.append(round(at - 100.0, 1))
        clock.now += step_s
    return tries


# -- the schedule (pure) ------------------------------------------------------------------------


def test_attempts_back_off_and_give_up_past_the_deadline() -> None:
    attempts = Attempts(deadline_s=10.0)
    schedule: list[float] = []
    now = 0.0
    while not attempts.gave_up:
        if attempts.due(now):
            schedule.append(now)
            attempts.failed(now)
        now += 0.5
    assert schedule == [0.0, 1.0, 3.0, 7.0]  # the next one (15 s) would start past the 10 s deadline
    assert attempts.tries == 4 and not attempts.due(now)


def test_attempts_without_a_deadline_never_give_up_and_wait_at_most_30_s() -> None:
    attempts = Attempts()
    now = 0.0
    for _ in range(20):
        assert attempts.due(now)
        attempts.failed(now)
        now = attempts.next_s
    assert not attempts.gave_up and attempts.wait_s == MAX_WAIT_S


def test_a_requests_timeout_is_cut_to_what_is_left_of_the_deadline() -> None:
    attempts = Attempts(deadline_s=10.0)
    assert attempts.due(50.0)
    assert attempts.timeout_ms(50.0, 2_000) == 2_000
    assert attempts.timeout_ms(59.0, 2_000) == 1_000
    assert attempts.timeout_ms(60.5, 2_000) == 100  # never below 100 ms
    assert Attempts().timeout_ms(1e9, 2_000) == 2_000


# -- the session ---------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [REFUSED, UNREACHABLE], ids=["refused", "unreachable"])
def test_live_trading_gives_up_within_the_start_deadline(failure: HttpResult, tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [failure], "POST /auth/api-key": [failure]},
                    cost_s=0.5)
    s = session(rest, clock, tmp_path, log, deadline_s=START_DEADLINE_S)
    tries = run_until(s, clock, 60.0)
    assert s.gave_up and not s.ready and tries == [0.0, 2.0, 5.0, 10.0]  # 1, 2, 4 s after each failure
    assert [t for _, _, t in rest.calls][-2:] == [100, 100]  # the last try's requests: cut to the deadline
    assert [path for _, path, _ in rest.calls] == ["/auth/derive-api-key", "/auth/api-key"] * 4
    assert "derive:" in s.error and "create:" in s.error
    assert read_creds(str(tmp_path)) is None
    s.try_obtain()
    assert len(rest.calls) == 8  # given up: no more tries


def test_live_trading_that_succeeds_on_a_later_try_is_ready(tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [UNREACHABLE, UNREACHABLE, GOOD],
                            "POST /auth/api-key": [UNREACHABLE]})
    s = session(rest, clock, tmp_path, log, deadline_s=START_DEADLINE_S)
    assert run_until(s, clock, 60.0) == [0.0, 1.0, 3.0]
    assert s.ready and not s.gave_up and rest.creds is not None and rest.creds.api_key == "k-1"
    shared = read_creds(str(tmp_path))
    assert shared is not None and shared.api_key == "k-1"  # for the user-feed
    assert ("credentials_ready", {"source": "derived", "address": Signer(KEY).address,
                                  "funder": Signer(KEY).address}) in log.events


def test_the_local_venue_is_tried_until_it_answers(tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [UNREACHABLE] * 8 + [GOOD],
                            "POST /auth/api-key": [UNREACHABLE]})
    s = session(rest, clock, tmp_path, log)  # no deadline
    tries = run_until(s, clock, 300.0)
    assert s.ready and len(tries) == 9 and tries[-1] > START_DEADLINE_S


def test_a_dry_run_derives_only_and_never_creates_a_key(tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [REFUSED, GOOD], "POST /auth/api-key": [GOOD]})
    s = session(rest, clock, tmp_path, log, create=False)
    run_until(s, clock, 60.0)
    assert s.ready and [m for m, _, _ in rest.calls] == ["GET", "GET"]
    assert "no key is created" in log.events[0][1]["error"]


# -- the wallet check (with the credentials' try) -------------------------------------------------------


class FakeRelayer:
    """``/deployed`` answers from a set of deployed addresses (or ``broken``: no usable answer)."""

    def __init__(self, deployed: set[str], broken: HttpResult | None = None) -> None:
        self.deployed, self.broken = {a.lower() for a in deployed}, broken
        self.asked: list[str] = []

    def request(self, method: str, path: str, body: bytes | None = None, *, query: str = "",
                auth: bool = True, timeout_ms: int = 0, headers: Any = None) -> HttpResult:
        assert (method, path, auth) == ("GET", "/deployed", False)
        self.asked.append(query)
        if self.broken is not None:
            return self.broken
        address = query.split("address=")[1].split("&")[0]
        return HttpResult(status=200, body={"deployed": address.lower() in self.deployed})

    def close(self) -> None:
        pass


OWNER = Signer(KEY).address
BEACON, UUPS = deposit_wallet_addresses(OWNER)


def checked(relayer: FakeRelayer, type_text: str, funder: str = "") -> WalletCheck:
    wallet = resolve_wallet(OWNER, type_text, funder, local=False)
    return WalletCheck(relayer, wallet, "https://relayer.test")  # type: ignore[arg-type]


@pytest.mark.parametrize(("type_text", "funder", "deployed", "found", "asked"), [
    ("3", "", {UUPS, BEACON}, UUPS, [UUPS]),  # the legacy wallet first, as polymarket-client does
    ("3", "", {BEACON}, BEACON, [UUPS, BEACON]),
    ("3", BEACON, {BEACON}, BEACON, [BEACON]),
    ("3", UUPS, {UUPS}, UUPS, [UUPS]),
    ("2", "", {wallet_address("GNOSIS_SAFE", OWNER)}, wallet_address("GNOSIS_SAFE", OWNER),
     [wallet_address("GNOSIS_SAFE", OWNER)]),
    ("1", "", {wallet_address("POLY_PROXY", OWNER)}, wallet_address("POLY_PROXY", OWNER),
     [wallet_address("POLY_PROXY", OWNER)]),
    ("3", "", set(), None, [UUPS, BEACON]),
    ("2", "", {BEACON}, None, [wallet_address("GNOSIS_SAFE", OWNER)]),  # a deposit-wallet account, not a Safe
])
def test_the_wallet_check_finds_the_deployed_wallet_or_refuses(type_text: str, funder: str,
                                                              deployed: set[str], found: str | None,
                                                              asked: list[str]) -> None:
    relayer = FakeRelayer(deployed)
    verdict = checked(relayer, type_text, funder).run(500)
    kind = {"1": "PROXY", "2": "SAFE", "3": "WALLET"}[type_text]
    assert relayer.asked == [f"?address={a}&type={kind}" for a in asked]
    if found is None:
        assert verdict.wallet is None and verdict.refused is not None and not verdict.error
        assert verdict.refused.variable == "POLYMARKET_SIGNATURE_TYPE"
    else:
        assert verdict.wallet is not None and verdict.wallet.address == found and verdict.refused is None


def test_an_eoa_is_not_checked() -> None:
    relayer = FakeRelayer(set())
    check = checked(relayer, "0")
    assert not check.needed and check.run().wallet is not None and relayer.asked == []


@pytest.mark.parametrize("broken", [UNREACHABLE, HttpResult(status=502, body="bad gateway"),
                                    HttpResult(status=200, body={"deployed": "yes"})])
def test_a_relayer_without_an_answer_is_a_failed_try(broken: HttpResult) -> None:
    verdict = checked(FakeRelayer(set(), broken), "3").run()
    assert verdict.wallet is None and verdict.refused is None
    assert "relayer https://relayer.test" in verdict.error


def test_the_session_shares_the_wallet_the_check_found(tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [GOOD]})
    s = session(rest, clock, tmp_path, log, deadline_s=START_DEADLINE_S,
                check=checked(FakeRelayer({UUPS}), "3"))
    assert s.try_obtain() and s.funder == UUPS
    shared = read_creds(str(tmp_path))
    assert shared is not None and (shared.address, shared.signer) == (UUPS, OWNER)  # maker, POLY_ADDRESS


def test_a_wallet_the_account_does_not_have_is_refused_at_once_and_never_retried(tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [GOOD]})
    s = session(rest, clock, tmp_path, log, check=checked(FakeRelayer(set()), "3"))  # even on the local venue
    assert not s.try_obtain()
    assert s.refused is not None and s.refused.variable == "POLYMARKET_SIGNATURE_TYPE" and not s.ready
    assert read_creds(str(tmp_path)) is None  # the user-feed is not told of an account we will not trade
    clock.now += 60
    assert not s.due() and len(rest.calls) == 1


def test_a_relayer_failure_is_retried_like_the_credentials(tmp_path: Path) -> None:
    clock, log = Clock(), Quiet()
    rest = FakeRest(clock, {"GET /auth/derive-api-key": [GOOD]})
    s = session(rest, clock, tmp_path, log, deadline_s=START_DEADLINE_S,
                check=checked(FakeRelayer(set(), UNREACHABLE), "2"))
    assert run_until(s, clock, 60.0) == [0.0, 1.0, 3.0, 7.0]
    assert s.gave_up and s.refused is None and "relayer" in s.error
