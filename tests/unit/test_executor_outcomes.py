"""Venue answers through the core: rejection classes and their back-offs, unknown outcomes, cancels,
coordinator silence, user-feed updates, periodic sync and dry run."""

from __future__ import annotations

from typing import Any

import pytest

from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    HttpResult,
    ListOrders,
    ListTrades,
    LookupOrder,
    PostOrders,
)
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    RiskEvent,
)
from schemas.user import OrderEventType
from tests.support.executor_core_harness import (
    CID,
    CID2,
    MS,
    NO,
    T0,
    YES,
    Core,
    Venue,
    flush,
    leg,
    listed,
    place,
    sent_events,
    started,
)

CROSS = "invalid post-only order: order crosses book"
POST_ONLY = "post-only mode: only post-only orders and cancels are allowed"
NO_BALANCE = "not enough balance / allowance"


def refuse(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    return lambda req: HttpResult(status=status, body=body, headers=headers or {})


def failures(core: Any) -> list[OrderFailed]:
    return [m for m in sent_events(core) if isinstance(m, OrderFailed)]


# -- rejection classes and their windows --------------------------------------------------------


def test_crossing_backs_off_that_side_for_a_second() -> None:
    core, venue = started(cross_ms=1000), Venue()
    venue.on[PostOrders] = refuse(400, {"error": CROSS})
    core.on_command(place("c1"), T0)
    flush(core, venue)
    [crossed] = failures(core)
    assert (crossed.reason, crossed.retry_after_ms, crossed.message) == ("crosses_book", 1000, CROSS)
    del venue.on[PostOrders]
    core.on_command(place("c2"), T0 + 500 * MS)  # same holder, asset, side: refused locally
    core.on_command(place("c3", slot="ask", side="SELL"), T0 + 500 * MS)  # the other side is free
    core.on_command(place("c4", slot="b", holder="beta"), T0 + 500 * MS)  # so is another holder
    sent = flush(core, venue, T0 + 500 * MS)
    assert [c.cmd_id for r in sent for c in r.cmds] == ["c3", "c4"]  # type: ignore[union-attr]
    [backoff] = failures(core)
    assert backoff.cmd_id == "c2" and backoff.reason == "backoff" and backoff.retry_after_ms == 500
    core.on_command(place("c5"), T0 + 1001 * MS)
    assert len(flush(core, venue, T0 + 1001 * MS)) == 1


def test_balance_blocks_the_side_and_raises_a_risk_event() -> None:
    core, venue = started(balance_ms=30_000), Venue()
    venue.on[PostOrders] = refuse(400, {"error": "not enough balance / allowance"})
    core.on_command(place("c1", side="SELL", slot="ask"), T0)
    flush(core, venue)
    risk, failed = sent_events(core)
    assert isinstance(risk, RiskEvent) and (risk.kind, risk.severity, risk.program) == ("balance", "halt",
                                                                                         "executor")
    assert isinstance(failed, OrderFailed) and failed.reason == "balance" and failed.retry_after_ms == 30_000
    core.on_command(place("c2", side="SELL", slot="ask", holder="beta"), T0 + MS)  # account-wide block
    [blocked] = failures(core)
    assert blocked.reason == "backoff" and "balance" in blocked.message


@pytest.mark.parametrize(("headers", "retry_ms"), [({"retry-after": "3"}, 3000), ({}, 10_000)])
def test_429_honours_retry_after_else_ten_seconds(headers: dict[str, str], retry_ms: int) -> None:
    core, venue = started(rate_ms=10_000), Venue()
    venue.on[PostOrders] = refuse(429, {"error": "Too Many Requests"}, headers)
    core.on_command(place("c1"), T0)
    core.on_command(place("c2", slot="no_bid", asset=NO), T0)
    flush(core, venue)
    assert [(f.reason, f.retry_after_ms) for f in failures(core)] == [("rate_limited", retry_ms)] * 2
    assert core.state.budget.orders.tokens(T0) == 0
    core.on_command(place("c3", slot="x"), T0 + (retry_ms - 1) * MS)
    [wait] = failures(core)
    assert wait.reason == "backoff" and wait.retry_after_ms == 1
    assert core.executor_state(T0, False).mode == "backoff"


def test_425_backs_off_exponentially_then_post_only_mode() -> None:
    core, venue = started(post_only_ms=120_000, allow_taker_exit=True), Venue()
    venue.on[PostOrders] = refuse(425, {"error": "the matching engine is restarting, please retry later"},
                                  {"retry-after": "1"})
    now = T0
    waits = []
    for i in range(4):
        core.on_command(place(f"c{i}"), now)
        flush(core, venue, now)
        [failed] = failures(core)
        assert failed.reason == "engine_restart"
        waits.append(failed.retry_after_ms)
        assert core.executor_state(now, False).mode == "backoff"
        now += failed.retry_after_ms * MS
    assert waits == [1000, 2000, 4000, 8000]
    del venue.on[PostOrders]
    core.on_command(place("ok"), now)
    flush(core, venue, now)
    assert isinstance(sent_events(core)[0], OrderPlaced)
    assert core.executor_state(now, False).mode == "post_only"  # the engine is back: 2 minutes of post-only
    core.on_command(place("exit", order_type="FAK", post_only=False, taker_exit=True, slot="z"), now)
    refused = [m for m in sent_events(core) if isinstance(m, OrderFailed)]
    assert refused[0].reason == "post_only_mode"
    assert core.executor_state(now + 120_001 * MS, False).mode == "normal"


def test_venue_post_only_mode_refusal_opens_the_window() -> None:
    core, venue = started(allow_taker_exit=True, post_only_ms=120_000), Venue()
    venue.on[PostOrders] = refuse(400, {"error": POST_ONLY})
    core.on_command(place("x", order_type="FAK", post_only=False, taker_exit=True), T0)
    flush(core, venue)
    failed = failures(core)
    assert [f.reason for f in failed] == ["post_only_mode"] and failed[0].retry_after_ms == 120_000
    assert core.executor_state(T0, False).mode == "post_only"
    core.on_command(place("y"), T0)  # post-only orders still go
    del venue.on[PostOrders]
    assert len(flush(core, venue)) == 1


def test_batch_legs_are_answered_one_by_one() -> None:
    core, venue = started(), Venue()
    venue.on[PostOrders] = refuse(200, [leg("0xa"), leg(error=CROSS), leg(error=NO_BALANCE)])
    for i, slot in enumerate(("a", "b", "c")):
        core.on_command(place(f"c{i}", slot=slot, asset=YES if i < 2 else NO), T0)
    flush(core, venue)
    out = sent_events(core)
    assert [type(m).__name__ for m in out] == ["OrderPlaced", "OrderFailed", "RiskEvent", "OrderFailed"]
    assert [m.reason for m in out if isinstance(m, OrderFailed)] == ["crosses_book", "balance"]


# -- unknown outcomes ---------------------------------------------------------------------------


@pytest.mark.parametrize("answer", [HttpResult(status=0, error="ReadTimeout"),
                                    HttpResult(status=500, body={"error": "Internal server error"}),
                                    HttpResult(status=502, body="Bad Gateway")])
def test_unknown_outcome_is_reconciled_by_the_local_id_before_the_slot_is_reused(answer: HttpResult) -> None:
    core, venue = started(reconcile_ms=1000), Venue()
    venue.on[PostOrders] = lambda req: answer
    core.on_command(place("c1"), T0)
    flush(core, venue)
    [unknown] = failures(core)
    assert (unknown.reason, unknown.retry_after_ms) == ("unknown_outcome", 1000) and "0xc1" in unknown.message
    assert core.heartbeat_wanted  # it may be live: protect it with the dead-man switch
    core.on_command(place("c2"), T0 + 10 * MS)  # same slot: refused until reconciled
    [locked] = failures(core)
    assert locked.reason == "unknown_outcome" and locked.retry_after_ms == 990
    assert flush(core, venue, T0 + 999 * MS) == []
    venue.on[LookupOrder] = refuse(200, listed("0xc1"))
    assert flush(core, venue, T0 + 1000 * MS) == [LookupOrder("0xc1")]
    [found] = sent_events(core)
    assert isinstance(found, OrderPlaced) and (found.cmd_id, found.order_id) == ("c1", "0xc1")
    assert core.registry.in_slot("alpha", "yes_bid").order_id == "0xc1"  # type: ignore[union-attr]


def test_an_order_not_found_by_id_nor_in_the_list_was_never_placed() -> None:
    core, venue = started(reconcile_ms=1000), Venue()
    venue.on[PostOrders] = refuse(0, None)
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    sent = flush(core, venue, T0 + 1000 * MS)
    assert sent == [LookupOrder("0xc1"), ListOrders(), ListTrades()]  # by id, among open, among fills
    assert core.state.limbo == {} and len(core.registry) == 0
    assert sent_events(core) == []  # the coordinator already has its OrderFailed
    del venue.on[PostOrders]
    core.on_command(place("c2"), T0 + 1000 * MS)
    assert len(flush(core, venue, T0 + 1000 * MS)) == 1


def test_an_order_that_filled_at_once_is_found_among_the_trades() -> None:
    # gotcha 16: /data/order/{id} forgets finished orders; a trade names it as a maker order
    core, venue = started(reconcile_ms=1000), Venue()
    venue.on[PostOrders] = refuse(0, None)
    venue.on[ListTrades] = refuse(200, {"data": [{"id": "t1", "taker_order_id": "0xother",
                                                  "maker_orders": [{"order_id": "0xc1"}]}]})
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    flush(core, venue, T0 + 1000 * MS)
    [filled] = sent_events(core)
    assert isinstance(filled, OrderPlaced) and (filled.cmd_id, filled.status) == ("c1", "matched")
    assert core.state.limbo == {} and len(core.registry) == 0  # it does not rest


def test_a_failed_lookup_is_retried_with_back_off() -> None:
    core, venue = started(reconcile_ms=1000), Venue()
    venue.on[PostOrders] = refuse(0, None)
    venue.on[LookupOrder] = refuse(0, None)
    core.on_command(place("c1"), T0)
    flush(core, venue)
    assert flush(core, venue, T0 + 1000 * MS) == [LookupOrder("0xc1")]
    assert flush(core, venue, T0 + 2500 * MS) == []
    assert flush(core, venue, T0 + 3000 * MS) == [LookupOrder("0xc1")]


def test_a_batch_reply_missing_legs_puts_those_in_limbo() -> None:
    core, venue = started(), Venue()
    venue.on[PostOrders] = refuse(200, [leg("0xc0")])
    core.on_command(place("c0", slot="a"), T0)
    core.on_command(place("c1", slot="b"), T0)
    flush(core, venue)
    assert [type(m).__name__ for m in sent_events(core)] == ["OrderPlaced", "OrderFailed"]
    assert list(core.state.limbo) == ["0xc1"]


def test_cancelling_an_order_of_unknown_outcome_cancels_it_once_found() -> None:
    core, venue = started(reconcile_ms=1000), Venue()
    venue.on[PostOrders] = refuse(0, None)
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.on_command(CancelMarket(cmd_id="m1", holder="alpha", market=CID, reason="kill", ts=T0), T0)
    venue.on[LookupOrder] = refuse(200, listed("0xc1"))
    sent = flush(core, venue, T0 + 1000 * MS)
    assert sent == [LookupOrder("0xc1"), CancelIds(("0xc1",))]


# -- cancels ------------------------------------------------------------------------------------


def two_markets(**params: Any) -> tuple[Any, Venue]:
    core, venue = started(**params), Venue()
    for cmd in (place("a1", slot="a"), place("a2", slot="b", market=CID2),
                place("b1", holder="beta", slot="a")):
        core.on_command(cmd, T0)
    flush(core, venue)
    core.drain()
    return core, venue


def test_cancel_by_id_by_slot_and_by_market() -> None:
    core, venue = two_markets()
    core.on_command(CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=["0xa2"], slots=["a"],
                                 reason="reprice", ts=T0), T0)
    assert flush(core, venue) == [CancelIds(("0xa2", "0xa1"))]
    assert {(m.order_id, m.cmd_id, m.reason) for m in sent_events(core)} == {("0xa2", "x", "reprice"),
                                                                             ("0xa1", "x", "reprice")}
    core.on_command(CancelMarket(cmd_id="m", holder="beta", market=CID2, reason="rotate", ts=T0), T0)
    assert flush(core, venue) == []  # beta has nothing there
    core.on_command(CancelMarket(cmd_id="m", holder="beta", market=CID, reason="rotate", ts=T0), T0)
    assert flush(core, venue) == [CancelIds(("0xb1",))]


def test_cancel_all_uses_the_cancel_all_endpoint_when_it_fits_and_foreign_orders_may_go_too() -> None:
    core, venue = two_markets(foreign_orders="cancel_all")
    core.on_command(CancelAll(cmd_id="all", holder="operator", reason="down", ts=T0), T0)
    assert flush(core, venue) == [CancelEverything(("0xa1", "0xa2", "0xb1"))]
    out = [m for m in sent_events(core) if isinstance(m, OrderCancelled)]
    assert {m.holder for m in out} == {"alpha", "beta"}  # each on its own holder's topic
    assert core.state.budget.cancels.tokens(T0) == 120 - 4
    assert len(core.registry) == 0


@pytest.mark.parametrize("policy", ["cancel_traded", "keep"])
def test_cancel_all_cancels_what_the_engine_holds_by_id_unless_foreign_orders_may_go(policy: str) -> None:
    core, venue = two_markets(foreign_orders=policy)
    core.on_command(CancelAll(cmd_id="all", holder="operator", reason="down", ts=T0), T0)
    assert flush(core, venue) == [CancelIds(("0xa1", "0xa2", "0xb1"))]  # never DELETE /cancel-all
    out = [m for m in sent_events(core) if isinstance(m, OrderCancelled)]
    assert {(m.order_id, m.holder, m.cmd_id) for m in out} == {
        ("0xa1", "alpha", "all"), ("0xa2", "alpha", "all"), ("0xb1", "beta", "all")}
    assert len(core.registry) == 0


def test_not_canceled_means_gone_with_the_venue_reason() -> None:
    core, venue = two_markets()
    body = {"canceled": [], "not_canceled": {"0xa1": "already canceled or matched"}}
    venue.on[CancelIds] = refuse(200, body)
    core.on_command(CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=["0xa1"], slots=[],
                                 reason="r", ts=T0), T0)
    flush(core, venue)
    [gone] = sent_events(core)
    assert isinstance(gone, OrderCancelled) and gone.reason == "already canceled or matched"
    assert "0xa1" not in core.registry and not core.state.to_cancel


@pytest.mark.parametrize(("answer", "retry_ms"), [
    (HttpResult(status=429, body={"error": "Too Many Requests"}, headers={"retry-after": "2"}), 2000),
    (HttpResult(status=425, body={"error": "restarting"}), 1000),
    (HttpResult(status=0, error="ConnectionError"), 1000),
    (HttpResult(status=500, body={"error": "Internal server error"}), 1000),
])
def test_failed_cancels_are_never_dropped(answer: HttpResult, retry_ms: int) -> None:
    core, venue = two_markets()
    venue.on[CancelIds] = lambda req: answer
    core.on_command(CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=["0xa1"], slots=[],
                                 reason="r", ts=T0), T0)
    assert len(flush(core, venue)) == 1
    assert flush(core, venue, T0 + (retry_ms - 1) * MS) == []
    del venue.on[CancelIds]
    assert flush(core, venue, T0 + retry_ms * MS) == [CancelIds(("0xa1",))]


# -- coordinator silence, user-feed updates, sync -----------------------------------------------


def test_a_silent_coordinator_loses_its_orders() -> None:
    core, venue = two_markets()
    step = 500 * MS  # heartbeat 1000 ms, 3 beats, checks every 500 ms
    for i in range(1, 9):
        now = T0 + i * step
        core.on_coordinator_heartbeat("beta", now)  # beta keeps beating, alpha fell silent at T0
        core.check_silence(now)
    assert set(core.state.to_cancel) == {"0xa1", "0xa2"}
    [risk] = [m for m in sent_events(core) if isinstance(m, RiskEvent)]
    assert risk.kind == "coordinator_silent" and risk.market == "alpha" and "2 market(s)" in risk.message
    flush(core, venue, now)
    assert {m.reason for m in sent_events(core)} == {"coordinator_silent"}


def test_nobody_is_silent_right_after_the_loop_itself_was_late() -> None:
    core, _ = two_markets()
    core.check_silence(T0 + 500 * MS)
    core.check_silence(T0 + 5000 * MS)  # 4.5 s late: heartbeats may be waiting unread
    assert not core.state.to_cancel
    for ms in range(5500, 6600, 500):  # half a limit of grace...
        core.check_silence(T0 + ms * MS)
    assert not core.state.to_cancel
    core.check_silence(T0 + 7000 * MS)  # ...then still nothing heard: silent
    assert set(core.state.to_cancel) == {"0xa1", "0xa2", "0xb1"}


def update(order_id: str, status: str, kind: OrderEventType, matched: int) -> OrderUpdate:
    return OrderUpdate(order_id=order_id, market=CID, asset=YES, side="BUY", price=480_000,
                       original_size=10_000_000, size_matched=matched, status=status, reason="", kind=kind,
                       ts_event=T0, ts_recv=T0)


def test_user_feed_updates_keep_the_registry_true() -> None:
    core, _ = two_markets()
    core.on_order_update(update("0xa1", "LIVE", "UPDATE", 4_000_000), T0)
    assert core.registry.get("0xa1").size_matched == 4_000_000
    assert core.registry.dirty
    core.on_order_update(update("0xa1", "MATCHED", "UPDATE", 10_000_000), T0)
    core.on_order_update(update("0xa2", "CANCELED", "CANCELLATION", 0), T0)
    core.on_order_update(update("0xzz", "CANCELED", "CANCELLATION", 0), T0)  # not ours: ignored
    assert [(m.order_id, m.reason) for m in sent_events(core)] == [("0xa1", "filled"), ("0xa2", "canceled")]
    assert set(core.registry.orders) == {"0xb1"}


def test_sync_cancels_strangers_and_forgets_orders_the_venue_no_longer_has() -> None:
    core, venue = two_markets()
    venue.listed = [listed("0xa1"), listed("0xfff")]
    core.request_sync()
    later = T0 + 6000 * MS
    sent = flush(core, venue, later)
    assert sent == [ListOrders(), CancelIds(("0xfff",))]
    out = {m.order_id: m.reason for m in sent_events(core)}
    assert out == {"0xa2": "gone", "0xb1": "gone", "0xfff": "unknown_order"}


# -- dry run ------------------------------------------------------------------------------------


def test_dry_run_needs_no_startup_and_never_arms_the_heartbeat() -> None:
    from actors.executor.core.executor_core import Params
    core, venue = Core(Params(dry_run=True), T0), Venue()
    assert core.ready and core.next_request(T0) is None
    body = {"success": True, "orderID": "0xd", "status": "dry_run", "errorMsg": ""}
    venue.on[PostOrders] = refuse(200, body)
    core.on_command(place("c1"), T0)
    flush(core, venue)
    [ok] = sent_events(core)
    assert isinstance(ok, OrderPlaced) and ok.status == "dry_run" and not core.heartbeat_wanted
    core.on_command(CancelAll(cmd_id="all", holder="op", reason="r", ts=T0), T0)
    assert flush(core, venue) == [CancelIds(("0xd",))]  # never the cancel-all endpoint
    core.request_sync()
    assert core.next_request(T0) is None
    assert core.executor_state(T0, False).mode == "dry_run"


def test_the_servers_remaining_header_resyncs_the_bucket() -> None:
    core, venue = started(), Venue()
    venue.on[PostOrders] = refuse(200, leg("0xc1"), {"poly-ratelimit-remaining": "3"})
    core.on_command(place("c1"), T0)
    flush(core, venue)
    assert core.state.budget.orders.tokens(T0) == 3


def test_a_request_that_never_left_is_refused_without_reconciliation() -> None:
    core, venue = started(), Venue()
    venue.on[PostOrders] = lambda req: HttpResult(status=0, error="ConnectionRefusedError", sent=False)
    core.on_command(place("c1"), T0)
    flush(core, venue)
    [failed] = failures(core)
    assert (failed.reason, failed.retry_after_ms) == ("rejected", 1000) and "not sent" in failed.message
    assert core.state.limbo == {} and not core.heartbeat_wanted
    core.on_command(place("c2", slot="x"), T0 + 500 * MS)  # paused for a second
    assert failures(core)[0].reason == "backoff"


def test_refusals_repeated_while_a_window_lasts_are_all_answered_but_their_log_is_throttled() -> None:
    core, venue = started(rate_ms=10_000), Venue()
    venue.on[PostOrders] = refuse(429, {"error": "Too Many Requests"})
    core.on_command(place("c0"), T0)
    flush(core, venue)
    core.drain()
    for i in range(1, 41):  # a coordinator re-quoting through a ten-second order back-off
        core.on_command(place(f"c{i}"), T0 + i * 100 * MS)

    logged = [fields for _, event, fields in core.fx.notes if event == "order_failed"]
    refused = failures(core)
    assert [f.reason for f in refused] == ["backoff"] * 40  # every command is answered
    assert len(logged) == 10 and logged[-1]["count"] == 10 and logged[0]["cmd_id"] == "c1"
