"""actors.market_feed.core: venue frames -> books, epochs, liveness and bus messages (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects, conflate, mark_frames
from bus import topics
from bus.effects import Effects
from schemas import Book, FeedStatus, MarketResolved, NewMarket, TickSizeChange, Trade
from tests.support.fixtures import FIXTURES
from tests.support.market_frames import (
    CID,
    NO,
    NOW,
    YES,
    best_bid_ask,
    book,
    change,
    tick_change,
    trade,
    two_books,
)


def feed(*assets: str, **kwargs: Any) -> MarketFeed:
    f = MarketFeed(depth=kwargs.pop("depth", 50), default_tick=10_000, **kwargs)
    for asset in assets or (YES,):
        f.track(asset, NOW)
    return f


def of(fx: FeedEffects, cls: type) -> list[Any]:
    return [m for _, m in fx.publishes if isinstance(m, cls)]


def test_snapshot_publishes_a_sorted_book_and_goes_live() -> None:
    f = feed()
    fx = f.on_frame(book(), NOW + 1)
    [b] = of(fx, Book)
    assert b == Book(asset=YES, market=CID, bids=[(500_000, 10_000_000), (490_000, 20_000_000),
                                                   (480_000, 30_000_000)],
                     asks=[(510_000, 10_000_000), (520_000, 20_000_000), (530_000, 30_000_000)],
                     tick=10_000, epoch=1, ts_event=1_757_908_892_000_000_000, ts_recv=NOW + 1)
    assert of(fx, FeedStatus) == [FeedStatus(asset=YES, live=True, reason="snapshot", ts=NOW + 1)]
    assert [t for t, _ in fx.publishes] == [topics.md_book(YES), topics.md_status(YES)]
    assert fx.data and not fx.resnap


def test_feed_effects_are_bus_effects_node_apply_can_perform() -> None:
    fx = FeedEffects()
    assert isinstance(fx, Effects) and not fx
    assert all(getattr(fx, slot) == [] for slot in Effects.__slots__)  # every field of Effects is set
    fx.resnap.append(YES)
    fx.publish(topics.md_status(YES), FeedStatus(asset=YES, live=True, reason="snapshot", ts=NOW))
    fx.warn("malformed_frame", count=1)
    fx.clear()
    assert not fx and fx.resnap == [YES]  # clear() empties only what Node.apply performs


def test_each_snapshot_is_a_new_epoch_and_liveness_is_said_once() -> None:
    f = feed()
    f.on_frame(book(), NOW)
    fx = f.on_frame(book(bids=[("0.40", "1")]), NOW + 1)
    assert [b.epoch for b in of(fx, Book)] == [2]
    assert of(fx, Book)[0].bids == [(400_000, 1_000_000)]
    assert of(fx, FeedStatus) == []


# (deltas after the default snapshot, expected bids, expected asks) -- each delta is (side, price, size)
DELTAS = [
    ([("BUY", "0.495", "7")], [(500_000, 10), (495_000, 7), (490_000, 20), (480_000, 30)], None),
    ([("BUY", "0.50", "4")], [(500_000, 4), (490_000, 20), (480_000, 30)], None),  # new total, not a delta
    ([("BUY", "0.50", "0")], [(490_000, 20), (480_000, 30)], None),  # "0" removes the level
    ([("SELL", "0.505", "3")], None, [(505_000, 3), (510_000, 10), (520_000, 20), (530_000, 30)]),
    ([("SELL", "0.51", "0"), ("SELL", "0.52", "0")], None, [(530_000, 30)]),
    ([("BUY", ".47", "1")], [(500_000, 10), (490_000, 20), (480_000, 30), (470_000, 1)], None),
]


@pytest.mark.parametrize(("deltas", "bids", "asks"), DELTAS)
def test_deltas_set_level_totals(deltas: list[tuple[str, str, str]], bids: list[tuple[int, int]] | None,
                                 asks: list[tuple[int, int]] | None) -> None:
    f = feed()
    f.on_frame(book(), NOW)
    fx = f.on_frame(change(*[(YES, s, p, z) for s, p, z in deltas]), NOW + 1)
    [b] = of(fx, Book)  # one Book per asset per frame, whatever the number of entries
    default_bids = [(500_000, 10), (490_000, 20), (480_000, 30)]
    default_asks = [(510_000, 10), (520_000, 20), (530_000, 30)]
    assert b.bids == [(p, s * 1_000_000) for p, s in (bids or default_bids)]
    assert b.asks == [(p, s * 1_000_000) for p, s in (asks or default_asks)]
    assert (b.epoch, b.ts_event) == (1, 1_757_908_893_000_000_000)


def test_a_change_below_the_published_depth_publishes_nothing() -> None:
    f = feed(depth=2)
    f.on_frame(book(), NOW)
    assert of(f.on_frame(change((YES, "BUY", "0.48", "99")), NOW + 1), Book) == []
    [b] = of(f.on_frame(change((YES, "BUY", "0.50", "0")), NOW + 2), Book)
    assert b.bids == [(490_000, 20_000_000), (480_000, 99_000_000)]  # the deeper change shows up later


def test_one_frame_covering_both_tokens_updates_both_books() -> None:
    f = feed(YES, NO)
    f.on_frame(book(YES), NOW)
    f.on_frame(book(NO), NOW)
    fx = f.on_frame(change((YES, "BUY", "0.505", "5"), (NO, "SELL", "0.495", "5")), NOW + 1)
    assert {b.asset: b.bids[0] if b.asset == YES else b.asks[0] for b in of(fx, Book)} == {
        YES: (505_000, 5_000_000), NO: (495_000, 5_000_000)}


def test_deltas_before_any_snapshot_are_ignored() -> None:
    f = feed()
    fx = f.on_frame(change((YES, "BUY", "0.5", "1")), NOW)
    assert fx.publishes == [] and f.ignored_deltas == 1


def test_legacy_and_flat_price_change_shapes_apply() -> None:
    f = feed()
    f.on_frame(book(), NOW)
    legacy = {"event_type": "price_change", "asset_id": YES, "market": CID, "timestamp": "1",
              "changes": [{"price": "0.4", "side": "SELL", "size": "3300"}], "hash": "h"}
    flat = {"event_type": "price_change", "asset_id": YES, "market": CID, "timestamp": "2", "price": "0.45",
            "side": "BUY", "size": "12.5", "hash": "h"}
    [b1] = of(f.on_frame(json.dumps(legacy), NOW + 1), Book)
    [b2] = of(f.on_frame(json.dumps(flat), NOW + 2), Book)
    assert b1.asks[0] == (400_000, 3_300_000_000)
    assert (450_000, 12_500_000) in b2.bids


def test_tick_size_change_starts_a_new_epoch() -> None:
    f = feed()
    f.on_frame(book(), NOW)
    fx = f.on_frame(tick_change(), NOW + 1)
    assert of(fx, TickSizeChange) == [TickSizeChange(asset=YES, market=CID, old_tick=10_000, new_tick=1_000,
                                                     ts_event=1_757_908_894_000_000_000, ts_recv=NOW + 1)]
    assert of(fx, FeedStatus) == [FeedStatus(asset=YES, live=False, reason="tick_change", ts=NOW + 1)]
    assert fx.resnap == [YES]  # a fresh snapshot is asked for
    assert [t for t, _ in fx.publishes] == [topics.md_tick(YES), topics.md_status(YES)]
    # deltas are ignored until the next snapshot
    assert f.on_frame(change((YES, "BUY", "0.501", "1")), NOW + 2).publishes == []
    fx = f.on_frame(book(bids=[("0.501", "1")], tick="0.001"), NOW + 3)
    [b] = of(fx, Book)
    assert (b.epoch, b.tick, b.bids) == (2, 1_000, [(501_000, 1_000_000)])
    assert of(fx, FeedStatus)[0].live


def test_a_snapshot_without_tick_size_keeps_the_known_tick() -> None:
    f = feed()
    f.on_frame(tick_change(new="0.001"), NOW)
    raw = json.loads(book())
    del raw["tick_size"]
    [b] = of(f.on_frame(json.dumps(raw), NOW + 1), Book)
    assert b.tick == 1_000
    g = feed()
    [b] = of(g.on_frame(json.dumps(raw), NOW), Book)
    assert b.tick == 10_000  # PM_MD_DEFAULT_TICK until the venue says otherwise


def test_last_trade_price_is_a_trade() -> None:
    f = feed()
    frame = (FIXTURES / "docs_examples/last_trade_price_asyncapi_example.json").read_text()
    asset = json.loads(frame)["asset_id"]
    f.track(asset, NOW)
    fx = f.on_frame(frame, NOW + 5)
    assert fx.publishes == [(topics.md_trade(asset), Trade(
        asset=asset, market="0x6a67b9d828d53862160e470329ffea5246f338ecfffdf2cab45211ec578b0347",
        price=456_000, size=219_217_767, side="BUY", fee_rate_bps=0, ts_event=1_750_428_146_322_000_000,
        ts_recv=NOW + 5))]


def test_new_market_and_resolution_go_to_the_market_topic_once() -> None:
    f = feed()
    frame = (FIXTURES / "live_captures_rust_client/ws_market_new_market_btc_updown_5m_2026-10-02_trimmed.json"
             ).read_text()
    fx = f.on_frame(frame, NOW)
    cid = "0x9691dbea9f392aea399936926ff9d3013de1550381454b9579124df96168f54a"
    assert fx.publishes == [(topics.md_market(cid), NewMarket(
        market=cid, slug="btc-updown-5m-1790994600",
        assets=["29481957761527484935929705986029508274880234386196526574483297319946400380223",
                "110300735535035853449236273459359802664768005831731803586170232203839099968893"],
        outcomes=["Up", "Down"], active=False, ts_event=1_790_908_720_778_000_000))]
    assert f.on_frame(frame, NOW + 1).publishes == []  # the same broadcast from another socket
    resolved = (FIXTURES / "nautilus_trader/crates_test_data/ws_market_resolved_msg.json").read_text()
    [(topic, msg)] = f.on_frame(resolved, NOW).publishes
    assert isinstance(msg, MarketResolved) and topic == topics.md_market(msg.market)
    assert (msg.winning_outcome, msg.winning_asset[:5]) == ("Yes", "76043")


def test_best_bid_ask_only_proves_liveness() -> None:
    f = feed()
    frame = json.dumps({"event_type": "best_bid_ask", "asset_id": YES, "market": CID, "best_bid": "",
                        "best_ask": "0.5", "spread": "", "timestamp": "1"})
    fx = f.on_frame(frame, NOW + 9)
    assert fx.publishes == [] and fx.data and f.assets[YES].last_event_ns == NOW + 9


@pytest.mark.parametrize("frame", [
    "garbage",
    change((YES, "BUY", "abc", "1")),
    change((YES, "BUY", "0.5", "1"), (YES, "HOLD", "0.4", "1")),  # the bad second entry spoils the frame
    change((YES, "BUY", "1.5", "1")),  # price out of range
    change((YES, "BUY", "0.5000001", "1")),  # a price finer than 1e-6 is malformed, not rounded onto a level
    book(bids=[("0.4999999", "1")]),
    book(bids=[("0.5", "-1")]),
    book(asks=[("0", "1")]),
    tick_change(new="x"),
    json.dumps({"event_type": "last_trade_price", "asset_id": YES, "price": "0.5", "size": "1", "side": "?"}),
    json.dumps({"event_type": "new_market", "market": "", "slug": "x"}),
    json.dumps({"event_type": "market_resolved", "market": "0x1.2", "winning_asset_id": "1"}),
])
def test_malformed_input_is_counted_and_leaves_the_state_untouched(frame: str) -> None:
    f = feed()
    f.on_frame(book(), NOW)
    before = (f.assets[YES].book.bids.top(), f.assets[YES].book.asks.top(),  # type: ignore[union-attr]
              f.assets[YES].epoch, f.assets[YES].tick)
    fx = f.on_frame(frame, NOW + 1)
    st = f.assets[YES]
    assert (st.book.bids.top(), st.book.asks.top(), st.epoch, st.tick) == before  # type: ignore[union-attr]
    assert f.bad == 1 and fx.publishes == []
    assert [n for _, n, _ in fx.notes] == ["malformed_frame"]


def test_a_flood_of_malformed_frames_is_logged_for_the_first_ten_then_every_thousandth() -> None:
    f = feed()
    logged = [n for n in range(1, 2001) if f.on_frame("{}", NOW).notes]
    assert logged == [*range(1, 11), 1000, 2000] and f.bad == 2000  # every one is counted
    fx = f.on_frame("{}", NOW)
    assert fx.notes == [] and f.bad == 2001


def test_top_of_book_mismatches_are_logged_for_the_first_ten_but_each_still_asks_for_a_snapshot() -> None:
    f = feed(resync_min_ns=1)
    f.on_frame(book(), NOW)
    asked, logged = [], []
    for n in range(1, 13):
        fx = f.on_frame(change((YES, "BUY", "0.40", str(n)), top=("0.60", "0.61")), NOW + n)
        asked.append(fx.resnap == [YES])
        logged += [fields["count"] for _, event, fields in fx.notes if event == "book_top_mismatch"]
    assert all(asked) and logged == list(range(1, 11))


@pytest.mark.parametrize("text", ["PONG", "NO NEW ASSETS", "[]"])
def test_text_frames_and_empty_arrays_are_tolerated(text: str) -> None:
    f = feed()
    fx = f.on_frame(text, NOW)
    assert (fx.publishes, f.bad, fx.pong) == ([], 0, text == "PONG")


def test_events_for_untracked_assets_are_ignored_unless_tracking_all() -> None:
    f = feed()
    assert f.on_frame(book(NO), NOW).publishes == [] and f.untracked == 1
    g = feed(track_all=True)
    assert len(of(g.on_frame(book(NO), NOW), Book)) == 1


def test_top_of_book_mismatch_asks_for_a_snapshot_at_most_once_per_interval() -> None:
    f = feed(resync_min_ns=1_000)
    f.on_frame(book(), NOW)
    ok = f.on_frame(change((YES, "BUY", "0.505", "1"), top=("0.505", "0.51")), NOW + 1)
    assert ok.resnap == [] and f.top_mismatch == 0
    bad = f.on_frame(change((YES, "BUY", "0.40", "1"), top=("0.60", "0.61")), NOW + 2)
    assert bad.resnap == [YES] and [n for _, n, _ in bad.notes] == ["book_top_mismatch"]
    assert f.on_frame(change((YES, "BUY", "0.41", "1"), top=("0.60", "0.61")), NOW + 3).resnap == []
    assert f.on_frame(change((YES, "BUY", "0.42", "1"), top=("0.60", "0.61")), NOW + 2_000).resnap == [YES]
    assert f.top_mismatch == 3 and len(of(bad, Book)) == 1  # the book stays live meanwhile


def test_empty_side_sentinels_match_an_empty_book() -> None:
    f = feed()
    f.on_frame(book(bids=[], asks=[]), NOW)
    fx = f.on_frame(change((YES, "BUY", "0.5", "0")), NOW + 1)
    assert fx.resnap == []
    fx = f.on_frame(change((YES, "SELL", "0.6", "0"), top=("0", "1")), NOW + 1)
    assert fx.resnap == [] and f.top_mismatch == 0


def test_down_drops_the_book_and_says_why_once() -> None:
    f = feed()
    f.on_frame(book(), NOW)
    fx = FeedEffects()
    f.down(YES, "stale", NOW + 1, fx)
    f.down(YES, "stale", NOW + 2, fx)
    assert of(fx, FeedStatus) == [FeedStatus(asset=YES, live=False, reason="stale", ts=NOW + 1)]
    assert f.on_frame(change((YES, "BUY", "0.5", "1")), NOW + 3).publishes == []
    assert f.assets[YES].want_ns  # a snapshot is awaited


def test_untrack_says_unsubscribed_and_epochs_never_go_back() -> None:
    f = feed()
    f.on_frame(book(), NOW)
    fx = FeedEffects()
    f.untrack(YES, NOW + 1, fx)
    assert fx.publishes == [(topics.md_status(YES), FeedStatus(asset=YES, live=False, reason="unsubscribed",
                                                          ts=NOW + 1))]
    f.track(YES, NOW + 2)
    [b] = of(f.on_frame(book(), NOW + 3), Book)
    assert b.epoch == 2


def test_current_republishes_the_last_book_and_status() -> None:
    f = feed()
    f.on_frame(book(), NOW)
    fx = FeedEffects()
    f.current(YES, NOW + 1, fx)
    assert [type(m).__name__ for _, m in fx.publishes] == ["Book", "FeedStatus"]
    assert of(fx, Book)[0].epoch == 1 and of(fx, FeedStatus)[0].live


def test_every_market_fixture_goes_through_the_state_machine_without_errors() -> None:
    f = MarketFeed(depth=50, default_tick=10_000, track_all=True)
    names = ["nautilus_trader/py_ws_messages/book.json", "nautilus_trader/py_ws_messages/price_change.json",
             "nautilus_trader/py_ws_messages/last_trade_price.json",
             "nautilus_trader/py_ws_messages/tick_size_change.json",
             "live_captures_rust_client/ws_market_initial_book_frame_array_2026-10-02_trimmed.json",
             "nautilus_trader/crates_test_data/ws_market_best_bid_ask_msg.json"]
    out = [m for name in names for _, m in f.on_frame((FIXTURES / name).read_bytes(), NOW).publishes]
    assert f.bad == 0
    nt_book = next(m for m in out if isinstance(m, Book) and m.asset.startswith("4833"))
    assert nt_book.bids[0] == (511_000, 1_304_720_000) and nt_book.asks[0] == (514_000, 20_230_870_000)
    assert len(nt_book.bids) == len(nt_book.asks) == 50  # PM_MD_DEPTH
    assert [type(m).__name__ for m in out].count("Trade") == 1


def test_conflate_keeps_only_the_last_book_per_asset_and_everything_else_in_order() -> None:
    f = feed(YES, NO)
    out = [*f.on_frame(book(YES), NOW).publishes, *f.on_frame(book(NO), NOW).publishes]
    out += f.on_frame(change((YES, "BUY", "0.505", "1")), NOW + 1).publishes
    out += f.on_frame(tick_change(YES), NOW + 2).publishes
    out += f.on_frame(book(YES, tick="0.001"), NOW + 3).publishes
    out += f.on_frame(change((NO, "BUY", "0.495", "1")), NOW + 4).publishes
    kept = conflate(out)
    assert [(type(m).__name__, getattr(m, "asset", ""), getattr(m, "epoch", 0)) for _, m in kept] == [
        ("FeedStatus", YES, 0), ("FeedStatus", NO, 0),  # the snapshots' statuses stay
        ("TickSizeChange", YES, 0), ("FeedStatus", YES, 0),  # the tick change keeps its place
        ("Book", YES, 2), ("FeedStatus", YES, 0),  # the last YES book, after the tick change
        ("Book", NO, 1),  # the last NO book
    ]
    [no_book] = [b for _, b in kept if isinstance(b, Book) and b.asset == NO]
    assert (495_000, 1_000_000) in no_book.bids  # the post-delta book, not the snapshot


@pytest.mark.parametrize("out", [[], [(b"t", FeedStatus(asset=YES, live=True, reason="snapshot", ts=1))]])
def test_conflate_without_books_changes_nothing(out: list[Any]) -> None:
    assert conflate(out) == out


# (name, frames of one socket read, event types decoded, how many lead up to the last book change)
READS = [
    ("a delta, then top-of-book", [change((YES, "BUY", "0.5", "1")), best_bid_ask(), best_bid_ask(NO)],
     ["PriceChangeMsg", "BestBidAskMsg", "BestBidAskMsg"], 1),
    ("top-of-book, then a delta", [best_bid_ask(), change((YES, "BUY", "0.5", "1"))],
     ["BestBidAskMsg", "PriceChangeMsg"], 2),
    ("an array of snapshots, then a trade", [two_books(), trade()],
     ["BookMsg", "BookMsg", "LastTradeMsg"], 2),
    ("nothing that changes a book", [best_bid_ask(), trade(), tick_change()],
     ["BestBidAskMsg", "LastTradeMsg", "TickSizeMsg"], 0),
    ("text frames carry no events", ["PONG", change((YES, "BUY", "0.5", "1")), "NO NEW ASSETS"],
     ["PriceChangeMsg"], 1),
    ("nothing", [], [], 0),
]


@pytest.mark.parametrize(("frames", "types", "cut"), [r[1:] for r in READS], ids=[r[0] for r in READS])
def test_decode_finds_the_last_event_that_can_change_a_book(frames: list[str], types: list[str],
                                                            cut: int) -> None:
    f = feed(YES, NO)
    fx = FeedEffects()
    events, got = f.decode([x.encode() for x in frames], fx)
    assert ([type(e).__name__ for e in events], got) == (types, cut)
    assert (fx.pong, fx.data, f.frames) == ("PONG" in frames, bool(types), len(frames))


def test_decode_keeps_the_good_parts_of_a_read_with_bad_frames() -> None:
    f = feed(YES, NO)
    fx = FeedEffects()
    bad_array = "[" + book(YES) + ',{"event_type":"nope"}]'
    events, cut = f.decode([b"garbage", bad_array.encode(), change((YES, "BUY", "0.5", "1")).encode()], fx)
    assert [type(e).__name__ for e in events] == ["BookMsg", "PriceChangeMsg"] and cut == 2
    assert f.bad == 2 and [n for _, n, _ in fx.notes] == ["malformed_frame", "malformed_frame"]
    assert fx.data


def test_a_frame_that_moves_both_tokens_marks_every_book_but_the_markets_last() -> None:
    f = feed(YES, NO)
    f.on_frame(book(YES), NOW)
    f.on_frame(book(NO), NOW)
    out = f.on_frame(change((YES, "BUY", "0.505", "1"), (NO, "SELL", "0.495", "1")), NOW + 1).publishes
    other = Book(asset="other", market="0xother", bids=[], asks=[], tick=10_000, epoch=1, ts_event=0,
                 ts_recv=0)
    out = [*out, (topics.md_book("other"), other)]
    mark_frames(out)
    assert [(m.asset, m.more) for _, m in out if isinstance(m, Book)] == [
        (YES, True), (NO, False), ("other", False)]


def test_a_book_of_an_unknown_market_is_never_marked() -> None:
    lone = Book(asset=YES, market="", bids=[], asks=[], tick=10_000, epoch=1, ts_event=0, ts_recv=0)
    out: list[Any] = [(topics.md_book(YES), lone), (topics.md_book(YES), lone)]
    mark_frames(out)
    assert [m.more for _, m in out] == [False, False]


# A side whose levels are the last snapshot's (and unchanged since) is not parsed again; a level change in
# between means the same levels again must be loaded. (frames after the default snapshot, expected bids)
REPEATS = [
    ("the same snapshot again", [book()], [(500_000, 10), (490_000, 20), (480_000, 30)]),
    ("a delta, then the first snapshot's levels again: the delta is undone",
     [change((YES, "BUY", "0.50", "4")), book()], [(500_000, 10), (490_000, 20), (480_000, 30)]),
    ("a delta that changes nothing, then the same levels", [change((YES, "BUY", "0.47", "0")), book()],
     [(500_000, 10), (490_000, 20), (480_000, 30)]),
    ("other bids, then the first ones again", [book(bids=[("0.40", "1")]), book()],
     [(500_000, 10), (490_000, 20), (480_000, 30)]),
    ("the asks move, the bids repeat", [book(asks=[("0.60", "5")])], [(500_000, 10), (490_000, 20),
                                                                       (480_000, 30)]),
]


@pytest.mark.parametrize(("frames", "bids"), [(f, b) for _, f, b in REPEATS], ids=[r[0] for r in REPEATS])
def test_a_snapshot_repeating_the_last_ones_levels_loads_the_same_book(frames: list[str],
                                                                       bids: list[tuple[int, int]]) -> None:
    f = feed()
    f.on_frame(book(), NOW)
    for i, frame in enumerate(frames):
        fx = f.on_frame(frame, NOW + 1 + i)
    [last] = of(fx, Book)
    assert last.bids == [(p, s * 1_000_000) for p, s in bids]
    st = f.assets[YES]
    assert st.book is not None and st.book.bids.sizes == dict(last.bids)


def test_the_feed_counts_every_depth_row_print_and_message_it_reads() -> None:
    f = feed(YES, NO)
    f.on_frame(book(), NOW)  # 3 + 3 levels
    f.on_frame(change((YES, "BUY", "0.495", "7"), (NO, "SELL", "0.51", "3")), NOW)  # 2 level changes
    f.on_frame(trade(), NOW)  # 1 print
    f.on_frame(best_bid_ask(), NOW)  # 1 other message
    f.on_frame(book(bids=[], asks=[]), NOW)  # an empty snapshot is one event
    assert f.rows == 6 + 2 + 1 + 1 + 1
