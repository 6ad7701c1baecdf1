"""The coordinator core: readiness gate, withdrawal, slot lifecycle, rotation."""

from __future__ import annotations

import pytest

from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import MarketSpec
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.strategies.pair_ofi import PairParams
from schemas import (
    Book,
    CancelMarket,
    CancelOrders,
    FeedStatus,
    InventoryState,
    OfiSide,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    PlaceOrder,
    RiskEvent,
    UserFeedStatus,
)

S = 1_000_000_000
M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)
SIDE = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=50_000_000, toxic=False)


def inv(net: int = 0, can_open: bool = True) -> InventoryState:
    return InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=max(net, 0), no_qty=max(-net, 0),
                          yes_avg_cost=420_000 if net > 0 else 0, no_avg_cost=500_000 if net < 0 else 0,
                          net_diff=net, portfolio_cost=0, can_open=can_open, realized_pnl=0, unrealized_pnl=0,
                          fills=0, ts=0)


def book(asset: str, bid: int, ask: int) -> Book:
    return Book(asset=asset, market="0xm", bids=[(bid, 10_000_000)], asks=[(ask, 10_000_000)], tick=10_000,
                epoch=1, ts_event=0, ts_recv=0)


def ofi(toxic: bool) -> OfiState:
    return OfiState(market="0xm", yes=SIDE, no=SIDE, toxic=toxic, window_ms=3000, ts=0)


def ready(now: int = 10 * S) -> Coordinator:
    c = Coordinator(holder="h", params=PairParams(), rules=RequoteRules(), run=1)
    c.set_market(M)
    for p in DEPENDENCIES:
        c.on_heartbeat(p, now)
    c.on_book(book("Y", 400_000, 440_000))
    c.on_book(book("N", 520_000, 560_000))
    c.on_inventory(inv(), now)
    c.on_ofi(ofi(False), now)
    return c


def test_ready_coordinator_quotes_both_legs_post_only() -> None:
    cmds = ready().evaluate(10 * S)
    assert [type(c) for c in cmds] == [PlaceOrder, PlaceOrder]
    assert all(isinstance(c, PlaceOrder) and c.post_only and c.order_type == "GTC" and c.side == "BUY"
               for c in cmds)
    assert {c.slot: c.asset for c in cmds if isinstance(c, PlaceOrder)} == {"yes_bid": "Y", "no_bid": "N"}


@pytest.mark.parametrize(
    ("breakage", "missing"),
    [
        ("executor heartbeat missing", "executor"),
        ("inventory heartbeat missing", "inventory"),
        ("ofi heartbeat missing", "ofi"),
        ("feed stale", "book:Y"),
        ("inventory state old", "inventory_state"),
        ("ofi state old", "ofi_state"),
    ],
)
def test_readiness_gate_withdraws_quotes(breakage: str, missing: str) -> None:
    c = ready()
    assert len(c.evaluate(10 * S)) == 2
    later = 12 * S
    for p in DEPENDENCIES:
        c.on_heartbeat(p, later)
    c.on_inventory(inv(), later)
    c.on_ofi(ofi(False), later)
    if breakage == "feed stale":
        c.on_feed_status(FeedStatus(asset="Y", live=False, reason="stale", ts=later))
    elif breakage == "inventory state old":
        c.position_ts = 0
    elif breakage == "ofi state old":
        c.ofi_ts = 0
    else:
        c.heartbeats[missing] = 0
    cmds = c.evaluate(later)
    assert cmds == [CancelMarket(cmd_id="h-1-3", holder="h", market="0xm", reason=c.reason, ts=later)]
    assert missing in c.reason and c.mode == "withdrawn"
    assert c.evaluate(later) == []  # withdraw once
    assert not c.slots


def test_not_ready_before_any_state() -> None:
    c = Coordinator(holder="h", params=PairParams(), rules=RequoteRules())
    c.set_market(M)
    assert c.evaluate(S) == []
    assert c.mode == "withdrawn"


def test_toxic_flow_cancels_both_and_places_nothing() -> None:
    c = ready()
    c.evaluate(10 * S)
    c.on_ofi(ofi(True), 10 * S)
    cmds = c.evaluate(10 * S)
    assert [type(x) for x in cmds] == [CancelOrders, CancelOrders]
    assert c.mode == "kill"
    assert c.evaluate(11 * S) == []


def test_order_failed_resets_slot_at_once_and_respects_retry_after() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    c.on_failed(OrderFailed(cmd_id=place.cmd_id, holder="h", market="0xm", asset="Y", side="BUY",
                            price=place.price, size=place.size, slot=place.slot, reason="crosses_book",
                            message="", retry_after_ms=1000, ts=0), 10 * S)
    assert place.slot not in c.slots
    assert c.evaluate(10 * S + S // 2) == []  # back-off and debounce in force
    again = c.evaluate(11 * S + 1)
    assert [x.slot for x in again if isinstance(x, PlaceOrder)] == [place.slot]


def test_slot_lifecycle_placed_then_filled() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    c.on_placed(OrderPlaced(cmd_id=place.cmd_id, holder="h", order_id="0xo", market="0xm", asset="Y",
                            side="BUY", price=place.price, size=place.size, slot=place.slot, status="live",
                            ts=0))
    assert c.slots[place.slot].order_id == "0xo"
    c.on_order_update(OrderUpdate(order_id="0xo", market="0xm", asset="Y", side="BUY", price=place.price,
                                  original_size=place.size, size_matched=place.size, status="MATCHED",
                                  reason="", kind="UPDATE", ts_event=0, ts_recv=0))
    assert place.slot not in c.slots


def test_cancelled_order_frees_its_slot() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    c.on_placed(OrderPlaced(cmd_id=place.cmd_id, holder="h", order_id="0xo", market="0xm", asset="Y",
                            side="BUY", price=1, size=1, slot=place.slot, status="live", ts=0))
    c.on_cancelled(OrderCancelled(cmd_id="x", holder="h", order_id="0xo", market="0xm", asset="Y",
                                  slot=place.slot, reason="venue", ts=0))
    assert place.slot not in c.slots


def test_hedge_after_a_yes_fill() -> None:
    c = ready()
    c.evaluate(10 * S)
    c.on_inventory(inv(net=5_000_000), 10 * S)
    cmds = c.evaluate(11 * S)
    cancels = [x for x in cmds if isinstance(x, CancelOrders)]
    places = [x for x in cmds if isinstance(x, PlaceOrder)]
    assert c.mode == "hedge"
    assert [x.slots or x.order_ids for x in cancels] == [["yes_bid"], ["no_bid"]]
    assert [(p.slot, p.size) for p in places] == [("no_bid", 5_000_000)]


def test_rotation_forgets_the_old_market() -> None:
    c = ready()
    c.evaluate(10 * S)
    c.set_market(MarketSpec(market="0xn", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=5_000_000))
    assert not c.slots and c.position is None and not c.tops
    assert c.evaluate(10 * S) == []


def user_status(connected: bool) -> UserFeedStatus:
    return UserFeedStatus(connected=connected, markets=[], last_trade_ts=0, backfilled=0, ts=0)


def test_user_feed_blind_longer_than_the_limit_withdraws() -> None:
    c = ready()
    assert len(c.evaluate(10 * S)) == 2
    c.on_user_status(user_status(False), 10 * S)
    assert not any(isinstance(x, CancelMarket) for x in c.evaluate(10 * S + S))  # blind, but briefly
    for p in DEPENDENCIES:
        c.on_heartbeat(p, 15 * S)
    c.on_inventory(inv(), 15 * S)
    c.on_ofi(ofi(False), 15 * S)
    cmds = c.evaluate(15 * S)
    assert [type(x) for x in cmds] == [CancelMarket] and "user_feed_blind" in c.reason
    c.on_user_status(user_status(True), 15 * S)
    assert [type(x) for x in c.evaluate(15 * S)] == [PlaceOrder, PlaceOrder]


def risk(kind: str, severity: str, market: str) -> RiskEvent:
    return RiskEvent(program="executor", market=market, kind=kind, severity=severity,  # type: ignore[arg-type]
                     message="yes 5 vs venue 0", ts=0)


@pytest.mark.parametrize(
    ("event", "halts"),
    [
        (risk("inventory_mismatch", "halt", "0xm"), True),
        (risk("inventory_mismatch", "halt", "0xother"), False),
        (risk("account", "halt", ""), True),
        (risk("balance", "halt", "0xm"), False),  # the executor blocks that side itself
        (risk("inventory_mismatch", "warn", "0xm"), False),
    ],
)
def test_risk_halts_stop_quoting_until_cleared(event: RiskEvent, halts: bool) -> None:
    c = ready()
    c.evaluate(10 * S)
    c.on_risk(event)
    cmds = c.evaluate(10 * S)
    withdrawn = [CancelMarket(cmd_id="h-1-3", holder="h", market="0xm", reason=c.reason, ts=10 * S)]
    assert (cmds == withdrawn) == halts
    if halts:
        c.on_risk(risk(event.kind, "info", event.market))
        assert [type(x) for x in c.evaluate(11 * S)] == [PlaceOrder, PlaceOrder]


def test_market_halt_is_forgotten_on_rotation_but_account_halt_is_not() -> None:
    c = ready()
    c.on_risk(risk("inventory_mismatch", "halt", "0xm"))
    c.on_risk(risk("account", "halt", ""))
    c.set_market(MarketSpec(market="0xn", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=5_000_000))
    assert list(c.halts) == [("account", "")]
