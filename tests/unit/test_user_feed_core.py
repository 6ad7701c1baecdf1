"""The user-feed's pure core: our fills in a trade (maker entries, cross-asset, several of ours, taker),
order updates, the back-fill watermark, reconnect back-off. Table-driven, fixtures through the real parser."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from actors.user_feed.core import (
    Feed,
    Identity,
    Watermark,
    backoff_ms,
    maker_side,
    order_update,
    trade_fills,
)
from actors.user_feed.venue import MakerOrder, UserOrder, UserTrade, parse_frame, parse_trade_row
from schemas import Fill, OrderUpdate
from tests.support.fixtures import NT_CRATES, NT_WS, POLYOXIDE

NOW = 1_800_000_000_000_000_000
NS = 1_000_000_000
YES = "21742633143463906290569050155826241533067272736897614950488156847949938836455"
NO = "48331043336612883890938759509493159234755048973500640148014422747788308965732"


def load_trade(path: Path, **changes: Any) -> UserTrade:
    raw = json.loads(path.read_text())
    raw.update(changes)
    [event] = parse_frame(json.dumps(raw)).events
    assert isinstance(event, UserTrade)
    return event


def load_order(path: Path, **changes: Any) -> UserOrder:
    raw = json.loads(path.read_text())
    raw.update(changes)
    [event] = parse_frame(json.dumps(raw)).events
    assert isinstance(event, UserOrder)
    return event


def summary(fills: list[Fill]) -> list[tuple[str, str, str, int, int, str, str]]:
    return [(f.order_id[:8], f.asset[:6], f.side, f.price, f.size, f.status, f.role) for f in fills]


# (fixture, our identity, expected fills as (order id[:8], asset[:6], side, price, size, status, role))
CASES: list[tuple[str, Path, Identity, list[tuple[str, str, str, int, int, str, str]]]] = [
    ("cross-asset NO maker next to YES makers: its own token, price and side (mint: BUY too)",
     NT_WS / "user_trade1.json", Identity("78132bc3-22af-6aa2-79ae-11929f821cae"),
     [("0x3b67d5", "483310", "BUY", 482_000, 10_000_000, "MINED", "MAKER")]),
    ("same-token maker without a side field: opposite of the taker's BUY",
     NT_WS / "user_trade1.json", Identity("86f776cc-e18b-c94e-80b4-a7364e0ecec5"),
     [("0x67620d", "217426", "SELL", 518_000, 247_680_000, "MINED", "MAKER")]),
    ("told we are a maker but none of the entries is ours: no fill",
     NT_WS / "user_trade1.json", Identity("092dab0c-74fa-5ba7-4b67-572daeace198"), []),
    ("our taker order: top-level fields",
     NT_WS / "user_trade2.json", Identity("3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"),
     [("0x5b605a", "217426", "BUY", 520_000, 5_000_000, "MATCHED", "TAKER")]),
    ("someone else's taker trade we are not part of",
     NT_WS / "user_trade2.json", Identity("00000000-dead-beef-0000-000000000000"), []),
    ("maker side given: taken as is",
     NT_WS / "user_trade3.json", Identity("a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5"),
     [("0x3ad09f", "217426", "BUY", 513_000, 5_000_000, "CONFIRMED", "MAKER")]),
    ("two of our orders in one trade: one fill each",
     NT_WS / "user_trade4.json", Identity("a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5"),
     [("0x3ad09f", "217426", "BUY", 400_000, 5_000_000, "CONFIRMED", "MAKER"),
      ("0x67b598", "217426", "BUY", 300_000, 5_000_000, "CONFIRMED", "MAKER")]),
    ("found by maker address too (case-insensitive)",
     NT_WS / "user_trade4.json", Identity("", "0xa3d82ed56f4c68d2328fb8c29e568ba2caf7d7c8"),
     [("0x3ad09f", "217426", "BUY", 400_000, 5_000_000, "CONFIRMED", "MAKER"),
      ("0x67b598", "217426", "BUY", 300_000, 5_000_000, "CONFIRMED", "MAKER")]),
    ("the docs' example where one key is taker and maker: both fills",
     POLYOXIDE / "asyncapi_user_example_user_trade_matched.json",
     Identity("9180014b-33c8-9240-a14b-bdca11c0a465"),
     [("0xff354c", "521143", "SELL", 570_000, 10_000_000, "MATCHED", "MAKER"),
      ("0x06bc63", "521143", "BUY", 570_000, 10_000_000, "MATCHED", "TAKER")]),
    ("a maker of the synthetic nautilus trade",
     NT_CRATES / "ws_user_trade.json", Identity("00000000-0000-0000-0000-000000000002"),
     [("0xmaker0", "713210", "SELL", 500_000, 25_000_000, "CONFIRMED", "MAKER")]),
]


@pytest.mark.parametrize(("name", "path", "me", "expected"), CASES, ids=[c[0] for c in CASES])
def test_our_fills_in_a_trade(name: str, path: Path, me: Identity,
                              expected: list[tuple[str, str, str, int, int, str, str]]) -> None:
    fills = trade_fills(load_trade(path), me, "ws", NOW)
    assert summary(fills) == expected
    assert all(f.trade_id == load_trade(path).id and f.source == "ws" and f.ts_recv == NOW and f.fee == 0
               for f in fills)


def test_rest_rows_give_the_same_fills_with_source_rest() -> None:
    report = parse_trade_row((NT_CRATES / "http_trade_report.json").read_bytes())
    assert report is not None
    fills = trade_fills(report, Identity("00000000-0000-0000-0000-000000000003"), "rest", NOW)
    assert summary(fills) == [("0xmaker0", "713210", "SELL", 500_000, 5_000_000, "CONFIRMED", "MAKER")]
    assert fills[0].source == "rest" and fills[0].ts_event == 1_704_067_260 * NS  # last_update (ISO)
    row = parse_trade_row((NT_WS / "trades.json").read_bytes())
    assert row is not None
    assert summary(trade_fills(row, Identity("62880c97-4a03-c6fa-2665-e6072ffc6ae6"), "rest", NOW)) == [
        ("0x6dd169", "217426", "SELL", 489_000, 5_000_000, "CONFIRMED", "MAKER")]
    taker = trade_fills(row, Identity("3e2c94ca-8124-c4c1-c7ea-be1ea21b71fe"), "rest", NOW)
    assert summary(taker) == [("0x4505aa", "217426", "BUY", 489_000, 5_000_000, "CONFIRMED", "TAKER")]


def test_every_status_change_is_a_fill_again_including_failed() -> None:
    me = Identity("9180014b-33c8-9240-a14b-bdca11c0a465")
    statuses = []
    matched = POLYOXIDE / "asyncapi_user_example_user_trade_matched.json"
    confirmed = POLYOXIDE / "asyncapi_user_example_user_trade_confirmed.json"
    for path, changes in [(matched, {}), (matched, {"status": "MINED"}), (confirmed, {}),
                          (matched, {"status": "RETRYING"}), (matched, {"status": "FAILED"})]:
        fills = trade_fills(load_trade(path, **changes), me, "ws", NOW)
        statuses.append({(f.order_id[:8], f.status) for f in fills})
    assert [sorted(s for _, s in st)[0] for st in statuses] == ["MATCHED", "MINED", "CONFIRMED", "RETRYING",
                                                                 "FAILED"]


def test_trade_time_prefers_the_event_timestamp_in_ms_or_s() -> None:
    me = Identity("78132bc3-22af-6aa2-79ae-11929f821cae")
    [ms] = trade_fills(load_trade(NT_WS / "user_trade1.json"), me, "ws", NOW)
    assert ms.ts_event == 1_725_868_885_871 * 1_000_000
    [seconds] = trade_fills(load_trade(NT_WS / "user_trade1.json", timestamp="1725868885"), me, "ws", NOW)
    assert seconds.ts_event == 1_725_868_885 * NS
    [fallback] = trade_fills(load_trade(NT_WS / "user_trade1.json", timestamp=None), me, "ws", NOW)
    assert fallback.ts_event == 1_725_868_885 * NS  # last_update


@pytest.mark.parametrize(("given", "maker_asset", "taker_side", "expected"), [
    ("", YES, "BUY", "SELL"),  # same token: always opposite
    ("", YES, "SELL", "BUY"),
    ("", NO, "BUY", "BUY"),  # complementary token, taker buys: mint, the maker buys too
    ("", NO, "SELL", "SELL"),  # complementary token, taker sells: merge, the maker sells too
    ("BUY", YES, "BUY", "BUY"),  # given wins (the venue knows better than any rule)
    ("sell", NO, "BUY", "SELL"),
])
def test_maker_side_is_never_just_the_opposite_of_the_taker(given: str, maker_asset: str, taker_side: str,
                                                           expected: str) -> None:
    trade = UserTrade(id="t", side=taker_side, asset_id=YES)
    assert maker_side(MakerOrder(order_id="o", side=given, asset_id=maker_asset), trade) == expected


def test_a_trade_with_an_unknown_status_or_side_is_refused() -> None:
    me = Identity("78132bc3-22af-6aa2-79ae-11929f821cae")
    with pytest.raises(ValueError):
        trade_fills(load_trade(NT_WS / "user_trade1.json", status="PENDING"), me, "ws", NOW)
    with pytest.raises(ValueError):
        trade_fills(load_trade(NT_WS / "user_trade1.json", side="HOLD"), me, "ws", NOW)


def maker_changed(owner: str, **changes: str) -> UserTrade:
    """user_trade1.json with our (``owner``'s) maker entry changed."""
    raw = json.loads((NT_WS / "user_trade1.json").read_text())
    for entry in raw["maker_orders"]:
        if entry["owner"] == owner:
            entry.update(changes)
    [event] = parse_frame(json.dumps(raw)).events
    assert isinstance(event, UserTrade)
    return event


def test_a_fill_size_past_the_sixth_decimal_is_floored() -> None:
    me = Identity("78132bc3-22af-6aa2-79ae-11929f821cae")
    [fill] = trade_fills(maker_changed(me.api_key, matched_amount="10.0000019"), me, "ws", NOW)
    assert (fill.price, fill.size) == (482_000, 10_000_001)  # half-even would have made it 10_000_002


def test_a_fill_price_past_the_sixth_decimal_is_rounded_and_the_fill_kept() -> None:
    me = Identity("78132bc3-22af-6aa2-79ae-11929f821cae")
    [fill] = trade_fills(maker_changed(me.api_key, price="0.4820006"), me, "ws", NOW)
    assert (fill.price, fill.size) == (482_001, 10_000_000)  # a fill is never dropped for its digits


# (fixture, changes, expected (status, reason, kind, size_matched, ts_event))
ORDER_CASES: list[tuple[Path, dict[str, Any], tuple[str, str, str, int, int]]] = [
    (NT_WS / "order_placement.json", {}, ("LIVE", "", "PLACEMENT", 0, 1_725_842_520_990_000_000)),
    (NT_WS / "order_cancel.json", {}, ("CANCELED", "", "CANCELLATION", 5_000_000, 1_725_841_743_272_000_000)),
    (NT_CRATES / "ws_user_order_update.json", {}, ("LIVE", "", "UPDATE", 25_000_000,
                                                   1_703_875_200_500_000_000)),
    (NT_CRATES / "ws_user_order_matched.json", {}, ("MATCHED", "", "UPDATE", 100_000_000,
                                                    1_703_875_201_000_000_000)),
    (NT_CRATES / "ws_user_order_fok_killed.json", {},
     ("CANCELED", "order couldn't be fully filled. FOK orders are fully filled or killed.", "CANCELLATION", 0,
      1_777_824_065_000_000_000)),
    (NT_CRATES / "ws_user_order_venue_cancel.json", {}, ("INVALID", "", "CANCELLATION", 0,
                                                         1_774_378_800_285_000_000)),
    (POLYOXIDE / "asyncapi_user_example_user_order_cancellation.json", {},
     ("CANCELED", "", "CANCELLATION", 5_000_000, 1_672_295_000 * NS)),  # a timestamp in seconds
    (NT_WS / "order_placement.json", {"status": "UNMATCHED_invalid post-only order: order crosses book"},
     ("UNMATCHED", "invalid post-only order: order crosses book", "PLACEMENT", 0, 1_725_842_520_990_000_000)),
    (NT_WS / "order_placement.json", {"status": "ORDER_STATUS_LIVE"},
     ("LIVE", "", "PLACEMENT", 0, 1_725_842_520_990_000_000)),
]


@pytest.mark.parametrize(("path", "changes", "expected"), ORDER_CASES,
                         ids=[f"{p.stem}-{c.get('status', '')[:20]}" for p, c, _ in ORDER_CASES])
def test_order_events_become_order_updates(path: Path, changes: dict[str, Any],
                                           expected: tuple[str, str, str, int, int]) -> None:
    raw = json.loads(path.read_text())
    update = order_update(load_order(path, **changes), NOW)
    assert (update.status, update.reason, update.kind, update.size_matched, update.ts_event) == expected
    assert (update.order_id, update.market, update.asset, update.side) == (raw["id"], raw["market"],
                                                                           raw["asset_id"], raw["side"])
    assert update.ts_recv == NOW


def test_the_feed_routes_fills_to_the_push_pipe_and_orders_to_the_bus() -> None:
    feed = Feed(Identity("a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5"))
    market = "0xdd22472e552920b8438158ea7238bfadfa4f736aa4cee91a6b86c39ead110917"
    outs = feed.on_event(load_trade(NT_WS / "user_trade4.json"), "ws", NOW)
    assert [(o.pipe, o.topic) for o in outs] == [("fills", f"inv.fill.{market}.".encode())] * 2
    [order] = feed.on_event(load_order(NT_WS / "order_cancel.json"), "ws", NOW)
    assert order.pipe == "" and order.topic == f"user.order.{market}.".encode()
    assert isinstance(order.msg, OrderUpdate)


# (fixture, changes, topic kind): only a placement that rests untouched leaves the hot-path stream
ROUTES: list[tuple[Path, dict[str, Any], str]] = [
    (NT_WS / "order_placement.json", {}, "placed"),
    (NT_WS / "order_placement.json", {"status": "DELAYED"}, "placed"),
    (NT_WS / "order_placement.json", {"size_matched": "1"}, "order"),  # matched at once: news
    (NT_WS / "order_placement.json", {"status": "UNMATCHED_invalid post-only order: order crosses book"},
     "order"),  # ended at once
    (NT_WS / "order_placement.json", {"status": "MATCHED"}, "order"),
    (NT_WS / "order_cancel.json", {}, "order"),  # ours or the venue's: the feed cannot tell
    (NT_CRATES / "ws_user_order_update.json", {}, "order"),
    (NT_CRATES / "ws_user_order_venue_cancel.json", {}, "order"),
]


@pytest.mark.parametrize(("path", "changes", "kind"), ROUTES,
                         ids=[f"{p.stem}-{str(c)[:24]}" for p, c, _ in ROUTES])
def test_a_resting_placement_goes_to_user_placed_the_rest_to_user_order(path: Path, changes: dict[str, Any],
                                                                        kind: str) -> None:
    feed = Feed(Identity("k"))
    [out] = feed.on_event(load_order(path, **changes), "ws", NOW)
    assert isinstance(out.msg, OrderUpdate)
    assert out.topic == f"user.{kind}.{out.msg.market}.".encode()


def test_the_feed_counts_what_it_cannot_use_and_never_raises() -> None:
    feed = Feed(Identity("a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5"))
    assert feed.on_event(load_order(NT_WS / "order_placement.json", status="WEIRD"), "ws", NOW) == []
    assert feed.on_event(load_order(NT_WS / "order_placement.json", market=""), "ws", NOW) == []
    assert feed.on_event(load_trade(NT_WS / "user_trade4.json", price="x", status="BOGUS"), "ws", NOW) == []
    assert feed.on_event(load_trade(NT_WS / "user_trade2.json"), "ws", NOW) == []
    assert feed.skipped == 3 and feed.unmatched_trades == 1 and len(feed.errors) == 3


# -- the back-fill watermark ---------------------------------------------------------------------


def trade(trade_id: str, match_s: int, status: str = "MATCHED") -> UserTrade:
    return UserTrade(id=trade_id, match_time=str(match_s), status=status)


def test_watermark_reaches_back_to_the_last_trade_or_the_oldest_unfinished_one() -> None:
    mark = Watermark()
    assert mark.after_s(NOW, 60, 3600) == NOW // NS - 3600  # nothing seen yet: lookback
    mark.synced_ns = NOW - 100 * NS
    assert mark.after_s(NOW, 60, 3600) == NOW // NS - 160  # caught up earlier, no trade since
    mark.observe(trade("a", 1000), "MATCHED")
    mark.observe(trade("b", 2000), "CONFIRMED")
    assert (mark.last_trade_ns, mark.open_trades) == (2000 * NS, {"a": 1000 * NS})
    assert mark.after_s(NOW, 60, 3600) == 940  # "a" may still change status (MINED ... FAILED)
    mark.observe(trade("a", 1000, "CONFIRMED"), "CONFIRMED")
    assert mark.after_s(NOW, 60, 3600) == 1940
    mark.observe(trade("c", 3000), "FAILED")
    assert mark.open_trades == {} and mark.after_s(NOW, 60, 3600) == 2940


def test_a_bad_match_time_does_not_cost_the_fill() -> None:
    feed = Feed(Identity("78132bc3-22af-6aa2-79ae-11929f821cae"))
    [out] = feed.on_event(load_trade(NT_WS / "user_trade1.json", match_time="soon"), "ws", NOW)
    assert isinstance(out.msg, Fill) and feed.mark.last_trade_ns == 1_725_868_885_871 * 1_000_000


def test_watermark_forgets_trades_that_never_finish() -> None:
    mark = Watermark()
    mark.observe(trade("old", 1000), "MATCHED")
    mark.observe(trade("new", 9000), "MINED")
    mark.prune(10_000 * NS, 3600)
    assert mark.open_trades == {"new": 9000 * NS}


def test_an_owed_backfill_survives_failures_and_merges_with_new_ones() -> None:
    mark = Watermark()
    assert mark.start() is None
    mark.owe(500)
    mark.owe(700)
    assert mark.start() == 500 and mark.start() is None  # one at a time
    mark.owe(900)  # a reconnect while it runs
    mark.finish(False, NOW)
    assert mark.owed_s == 500 and mark.synced_ns == 0  # the failed range is owed again, merged
    assert mark.start() == 500
    mark.finish(True, NOW)
    assert mark.owed_s is None and mark.synced_ns == NOW
    mark.owe(800)
    assert mark.start() == 800
    mark.owe(850)
    mark.finish(True, NOW + 5)
    assert mark.owed_s == 850 and mark.synced_ns == NOW  # another is owed: not caught up yet
    mark.caught_up(NOW + 9)
    assert mark.synced_ns == NOW


def test_watermark_round_trips_through_json_keeping_what_is_owed() -> None:
    mark = Watermark(last_trade_ns=5 * NS, open_trades={"a": 4 * NS}, synced_ns=6 * NS)
    mark.owe(300)
    mark.start()
    mark.owe(200)
    back = Watermark.from_json(json.loads(json.dumps(mark.to_json())))
    assert (back.last_trade_ns, back.open_trades, back.synced_ns, back.owed_s) == (5 * NS, {"a": 4 * NS},
                                                                                   6 * NS, 200)
    assert Watermark.from_json({}).owed_s is None


@pytest.mark.parametrize(("attempt", "rand", "expected"), [
    (0, 0.0, 250), (0, 1.0, 500), (1, 1.0, 1000), (3, 0.5, 3000), (10, 1.0, 30_000), (10, 0.0, 15_000),
    (1000, 1.0, 30_000),
])
def test_reconnect_backoff_is_capped_and_jittered(attempt: int, rand: float, expected: int) -> None:
    assert backoff_ms(attempt, 500, 30_000, rand) == expected
