"""The executor's settlement rules (pure): which merge or redemption runs, one per market at a time, and the
settlements inventory has not acknowledged; and the handler tables of the executor's parts, joined."""

from __future__ import annotations

from typing import Any

import pytest

from actors.executor.settlement.part import joined
from actors.executor.settlement.rules import INV_PIPE, STALE_NS, Job, Settlements, Skipped
from bus import topics
from bus.effects import Effects
from schemas import InventoryState, MergePairs, Settlement, SettlementApplied
from tests.support.samples import CID, NO, YES

M = 1_000_000
S = 1_000_000_000


def rules(**kw: Any) -> Settlements:
    return Settlements(**{"merge": True, "redeem": True, "retry_ns": 30 * S, "resend_ns": 5 * S,
                          "dry_run": False, **kw})


def state(yes: int, no: int, *, resolved: bool = False, winner: str = "",
          market: str = CID) -> InventoryState:
    return InventoryState(market=market, yes_asset=YES, no_asset=NO, yes_qty=yes, no_qty=no, yes_avg_cost=0,
                          no_avg_cost=0, net_diff=0, portfolio_cost=0, can_open=True, realized_pnl=0,
                          unrealized_pnl=0, fills=0, ts=0, resolved=resolved, winner=winner)


def command(min_size: int = 5 * M, *, yes: str = YES, holder: str = "btc") -> MergePairs:
    return MergePairs(cmd_id="c1", holder=holder, market=CID, yes_asset=yes, no_asset=NO, min_size=min_size,
                      ts=0)


def settled(key: str = "merge:0x1", n: int = 6 * M) -> Settlement:
    return Settlement(key=key, kind="merge", market=CID, yes_asset=YES, no_asset=NO, yes=n, no=n, usdc=n,
                      tx="0x1", source="executor")


@pytest.mark.parametrize(("name", "seen", "at", "cmd", "kw", "amount"), [
    ("pairs held: merge min(yes, no)", state(6 * M, 9 * M), 0, command(), {}, 6 * M),
    ("exactly min_size", state(5 * M, 5 * M), 0, command(), {}, 5 * M),
    ("below min_size", state(4 * M, 9 * M), 0, command(), {}, None),
    ("one leg empty", state(0, 9 * M), 0, command(min_size=0), {}, None),
    ("no state from inventory", None, 0, command(), {}, None),
    ("a stale state", state(6 * M, 6 * M), STALE_NS + 1, command(), {}, None),
    ("a resolved market (redeemed instead)", state(6 * M, 6 * M, resolved=True, winner=YES), 0, command(), {},
     None),
    ("tokens other than inventory's", state(6 * M, 6 * M), 0, command(yes="999"), {}, None),
    ("merging turned off", state(6 * M, 6 * M), 0, command(), {"merge": False}, None),
])
def test_a_merge_command_becomes_a_job_only_when_inventory_holds_the_pairs(
        name: str, seen: InventoryState | None, at: int, cmd: MergePairs, kw: dict[str, Any],
        amount: int | None) -> None:
    r, fx = rules(**kw), Effects()
    if seen is not None:
        r.on_state(seen, 0, Effects())
    job = r.on_merge(cmd, at, fx)
    assert (job.amount if job else None) == amount, name
    if job is not None:
        assert job == Job("merge", CID, YES, NO, amount=amount, min_size=cmd.min_size)
    assert fx.publishes == [(topics.exec_cmd("btc"), cmd)]  # every command is echoed


def test_one_job_per_market_and_none_while_inventory_has_not_acknowledged() -> None:
    r, fx = rules(), Effects()
    r.on_state(state(6 * M, 6 * M), 0, fx)
    job = r.on_merge(command(), 1, fx)
    assert job is not None and r.on_merge(command(), 2, fx) is None  # in flight
    result = settled()
    assert r.on_done(job, result, None, 3, fx) == result
    assert fx.pushes == [(INV_PIPE, topics.inv_settle(CID), result)]
    assert r.on_merge(command(), 4, fx) is None  # inventory's view is stale until it acknowledges
    assert r.on_ack(SettlementApplied(settlement=result, action="applied", ts=5), fx)
    assert r.on_merge(command(), 6, fx) is not None


def test_a_failed_or_skipped_job_waits_retry_ns_before_the_next() -> None:
    r, fx = rules(retry_ns=10 * S), Effects()
    r.on_state(state(6 * M, 6 * M), 0, fx)
    job = r.on_merge(command(), 0, fx)
    assert job is not None and r.on_done(job, None, RuntimeError("venue down"), S, fx) is None
    assert fx.notes[-1][:2] == ("warning", "merge_failed") and "venue down" in fx.notes[-1][2]["error"]
    r.on_state(state(6 * M, 6 * M), 10 * S, fx)  # inventory's keep-alive
    assert r.on_merge(command(), 10 * S, fx) is None
    job = r.on_merge(command(), 11 * S, fx)
    assert job is not None and r.on_done(job, Skipped("venue holds none"), None, 12 * S, fx) is None
    assert fx.notes[-1][1] == "merge_skipped" and not fx.pushes
    r.on_state(state(6 * M, 6 * M), 21 * S, fx)
    assert r.on_merge(command(), 21 * S, fx) is None and r.on_merge(command(), 22 * S, fx) is not None
    assert r.done == {"merge": 0, "redeem": 0, "skipped": 1, "failed": 1}


@pytest.mark.parametrize(("name", "seen", "kw", "wanted"), [
    ("resolved, the winner held", state(3 * M, 0, resolved=True, winner=YES), {}, True),
    ("resolved, only the loser held (burned for nothing)", state(0, 2 * M, resolved=True, winner=YES), {},
     True),
    ("resolved, nothing held", state(0, 0, resolved=True, winner=YES), {}, False),
    ("not resolved", state(3 * M, 0), {}, False),
    ("resolved without a winner", state(3 * M, 0, resolved=True), {}, False),
    ("redeeming turned off", state(3 * M, 0, resolved=True, winner=YES), {"redeem": False}, False),
])
def test_a_resolved_market_still_held_is_redeemed(name: str, seen: InventoryState, kw: dict[str, Any],
                                                  wanted: bool) -> None:
    job = rules(**kw).on_state(seen, 0, Effects())
    assert (job == Job("redeem", CID, YES, NO, winner=YES)) if wanted else job is None, name


def test_unacknowledged_settlements_are_pushed_again_every_resend_ns_and_restored_at_start() -> None:
    r, fx = rules(resend_ns=5 * S), Effects()
    r.restore([settled()], 0, fx)
    assert fx.pushes == [(INV_PIPE, topics.inv_settle(CID), settled())]
    fx = Effects()
    r.resend(4 * S, fx)
    assert fx.pushes == []
    r.resend(5 * S, fx)
    assert len(fx.pushes) == 1
    r.on_ack(SettlementApplied(settlement=settled(), action="duplicate", ts=0), fx)
    fx = Effects()
    r.resend(20 * S, fx)
    assert fx.pushes == []
    assert not r.on_ack(SettlementApplied(settlement=settled(), action="applied", ts=0), fx)  # not ours now


def test_a_dry_run_notes_each_job_once_and_runs_none() -> None:
    r, fx = rules(dry_run=True), Effects()
    r.on_state(state(6 * M, 6 * M), 0, fx)
    assert r.on_merge(command(), 0, fx) is None and r.on_merge(command(), 1, fx) is None
    assert r.on_state(state(6 * M, 0, resolved=True, winner=YES), 2, fx) is None
    assert [n[1] for n in fx.notes] == ["dry_run_merge", "dry_run_redeem"]
    assert not fx.pushes and not r.busy


def test_a_command_whose_holder_names_no_topic_is_dropped_with_a_warning() -> None:
    r, fx = rules(), Effects()
    r.on_state(state(6 * M, 6 * M), 0, fx)
    assert r.on_merge(command(holder="a.b"), 0, fx) is None
    assert fx.publishes == [] and fx.notes[0][1] == "bad_command"


def test_joined_handler_tables_call_every_part_in_order() -> None:
    calls: list[str] = []
    table = joined({int: lambda t, h, m: calls.append("a"), str: lambda t, h, m: calls.append("s")},
                   {int: lambda t, h, m: calls.append("b")}, {})
    table[int](b"", None, 1)
    table[str](b"", None, "x")
    assert calls == ["a", "b", "s"]


def test_markets_inventory_no_longer_reports_are_forgotten() -> None:
    r, fx = rules(retry_ns=10 * S), Effects()
    r.on_state(state(6 * M, 6 * M), 0, fx)
    job = r.on_merge(command(), 0, fx)
    assert job is not None
    r.on_done(job, None, RuntimeError("x"), 0, fx)
    r.resend(60 * S, fx)
    assert CID in r.states
    r.resend(61 * S, fx)
    assert r.states == {} and r.retry_at == {}
