"""Every market-channel fixture through the real parser (actors.market_feed.venue), plus numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.market_feed import venue as v
from tests.support.fixtures import DOCS, LIVE, NT_CRATES, NT_WS

# fixture -> the event types it decodes to
MARKET_FIXTURES: list[tuple[Path, list[type]]] = [
    (NT_WS / "book.json", [v.BookMsg]),
    (NT_WS / "price_change.json", [v.PriceChangeMsg]),
    (NT_WS / "price_change_v2.json", [v.PriceChangeMsg]),
    (NT_WS / "last_trade_price.json", [v.LastTradeMsg]),
    (NT_WS / "tick_size_change.json", [v.TickSizeMsg]),
    (NT_CRATES / "ws_market_book_msg.json", [v.BookMsg]),
    (NT_CRATES / "ws_market_price_change_msg.json", [v.PriceChangeMsg]),
    (NT_CRATES / "ws_market_last_trade_msg.json", [v.LastTradeMsg]),
    (NT_CRATES / "ws_market_tick_size_msg.json", [v.TickSizeMsg]),
    (NT_CRATES / "ws_market_best_bid_ask_msg.json", [v.BestBidAskMsg]),
    (NT_CRATES / "ws_market_new_market_msg.json", [v.NewMarketMsg]),
    (NT_CRATES / "ws_market_resolved_msg.json", [v.MarketResolvedMsg]),
    (DOCS / "price_change_LEGACY_changes_schema_pre_2025-09-15.json", [v.PriceChangeMsg]),
    (DOCS / "price_change_NEW_price_changes_schema_post_2025-09-15.json", [v.PriceChangeMsg]),
    (DOCS / "last_trade_price_asyncapi_example.json", [v.LastTradeMsg]),
    (LIVE / "ws_market_initial_book_frame_array_2026-10-02_trimmed.json", [v.BookMsg, v.BookMsg]),
    (LIVE / "ws_market_new_market_btc_updown_5m_2026-10-02_trimmed.json", [v.NewMarketMsg]),
]

# SYNTH shapes without an `event_type` (the venue always sends one): with the type they name, they parse
UNTYPED_FIXTURES: list[tuple[Path, str, type]] = [
    (NT_CRATES / "ws_book_snapshot.json", "book", v.BookMsg),
    (NT_CRATES / "ws_quotes.json", "price_change", v.PriceChangeMsg),
    (NT_CRATES / "ws_last_trade.json", "last_trade_price", v.LastTradeMsg),
    (NT_CRATES / "ws_tick_size_change.json", "tick_size_change", v.TickSizeMsg),
]


def test_every_market_channel_fixture_is_covered() -> None:
    covered = {p.name for p, _ in MARKET_FIXTURES} | {p.name for p, _, _ in UNTYPED_FIXTURES}
    files = [*NT_CRATES.glob("ws_*.json"), *NT_WS.glob("*.json"), *LIVE.glob("ws_market_*"),
             *DOCS.glob("*.json")]
    on_disk = {p.name for p in files
               if "user" not in p.name and not p.name.startswith(("order_", "trades", "ws_subscribe"))}
    assert on_disk <= covered


@pytest.mark.parametrize(("path", "types"), MARKET_FIXTURES, ids=lambda x: getattr(x, "name", ""))
def test_fixture_decodes_to_its_event_types(path: Path, types: list[type]) -> None:
    frame = v.decode_frame(path.read_bytes())
    assert (frame.bad, frame.error) == (0, "")
    assert [type(e) for e in frame.events] == types


@pytest.mark.parametrize(("path", "event_type", "cls"), UNTYPED_FIXTURES, ids=lambda x: getattr(x, "name", x))
def test_untyped_synth_fixture_is_malformed_until_typed(path: Path, event_type: str, cls: type) -> None:
    raw = json.loads(path.read_bytes())
    assert v.decode_frame(path.read_bytes()).bad == 1
    frame = v.decode_frame(json.dumps({**raw, "event_type": event_type}))
    assert [type(e) for e in frame.events] == [cls]


def test_three_price_change_shapes_give_the_same_entries() -> None:
    flat = v.decode_frame((NT_WS / "price_change.json").read_bytes()).events[0]
    legacy = v.decode_frame(
        (DOCS / "price_change_LEGACY_changes_schema_pre_2025-09-15.json").read_bytes()).events[0]
    current = v.decode_frame(
        (DOCS / "price_change_NEW_price_changes_schema_post_2025-09-15.json").read_bytes()).events[0]
    assert isinstance(flat, v.PriceChangeMsg) and isinstance(legacy, v.PriceChangeMsg)
    assert isinstance(current, v.PriceChangeMsg)
    assert [(c.asset_id, c.side, c.price, c.size) for c in flat.entries()] == [
        ("48331043336612883890938759509493159234755048973500640148014422747788308965732", "SELL", "0.514",
         "21574.08")]
    assert [(c.asset_id[:8], c.side, c.price, c.size) for c in legacy.entries()] == [
        ("71321045", "SELL", "0.4", "3300")]  # the root asset_id, filled in
    entries = current.entries()
    assert [c.asset_id[:4] for c in entries] == ["7132", "5211"]  # one frame covers both tokens
    assert [(c.best_bid, c.best_ask) for c in entries] == [("0.5", "1"), ("0", "0.5")]


def test_live_initial_dump_is_one_array_with_tick_and_empty_last_trade() -> None:
    frame = v.decode_frame((LIVE / "ws_market_initial_book_frame_array_2026-10-02_trimmed.json").read_bytes())
    first, empty = frame.events
    assert isinstance(first, v.BookMsg) and isinstance(empty, v.BookMsg)
    assert (first.tick_size, first.last_trade_price, [lv.price for lv in first.bids]) == (
        "0.01", "0.140", ["0.01", "0.02", "0.03"])  # worst -> best, as live
    assert (empty.bids, empty.asks, empty.last_trade_price) == ([], [], "")


@pytest.mark.parametrize(("data", "text", "events", "bad"), [
    (b"PONG", b"PONG", 0, 0),
    ("PONG", b"PONG", 0, 0),
    (b"NO NEW ASSETS", b"NO NEW ASSETS", 0, 0),
    (b"[]", b"", 0, 0),
    (b"", b"", 0, 0),
    (b"hello", b"", 0, 1),
    (b"{not json", b"", 0, 1),
    (b'{"event_type":"mystery","x":1}', b"", 0, 1),
    (b'{"event_type":"book"}', b"", 0, 1),  # no asset_id
    (b'{"event_type":"book","asset_id":"1","bids":"x"}', b"", 0, 1),
    (b'[{"event_type":"book","asset_id":"1"},{"event_type":"mystery"},{"event_type":"book","asset_id":"2"}]',
     b"", 2, 1),
    (b'[1, 2]', b"", 0, 2),
    (b'[{"event_type":"book","asset_id":"1"}', b"", 0, 1),  # truncated array
])
def test_decode_frame_never_raises(data: bytes | str, text: bytes, events: int, bad: int) -> None:
    frame = v.decode_frame(data)
    assert (frame.text, len(frame.events), frame.bad) == (text, events, bad)
    assert bool(frame.error) == bool(bad)


@pytest.mark.parametrize(("text", "units"), [
    ("0.5", 500_000), ("0.50", 500_000), (".48", 480_000), ("1", 1_000_000), ("0", 0),
    ("12848.17", 12_848_170_000), ("0.001", 1_000), ("219.217767", 219_217_767),
    ("100.0000", 100_000_000), ("1e-3", 1_000),
])
def test_sizes_and_ticks_are_exact(text: str, units: int) -> None:
    assert v.size(text) == v.exact(text) == units
    assert v.size(text) == v.exact(text) == units  # cached path


def test_a_size_past_the_sixth_decimal_is_floored_and_never_cached_for_a_price() -> None:
    assert v.size("0.1234567") == 123_456 and v.size("0.1234567") == 123_456
    assert "0.1234567" not in v.UNITS
    with pytest.raises(ValueError, match="6 decimal places"):
        v.price("0.1234567")
    with pytest.raises(ValueError, match="6 decimal places"):
        v.exact("0.1234567")


@pytest.mark.parametrize(("text", "units"), [("0.5", 500_000), (".48", 480_000), ("1", 1_000_000),
                                             ("0.0001", 100), ("0.5000", 500_000)])
def test_prices_are_exact(text: str, units: int) -> None:
    assert v.price(text) == units
    assert v.price(text) == units  # cached path


@pytest.mark.parametrize("text", ["0", "1.01", "5", "0.5000001", "-0.5"])
def test_prices_out_of_range_or_finer_than_1e6_are_rejected(text: str) -> None:
    with pytest.raises(ValueError):
        v.price(text)


def test_a_cached_size_is_no_price() -> None:
    assert v.size("7") == 7_000_000
    with pytest.raises(ValueError, match="out of range"):
        v.price("7")


@pytest.mark.parametrize("text", ["", "abc", "-1", "NaN", "Infinity", "0x10", "1,5"])
def test_numbers_reject_non_numbers(text: str) -> None:
    for parse in (v.size, v.exact, v.price):
        with pytest.raises(ValueError):
            parse(text)


def test_optional_exact_and_timestamps_and_sides() -> None:
    assert v.optional_exact("", 7) == 7 and v.optional_exact("0.73", 7) == 730_000
    assert v.ms_to_ns("1757908892351") == 1_757_908_892_351_000_000 and v.ms_to_ns("") == 0
    with pytest.raises(ValueError):
        v.ms_to_ns("soon")
    assert v.side_is_bid("BUY") and not v.side_is_bid("SELL")
    with pytest.raises(ValueError):
        v.side_is_bid("HOLD")
