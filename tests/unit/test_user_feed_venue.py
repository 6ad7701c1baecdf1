"""The user channel's wire shapes: every recorded user-channel / REST-trade fixture through the real
parsers, plus tables for status strings (gotcha 9), amounts (gotcha 19) and timestamps (s / ms / ISO)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actors.user_feed import venue
from actors.user_feed.venue import UserOrder, UserTrade, parse_frame, parse_trade_row, parse_trades_page
from tests.support.fixtures import NT_CRATES, NT_HTTP, NT_WS, POLYOXIDE

ORDER_FIXTURES = [
    POLYOXIDE / "asyncapi_user_example_user_order_placement.json",
    POLYOXIDE / "asyncapi_user_example_user_order_cancellation.json",
    NT_WS / "order_placement.json",
    NT_WS / "order_cancel.json",
    *sorted(NT_CRATES.glob("ws_user_order_*.json")),
]
TRADE_FIXTURES = [
    POLYOXIDE / "asyncapi_user_example_user_trade_matched.json",
    POLYOXIDE / "asyncapi_user_example_user_trade_confirmed.json",
    *sorted(NT_WS.glob("user_trade*.json")),
    *sorted(NT_CRATES.glob("ws_user_trade*.json")),
]


def test_the_fixture_lists_are_complete() -> None:
    assert len(ORDER_FIXTURES) == 11 and len(TRADE_FIXTURES) == 8
    assert all(p.is_file() for p in ORDER_FIXTURES + TRADE_FIXTURES)


@pytest.mark.parametrize("path", ORDER_FIXTURES, ids=lambda p: p.name)
def test_every_order_fixture_parses_as_an_order_event(path: Path) -> None:
    raw = json.loads(path.read_text())
    parsed = parse_frame(path.read_bytes())
    assert parsed.skipped == 0 and parsed.text == ""
    [order] = parsed.events
    assert isinstance(order, UserOrder)
    assert (order.id, order.market, order.asset_id, order.type) == (raw["id"], raw["market"], raw["asset_id"],
                                                                   raw["type"])
    assert venue.order_status(order.status) is not None
    assert venue.order_price(order.price) == int(float(raw["price"]) * 1_000_000 + 0.5)


@pytest.mark.parametrize("path", TRADE_FIXTURES, ids=lambda p: p.name)
def test_every_trade_fixture_parses_with_all_its_maker_orders(path: Path) -> None:
    raw = json.loads(path.read_text())
    [trade] = parse_frame(path.read_bytes()).events
    assert isinstance(trade, UserTrade)
    assert trade.id == raw["id"] and trade.trader_side == raw["trader_side"]
    assert [m.order_id for m in trade.maker_orders or []] == [m["order_id"] for m in raw["maker_orders"]]
    assert venue.trade_status(trade.status) == raw["status"]
    assert venue.to_ns(trade.match_time) > 0


def test_frames_may_be_arrays_mixed_with_other_events_and_text() -> None:
    order = (NT_WS / "order_placement.json").read_text()
    trade = (NT_WS / "user_trade2.json").read_text()
    parsed = parse_frame(f'[{order}, {{"event_type": "mystery", "id": "x"}}, {trade}]')
    assert [type(e).__name__ for e in parsed.events] == ["UserOrder", "UserTrade"]
    assert parsed.skipped == 1
    assert parse_frame(b"PONG") == venue.Parsed([], "PONG", 0)
    assert parse_frame("[]") == venue.Parsed([], "", 0)
    assert parse_frame(b"{not json").skipped == 1


def test_market_channel_and_unrelated_json_are_not_user_events() -> None:
    for path in [NT_WS / "book.json", NT_WS / "last_trade_price.json",
                 NT_CRATES / "rtds_crypto_prices_update.json", NT_CRATES / "gamma_market.json"]:
        assert parse_frame(path.read_bytes()).events == [], path.name


def test_rest_trade_pages_and_rows_parse() -> None:
    page = parse_trades_page((NT_CRATES / "http_trades_page.json").read_bytes())
    assert [t.id for t in page.trades] == ["trade-0x001"] and page.next_cursor == "LTE=" and page.skipped == 0
    report = parse_trade_row((NT_CRATES / "http_trade_report.json").read_bytes())
    assert report is not None and [m.side for m in report.maker_orders or []] == ["SELL", "SELL"]
    row = parse_trade_row((NT_WS / "trades.json").read_bytes())
    assert row is not None and row.status == "CONFIRMED"
    assert row.maker_orders and row.maker_orders[0].side == ""  # older rows carry no maker side


def test_public_data_api_trades_are_not_our_trades() -> None:
    rows = json.loads((NT_HTTP / "trades.json").read_text())
    page = parse_trades_page(json.dumps({"data": rows, "next_cursor": "LTE="}).encode())
    assert page.trades == [] and page.skipped == len(rows)


@pytest.mark.parametrize(("raw", "expected"), [
    ("LIVE", ("LIVE", "")),
    ("live", ("LIVE", "")),
    ("ORDER_STATUS_LIVE", ("LIVE", "")),
    ("ORDER_STATUS_CANCELED", ("CANCELED", "")),
    ("MATCHED", ("MATCHED", "")),
    ("DELAYED", ("DELAYED", "")),
    ("INVALID", ("INVALID", "")),
    ("UNMATCHED_invalid post-only order: order crosses book",
     ("UNMATCHED", "invalid post-only order: order crosses book")),
    ("CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.",
     ("CANCELED", "order couldn't be fully filled. FOK orders are fully filled or killed.")),
    ("CANCELED_MARKET_RESOLVED", ("CANCELED", "MARKET_RESOLVED")),
    ("CANCELED_NOT_ENOUGH_BALANCE", ("CANCELED", "NOT_ENOUGH_BALANCE")),
    ("CANCELLED", ("CANCELED", "")),
    ("UNMATCHED", ("UNMATCHED", "")),
    ("LIVELY", None),
    ("", None),
    ("SOMETHING_new", None),
])
def test_order_status_strings(raw: str, expected: tuple[str, str] | None) -> None:
    assert venue.order_status(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("MATCHED", "MATCHED"), ("MINED", "MINED"), ("CONFIRMED", "CONFIRMED"), ("RETRYING", "RETRYING"),
    ("FAILED", "FAILED"), ("TRADE_STATUS_CONFIRMED", "CONFIRMED"), ("TRADE_STATUS_MINED", "MINED"),
    ("MATCHED_NOT_BROADCASTED", "MATCHED"), ("TRADE_STATUS_MATCHED_NOT_BROADCASTED", "MATCHED"),
    ("confirmed", "CONFIRMED"), ("LIVE", None), ("", None),
])
def test_trade_status_strings(raw: str, expected: str | None) -> None:
    assert venue.trade_status(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("0.5", 500_000), ("0.50", 500_000), (".48", 480_000), ("0.482", 482_000), ("25.0000", 25_000_000),
    ("1096.87", 1_096_870_000), ("5", 5_000_000), (5, 5_000_000), (0.57, 570_000), ("", 0), (None, 0),
    ("0.0000005", 0), ("0.0000015", 1), ("0.0000019", 1),  # beyond 6 places: floored
])
def test_sizes_are_floored_integers(raw: venue.Amount, expected: int) -> None:
    assert venue.size(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    ("0.5", 500_000), ("0.50", 500_000), (".48", 480_000), ("0.482", 482_000), (0.57, 570_000),
    ("1", 1_000_000), ("0.5000000", 500_000),
])
def test_prices_are_exact(raw: venue.Amount, expected: int) -> None:
    assert venue.price(raw) == expected
    assert venue.order_price(raw) == expected


@pytest.mark.parametrize("raw", ["0", "1.5", "", None, "-0.5", "0.0000004"])
def test_fill_prices_out_of_range_raise(raw: venue.Amount) -> None:
    with pytest.raises(ValueError):
        venue.price(raw)


@pytest.mark.parametrize(("raw", "expected"), [("0.4820001", 482_000), ("0.4820005", 482_000),
                                               ("0.4820015", 482_002), ("0.9999996", 1_000_000)])
def test_fill_prices_finer_than_1e6_are_rounded_half_even_not_refused(raw: str, expected: int) -> None:
    assert venue.price(raw) == expected


def test_order_prices_may_be_zero_or_empty_but_not_finer_than_1e6() -> None:
    assert venue.order_price("") == venue.order_price(None) == venue.order_price("0") == 0
    with pytest.raises(ValueError):
        venue.order_price("0.4820001")


@pytest.mark.parametrize("raw", ["abc", "NaN", "1e400x", "-1"])
def test_bad_amounts_raise(raw: str) -> None:
    with pytest.raises(ValueError):
        venue.size(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1725868885", 1_725_868_885_000_000_000),  # seconds (match_time, last_update)
    ("1725868885871", 1_725_868_885_871_000_000),  # milliseconds (timestamp)
    (1703875200, 1_703_875_200_000_000_000),  # a JSON number (REST created_at)
    ("1725868885871123", 1_725_868_885_871_123_000),  # microseconds
    ("1725868885871123456", 1_725_868_885_871_123_456),  # nanoseconds
    ("2024-01-01T00:00:00Z", 1_704_067_200_000_000_000),  # ISO in some samples
    ("2026-03-11T09:29:01.328428Z", 1_773_221_341_328_428_000),
    ("", 0), (None, 0),
])
def test_timestamps_in_every_unit(raw: venue.Amount, expected: int) -> None:
    assert venue.to_ns(raw) == expected


def test_a_bad_timestamp_raises() -> None:
    with pytest.raises(ValueError):
        venue.to_ns("yesterday")
