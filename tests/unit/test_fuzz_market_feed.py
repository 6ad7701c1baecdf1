"""Fuzzing the market channel: hostile WebSocket frames through ``MarketFeed.on_frame`` (the parser and
the book state machine together, exactly as the shell calls them).

For every input: nothing raises; every message produced can be published on the bus (msgpack int64,
UTF-8 topics); a malformed part is a ``malformed_frame`` note (the shell logs it as a warning) and
``feed.bad`` counts it; and an event that is malformed changes no state at all (book, epoch, tick,
liveness): a bad delta, snapshot, trade or tick change is all-or-nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from actors.market_feed import venue
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects
from bus import codec, topics
from tests.support.fixtures import FIXTURES, NT_CRATES, NT_WS
from tests.support.fuzz import (
    BAD_NUMBERS,
    BAD_PRICES,
    BAD_SIDES,
    FEW,
    FUZZ,
    ODD_TEXT,
    byte_mutated,
    dumps,
    json_bytes,
    load,
    mutated,
)
from venue_client.wsframes import FrameParser, ProtocolError

NOW = 1_800_000_000_000_000_000
MARKET_FIXTURES: list[Path] = sorted(
    [*NT_CRATES.glob("ws_market_*.json"), *NT_CRATES.glob("ws_book_snapshot.json"),
     *NT_CRATES.glob("ws_quotes.json"), *NT_CRATES.glob("ws_last_trade.json"),
     *NT_CRATES.glob("ws_tick_size_change.json"), *(FIXTURES / "live_captures_rust_client").glob("*.json"),
     *(NT_WS / n for n in ("book.json", "price_change.json", "price_change_v2.json", "last_trade_price.json",
                           "tick_size_change.json")),
     *(FIXTURES / "docs_examples").glob("price_change_*.json"),
     FIXTURES / "docs_examples/last_trade_price_asyncapi_example.json"])
SEEDS = [load(p) for p in MARKET_FIXTURES]
BOOK = load(NT_WS / "book.json")  # a real 2024 snapshot: 76 bid levels
YES, NO = BOOK["asset_id"], "52114319501245915516055106046884209969926127482827954674443846427813813222426"


def assets_in(doc: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(doc, dict):
        for key, value in doc.items():
            if key in ("asset_id", "winning_asset_id") and isinstance(value, str):
                found.add(value)
            found |= assets_in(value)
    elif isinstance(doc, list):
        for value in doc:
            found |= assets_in(value)
    return found


ASSETS = sorted(set().union(*(assets_in(s) for s in SEEDS)) | {YES, NO})


def booked_feed() -> MarketFeed:
    """A feed tracking every asset of the fixtures, each with a real book (so deltas apply)."""
    feed = MarketFeed(depth=50, default_tick=10_000)
    for asset in ASSETS:
        feed.track(asset, NOW)
        fx = feed.on_frame(json.dumps({**BOOK, "asset_id": asset, "event_type": "book"}), NOW)
        assert not fx.notes
    return feed


def state(feed: MarketFeed) -> Any:
    """Everything but counters: books (all levels), epochs, ticks, liveness, clocks, seen markets."""
    def side(s: Any) -> Any:
        return dict(s.sizes), list(s.keys)
    return ({a: (None if s.book is None else (side(s.book.bids), side(s.book.asks)), s.epoch, s.tick, s.live,
                 s.reason, s.market, s.ts_event, s.last_event_ns, s.want_ns, s.booked, s.resync_ns)
             for a, s in feed.assets.items()}, dict(feed.epochs), list(feed.seen_markets))


def malformed(fx: FeedEffects) -> bool:
    return any(event == "malformed_frame" for _, event, _ in fx.notes)


def check_publishable(fx: FeedEffects) -> None:
    for topic, msg in fx.publishes:
        topics.owner_of(topic)  # a well-formed topic of a known stream
        header = codec.encode_header("market-feed", 1, 1, NOW)
        assert codec.decode([topic, header, codec.encode_body(msg)])[2] == msg


def run_frame(feed: MarketFeed, data: bytes) -> FeedEffects:
    before_bad = feed.bad
    bad_parts = venue.decode_frame(data).bad
    fx = feed.on_frame(data, NOW + 1)
    check_publishable(fx)
    if bad_parts:
        assert malformed(fx) and feed.bad >= before_bad + bad_parts
    assert malformed(fx) == (feed.bad > before_bad)
    return fx


@FUZZ
@given(st.one_of(json_bytes(), st.text(max_size=40).map(str.encode)))
def test_any_frame_is_handled_and_everything_published_fits_the_bus(data: bytes) -> None:
    run_frame(booked_feed(), data)
    replay = MarketFeed(depth=5, default_tick=10_000, track_all=True)  # replay mode tracks anything
    run_frame(replay, data)


@FUZZ
@given(st.sampled_from(SEEDS).flatmap(mutated).map(dumps).flatmap(
    lambda raw: st.one_of(st.just(raw), byte_mutated(raw))))
def test_mutated_real_frames_are_all_or_nothing_per_event(data: bytes) -> None:
    feed = booked_feed()
    before = state(feed)
    fx = run_frame(feed, data)
    if data.lstrip()[:1] == b"{" and malformed(fx):  # one event, and it was malformed
        assert state(feed) == before and fx.publishes == [] and fx.resnap == []


# -- one bad value among good ones: nothing of the event is applied ---------------------------------

good_levels = st.lists(st.tuples(st.integers(1, 99).map(lambda c: f"0.{c:02d}"),
                                 st.integers(0, 10**6).map(str)), min_size=1, max_size=6)
bad_field: st.SearchStrategy[tuple[str, Any]] = st.one_of(
    st.tuples(st.just("price"), st.sampled_from(BAD_PRICES)),
    st.tuples(st.just("size"), st.sampled_from(BAD_NUMBERS)),
    st.tuples(st.just("side"), st.sampled_from(BAD_SIDES)),
    st.tuples(st.just("price"), st.sampled_from([0, 0.5, None, [], {}])))  # wrong JSON types


@FUZZ
@given(good_levels, bad_field, st.data())
def test_a_bad_delta_leaves_the_book_untouched(levels: list[tuple[str, str]], bad: tuple[str, Any],
                                               data: st.DataObject) -> None:
    entries: list[dict[str, Any]] = [
        {"asset_id": data.draw(st.sampled_from([YES, NO])), "price": p, "size": s,
         "side": data.draw(st.sampled_from(["BUY", "SELL"]))} for p, s in levels]
    field, value = bad
    wrong = dict(entries[0], **{field: value})
    entries.insert(data.draw(st.integers(0, len(entries))), wrong)
    schema = data.draw(st.sampled_from(["current", "legacy"]))
    if schema == "current":
        event = {"event_type": "price_change", "market": "0xm", "price_changes": entries, "timestamp": "1"}
    else:
        event = {"event_type": "price_change", "asset_id": YES, "changes": [
            {k: v for k, v in e.items() if k != "asset_id"} for e in entries], "timestamp": "1"}
    feed = booked_feed()
    before, bad_before = state(feed), feed.bad
    fx = feed.on_frame(json.dumps(event), NOW + 1)
    assert malformed(fx) and feed.bad == bad_before + 1
    assert fx.publishes == [] and state(feed) == before


@FEW
@given(good_levels, bad_field)
def test_a_bad_snapshot_leaves_the_old_book_and_epoch(levels: list[tuple[str, str]],
                                                     bad: tuple[str, Any]) -> None:
    field, value = bad
    bids = [{"price": p, "size": s} for p, s in levels]
    if field == "side":
        field, value = "size", "-1"
    bids.append({"price": "0.5", "size": "1", field: value})
    feed = booked_feed()
    before = state(feed)
    fx = feed.on_frame(json.dumps({**BOOK, "event_type": "book", "bids": bids}), NOW + 1)
    assert malformed(fx) and fx.publishes == [] and state(feed) == before


@FUZZ
@given(st.sampled_from(["price", "size", "side", "timestamp", "fee_rate_bps", "new_tick_size",
                        "old_tick_size"]), st.sampled_from(BAD_PRICES + ODD_TEXT + ["9" * 30]))
def test_a_bad_trade_or_tick_change_is_dropped(field: str, value: str) -> None:
    if field in ("new_tick_size", "old_tick_size"):
        event = {"event_type": "tick_size_change", "asset_id": YES, "old_tick_size": "0.01",
                 "new_tick_size": "0.001", "timestamp": "1", field: value}
    else:
        event = {"event_type": "last_trade_price", "asset_id": YES, "price": "0.5", "size": "10",
                 "side": "BUY", "fee_rate_bps": "0", "timestamp": "1", field: value}
    feed = booked_feed()
    before = state(feed)
    fx = feed.on_frame(json.dumps(event), NOW + 1)
    check_publishable(fx)
    if malformed(fx):
        assert fx.publishes == [] and state(feed) == before
    else:  # some values are fine for some fields ("" timestamp, "0.5" size, a "1" tick ...)
        assert field not in ("price",) or 0 < venue.exact(value) <= 1_000_000


@FUZZ
@given(st.lists(st.binary(max_size=64), max_size=8))
def test_the_websocket_frame_parser_raises_only_protocol_errors(chunks: list[bytes]) -> None:
    parser = FrameParser()
    try:
        for chunk in chunks:
            for item in parser.feed(chunk):
                assert isinstance(item, bytes | tuple)
    except ProtocolError:
        pass
    assert parser.buffered <= sum(map(len, chunks))
