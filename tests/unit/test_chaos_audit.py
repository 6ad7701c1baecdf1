"""The chaos run's checks (tests/support/audit.py, watch.py): every finding they must report, no false one."""

from __future__ import annotations

from typing import Any

import pytest

from schemas import Fill, OpenOrder, OpenOrders, OrderPlaced, PlaceOrder
from tests.support import audit
from tests.support.audit import JournalRow, VenueFill
from tests.support.watch import OrderWatch, PlaceWatch

ME, OTHER = "our-key", "their-key"
YES, NO = "111", "222"
S = 1_000_000_000


def row(trade: str, status: str, makers: list[dict[str, str]], **top: str) -> dict[str, Any]:
    return {"id": trade, "status": status, "market": "0xm", "taker_order_id": "0xtaker", "asset_id": YES,
            "side": "SELL", "price": "0.5", "size": "10", "owner": OTHER, "trader_side": "MAKER",
            "maker_orders": makers, **top}


def maker(order: str, owner: str = ME, asset: str = YES, side: str = "BUY", price: str = "0.47",
          size: str = "5") -> dict[str, str]:
    return {"order_id": order, "owner": owner, "asset_id": asset, "side": side, "price": price,
            "matched_amount": size}


def vfill(trade: str, order: str, status: str = "CONFIRMED", asset: str = YES, side: str = "BUY",
          size: int = 5_000_000) -> VenueFill:
    return VenueFill(trade_id=trade, order_id=order, market="0xm", asset=asset, side=side, price=470_000,
                     size=size, status=status)


def jrow(trade: str, order: str, status: str, action: str, asset: str = YES, size: int = 5_000_000,
         side: str = "BUY") -> JournalRow:
    fill = Fill(trade_id=trade, order_id=order, market="0xm", asset=asset, side=side,  # type: ignore[arg-type]
                price=470_000, size=size, status=status, role="MAKER", fee=0,  # type: ignore[arg-type]
                source="ws", ts_event=1, ts_recv=1)
    return JournalRow(trade, order, status, action, fill)


def test_venue_fills_keeps_only_our_maker_entries_with_their_own_asset_and_side() -> None:
    rows = [row("t1", "CONFIRMED", [maker("o1", asset=NO, side="BUY", price="0.5"), maker("x", owner=OTHER)]),
            row("t2", "TRADE_STATUS_FAILED", [maker("o2", side="SELL", size="2.5")])]
    fills, repeated = audit.venue_fills(rows, ME)
    assert fills == {("t1", "o1"): VenueFill(trade_id="t1", order_id="o1", market="0xm", asset=NO, side="BUY",
                                             price=500_000, size=5_000_000, status="CONFIRMED"),
                     ("t2", "o2"): VenueFill(trade_id="t2", order_id="o2", market="0xm", asset=YES,
                                             side="SELL", price=470_000, size=2_500_000, status="FAILED")}
    assert repeated == []


def test_venue_fills_counts_our_taker_leg_and_reports_a_key_seen_twice_in_one_trade() -> None:
    taker = row("t1", "MATCHED", [maker("o1"), maker("o1")], owner=ME, trader_side="TAKER")
    fills, repeated = audit.venue_fills([taker], ME)
    assert set(fills) == {("t1", "o1"), ("t1", "0xtaker")}
    assert fills[("t1", "0xtaker")].side == "SELL" and fills[("t1", "0xtaker")].size == 10_000_000
    assert repeated == [("t1", "o1")]


@pytest.mark.parametrize(("venue_status", "journal", "finding"), [
    ("CONFIRMED", [("MATCHED", "applied"), ("CONFIRMED", "recorded")], None),
    ("CONFIRMED", [("CONFIRMED", "applied")], None),  # MATCHED missed: applied at CONFIRMED
    ("FAILED", [("MATCHED", "applied"), ("FAILED", "reversed")], None),
    ("FAILED", [("FAILED", "recorded")], None),  # never applied: nothing to reverse
    ("FAILED", [], None),
    ("CONFIRMED", [], "lost"),
    ("CONFIRMED", [("MATCHED", "applied"), ("FAILED", "reversed")], "lost"),
    ("FAILED", [("MATCHED", "applied"), ("RETRYING", "recorded")], "unreversed"),
    ("CONFIRMED", [("MATCHED", "applied"), ("MINED", "applied")], "double"),
])
def test_audit_fills_finds_each_way_a_fill_can_go_wrong(venue_status: str, journal: list[tuple[str, str]],
                                                         finding: str | None) -> None:
    venue = {("t1", "o1"): vfill("t1", "o1", venue_status)}
    found = audit.audit_fills(venue, [jrow("t1", "o1", status, action) for status, action in journal])
    assert found.fills == 1 and found.failed == (venue_status == "FAILED")
    assert found.problems == (finding is not None)
    if finding is not None:
        assert getattr(found, finding) == [("t1", "o1")]


def test_audit_fills_reports_phantoms_and_fills_applied_with_another_size() -> None:
    venue = {("t1", "o1"): vfill("t1", "o1")}
    journal = [jrow("t1", "o1", "MATCHED", "applied", size=4_000_000), jrow("t9", "o9", "MATCHED", "applied")]
    found = audit.audit_fills(venue, journal)
    assert found.phantom == [("t9", "o9")]
    assert len(found.differs) == 1 and "4000000" in found.differs[0]
    assert found.problems == 2


def test_positions_from_the_journal_are_what_inventory_rebuilds_reversals_included() -> None:
    journal = [jrow("t1", "o1", "MATCHED", "applied"), jrow("t2", "o2", "MATCHED", "applied", asset=NO),
               jrow("t3", "o3", "MATCHED", "applied"), jrow("t3", "o3", "FAILED", "reversed")]
    assert audit.inventory_positions(journal) == {YES: 5_000_000, NO: 5_000_000}
    venue = {("t1", "o1"): vfill("t1", "o1"), ("t2", "o2"): vfill("t2", "o2", asset=NO),
             ("t3", "o3"): vfill("t3", "o3", "FAILED"),
             ("t4", "o4"): vfill("t4", "o4", side="SELL", asset=NO)}
    assert audit.traded_positions(venue) == {YES: 5_000_000}


@pytest.mark.parametrize(("inventory", "traded", "venue", "paid_out", "problems"), [
    ({YES: 5}, {YES: 5}, {YES: 5}, set(), 0),
    ({YES: 5}, {YES: 5}, {}, {YES}, 0),  # resolved and redeemed: only the trade history remains
    ({YES: 5}, {YES: 5}, {YES: 5}, {YES}, 0),  # resolved, not yet redeemed
    ({YES: 5}, {YES: 4}, {YES: 4}, set(), 1),
    ({YES: 5}, {YES: 5}, {YES: 4}, set(), 1),  # the venue's ledger disagrees with its own trades
    ({YES: 5}, {YES: 5}, {}, set(), 1),  # open market, position gone
    ({}, {}, {NO: 3}, set(), 1),  # the venue holds something we never saw
])
def test_audit_positions(inventory: dict[str, int], traded: dict[str, int], venue: dict[str, int],
                         paid_out: set[str], problems: int) -> None:
    assert len(audit.audit_positions(inventory, traded, venue, paid_out)) == problems


@pytest.mark.parametrize(("venue", "burnt", "problems"), [
    ({YES: 2}, {YES: 3}, 0),  # 3 of the 5 merged away: the venue holds the other 2
    ({}, {YES: 5}, 0),  # all merged or redeemed
    ({YES: 5}, {YES: 3}, 1),  # inventory says 3 were merged, the venue still holds them
    ({}, {YES: 3}, 1),  # 2 left per inventory, none at the venue (market open)
])
def test_audit_positions_counts_what_merges_and_redemptions_burned(
        venue: dict[str, int], burnt: dict[str, int], problems: int) -> None:
    assert len(audit.audit_positions({YES: 5}, {YES: 5}, venue, set(), burnt)) == problems


def open_orders(*ids: str) -> OpenOrders:
    return OpenOrders(orders=[OpenOrder(order_id=i, holder="h", market="0xm", asset=YES, side="BUY",
                                        price=470_000, size=5_000_000, size_matched=0, slot="yes",
                                        post_only=True) for i in ids], ts=0)


def listed(*ids: str) -> list[dict[str, object]]:
    return [{"id": i, "side": "BUY", "price": "0.47", "original_size": "5"} for i in ids]


def test_an_order_the_executor_never_lists_is_a_stranger_once_the_grace_is_over() -> None:
    watch = OrderWatch(grace_ns=8 * S)
    watch.on_open_orders(open_orders("a"), 0)
    assert watch.on_venue(listed("a", "b"), 1 * S) == []
    assert watch.on_venue(listed("a", "b"), 9 * S) == []  # 8 s: not longer than the grace
    found = watch.on_venue(listed("a", "b"), 10 * S)
    assert len(found) == 1 and "b" in found[0] and "9 s" in found[0]
    assert watch.on_venue(listed("a", "b"), 11 * S) == []  # reported once
    assert list(watch.strangers) == ["b"]


def test_orders_placed_since_the_last_listing_and_orders_that_went_away_are_not_strangers() -> None:
    watch = OrderWatch(grace_ns=8 * S)
    watch.on_open_orders(open_orders(), 0)
    watch.on_placed(OrderPlaced(cmd_id="c", holder="h", order_id="p", market="0xm", asset=YES, side="BUY",
                                price=1, size=1, slot="yes", status="live", ts=0), 1 * S)
    assert watch.on_venue(listed("p", "gone"), 2 * S) == []
    assert watch.on_venue(listed("p"), 5 * S) == []  # "gone" was cancelled before its grace ran out
    assert watch.on_venue(listed("p", "gone"), 20 * S) == []  # back again: a new grace starts
    assert watch.strangers == {}


def test_only_post_only_gtc_or_gtd_orders_pass() -> None:
    watch = PlaceWatch()

    def place(order_type: str, post_only: bool) -> PlaceOrder:
        return PlaceOrder(cmd_id="c", holder="h", market="0xm", asset=YES, side="BUY", price=1, size=1,
                          tick=1, neg_risk=False, order_type=order_type,  # type: ignore[arg-type]
                          post_only=post_only)

    for order_type, post_only in (("GTC", True), ("GTD", True), ("GTC", False), ("FAK", True)):
        watch.on_place(place(order_type, post_only))
    assert len(watch.violations) == 2
