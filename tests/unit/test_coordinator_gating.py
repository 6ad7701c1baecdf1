"""Deciding only when the outcome can change is exactly equivalent to deciding after every input.

Two cores receive the same random stream of inputs (books that move or only change depth, order events,
heartbeats, inventory, OFI, feed and user-feed status, risk events, failures with back-offs, time passing
in steps from 0 to 4 s). The reference evaluates after every input; the gated one decides as the shell
has it do (``Coordinator.decide``): only when an input marked it dirty (the inputs that report a change,
when they do; the others always) or when ``next_change`` came due. Every command and every mode/reason
must be identical, step by step.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from actors.coordinator.core import DEPENDENCIES, EXEC_PIPE, Coordinator
from actors.coordinator.model import MarketSpec
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.strategies.pair_ofi import PairOfi, PairParams
from bus import topics
from bus.effects import Effects
from schemas import (
    Book,
    BusMessage,
    FeedStatus,
    InventoryState,
    OfiSide,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    RiskEvent,
    TickSizeChange,
    UserFeedStatus,
)

S = 1_000_000_000
MS = 1_000_000
M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)
SIDE = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=1, toxic=False)
STEPS_NS = (0, 0, 1 * MS, 1 * MS, 10 * MS, 10 * MS, 50 * MS, 199 * MS, 200 * MS, 600 * MS, 1 * S, 4 * S)

Input = Callable[[Coordinator, int], bool]  # applies one input; True = the shell decides after it


def coordinator() -> Coordinator:
    c = Coordinator(holder="h", strategy=PairOfi(PairParams()), rules=RequoteRules(), run=1)
    c.set_market(M)
    return c


def book(asset: str, bid: int, ask: int, depth: int) -> Book:
    bids = [(bid, 10_000_000), (max(bid - 10_000, 0), depth)] if bid else []
    return Book(asset=asset, market="0xm", bids=bids,
                asks=[(ask, 10_000_000), (ask + 10_000, depth)], tick=10_000, epoch=1, ts_event=0, ts_recv=0)


def random_input(rng: random.Random, ref: Coordinator) -> Input:
    """One input, built from the reference's state (both cores hold the same state while they agree)."""
    slots = list(ref.orders.slots.items())
    kind = rng.choice(["book", "book", "book", "depth", "depth", "depth", "heartbeat", "inventory",
                       "inventory", "ofi", "ofi", "placed", "placed", "failed", "cancelled", "update",
                       "update", "feed", "user", "risk", "tick"])
    if kind == "book":
        asset = rng.choice("YN")
        bid = rng.choice([0, *range(300_000, 620_000, 10_000)])
        ask = max(bid, 300_000) + rng.choice([10_000, 20_000, 40_000])
        msg = book(asset, bid, ask, rng.randrange(1, 9) * 1_000_000)
        return lambda c, now: c.on_book(msg)
    if kind == "depth":  # the same top as now, other depth behind it
        asset = rng.choice("YN")
        top = ref.tops.get(asset)
        if top is None:
            return lambda c, now: False
        msg = book(asset, top.bid, top.ask, rng.randrange(1, 9) * 1_000_000)
        return lambda c, now: c.on_book(msg)
    if kind == "heartbeat":
        program = rng.choice([*DEPENDENCIES, "venue", "bus"])
        return lambda c, now: c.on_heartbeat(program, now)
    if kind == "inventory":
        net = rng.choice([0, 0, 0, 2_000_000, 6_000_000, -7_000_000])
        state = InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=max(net, 0),
                               no_qty=max(-net, 0),
                               yes_avg_cost=420_000, no_avg_cost=500_000, net_diff=net, portfolio_cost=0,
                               can_open=rng.random() < 0.8, realized_pnl=0, unrealized_pnl=0, fills=0, ts=0)
        return lambda c, now: c.on_inventory(state, now)
    if kind == "ofi":
        ofi = OfiState(market="0xm", yes=SIDE, no=SIDE, toxic=rng.random() < 0.1, window_ms=3000, ts=0)
        return lambda c, now: c.on_ofi(ofi, now)
    if kind in ("placed", "failed") and slots:
        name, slot = rng.choice(slots)
        cmd_id = slot.cmd_id if rng.random() < 0.8 else "h-1-0"  # sometimes an older command's answer
        if kind == "placed":
            placed = OrderPlaced(cmd_id=cmd_id, holder="h", order_id=f"0x{rng.randrange(10**6)}",
                                 market="0xm", asset="Y", side="BUY", price=slot.price, size=slot.size,
                                 slot=name, status="live", ts=0)
            return lambda c, now: (c.on_placed(placed), False)[1]
        failed = OrderFailed(cmd_id=cmd_id, holder="h", market="0xm", asset="Y", side="BUY", price=slot.price,
                             size=slot.size, slot=name, reason="backoff", message="",
                             retry_after_ms=rng.choice([0, 25, 1000]), ts=0)
        return lambda c, now: (c.on_failed(failed, now, Effects()), True)[1]
    if kind in ("cancelled", "update"):
        order_id = rng.choice([s.order_id for _, s in slots if s.order_id] or ["0xnone"]) \
            if rng.random() < 0.8 else "0xother"
        if kind == "cancelled":
            gone = OrderCancelled(cmd_id="", holder="h", order_id=order_id, market="0xm", asset="Y", slot="",
                                  reason="canceled", ts=0)
            return lambda c, now: c.on_cancelled(gone)
        status, event, matched = rng.choice([("LIVE", "PLACEMENT", 0), ("LIVE", "UPDATE", 1_000_000),
                                             ("MATCHED", "UPDATE", 5_000_000),
                                             ("CANCELED", "CANCELLATION", 0)])
        upd = OrderUpdate(order_id=order_id, market="0xm", asset="Y", side="BUY", price=1,
                          original_size=5_000_000,
                          size_matched=matched, status=status, reason="", kind=event,  # type: ignore[arg-type]
                          ts_event=0, ts_recv=0)
        return lambda c, now: c.on_order_update(upd)
    if kind == "feed":
        status = FeedStatus(asset=rng.choice("YN"), live=rng.random() < 0.8, reason="", ts=0)
        return lambda c, now: (c.on_feed_status(status), True)[1]
    if kind == "user":
        user = UserFeedStatus(connected=rng.random() < 0.7, markets=[], last_trade_ts=0, backfilled=0, ts=0)
        return lambda c, now: (c.on_user_status(user, now), True)[1]
    if kind == "risk":
        risk = RiskEvent(program="executor", market="0xm", kind="inventory_mismatch",
                         severity=rng.choice(["halt", "info", "info"]), message="", ts=0)  # type: ignore[arg-type]
        return lambda c, now: (c.on_risk(risk, Effects()), True)[1]
    if kind == "tick":
        tick = TickSizeChange(asset="Y", market="0xm", old_tick=10_000, new_tick=rng.choice([1_000, 10_000]),
                              ts_event=0, ts_recv=0)
        return lambda c, now: c.on_tick_change(tick)
    return lambda c, now: False


@dataclass
class Counts:
    skipped: int = 0  # inputs after which the gated core did not decide
    due: int = 0  # decisions made only because ``next_change`` came due
    commands: Counter[str] = field(default_factory=Counter)  # by type and reason, over the whole stream


def pushed(fx: Effects) -> list[BusMessage]:
    assert all(pipe == EXEC_PIPE and topic == topics.exec_cmd("h") for pipe, topic, _ in fx.pushes)
    return [cmd for _, _, cmd in fx.pushes]


def drive(seed: int, counts: Counts) -> None:
    rng = random.Random(seed)
    ref, gated = coordinator(), coordinator()
    now = 10 * S
    first = Effects()
    gated.act(now, first)  # the first decision (the shell's timer)
    assert pushed(first) == ref.evaluate(now) == []
    for step in range(600):
        now += rng.choice(STEPS_NS)
        apply = random_input(rng, ref)
        apply(ref, now)
        changed = apply(gated, now)
        if rng.random() < 0.3:  # keep the dependencies mostly alive, as their heartbeats would
            for p in DEPENDENCIES:
                ref.on_heartbeat(p, now)
                changed = gated.on_heartbeat(p, now) or changed
        expected = ref.evaluate(now)
        assert gated.dirty == changed, f"seed {seed} step {step}"  # the inputs' own rule marks the core
        due = not changed and gated.wake_at is not None and now >= gated.wake_at
        fx = Effects()
        gated.decide(now, fx)  # the shell's hot path, gated by the core itself
        got = pushed(fx)
        counts.due += due
        counts.skipped += not (changed or due)
        if not (changed or due):
            assert got == [] and not fx, f"seed {seed} step {step}"
        assert got == expected, f"seed {seed} step {step}"
        assert (gated.mode, gated.reason) == (ref.mode, ref.reason), f"seed {seed} step {step}"
        assert gated.orders.slots == ref.orders.slots, f"seed {seed} step {step}"
        assert gated.orders.sweep == ref.orders.sweep, f"seed {seed} step {step}"
        counts.commands.update(f"{type(x).__name__}:{getattr(x, 'reason', '')}" for x in expected)


def test_gated_decisions_equal_deciding_after_every_input() -> None:
    counts = Counts()
    for seed in range(40):
        drive(seed, counts)
    # the streams exercised skipping, time-based decisions, re-quotes, cancels, sweeps and withdrawals
    assert counts.skipped > 5000 and counts.due > 100
    kinds = counts.commands
    assert kinds["PlaceOrder:"] > 500 and kinds["CancelOrders:replace_failed"] > 20
    assert sum(n for k, n in kinds.items() if k.startswith("CancelMarket")) > 50
    assert sum(n for k, n in kinds.items() if k.startswith("CancelOrders:") and "replace" not in k) > 100
