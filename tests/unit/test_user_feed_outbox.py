"""Fills pushed to inventory until it acknowledges them: pushed again when inventory restarts or an echo
is overdue, and the oldest unacknowledged one pins the back-fill watermark (also across a restart)."""

from __future__ import annotations

import json

from actors.user_feed.core import Feed, Identity, Watermark
from actors.user_feed.outbox import Outbox
from actors.user_feed.venue import MakerOrder, UserTrade
from schemas import Fill
from schemas.user import TradeStatus

NS = 1_000_000_000
MS = 1_000_000
T0 = 1_800_000_000 * NS
KEY = "our-api-key"
CID = "0x" + "ab" * 32


def fill(trade: str, status: TradeStatus = "MATCHED", order: str = "o1") -> Fill:
    return Fill(trade_id=trade, order_id=order, market=CID, asset="1", side="BUY", price=400_000,
                size=5_000_000, status=status, role="MAKER", fee=0, source="ws", ts_event=T0, ts_recv=T0)


def user_trade(trade: str, match_s: int, status: str = "MATCHED") -> UserTrade:
    maker = MakerOrder(order_id="o-" + trade, owner=KEY, matched_amount="5", price="0.4", asset_id="1",
                       side="BUY")
    return UserTrade(id=trade, status=status, market=CID, asset_id="2", side="BUY", size="5", price="0.6",
                     match_time=str(match_s), trader_side="MAKER", maker_orders=[maker])


def test_an_acknowledged_fill_is_forgotten_an_unacknowledged_one_waits() -> None:
    box = Outbox()
    box.pushed(fill("t1"), 100 * NS, T0)
    box.pushed(fill("t2"), 200 * NS, T0)
    box.pushed(fill("t1", "MINED"), 100 * NS, T0)
    assert box.ack(fill("t1")) and not box.ack(fill("t1"))  # (trade, order, status) is the key
    assert [(e.fill.trade_id, e.fill.status) for e in box.pending.values()] == [
        ("t2", "MATCHED"), ("t1", "MINED")]
    assert box.oldest_ns() == 100 * NS
    box.ack(fill("t1", "MINED"))
    assert box.oldest_ns() == 200 * NS
    box.ack(fill("t2"))
    assert box.oldest_ns() == 0 and len(box) == 0


def test_a_new_inventory_run_gets_every_unacknowledged_fill_again_in_push_order() -> None:
    box = Outbox()
    assert box.on_heartbeat(run=1, now=T0) == []  # the first run we hear of; nothing waiting
    for trade in ("t1", "t2", "t3"):
        box.pushed(fill(trade), 100 * NS, T0)
    box.ack(fill("t2"))
    box.pushed(fill("t1"), 100 * NS, T0 + MS)  # the same event again (from REST): keeps its place
    assert box.on_heartbeat(run=1, now=T0 + 2 * MS) == []  # same process: nothing was lost
    again = box.on_heartbeat(run=2, now=T0 + 3 * MS)  # restarted: anything unacknowledged may be lost
    assert [f.trade_id for f in again] == ["t1", "t3"]
    assert box.on_heartbeat(run=2, now=T0 + 4 * MS) == []


def test_an_overdue_echo_is_pushed_again_only_while_inventory_is_alive() -> None:
    box = Outbox()
    box.pushed(fill("t1"), 100 * NS, T0)
    resend, alive = 10_000 * MS, 3_000 * MS
    assert box.due(T0 + resend, resend, alive) == []  # never heard from inventory: nobody to push to
    box.ack(fill("t1"))
    box.on_heartbeat(run=7, now=T0)
    box.pushed(fill("t2"), 100 * NS, T0)
    box.on_heartbeat(run=7, now=T0 + resend - MS)
    assert box.due(T0 + resend - MS, resend, alive) == []  # not due yet
    assert [f.trade_id for f in box.due(T0 + resend, resend, alive)] == ["t2"]
    assert box.due(T0 + resend + MS, resend, alive) == []  # pushed just now
    later = T0 + 3 * resend
    assert box.due(later, resend, alive) == []  # inventory silent for longer than 3 beats
    box.on_heartbeat(run=7, now=later)
    assert [f.trade_id for f in box.due(later, resend, alive)] == ["t2"]


def test_fills_unacknowledged_for_too_long_are_given_up() -> None:
    box = Outbox()
    box.pushed(fill("old"), T0 - 7200 * NS, T0)
    box.pushed(fill("new"), T0 - 60 * NS, T0)
    assert [f.trade_id for f in box.prune(T0, 3600 * NS)] == ["old"]
    assert box.oldest_ns() == T0 - 60 * NS


def test_the_feed_tracks_what_it_pushes_and_the_watermark_waits_for_the_acknowledgement() -> None:
    feed = Feed(Identity(KEY))
    [first] = feed.on_event(user_trade("a", 1000, "CONFIRMED"), "ws", T0)
    [second] = feed.on_event(user_trade("b", 2000, "CONFIRMED"), "ws", T0)
    assert isinstance(first.msg, Fill) and isinstance(second.msg, Fill)
    assert feed.mark.open_trades == {}  # both final: without the outbox, back-fill would start at 2000
    assert feed.mark.after_s(T0, 0, 3600) == 1000  # "a" is not acknowledged: back-fill must reach it
    assert not feed.on_applied(fill("zz"))
    assert feed.on_applied(first.msg)
    assert feed.mark.after_s(T0, 0, 3600) == 2000
    assert feed.on_applied(second.msg) and feed.mark.pinned_ns == 0
    assert feed.mark.after_s(T0, 0, 3600) == 2000  # the last trade seen, as before


def test_the_feed_pushes_again_on_inventory_restart_to_the_fill_pipe() -> None:
    feed = Feed(Identity(KEY))
    feed.on_inventory_heartbeat(1, T0)
    [out] = feed.on_event(user_trade("a", 1000), "ws", T0)
    [again] = feed.on_inventory_heartbeat(2, T0 + MS)
    assert (again.pipe, again.topic, again.msg) == (out.pipe, out.topic, out.msg)
    assert feed.resend_due(T0 + 2 * MS, 1, 10 * NS) == [again]


def test_unacknowledged_fills_survive_a_restart_of_the_user_feed_as_an_owed_backfill() -> None:
    feed = Feed(Identity(KEY))
    feed.on_event(user_trade("a", 1000, "CONFIRMED"), "ws", T0)
    feed.on_event(user_trade("b", 2000, "CONFIRMED"), "ws", T0)
    saved = json.loads(json.dumps(feed.mark.to_json()))
    assert saved["unacked_ns"] == 1000 * NS

    restored = Watermark.from_json(saved)
    restored.owe_pinned(margin_s=0)  # what the program does at start
    assert restored.start() == 1000  # the first back-fill reaches the unacknowledged fill
    assert Watermark.from_json({}).pinned_ns == 0
    nothing = Watermark()
    nothing.owe_pinned(margin_s=60)
    assert nothing.owed_s is None
