"""The coordinator core: readiness gate, withdrawal, slot lifecycle (re-quote = one replacing place),
rotation, and which inputs call for a new decision."""

from __future__ import annotations

import msgspec
import pytest

from actors.coordinator.core import DEPENDENCIES, EXEC_PIPE, Coordinator
from actors.coordinator.model import MarketSpec
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.strategies.pair_ofi import PairOfi, PairParams
from bus import topics
from bus.effects import Effects
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


def book(asset: str, bid: int, ask: int, depth: int = 10_000_000) -> Book:
    return Book(asset=asset, market="0xm", bids=[(bid, 10_000_000), (bid - 10_000, depth)],
                asks=[(ask, 10_000_000), (ask + 10_000, depth)], tick=10_000, epoch=1, ts_event=0, ts_recv=0)


def ofi(toxic: bool) -> OfiState:
    return OfiState(market="0xm", yes=SIDE, no=SIDE, toxic=toxic, window_ms=3000, ts=0)


def ready(now: int = 10 * S) -> Coordinator:
    c = Coordinator(holder="h", strategy=PairOfi(PairParams()), rules=RequoteRules(), run=1)
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
    assert not c.orders.slots


def test_not_ready_before_any_state() -> None:
    c = Coordinator(holder="h", strategy=PairOfi(PairParams()), rules=RequoteRules())
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


def failed(place: PlaceOrder, retry_after_ms: int = 1000, reason: str = "crosses_book") -> OrderFailed:
    return OrderFailed(cmd_id=place.cmd_id, holder="h", market="0xm", asset=place.asset, side="BUY",
                       price=place.price, size=place.size, slot=place.slot, reason=reason,  # type: ignore[arg-type]
                       message="", retry_after_ms=retry_after_ms, ts=0)


def placed(place: PlaceOrder, order_id: str) -> OrderPlaced:
    return OrderPlaced(cmd_id=place.cmd_id, holder="h", order_id=order_id, market="0xm", asset=place.asset,
                       side="BUY", price=place.price, size=place.size, slot=place.slot, status="live", ts=0)


def test_order_failed_resets_slot_at_once_and_respects_retry_after() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    c.on_failed(failed(place), 10 * S, Effects())
    assert place.slot not in c.orders.slots
    assert c.evaluate(10 * S + S // 2) == []  # back-off and debounce in force: no cancel (nothing rested)
    again = c.evaluate(11 * S + 1)
    assert [x.slot for x in again if isinstance(x, PlaceOrder)] == [place.slot]


def test_slot_lifecycle_placed_then_filled() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    c.on_placed(OrderPlaced(cmd_id=place.cmd_id, holder="h", order_id="0xo", market="0xm", asset="Y",
                            side="BUY", price=place.price, size=place.size, slot=place.slot, status="live",
                            ts=0))
    assert c.orders.slots[place.slot].order_id == "0xo"
    c.on_order_update(OrderUpdate(order_id="0xo", market="0xm", asset="Y", side="BUY", price=place.price,
                                  original_size=place.size, size_matched=place.size, status="MATCHED",
                                  reason="", kind="UPDATE", ts_event=0, ts_recv=0))
    assert place.slot not in c.orders.slots


def test_cancelled_order_frees_its_slot() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    c.on_placed(OrderPlaced(cmd_id=place.cmd_id, holder="h", order_id="0xo", market="0xm", asset="Y",
                            side="BUY", price=1, size=1, slot=place.slot, status="live", ts=0))
    c.on_cancelled(OrderCancelled(cmd_id="x", holder="h", order_id="0xo", market="0xm", asset="Y",
                                  slot=place.slot, reason="venue", ts=0))
    assert place.slot not in c.orders.slots


def test_hedge_after_a_yes_fill() -> None:
    c = ready()
    c.evaluate(10 * S)
    c.on_inventory(inv(net=5_000_000), 10 * S)
    cmds = c.evaluate(11 * S)
    cancels = [x for x in cmds if isinstance(x, CancelOrders)]
    places = [x for x in cmds if isinstance(x, PlaceOrder)]
    assert c.mode == "hedge"
    assert [x.slots or x.order_ids for x in cancels] == [["yes_bid"]]  # the NO bid is replaced, not cancelled
    assert [(p.slot, p.size) for p in places] == [("no_bid", 5_000_000)]
    assert c.orders.slots["no_bid"].replaces and "yes_bid" not in c.orders.slots


def test_rotation_forgets_the_old_market() -> None:
    c = ready()
    c.evaluate(10 * S)
    c.set_market(MarketSpec(market="0xn", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=5_000_000))
    assert not c.orders.slots and c.position is None and not c.tops
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
    fx = Effects()
    c.on_risk(event, fx)
    cmds = c.evaluate(10 * S)
    withdrawn = [CancelMarket(cmd_id="h-1-3", holder="h", market="0xm", reason=c.reason, ts=10 * S)]
    assert (cmds == withdrawn) == halts
    assert [(level, name) for level, name, _ in fx.notes] == ([("warning", "risk_event")] if halts else [])
    if halts:
        c.on_risk(risk(event.kind, "info", event.market), fx)
        assert [fields["halted"] for _, _, fields in fx.notes] == [[event.kind], []]  # the halt, its end
        assert [type(x) for x in c.evaluate(11 * S)] == [PlaceOrder, PlaceOrder]


def test_market_halt_is_forgotten_on_rotation_but_account_halt_is_not() -> None:
    c = ready()
    c.on_risk(risk("inventory_mismatch", "halt", "0xm"), Effects())
    c.on_risk(risk("account", "halt", ""), Effects())
    c.set_market(MarketSpec(market="0xn", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=5_000_000))
    assert list(c.halts) == [("account", "")]


def moved(c: Coordinator) -> None:
    """Both mids up/down by 0.04: both wanted bids move by 0.04 (far above the 0.005 threshold)."""
    c.on_book(book("Y", 440_000, 480_000))
    c.on_book(book("N", 480_000, 520_000))


def quoting() -> tuple[Coordinator, list[PlaceOrder]]:
    """A coordinator whose two quotes rest (placed as 0xy1 and 0xn1)."""
    c = ready()
    first = [x for x in c.evaluate(10 * S) if isinstance(x, PlaceOrder)]
    for p, order_id in zip(first, ("0xy1", "0xn1"), strict=True):
        c.on_placed(placed(p, order_id))
    return c, first


def test_a_moved_quote_is_replaced_by_one_place_per_slot_and_nothing_else() -> None:
    c, _ = quoting()
    moved(c)
    cmds = c.evaluate(11 * S)
    assert [type(x) for x in cmds] == [PlaceOrder, PlaceOrder]  # no CancelOrders: the executor replaces
    assert [(x.slot, x.price) for x in cmds if isinstance(x, PlaceOrder)] == [("yes_bid", 460_000),
                                                                             ("no_bid", 500_000)]
    slots = c.orders.slots
    assert all(slots[s].replaces and slots[s].status == "pending" for s in ("yes_bid", "no_bid"))
    yes = cmds[0]
    assert isinstance(yes, PlaceOrder)
    # the executor's answer: the old order cancelled ("replaced", under the new command), the new one live
    assert not c.on_cancelled(OrderCancelled(cmd_id=yes.cmd_id, holder="h", order_id="0xy1", market="0xm",
                                             asset="Y", slot="yes_bid", reason="replaced", ts=0))
    assert not c.on_order_update(update("0xy1", "CANCELED", "CANCELLATION"))
    assert c.orders.slots["yes_bid"].cmd_id == yes.cmd_id  # the replacement keeps its slot
    c.on_placed(placed(yes, "0xy2"))
    assert (c.orders.slots["yes_bid"].order_id, c.orders.slots["yes_bid"].status) == ("0xy2", "live")
    assert c.evaluate(12 * S) == []


def limited(max_net_diff: int = 10_000_000, max_position_value: int = 5_000_000) -> InventoryState:
    """Inventory's state with the limits it publishes (PM_MAX_NET_DIFF 10, PM_MAX_POSITION_VALUE 5)."""
    return msgspec.structs.replace(inv(), max_net_diff=max_net_diff, max_position_value=max_position_value)


OVERLAP_CASES = [
    # flat; YES: 5 @ 0.42 + 5 @ 0.46 = 4.40 USDC, net_diff +10; NO: 5 @ 0.54 + 5 @ 0.50 = 5.20 USDC
    ("default limits: YES fits exactly at the net_diff limit, NO's value not", limited(), (True, False)),
    ("a wider value limit lets both overlap", limited(max_position_value=5_200_000), (True, True)),
    ("net_diff limit one micro below both orders", limited(max_net_diff=9_999_999), (False, False)),
    ("limits unknown (an inventory that does not publish them)", inv(), (False, False)),
]


@pytest.mark.parametrize(("name", "state", "named"), OVERLAP_CASES, ids=[c[0] for c in OVERLAP_CASES])
def test_a_replacement_names_the_order_it_replaces_only_when_both_filling_keeps_the_limits(
        name: str, state: InventoryState, named: tuple[bool, bool]) -> None:
    c, first = quoting()
    c.on_inventory(state, 10 * S)
    moved(c)

    yes, no = c.evaluate(11 * S)

    assert isinstance(yes, PlaceOrder) and isinstance(no, PlaceOrder)
    assert (yes.overlap_with, no.overlap_with) == tuple(
        old.cmd_id if ok else "" for old, ok in zip(first, named, strict=True))


def test_a_placement_on_an_empty_or_swept_slot_names_no_order() -> None:
    c = ready()
    c.on_inventory(limited(), 10 * S)
    first = [x for x in c.evaluate(10 * S) if isinstance(x, PlaceOrder)]
    assert [x.overlap_with for x in first] == ["", ""]  # nothing rested
    moved(c)
    yes, _no = c.evaluate(11 * S)  # replaces the still pending first YES bid: named (the executor checks)
    assert isinstance(yes, PlaceOrder) and yes.overlap_with == first[0].cmd_id
    c.on_failed(failed(yes, reason="backoff", retry_after_ms=0), 11 * S, Effects())
    sweep, *rest = c.evaluate(12 * S)
    assert isinstance(sweep, CancelOrders) and sweep.slots == ["yes_bid"]
    [again] = [x for x in rest if isinstance(x, PlaceOrder) and x.slot == "yes_bid"]
    assert again.overlap_with == ""  # the swept order may still rest: the executor cancels it first


def test_a_failed_replacement_sweeps_the_slot_it_was_to_replace() -> None:
    """The executor may refuse a placement before touching the slot (a back-off): the old order may still
    rest, so the slot is cancelled by slot at the next evaluation, before anything else goes to it."""
    c, _ = quoting()
    moved(c)
    yes, no = c.evaluate(11 * S)
    assert isinstance(yes, PlaceOrder) and isinstance(no, PlaceOrder)
    c.on_failed(failed(yes, reason="backoff"), 11 * S, Effects())
    assert "yes_bid" not in c.orders.slots and c.orders.sweep == {"yes_bid"}
    cmds = c.evaluate(11 * S)
    assert cmds == [CancelOrders(cmd_id=cmds[0].cmd_id, holder="h", market="0xm", order_ids=[],
                                 slots=["yes_bid"], reason="replace_failed", ts=11 * S)]
    assert c.evaluate(11 * S + S // 2) == []  # swept once; the back-off still holds the new quote
    again = c.evaluate(12 * S + 1)
    assert [(type(x), x.slot) for x in again if isinstance(x, PlaceOrder)] == [(PlaceOrder, "yes_bid")]
    assert not c.orders.slots["yes_bid"].replaces  # the slot was empty: nothing to sweep if this one fails


def test_a_sweep_goes_out_even_when_the_strategy_now_wants_the_slot_empty() -> None:
    c, _ = quoting()
    moved(c)
    yes, _no = c.evaluate(11 * S)
    assert isinstance(yes, PlaceOrder)
    c.on_failed(failed(yes, reason="backoff"), 11 * S, Effects())
    c.on_ofi(ofi(True), 11 * S)
    cmds = c.evaluate(11 * S)
    assert [(type(x), x.slots, x.reason) for x in cmds if isinstance(x, CancelOrders)] == [
        (CancelOrders, ["yes_bid"], "replace_failed"), (CancelOrders, ["no_bid"], "kill")]
    assert not c.orders.slots


def test_a_withdrawal_drops_the_sweep_its_market_cancel_covers() -> None:
    c, _ = quoting()
    moved(c)
    yes, _no = c.evaluate(11 * S)
    assert isinstance(yes, PlaceOrder)
    c.on_failed(failed(yes, reason="backoff"), 11 * S, Effects())
    c.heartbeats["executor"] = 0
    assert [type(x) for x in c.evaluate(11 * S)] == [CancelMarket]
    assert not c.orders.sweep


def test_a_failure_of_an_older_command_leaves_the_slot_and_sweeps_nothing() -> None:
    c, first = quoting()
    moved(c)
    c.evaluate(11 * S)
    c.on_failed(failed(first[0], retry_after_ms=0), 11 * S, Effects())  # the first placement's answer, late
    assert "yes_bid" in c.orders.slots and not c.orders.sweep


def update(order_id: str, status: str, kind: str, matched: int = 0) -> OrderUpdate:
    return OrderUpdate(order_id=order_id, market="0xm", asset="Y", side="BUY", price=420_000,
                       original_size=5_000_000, size_matched=matched, status=status, reason="",
                       kind=kind, ts_event=0, ts_recv=0)  # type: ignore[arg-type]


def test_only_a_moved_top_or_a_returning_feed_calls_for_a_decision() -> None:
    c = ready()
    assert not c.on_book(book("Y", 400_000, 440_000))  # same top
    assert not c.on_book(book("Y", 400_000, 440_000, depth=3_000_000))  # depth only
    assert c.on_book(book("Y", 410_000, 440_000))  # bid moved
    assert c.on_book(book("Y", 410_000, 450_000))  # ask moved
    assert not c.on_book(book("X", 100_000, 200_000))  # not a token of this market
    assert "X" not in c.tops
    c.on_feed_status(FeedStatus(asset="Y", live=False, reason="stale", ts=0))
    assert c.on_book(book("Y", 410_000, 450_000))  # same top, but the feed is live again
    assert c.feed_live["Y"]


def test_order_events_call_for_a_decision_only_when_they_free_a_slot() -> None:
    c, _ = quoting()
    assert not c.on_order_update(update("0xy1", "LIVE", "PLACEMENT"))
    assert not c.on_order_update(update("0xy1", "LIVE", "UPDATE", matched=1_000_000))  # partly filled
    assert not c.on_order_update(update("0xother", "CANCELED", "CANCELLATION"))
    assert c.on_order_update(update("0xy1", "MATCHED", "UPDATE", matched=5_000_000))
    assert not c.on_cancelled(OrderCancelled(cmd_id="", holder="h", order_id="0xy1", market="0xm", asset="Y",
                                             slot="yes_bid", reason="filled", ts=0))  # already freed
    assert c.on_cancelled(OrderCancelled(cmd_id="", holder="h", order_id="0xn1", market="0xm", asset="N",
                                         slot="no_bid", reason="canceled", ts=0))
    assert not c.orders.slots


def test_a_heartbeat_calls_for_a_decision_only_when_it_revives_a_dependency() -> None:
    c = ready()
    assert not c.on_heartbeat("executor", 11 * S)
    assert not c.on_heartbeat("venue", 11 * S)  # not a dependency
    assert c.on_heartbeat("executor", 15 * S)  # silent for 4 s (> 3 s): it was missing
    fresh = Coordinator(holder="h", strategy=PairOfi(PairParams()), rules=RequoteRules())
    assert fresh.on_heartbeat("inventory", S)  # never heard before


def test_next_change_is_the_first_state_or_heartbeat_to_go_stale_or_slot_window_to_end() -> None:
    c = ready()  # everything heard at 10 s; liveness 3 s
    assert c.next_change(10 * S) == 13 * S
    c.on_heartbeat("executor", 12 * S)
    c.on_inventory(inv(), 12 * S)
    c.on_ofi(ofi(False), 12 * S)
    assert c.next_change(12 * S) == 13 * S  # the other four dependencies' heartbeats
    for p in DEPENDENCIES:
        c.on_heartbeat(p, 12 * S)
    c.evaluate(12 * S)  # places both: debounce until 12.2 s
    assert c.next_change(12 * S) == 12 * S + 200_000_000
    c.on_user_status(user_status(False), 12 * S)
    assert c.next_change(12 * S + 200_000_000) == 15 * S


def test_inventory_and_ofi_call_for_a_decision_only_when_what_the_strategy_reads_changes() -> None:
    c = ready()  # inventory and OFI heard at 10 s
    assert not c.on_inventory(inv(), 11 * S)  # same position, still fresh
    assert c.on_inventory(inv(net=5_000_000), 11 * S)
    assert c.on_inventory(inv(net=5_000_000, can_open=False), 11 * S)
    assert c.on_inventory(inv(net=5_000_000, can_open=False), 15 * S)  # same, but it had gone stale
    assert not c.on_inventory(msgspec.structs.replace(inv(), market="0xother"), 15 * S)
    assert not c.on_ofi(ofi(False), 11 * S)
    assert c.on_ofi(ofi(True), 11 * S)
    assert c.on_ofi(ofi(True), 15 * S)  # same, but it had gone stale


# -- what act / decide ask the shell to do (bus.effects) -------------------------------------------


def test_act_pushes_the_decision_on_the_executor_pipe_and_notes_each_new_mode_once() -> None:
    c = ready()
    fx = Effects()
    c.act(10 * S, fx)
    assert [(pipe, topic, type(cmd)) for pipe, topic, cmd in fx.pushes] == [
        (EXEC_PIPE, topics.exec_cmd("h"), PlaceOrder)] * 2
    assert not fx.publishes
    assert [(event, f["mode"], f["market"]) for _, event, f in fx.notes] == [
        ("strategy_mode", "balanced", "0xm")]
    again = Effects()
    c.act(10 * S, again)
    assert not again  # nothing to send, the same mode: nothing at all
    c.on_ofi(ofi(True), 10 * S)
    c.act(10 * S, again)
    assert [type(cmd) for _, _, cmd in again.pushes] == [CancelOrders, CancelOrders]
    assert [(event, f["mode"]) for _, event, f in again.notes] == [("strategy_mode", "kill")]


def test_decide_acts_only_when_an_input_changed_or_a_time_based_change_came_due() -> None:
    c = ready()
    fx = Effects()
    c.decide(10 * S, fx)  # the inputs of ready() marked it dirty
    assert len(fx.pushes) == 2 and not c.dirty and c.wake_at == 10 * S + 200_000_000  # the debounce ends
    fx.clear()
    c.on_book(book("Y", 400_000, 440_000, depth=1_000_000))  # depth only: not dirty
    c.decide(10 * S + 1, fx)
    assert not fx and c.wake_at == 10 * S + 200_000_000
    c.decide(10 * S + 200_000_000, fx)  # due: decides (nothing to send, the quotes have not moved)
    assert not fx.pushes and c.wake_at == 13 * S  # next: the states going stale
    moved(c)  # the tops moved: dirty
    assert c.dirty
    c.decide(11 * S, fx)
    assert [(type(cmd), getattr(cmd, "slot", "")) for _, _, cmd in fx.pushes] == [(PlaceOrder, "yes_bid"),
                                                                                  (PlaceOrder, "no_bid")]


def test_once_the_window_is_over_it_withdraws_once_and_places_nothing() -> None:
    c = ready()
    c.set_market(M, end_ns=20 * S)
    for p in DEPENDENCIES:
        c.on_heartbeat(p, 19 * S)
    c.on_book(book("Y", 400_000, 440_000))
    c.on_book(book("N", 520_000, 560_000))
    c.on_inventory(inv(), 19 * S)
    c.on_ofi(ofi(False), 19 * S)
    fx = Effects()
    c.act(19 * S, fx)
    assert [type(cmd) for _, _, cmd in fx.pushes] == [PlaceOrder, PlaceOrder] and not c.window_over(19 * S)
    fx.clear()
    c.act(20 * S, fx)
    assert [(type(cmd), getattr(cmd, "reason", "")) for _, _, cmd in fx.pushes] == [
        (CancelMarket, "window over")]
    assert (c.mode, c.reason) == ("rotating", "window over") and c.window_over(20 * S)
    fx.clear()
    c.on_book(book("Y", 410_000, 450_000))
    c.act(20 * S + 1, fx)
    assert not fx.pushes and c.mode == "rotating"


def test_a_failed_placement_is_noted() -> None:
    c = ready()
    place = c.evaluate(10 * S)[0]
    assert isinstance(place, PlaceOrder)
    fx = Effects()
    c.on_failed(failed(place, reason="crosses_book"), 10 * S, fx)
    assert [(level, event, f["slot"], f["reason"]) for level, event, f in fx.notes] == [
        ("warning", "order_failed", place.slot, "crosses_book")]


def test_the_first_book_of_a_frame_waits_for_the_rest_then_the_pair_is_decided_once() -> None:
    c, _ = quoting()
    c.on_book(msgspec.structs.replace(book("Y", 440_000, 480_000), more=True))
    fx = Effects()
    c.decide(11 * S, fx)
    assert fx.pushes == []  # half a frame: nothing decided
    c.on_book(book("N", 480_000, 520_000))
    c.decide(11 * S, fx)
    assert [(m.slot, m.price) for _, _, m in fx.pushes if isinstance(m, PlaceOrder)] == [
        ("yes_bid", 460_000), ("no_bid", 500_000)]


def test_when_the_rest_of_a_frame_is_lost_the_timer_decides_and_closes_the_frame() -> None:
    c, _ = quoting()
    c.on_book(msgspec.structs.replace(book("Y", 440_000, 480_000), more=True))
    fx = Effects()
    c.act(11 * S, fx)  # the PM_EVALUATE_MS timer
    assert any(isinstance(m, PlaceOrder) for _, _, m in fx.pushes)
    assert not c.frame_open
