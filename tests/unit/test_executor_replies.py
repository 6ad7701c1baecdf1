"""Every REST capture the executor reads, through the executor's real parsers (``replies.py``)."""

from __future__ import annotations

import json

import pytest

from actors.executor.core.rejections import classify, error_text
from actors.executor.core.reply_bodies import (
    parse_cancel,
    parse_leg,
    parse_legs,
    parse_order,
    parse_orders,
    price,
    seconds,
    size,
    trade_order_ids,
)
from actors.executor.core.venue_requests import HttpResult
from actors.executor.wire.credentials import parse_creds
from clob.order_json import order_payload, parse_order_json
from clob.orders import build_order, sign_order
from clob.signer import Signer
from tests.support.fixtures import NT_CRATES

CROSS = "invalid post-only order: order crosses book"


def load(name: str) -> object:
    return json.loads((NT_CRATES / name).read_text())


def test_order_response_ok() -> None:
    leg = parse_leg(load("http_order_response_ok.json"))  # errorMsg null, no status field
    assert leg.ok and leg.order_id.startswith("0x1234") and leg.status == "live" and leg.error == ""


def test_order_response_failed_is_a_balance_rejection() -> None:
    leg = parse_leg(load("http_order_response_failed.json"))  # success false, orderID null
    assert not leg.ok and leg.error == "Insufficient balance"
    assert classify(400, leg.error).reason == "balance"


def test_order_response_error_500_is_an_unknown_outcome() -> None:
    body = load("http_order_response_error_500.json")
    assert classify(500, error_text(body)).reason == "unknown_outcome"


@pytest.mark.parametrize(("name", "canceled", "not_canceled"), [
    ("http_cancel_response_ok.json", 1, {}),
    ("http_cancel_response_failed.json", 0,
     {"0xb816482a1234567890abcdef1234567890abcdef1234567890abcdef12345678": "already canceled or matched"}),
    ("http_batch_cancel_response.json", 2,
     {"0x3333333333333333333333333333333333333333333333333333333333333333": "already canceled or matched"}),
])
def test_cancel_responses(name: str, canceled: int, not_canceled: dict[str, str]) -> None:
    got_canceled, got_not = parse_cancel(load(name))
    assert len(got_canceled) == canceled and got_not == not_canceled


def test_open_order_page() -> None:
    orders = parse_orders(load("http_open_orders_page.json"))
    assert [(o.side, o.price, o.size, o.size_matched, o.order_type) for o in orders] == [
        ("BUY", 600_000, 200_000_000, 0, "GTC"), ("SELL", 400_000, 150_000_000, 50_000_000, "GTD")]
    assert orders[0].asset.startswith("7132") and orders[0].market.startswith("0xdd22")


def test_single_open_order_and_finished_ones() -> None:
    live = parse_order(load("http_open_order.json"))
    assert live is not None and (live.status, live.size_matched, live.expiration) == ("LIVE", 25_000_000, 0)
    done = parse_order(load("http_open_order_sell_fok.json"))
    assert done is not None and done.status == "MATCHED" and done.expiration == 1735689600
    assert parse_orders([load("http_open_order.json"), load("http_open_order_sell_fok.json")]) == [live]
    assert parse_order(None) is None and parse_order({}) is None  # /data/order/{id} of a finished order


def test_rest_status_enums_are_accepted() -> None:
    row = dict(load("http_open_order.json"))  # type: ignore[call-overload]
    row["status"] = "ORDER_STATUS_LIVE"
    order = parse_order(row)
    assert order is not None and order.status == "LIVE"


def test_batch_legs_as_the_venue_reports_a_failed_leg() -> None:
    legs = parse_legs([
        {"success": True, "orderID": "0xa", "status": "live", "errorMsg": ""},
        {"success": True, "orderID": "", "status": "", "errorMsg": CROSS},
        {"success": True, "orderID": "0xc", "status": "unmatched", "errorMsg": ""},
        "garbage",
    ])
    assert [(leg.ok, leg.status, leg.error) for leg in legs] == [
        (True, "live", ""), (False, "", "invalid post-only order: order crosses book"),
        (False, "", "unmatched"), (False, "", "unrecognised order response")]
    assert legs[1].error == CROSS


@pytest.mark.parametrize(("text", "micros"), [
    ("0.5000", 500_000), (".48", 480_000), ("100.0000", 100_000_000), ("0.0000009", 0),
    ("1.2345678", 1_234_567), ("", 0), (None, 0), ("NaN", 0), ("-1", 0), (True, 0), (5, 5_000_000)])
def test_sizes_at_the_edge_are_floored(text: object, micros: int) -> None:
    assert size(text) == micros


@pytest.mark.parametrize(("text", "micros"), [
    ("0.5000", 500_000), (".48", 480_000), ("1", 1_000_000), ("0.4820001", 0), ("0", 0), ("1.01", 0),
    ("", 0), (None, 0), ("NaN", 0), (0.5, 500_000)])
def test_prices_at_the_edge_are_exact_or_zero(text: object, micros: int) -> None:
    assert price(text) == micros


@pytest.mark.parametrize(("text", "whole"), [
    ("0", 0), ("1767225600", 1_767_225_600), ("1767225600.9", 1_767_225_600), (1767225600, 1_767_225_600),
    ("soon", 0), (None, 0)])
def test_expiration_is_whole_seconds(text: object, whole: int) -> None:
    assert seconds(text) == whole


def test_trade_pages_name_taker_and_maker_orders() -> None:
    page = trade_order_ids(load("http_trades_page.json"))
    assert page == {"0x1234567890abcdef1234567890abcdef1234567890abcdef1234567890abcdef12"}
    report = trade_order_ids([load("http_trade_report.json")])
    assert "0xmaker01maker01maker01maker01maker01maker01maker01maker01maker01maker01" in report
    assert trade_order_ids({"data": None}) == set() and trade_order_ids("x") == set()


def test_signed_order_fixture_has_the_shape_we_send() -> None:
    fixture = load("http_signed_order.json")
    assert isinstance(fixture, dict)
    signer = Signer("0x" + "11" * 32)
    order = build_order(signer=signer.address, token_id=fixture["tokenId"], side="BUY", price_u=500_000,
                        size_u=100_000_000, tick_u=10_000, salt=fixture["salt"], timestamp_ms=1713398400000)
    ours = order_payload(sign_order(signer, order, neg_risk=False), owner_api_key="k", order_type="GTC",
                         post_only=True, defer_exec=False)["order"]
    assert sorted(ours) == sorted(fixture)
    assert {k: type(v) for k, v in ours.items()} == {k: type(v) for k, v in fixture.items()}
    parse_order_json(ours, neg_risk=False)  # and the venue's strict parser accepts it


def test_credentials_reply() -> None:
    good = HttpResult(status=200, body={"apiKey": "k", "secret": "s", "passphrase": "p"})
    creds = parse_creds(good, "0xabc")
    assert creds is not None and creds.api_key == "k" and creds.address == "0xabc"
    assert "'s'" not in repr(creds) and "'p'" not in repr(creds)
    assert parse_creds(HttpResult(status=200, body={"apiKey": "k"}), "") is None
    assert parse_creds(HttpResult(status=401, body={"error": "Invalid L1 Request headers"}), "") is None
