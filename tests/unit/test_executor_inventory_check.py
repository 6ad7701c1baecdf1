"""Inventory vs the venue's balances (pure): only a mismatch confirmed on consecutive checks with no fill
in between halts a market; matching again clears it; a market no longer leased is cleared and dropped."""

from __future__ import annotations

import pytest

from actors.executor.balance_check.balances import fetch, parse_balance
from actors.executor.balance_check.verdicts import History, InventoryCheck, Legs, Verdict, judge
from actors.executor.core.venue_requests import HttpResult
from schemas import Fill, FillApplied, InventoryState, Lease, LeaseRelease

MS = 1_000_000
T0 = 1_800_000_000_000_000_000
CID, YES, NO = "0x" + "cd" * 32, "1001", "1002"
M = 1_000_000


def state(yes: int, no: int, *, market: str = CID, assets: tuple[str, str] = (YES, NO)) -> InventoryState:
    return InventoryState(market=market, yes_asset=assets[0], no_asset=assets[1], yes_qty=yes, no_qty=no,
                          yes_avg_cost=0, no_avg_cost=0, net_diff=yes - no, portfolio_cost=0, can_open=True,
                          realized_pnl=0, unrealized_pnl=0, fills=0, ts=T0)


def applied(action: str = "applied", market: str = CID) -> FillApplied:
    fill = Fill(trade_id="t", order_id="o", market=market, asset=YES, side="BUY", price=400_000, size=M,
                status="MATCHED", role="MAKER", fee=0, source="ws", ts_event=T0, ts_recv=T0)
    return FillApplied(fill=fill, action=action, ts=T0)  # type: ignore[arg-type]


def lease(ttl_ms: int = 5000, assets: tuple[str, str] = (YES, NO)) -> Lease:
    return Lease(holder="btc", market=CID, yes_asset=assets[0], no_asset=assets[1], ttl_ms=ttl_ms, ts=T0)


SAME, OFF = Legs(5 * M, 0), Legs(0, 0)


@pytest.mark.parametrize(("venue", "history", "expected_history", "severity", "change"), [
    (SAME, History(), History(), None, False),
    (SAME, History(2), History(), None, False),  # a transient difference, gone again
    (SAME, History(3, halted=True), History(), "info", True),  # cleared
    (OFF, History(), History(1), None, False),
    (OFF, History(1), History(2), None, False),
    (OFF, History(2), History(3, halted=True), "halt", True),  # the third check in a row: halt
    (OFF, History(2, fill_seen=True), History(1), None, False),  # a fill in between: counting restarts
    (OFF, History(3, halted=True), History(4, halted=True), "halt", False),  # repeated while it lasts
    (OFF, History(3, halted=True, fill_seen=True), History(1, halted=True), "halt", False),  # still halted
])
def test_judge(venue: Legs, history: History, expected_history: History, severity: str | None,
               change: bool) -> None:
    after, verdict = judge(venue, SAME, history, confirm=3)
    assert after == expected_history
    assert (verdict.severity, verdict.change) == (severity, change) if verdict else severity is None


def test_the_messages_say_both_legs_inventory_vs_venue() -> None:
    _, halt = judge(Legs(3 * M, 2 * M), Legs(5 * M, 0), History(2), confirm=3)
    legs = "yes 5000000 vs venue 3000000, no 0 vs venue 2000000"
    assert halt == Verdict("halt", f"{legs} (1e-6 shares; 3 checks)", True)
    _, info = judge(Legs(5 * M, 0), Legs(5 * M, 0), History(3, halted=True), confirm=3)
    assert info is not None
    assert info.message == "yes 5000000 vs venue 5000000, no 0 vs venue 0 (1e-6 shares): matched again"


def run(check: InventoryCheck, venue: dict[str, int], now: int) -> list[tuple[str, str]]:
    return [(market, v.severity) for market, v in check.on_balances(venue, now)]


def test_a_leased_market_is_checked_against_the_latest_inventory_state() -> None:
    check = InventoryCheck(confirm=2, stale_ns=3000 * MS)
    assert check.tokens() == []
    check.on_lease(lease(), T0)
    assert check.tokens() == [YES, NO]
    venue = {YES: 5 * M, NO: 0}
    assert run(check, venue, T0) == []  # no inventory state yet: no verdict
    check.on_inventory(state(0, 0), T0)
    assert run(check, venue, T0) == []
    check.on_fill(applied("recorded"))  # a later status of a known fill changes nothing
    assert run(check, venue, T0) == [(CID, "halt")]
    check.on_inventory(state(5 * M, 0), T0)
    assert run(check, {YES: 5 * M}, T0) == []  # a token that could not be fetched: no verdict
    assert run(check, venue, T0) == [(CID, "info")]


def test_fills_stale_inventory_and_other_tokens_hold_the_verdict_back() -> None:
    check = InventoryCheck(confirm=2, stale_ns=3000 * MS)
    check.on_lease(lease(), T0)
    check.on_inventory(state(0, 0), T0)
    venue = {YES: 5 * M, NO: 0}
    assert run(check, venue, T0) == []
    check.on_fill(applied("applied"))
    assert run(check, venue, T0) == []  # a fill was applied in between: it may still be catching up
    check.on_fill(applied("reversed", market="0xother"))  # another market's fill does not count
    assert run(check, venue, T0) == [(CID, "halt")]
    assert run(check, venue, T0 + 3001 * MS) == []  # inventory silent: no verdict (not cleared either)
    check.on_inventory(state(0, 0, assets=("9", "8")), T0 + 3001 * MS)
    assert run(check, venue, T0 + 3001 * MS) == []  # a state for other tokens is not this lease's


def test_a_market_no_longer_leased_is_cleared_and_no_longer_fetched() -> None:
    check = InventoryCheck(confirm=1, stale_ns=3000 * MS)
    check.on_lease(lease(ttl_ms=5000), T0)
    check.on_inventory(state(0, 0), T0)
    assert run(check, {YES: M, NO: 0}, T0) == [(CID, "halt")]
    check.on_lease(lease(ttl_ms=5000), T0 + 4000 * MS)  # renewed
    assert check.expire(T0 + 5000 * MS) == []
    [(market, cleared)] = check.expire(T0 + 9000 * MS)
    assert (market, cleared.severity, cleared.message) == (CID, "info", "no longer leased, not checked")
    assert check.tokens() == []
    check.on_lease(lease(), T0)
    assert check.on_release(LeaseRelease(holder="btc", market=CID, ts=T0)) == []  # was not halted
    assert check.on_release(LeaseRelease(holder="btc", market=CID, ts=T0)) == []


def test_a_lease_naming_other_tokens_starts_the_market_afresh() -> None:
    check = InventoryCheck(confirm=1, stale_ns=3000 * MS)
    check.on_lease(lease(), T0)
    check.on_inventory(state(0, 0), T0)
    assert run(check, {YES: M, NO: 0}, T0) == [(CID, "halt")]
    [(_, cleared)] = check.on_lease(lease(assets=("7", "8")), T0)
    assert cleared.severity == "info" and check.tokens() == ["7", "8"]
    assert check.on_lease(Lease(holder="x", market=CID, yes_asset="1", no_asset="",
                                ttl_ms=1, ts=T0), T0) == []


@pytest.mark.parametrize(("body", "units"), [
    ({"balance": "5000000", "allowances": {}}, 5_000_000), ({"balance": 0}, 0), ({"balance": "12.0"}, 12),
])
def test_balances_are_integer_base_units(body: object, units: int) -> None:
    assert parse_balance(body) == units


@pytest.mark.parametrize("body", [{"balance": "0.5"}, {"balance": "-1"}, {"balance": "NaN"}, {}, [], "oops",
                                  {"balance": None}, {"balance": "1e400000"}])
def test_a_malformed_balance_is_an_error_not_a_number(body: object) -> None:
    with pytest.raises(ValueError):
        parse_balance(body)


class StubRest:
    """Answers ``GET /balance-allowance`` from a table, recording every query."""

    def __init__(self, answers: dict[str, HttpResult]) -> None:
        self.answers = answers
        self.queries: list[str] = []

    def request(self, method: str, path: str, *, query: str = "") -> HttpResult:
        self.queries.append(f"{method} {path}{query}")
        token = query.split("token_id=")[1].split("&")[0]
        return self.answers[token]


def test_fetch_asks_for_each_token_and_reports_what_failed_without_guessing() -> None:
    rest = StubRest({"1001": HttpResult(status=200, body={"balance": "7000000", "allowances": {}}),
                     "1002": HttpResult(status=0, error="timed out")})
    fetched = fetch(rest, ["1001", "1002", "12&x=1"], signature_type=2)  # type: ignore[arg-type]
    assert fetched.balances == {"1001": 7_000_000}
    assert [e.split(":")[0] for e in fetched.errors] == ["1002", "'12&x=1'"]
    assert rest.queries == ["GET /balance-allowance?asset_type=CONDITIONAL&token_id=1001&signature_type=2",
                            "GET /balance-allowance?asset_type=CONDITIONAL&token_id=1002&signature_type=2"]


def test_a_market_two_coordinators_hold_stays_checked_until_the_last_lets_go() -> None:
    check = InventoryCheck(confirm=1, stale_ns=3000 * MS)
    check.on_lease(lease(), T0)
    check.on_lease(Lease(holder="eth", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=T0), T0)
    check.on_inventory(state(0, 0), T0)
    assert run(check, {YES: M, NO: 0}, T0) == [(CID, "halt")]

    assert check.on_release(LeaseRelease(holder="btc", market=CID, ts=T0)) == []  # "eth" still holds it

    assert check.tokens() == [YES, NO]
    assert run(check, {YES: M, NO: 0}, T0) == [(CID, "halt")]  # still checked, the halt still in force
    [(market, cleared)] = check.on_release(LeaseRelease(holder="eth", market=CID, ts=T0))
    assert (market, cleared.severity) == (CID, "info") and check.tokens() == []
