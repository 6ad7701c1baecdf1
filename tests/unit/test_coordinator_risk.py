"""The risk layer inside the coordinator: what each rule does to the commands, what it announces
(``RiskEvent``, ``StrategyAdjust`` and their log lines), and the operator's halt / resume. Driven through
the pure core (``Coordinator.act``) as the shell drives it."""

from __future__ import annotations

from dataclasses import replace

from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import EXIT_YES, YES_ASK, YES_ASK_STATIC, YES_BID, YES_BID_STATIC
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.risk.params import DEFAULTS, RiskParams
from actors.coordinator.strategies.neutral import Neutral, NeutralParams
from actors.coordinator.strategies.pair_ofi import PairOfi
from bus import topics
from bus.effects import Effects
from schemas import (
    Book,
    CancelMarket,
    Command,
    Halt,
    InventoryState,
    OfiSide,
    OfiState,
    OrderFailed,
    PlaceOrder,
    Resume,
    RiskEvent,
    StrategyAdjust,
)
from schemas.units import ONE

S = 1_000_000_000
SIDE = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=1, toxic=False)
NEUTRAL = DEFAULTS["neutral"]  # reduce-only 3 x 10, net max 50, stop-loss 5, shock 0.10, halt 30 s


def make(risk: RiskParams = NEUTRAL, strategy: object | None = None) -> Coordinator:
    from actors.coordinator.model import MarketSpec

    c = Coordinator(holder="h", strategy=strategy or Neutral(NeutralParams(requote_ns=0)),  # type: ignore[arg-type]
                    rules=RequoteRules(reprice_threshold=5_000, debounce_ns=0), risk_params=risk, run=1)
    c.set_market(MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000))
    return c


def book(asset: str, bid: int, ask: int, depth: int = 100_000_000) -> Book:
    return Book(asset=asset, market="0xm", bids=[(bid, depth), (bid - 10_000, depth)],
                asks=[(ask, depth), (ask + 10_000, depth)], tick=10_000, epoch=1, ts_event=0, ts_recv=0)


def state(yes: int = 0, no: int = 0, yes_cost: int = 0, no_cost: int = 0) -> InventoryState:
    return InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=yes, no_qty=no,
                          yes_avg_cost=yes_cost, no_avg_cost=no_cost, net_diff=yes - no, portfolio_cost=0,
                          can_open=True, realized_pnl=0, unrealized_pnl=0, fills=0, ts=0,
                          max_net_diff=100_000_000, max_position_value=100_000_000)


def tick(c: Coordinator, now: int, bid: int = 490_000, ask: int = 510_000, inv: InventoryState | None = None,
         ) -> tuple[list[Command], Effects]:
    """Everything alive at ``now``, the YES book at bid/ask (NO mirrored), then one decision."""
    for p in DEPENDENCIES:
        c.on_heartbeat(p, now)
    c.on_book(book("Y", bid, ask))
    c.on_book(book("N", ONE - ask, ONE - bid))
    c.on_inventory(inv or (c.inventory if c.inventory is not None else state()), now)
    c.on_ofi(OfiState(market="0xm", yes=SIDE, no=SIDE, toxic=False, window_ms=3000, ts=now), now)
    fx = Effects()
    c.act(now, fx)
    return [cmd for _, _, cmd in fx.pushes], fx


def events(fx: Effects) -> list[tuple[str, str]]:
    return [(m.kind, m.severity) for t, m in fx.publishes if isinstance(m, RiskEvent)]


def adjusts(fx: Effects) -> list[tuple[str, int, int, str]]:
    return [(m.field, m.old, m.new, m.reason) for t, m in fx.publishes if isinstance(m, StrategyAdjust)]


def places(cmds: list[Command]) -> list[PlaceOrder]:
    return [c for c in cmds if isinstance(c, PlaceOrder)]


def test_neutral_quotes_both_sides_post_only() -> None:
    c = make()
    cmds, fx = tick(c, 10 * S)
    assert {(p.slot, p.asset, p.side, p.price) for p in places(cmds)} == {
        (YES_BID, "Y", "BUY", 490_000), (YES_ASK, "N", "BUY", 490_000),
        (YES_BID_STATIC, "Y", "BUY", 490_000), (YES_ASK_STATIC, "N", "BUY", 490_000)}
    assert all(p.post_only and p.order_type == "GTC" and not p.taker_exit for p in places(cmds))
    assert (c.mode, c.spread) == ("quoting", 20_000)
    assert not events(fx) and not adjusts(fx)


def test_a_shock_cancels_everything_places_nothing_until_the_halt_is_over() -> None:
    c = make()
    tick(c, 10 * S)
    cmds, fx = tick(c, 11 * S, 690_000, 710_000)  # mid 0.50 -> 0.70: +40 %
    assert cmds == [CancelMarket(cmd_id=cmds[0].cmd_id, holder="h", market="0xm", reason="shock_halt",
                                 ts=11 * S)]
    assert events(fx) == [("shock_halt", "halt")]
    assert ("warning", "risk_event") in [(lvl, e) for lvl, e, _ in fx.notes]
    assert c.mode == "halted" and c.reason.startswith("shock_halt: |dmid|/mid 0.4 > 0.1")
    for now in (12 * S, 25 * S, 41 * S - 1):  # monitoring only, however the book moves
        assert tick(c, now, 680_000, 700_000)[0] == []
    assert c.next_change(41 * S - 1) == 41 * S  # the halt's end is a decision of its own
    cmds, fx = tick(c, 41 * S, 680_000, 700_000)
    assert events(fx) == [("shock_halt", "info")]
    assert c.mode == "quoting" and len(places(cmds)) == 4


def test_a_move_of_exactly_shock_pct_is_no_shock() -> None:
    c = make(replace(NEUTRAL, shock_pct=200_000))
    tick(c, 10 * S)  # mid 0.50
    _cmds, fx = tick(c, 11 * S, 590_000, 610_000)  # 0.60: exactly +20 %
    assert c.mode == "quoting" and not events(fx)


def test_stop_loss_cancels_flattens_maker_only_and_waits_for_a_person() -> None:
    c = make()
    long = state(yes=20_000_000, yes_cost=600_000)
    tick(c, 10 * S, inv=long)  # mid 0.50: -2 USDC
    assert c.mode != "halted"
    cmds, fx = tick(c, 11 * S, 340_000, 360_000)  # mid 0.35: 20 x -0.25 = -5: the stop (after a shock check)
    assert isinstance(cmds[0], CancelMarket)
    [exit_order] = places(cmds)
    assert (exit_order.slot, exit_order.asset, exit_order.side, exit_order.price, exit_order.size) == (
        EXIT_YES, "Y", "SELL", 360_000, 20_000_000)  # at the touch
    assert exit_order.post_only and not exit_order.taker_exit
    assert ("stop_loss", "halt") in events(fx)
    assert c.mode == "halted" and "flattening" in c.reason

    cmds, _ = tick(c, 12 * S, 320_000, 340_000)  # the ask came down: follow it
    assert [(p.slot, p.price) for p in places(cmds)] == [(EXIT_YES, 340_000)]
    cmds, _ = tick(c, 13 * S, 330_000, 350_000)  # ... and up: stay
    assert cmds == []

    c.orders.slots.clear()  # sold: the fill freed the slot
    cmds, fx = tick(c, 14 * S, 330_000, 350_000, inv=state())
    assert cmds == [] and ("info", "flatten_done") in [(lvl, e) for lvl, e, _ in fx.notes]
    assert c.reason.endswith("flat, awaiting resume")
    assert tick(c, 14 * S + 10 * 30 * S)[0] == []  # long after PM_HALT_SECONDS: still halted
    assert c.mode == "halted"

    fx = Effects()
    c.on_ctl(Resume(cmd_id="ctl-1", holder="h", reason="checked", ts=0), 400 * S, fx)
    assert events(fx) == [("stop_loss", "info"), ("resume", "info")]
    assert [m.message for _, m in fx.publishes if isinstance(m, RiskEvent)][1] == "ctl-1: cleared stop_loss"
    cmds, _ = tick(c, 400 * S)
    assert c.mode == "quoting" and len(places(cmds)) == 4


def test_no_taker_order_unless_opted_in_then_one_capped_by_the_depth_walk() -> None:
    c = make(replace(NEUTRAL, allow_taker_exit=True, taker_max_slippage=100_000))
    long = state(yes=20_000_000, yes_cost=600_000)
    tick(c, 10 * S, 400_000, 420_000, inv=long)
    cmds, fx = tick(c, 10 * S + 1, 340_000, 360_000)
    taker = [p for p in places(cmds) if p.taker_exit]
    assert len(taker) == 1 and len(places(cmds)) == 1
    t = taker[0]
    assert (t.order_type, t.post_only, t.side, t.asset, t.size) == ("FAK", False, "SELL", "Y", 20_000_000)
    assert t.price == 340_000  # the best bid holds it all; the floor (0.35 x 0.9 -> 0.32) is not needed
    [line] = [f for lvl, e, f in fx.notes if e == "risk_event" and f["kind"] == "taker_exit"]
    assert (line["depth_fill_price"], line["depth_fill_available"], line["depth_slippage"]) == (
        340_000, 20_000_000, 28_571)
    assert tick(c, 11 * S, 340_000, 360_000)[0] == []  # maker exits wait for the inventory to show the sale
    cmds, _ = tick(c, 12 * S + 1, 340_000, 360_000)  # 2 s and no change: the maker flatten takes over
    assert [(p.slot, p.post_only) for p in places(cmds)] == [(EXIT_YES, True)]


def test_reduce_only_keeps_what_reduces_moves_it_to_the_mid_and_says_so_once() -> None:
    c = make()
    long = state(yes=30_000_000, yes_cost=500_000)  # |net| 30 = 3 x base size 10
    cmds, fx = tick(c, 10 * S, 480_000, 520_000, inv=long)
    assert {p.slot: (p.asset, p.side, p.price) for p in places(cmds)} == {YES_ASK: ("Y", "SELL", 500_000)}
    assert ("reduce_only", "warn") in events(fx)
    assert set(adjusts(fx)) == {(f"{YES_BID}.size", 5_000_000, 0, "reduce_only"),
                                (f"{YES_BID_STATIC}.size", 5_000_000, 0, "reduce_only"),
                                (f"{YES_ASK_STATIC}.size", 5_000_000, 0, "reduce_only"),
                                (f"{YES_ASK}.price", 510_000, 500_000, "reduce_only")}
    assert next(t for t, m in fx.publishes if isinstance(m, StrategyAdjust)) == topics.coord_adjust("h")
    assert c.mode == "reduce_only"
    cmds, fx = tick(c, 11 * S, 480_000, 520_000, inv=long)
    assert cmds == [] and not adjusts(fx) and not events(fx)  # in force, unchanged: nothing new to say
    cmds, fx = tick(c, 12 * S, 480_000, 520_000, inv=state(yes=29_990_000, yes_cost=500_000))
    assert ("reduce_only", "info") in events(fx) and c.mode == "quoting"


def test_the_hard_cap_refuses_what_would_exceed_it() -> None:
    c = make(replace(NEUTRAL, reduce_only_threshold=0))
    cmds, fx = tick(c, 10 * S, inv=state(yes=45_000_000, yes_cost=500_000))
    slots = {p.slot for p in places(cmds)}
    assert YES_BID in slots and YES_BID_STATIC not in slots  # 45 + 5 = 50 allowed, + 5 more refused
    assert ("net_cap", "warn") in events(fx)
    assert (f"{YES_BID_STATIC}.size", 5_000_000, 0, "net_cap") in adjusts(fx)


def test_pair_ofi_has_every_rule_off_by_default() -> None:
    c = make(DEFAULTS["pair_ofi"], PairOfi())
    tick(c, 10 * S, inv=state())
    _cmds, fx = tick(c, 11 * S, 690_000, 710_000, inv=state(yes=3_000_000, yes_cost=990_000))
    assert c.mode != "halted" and not events(fx)


def test_pair_ofi_gets_the_shock_halt_when_set() -> None:
    c = make(replace(DEFAULTS["pair_ofi"], shock_pct=100_000), PairOfi())
    tick(c, 10 * S)
    cmds, fx = tick(c, 11 * S, 690_000, 710_000)
    assert c.mode == "halted" and isinstance(cmds[0], CancelMarket) and ("shock_halt", "halt") in events(fx)


def test_an_operators_halt_lasts_until_resume_and_a_command_acts_once() -> None:
    c = make()
    tick(c, 10 * S)
    fx = Effects()
    c.on_ctl(Halt(cmd_id="a", holder="h", reason="news", ts=0), 10 * S, fx)
    c.on_ctl(Halt(cmd_id="x", holder="other", reason="", ts=0), 10 * S, fx)  # another coordinator's
    assert events(fx) == [("manual_halt", "halt")]
    cmds, _ = tick(c, 11 * S)
    assert [type(x) for x in cmds] == [CancelMarket] and c.mode == "halted"
    assert tick(c, 1000 * S)[0] == []
    c.on_ctl(Resume(cmd_id="b", holder="h", reason="", ts=0), 1000 * S, Effects())
    assert len(places(tick(c, 1001 * S)[0])) == 4
    c.on_ctl(Halt(cmd_id="c", holder="h", reason="again", ts=0), 1002 * S, Effects())
    assert [type(x) for x in tick(c, 1002 * S)[0]] == [CancelMarket]  # a second halt cancels again
    fx = Effects()
    c.on_ctl(Resume(cmd_id="b", holder="h", reason="", ts=0), 1002 * S, fx)  # a repeat of the old resume
    assert [m.message for _, m in fx.publishes if isinstance(m, RiskEvent)] == ["b: cleared manual_halt"]
    assert c.risk.halt is not None and c.risk.halt.kind == "manual_halt"  # answered again, not acted on


def test_a_halt_survives_a_restart_through_its_record() -> None:
    c = make()
    tick(c, 10 * S, inv=state(yes=20_000_000, yes_cost=600_000))
    tick(c, 11 * S, 340_000, 360_000)
    record = c.risk.record()
    assert record is not None and record["kind"] == "stop_loss"
    fresh = make()
    fresh.risk.restore(record, 500 * S)
    cmds, _ = tick(fresh, 500 * S, inv=state(yes=20_000_000, yes_cost=600_000))
    assert isinstance(cmds[0], CancelMarket) and fresh.mode == "halted"
    assert [p.slot for p in places(cmds)] == [EXIT_YES]


def test_a_shock_halt_record_past_its_time_is_not_restored() -> None:
    c = make()
    record = {"kind": "shock_halt", "since": 0, "until": 30 * S, "flatten": False, "reason": ""}
    c.risk.restore(record, 30 * S)
    assert c.risk.halt is None


def test_a_halted_coordinator_says_halted_even_when_a_dependency_is_missing() -> None:
    c = make()
    tick(c, 10 * S)
    c.on_ctl(Halt(cmd_id="a", holder="h", reason="", ts=0), 10 * S, Effects())
    tick(c, 11 * S)
    c.heartbeats["executor"] = 0
    c.act(11 * S, Effects())
    assert c.mode == "halted" and "executor" in c.reason


def test_neutral_widens_a_side_after_a_post_only_rejection_instead_of_backing_off() -> None:
    c = make()
    cmds, _ = tick(c, 10 * S)
    bid = next(p for p in places(cmds) if p.slot == YES_BID)
    fx = Effects()
    c.on_failed(OrderFailed(cmd_id=bid.cmd_id, holder="h", market="0xm", asset="Y", side="BUY",
                            price=bid.price, size=bid.size, slot=YES_BID, reason="crosses_book", message="",
                            retry_after_ms=1000, ts=0), 10 * S, fx)
    assert adjusts(fx) == [("bid.widen_ticks", 0, 1, "post_only_reject")]
    assert YES_BID not in c.orders.blocked_until
    cmds, _ = tick(c, 10 * S + 1)
    assert [(p.slot, p.price) for p in places(cmds)] == [(YES_BID, 480_000)]


def test_volatility_and_spread_are_reported() -> None:
    c = make()
    tick(c, 10 * S)
    tick(c, 11 * S, 500_000, 520_000)  # mid 0.50 -> 0.51: 0.02
    assert c.mids.volatility(11 * S) == 20_000
    assert c.spread > 20_000  # wider when volatile


def test_pair_ofi_can_be_halted_by_the_operator_again_and_again() -> None:
    c = make(DEFAULTS["pair_ofi"], PairOfi())  # no rule armed: only the operator halts it
    for k, (halt, resume) in enumerate((("h1", "r1"), ("h2", "r2"))):
        t = (10 + 10 * k) * S
        tick(c, t)
        c.on_ctl(Halt(cmd_id=halt, holder="h", reason="", ts=0), t, Effects())
        assert [type(x) for x in tick(c, t + 1)[0]] == [CancelMarket] and c.mode == "halted"
        c.on_ctl(Resume(cmd_id=resume, holder="h", reason="", ts=0), t + 2, Effects())
        assert [type(x) for x in tick(c, t + 3)[0]] == [PlaceOrder, PlaceOrder]


def test_the_overlap_rule_holds_for_every_token_and_side() -> None:
    c = make(replace(NEUTRAL, reduce_only_threshold=0))
    held = state(yes=12_000_000, yes_cost=500_000)
    cmds, _ = tick(c, 10 * S, inv=held)
    ask = next(p for p in places(cmds) if p.slot == YES_ASK)
    assert (ask.asset, ask.side, ask.overlap_with) == ("Y", "SELL", "")  # a new slot is never named
    cmds, _ = tick(c, 11 * S, 500_000, 520_000, inv=held)  # the ask moves up a tick: a replacement
    moved = next(p for p in places(cmds) if p.slot == YES_ASK)
    assert (moved.side, moved.overlap_with) == ("SELL", ask.cmd_id)  # 5 + 5 sold <= 12 held: may overlap
    cmds, _ = tick(c, 12 * S, 490_000, 510_000, inv=state(yes=8_000_000, yes_cost=500_000))
    again = next(p for p in places(cmds) if p.slot == YES_ASK)
    assert (again.side, again.overlap_with) == ("SELL", "")  # 5 + 5 > 8 held: cancel first
    cmds, _ = tick(c, 13 * S, 490_000, 510_000, inv=state())
    switched = next(p for p in places(cmds) if p.slot == YES_ASK)
    assert (switched.asset, switched.side, switched.overlap_with) == ("N", "BUY", "")  # other token: never


def test_a_failed_replacement_of_an_exit_is_swept_while_halted() -> None:
    c = make(replace(NEUTRAL, shock_pct=0))
    tick(c, 10 * S, inv=state(yes=20_000_000, yes_cost=600_000))
    tick(c, 11 * S, 340_000, 360_000)  # stop-loss: the exit rests at 0.36
    cmds, _ = tick(c, 12 * S, 320_000, 340_000)  # follows the ask down: a replacement
    [moved] = places(cmds)
    c.on_failed(OrderFailed(cmd_id=moved.cmd_id, holder="h", market="0xm", asset="Y", side="SELL",
                            price=moved.price, size=moved.size, slot=EXIT_YES, reason="rejected", message="",
                            retry_after_ms=0, ts=0), 12 * S, Effects())
    cmds, _ = tick(c, 13 * S, 320_000, 340_000)
    assert [(type(x).__name__, getattr(x, "slots", None) or getattr(x, "slot", "")) for x in cmds] == [
        ("CancelOrders", [EXIT_YES]), ("PlaceOrder", EXIT_YES)]
