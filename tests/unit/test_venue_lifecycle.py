"""Trade lifecycle on the user channel, FAILED rollback, and the heartbeat dead-man switch."""

from __future__ import annotations

import pytest

from tests.support.venue_harness import ADDRESSES, Harness
from venue.config import VenueConfig
from venue.faults import FaultPlan
from venue.lifecycle import Timeline

MS = 1_000_000


def _trade(h: Harness, *, grant: bool = True) -> str:
    if grant:
        h.grant("bob", h.yes, "10")
    h.place("bob", h.yes, "SELL", "0.55", "10", post_only=True)
    reply = h.place("alice", h.yes, "BUY", "0.55", "10")
    [trade_id] = reply.body["tradeIDs"]  # type: ignore[index]
    return trade_id


def test_trades_go_matched_mined_confirmed_to_both_parties_with_the_same_id() -> None:
    h = Harness(VenueConfig(flow=False, mined_delay_ms=1_000, confirmed_delay_ms=3_000))
    trade_id = _trade(h)
    h.advance(5)
    for who, role in (("alice", "TAKER"), ("bob", "MAKER")):
        trades = h.user(who, "trade")
        assert [t["status"] for t in trades] == ["MATCHED", "MINED", "CONFIRMED"]
        assert {t["id"] for t in trades} == {trade_id}
        assert {t["trader_side"] for t in trades} == {role}
        assert trades[0]["transaction_hash"] == ""
        assert trades[1]["transaction_hash"].startswith("0x") and len(trades[1]["transaction_hash"]) == 66
        assert int(trades[2]["last_update"]) - int(trades[0]["match_time"]) in (4, 5)
    rest = h.ex.trades(api_key="key-alice", market=None, asset_id=None, before=None, after=None)
    assert [(t["id"], t["status"], t["trader_side"]) for t in rest] == [(trade_id, "CONFIRMED", "TAKER")]


def test_a_failed_trade_retries_then_fails_and_restores_every_balance() -> None:
    h = Harness(VenueConfig(flow=False, faults=FaultPlan(failed_trade_rate=1.0)))
    h.grant("bob", h.yes, "10")
    before = {who: (h.cash(who), h.shares(who, h.yes)) for who in ("alice", "bob")}
    _trade(h, grant=False)
    assert h.cash("alice") < before["alice"][0]  # balances move at MATCHED
    h.advance(10)
    assert [t["status"] for t in h.user("alice", "trade")] == ["MATCHED", "RETRYING", "FAILED"]
    assert [t["status"] for t in h.user("bob", "trade")] == ["MATCHED", "RETRYING", "FAILED"]
    after = {who: (h.cash(who), h.shares(who, h.yes)) for who in ("alice", "bob")}
    assert after == before  # the fee is refunded too


def test_the_failed_rate_can_change_at_runtime() -> None:
    h = Harness()
    h.ex.set_faults(FaultPlan(failed_trade_rate=1.0))
    _trade(h)
    h.advance(10)
    assert h.user("alice", "trade")[-1]["status"] == "FAILED"


@pytest.mark.parametrize("fails", [False, True])
def test_timeline_schedules_each_status_after_its_delay(fails: bool) -> None:
    timeline = Timeline(mined_delay_ms=100, confirmed_delay_ms=200)
    timeline.start("t", now_ns=0, fails=fails)
    assert timeline.due(99 * MS) == []
    first, second = ("RETRYING", "FAILED") if fails else ("MINED", "CONFIRMED")
    assert timeline.due(100 * MS) == [("t", first)]
    assert timeline.due(299 * MS) == []
    assert timeline.due(300 * MS) == [("t", second)]
    assert len(timeline) == 0


def _rest_two_orders(h: Harness) -> None:
    h.place("alice", h.yes, "BUY", "0.4", "10")
    h.place("alice", h.no, "BUY", "0.4", "10")


def test_heartbeats_arm_on_first_send_and_cancel_everything_after_ten_silent_seconds() -> None:
    h = Harness()
    _rest_two_orders(h)
    first = h.ex.heartbeat(api_key="key-alice", heartbeat_id="", now_ns=h.now)
    assert first.status == 200
    expected = first.body["heartbeat_id"]  # type: ignore[index]
    h.advance(6)
    second = h.ex.heartbeat(api_key="key-alice", heartbeat_id=expected, now_ns=h.now)
    assert second.status == 200 and second.body["heartbeat_id"] != expected  # type: ignore[index]
    h.advance(9)
    assert len(h.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None)) == 2
    h.advance(1.5)
    assert h.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None) == []
    assert [e["status"] for e in h.user("alice", "order") if e["type"] == "CANCELLATION"] == ["CANCELED"] * 2
    assert h.ex.ledger.reserved(ADDRESSES["alice"]) == 0


def test_a_stale_heartbeat_id_is_refused_with_the_expected_one() -> None:
    h = Harness()
    expected = h.ex.heartbeat(api_key="key-alice", heartbeat_id="", now_ns=h.now).body["heartbeat_id"]  # type: ignore[index]
    stale = h.ex.heartbeat(api_key="key-alice", heartbeat_id="not-the-id", now_ns=h.now)
    assert stale.status == 400
    assert stale.body == {"error_msg": "Invalid Heartbeat ID", "heartbeat_id": expected}


def test_unarmed_keys_and_other_keys_are_left_alone_and_a_fired_switch_rearms() -> None:
    h = Harness()
    _rest_two_orders(h)
    h.place("bob", h.yes, "BUY", "0.3", "10")
    h.advance(30)  # nobody armed: nothing is cancelled
    assert len(h.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None)) == 2
    h.ex.heartbeat(api_key="key-alice", heartbeat_id="", now_ns=h.now)
    h.advance(11)
    assert h.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None) == []
    assert len(h.ex.open_orders(api_key="key-bob", order_id=None, market=None, asset_id=None)) == 1
    again = h.ex.heartbeat(api_key="key-alice", heartbeat_id="anything", now_ns=h.now)
    assert again.status == 200  # the registration expired; a new send arms again
