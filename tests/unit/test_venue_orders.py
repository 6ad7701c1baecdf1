"""Order entry: the venue's exact rejections, reservations, cancels and expiry."""

from __future__ import annotations

import pytest
from polymarket._internal.actions.orders.post import parse_order_response

from schemas.units import MICRO
from tests.support.venue_harness import ADDRESSES, NS, Harness, signed, units
from venue.config import VenueConfig

ID = "0x" + "7" * 64
NO_BALANCE = "not enough balance / allowance"


def _setup_book(h: Harness) -> None:
    h.grant("bob", h.yes, "10")
    h.place("bob", h.yes, "SELL", "0.55", "10", post_only=True)


# (description, order kwargs, extra setup, expected error)
REJECTIONS = [
    ("off the tick grid", dict(side="BUY", price="0.515", size="10"),
     f"order {ID} is invalid. Price (0.515) breaks minimum tick size rule: 0.01"),
    ("above 1 - tick", dict(side="BUY", price="1", size="10"),
     f"order {ID} is invalid. Price (1) breaks minimum tick size rule: 0.01"),
    ("below the minimum size", dict(side="BUY", price="0.5", size="4.99"),
     f"order {ID} is invalid. Size (4.99) lower than the minimum: 5"),
    ("more pUSD than the balance", dict(side="BUY", price="0.5", size="20001"), NO_BALANCE),
    ("selling tokens it does not hold", dict(side="SELL", price="0.5", size="10"), NO_BALANCE),
    ("post-only that would cross", dict(side="BUY", price="0.55", size="10", post_only=True),
     "invalid post-only order: order crosses book"),
    ("FOK that cannot fill completely", dict(side="BUY", price="0.55", size="11", order_type="FOK"),
     "order couldn't be fully filled. FOK orders are fully filled or killed."),
    ("FAK with nothing to hit", dict(side="BUY", price="0.54", size="10", order_type="FAK"),
     "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is "
     "found."),
    ("marketable BUY under $1", dict(side="BUY", price="0.5", size="1.5", order_type="FOK"),
     "invalid amount for a marketable BUY order ($0.75), min size: $1"),
    ("GTD expiring inside the security threshold", dict(side="BUY", price="0.5", size="10", order_type="GTD",
                                                        expiration=1_773_307_201 + 30), "invalid expiration"),
    ("GTC with an expiration", dict(side="BUY", price="0.5", size="10", expiration=1_773_400_000),
     "invalid expiration"),
    ("post-only FOK", dict(side="BUY", price="0.55", size="10", order_type="FOK", post_only=True),
     "invalid post-only order: only GTC and GTD orders can be post-only"),
]


@pytest.mark.parametrize(("what", "kwargs", "message"), REJECTIONS, ids=[r[0] for r in REJECTIONS])
def test_rejections_use_the_venue_error_strings(what: str, kwargs: dict[str, object], message: str) -> None:
    h = Harness()
    _setup_book(h)
    before = h.cash("alice")

    reply = h.place("alice", h.yes, order_id=ID, **kwargs)  # type: ignore[arg-type]

    assert (reply.status, reply.body) == (400, {"error": message}), what
    assert h.cash("alice") == before
    assert h.ex.ledger.reserved(ADDRESSES["alice"]) == 0
    assert h.user("alice", "trade") == []


def test_a_duplicated_order_id_is_rejected() -> None:
    h = Harness()
    first = h.place("alice", h.yes, "BUY", "0.5", "10", order_id=ID)
    again = h.place("alice", h.yes, "BUY", "0.5", "10", order_id=ID)
    assert first.status == 200
    assert (again.status, again.body) == (400, {"error": f"order {ID} is invalid. Duplicated."})
    h.cancel("alice", ID)
    assert h.place("alice", h.yes, "BUY", "0.5", "10", order_id=ID).status == 400  # still remembered


def test_unknown_tokens_and_closed_markets_are_not_ready() -> None:
    h = Harness()
    reply = h.place("alice", "123", "BUY", "0.5", "10")
    assert reply.body == {"error": "the market is not yet ready to process new orders"}
    h.advance(300)  # the window ends and the market closes
    assert h.place("alice", h.yes, "BUY", "0.5", "10").status == 400


def test_accepted_orders_answer_like_the_sdk_expects() -> None:
    h = Harness()
    live = h.place("alice", h.yes, "BUY", "0.5", "10", post_only=True)
    assert live.body == {"success": True, "orderID": live.body["orderID"], "status": "live",  # type: ignore[index]
                         "makingAmount": "", "takingAmount": "", "transactionsHashes": [], "tradeIDs": [],
                         "errorMsg": ""}
    parsed = parse_order_response(live.body)
    assert parsed.ok and parsed.status == "live"
    _setup_book(h)
    taken = h.place("carol", h.yes, "BUY", "0.55", "10", order_type="FOK")
    parsed = parse_order_response(taken.body)
    assert parsed.ok and parsed.status == "matched" and len(parsed.trade_ids) == 1
    assert taken.body["takingAmount"] == "10"  # type: ignore[index]
    assert taken.body["makingAmount"] == "5.67325"  # type: ignore[index]  # 5.5 + fee 0.17325


def test_buys_reserve_pusd_sells_reserve_shares_and_cancels_release_them() -> None:
    h = Harness()
    address = ADDRESSES["alice"]
    start = h.cash("alice")
    buy = h.place("alice", h.yes, "BUY", "0.5", "19000")  # 9,500 of 10,000 pUSD
    assert h.ex.ledger.available(address) == start - units("9500")
    assert h.cash("alice") == start  # /balance-allowance shows the owned balance
    assert h.place("alice", h.no, "BUY", "0.5", "1001").body == {"error": "not enough balance / allowance"}
    h.cancel("alice", buy.body["orderID"])  # type: ignore[index]
    assert h.ex.ledger.available(address) == start

    h.grant("alice", h.yes, "10")
    sell = h.place("alice", h.yes, "SELL", "0.6", "10")
    assert h.ex.ledger.available(address, h.yes) == 0
    assert h.place("alice", h.yes, "SELL", "0.7", "5").status == 400
    h.cancel("alice", sell.body["orderID"])  # type: ignore[index]
    assert h.ex.ledger.available(address, h.yes) == 10 * MICRO


def test_a_marketable_buy_must_also_cover_its_taker_fee() -> None:
    h = Harness(VenueConfig(flow=False, start_balance_pusd=100))
    _setup_book(h)
    # 10 at 0.55 costs 5.5 plus a 0.17325 fee: 5.6 pUSD of room is not enough for a taker...
    h.ex.ledger.apply([(ADDRESSES["alice"], "", units("5.6") - h.cash("alice"))])
    assert h.place("alice", h.yes, "BUY", "0.55", "10").body == {"error": NO_BALANCE}
    # ...but is for a post-only maker, which pays no fee
    assert h.place("alice", h.yes, "BUY", "0.54", "10", post_only=True).status == 200


def test_fills_release_reservations_at_the_order_price() -> None:
    h = Harness()
    address = ADDRESSES["alice"]
    h.place("alice", h.yes, "BUY", "0.5", "100", post_only=True)
    h.grant("bob", h.yes, "40")
    h.place("bob", h.yes, "SELL", "0.5", "40")
    assert h.ex.ledger.reserved(address) == units("30")
    assert h.shares("alice", h.yes) == 40 * MICRO


def test_cancel_replies_list_canceled_and_not_canceled() -> None:
    h = Harness()
    mine = h.place("alice", h.yes, "BUY", "0.5", "10").body["orderID"]  # type: ignore[index]
    theirs = h.place("bob", h.yes, "BUY", "0.49", "10").body["orderID"]  # type: ignore[index]
    reply = h.cancel("alice", mine, theirs, "0xdead")
    assert reply.status == 200
    assert reply.body == {"canceled": [mine], "not_canceled": {theirs: "already canceled or matched",
                                                               "0xdead": "already canceled or matched"}}
    again = h.cancel("alice", mine)
    assert again.body == {"canceled": [], "not_canceled": {mine: "already canceled or matched"}}
    [cancel] = [e for e in h.user("alice", "order") if e["type"] == "CANCELLATION"]
    assert (cancel["status"], cancel["id"]) == ("CANCELED", mine)


def test_cancel_market_orders_filters_by_market_and_asset() -> None:
    h = Harness()
    yes_id = h.place("alice", h.yes, "BUY", "0.5", "10").body["orderID"]  # type: ignore[index]
    no_id = h.place("alice", h.no, "BUY", "0.4", "10").body["orderID"]  # type: ignore[index]
    other = h.market("eth-updown-5m-1773307200")
    other_id = h.place("alice", other.token_ids[0], "BUY", "0.5", "10").body["orderID"]  # type: ignore[index]

    by_asset = h.ex.cancel_market(api_key="key-alice", market=None, asset_id=h.no, now_ns=h.now)
    assert by_asset.body == {"canceled": [no_id], "not_canceled": {}}
    by_market = h.ex.cancel_market(api_key="key-alice", market=h.market().condition_id, asset_id=None,
                                   now_ns=h.now)
    assert by_market.body == {"canceled": [yes_id], "not_canceled": {}}
    everything = h.ex.cancel_all(api_key="key-alice", now_ns=h.now)
    assert everything.body == {"canceled": [other_id], "not_canceled": {}}


def test_gtd_orders_expire_at_expiration_minus_the_security_threshold() -> None:
    h = Harness()
    expiration = h.now // NS + 90
    reply = h.place("alice", h.yes, "BUY", "0.5", "10", order_type="GTD", expiration=expiration)
    assert reply.status == 200
    h.advance(29)
    assert h.ex.order(api_key="key-alice", order_id=reply.body["orderID"]) is not None  # type: ignore[index]
    h.advance(2)
    assert h.ex.order(api_key="key-alice", order_id=reply.body["orderID"]) is None  # type: ignore[index]
    assert [e["type"] for e in h.user("alice", "order")] == ["PLACEMENT", "CANCELLATION"]


def test_marketable_orders_snap_rounded_sdk_amounts_to_the_tick() -> None:
    h = Harness()
    _setup_book(h)
    # a market BUY of $5.5 at 0.55: the SDK rounds shares down to 4 decimals, so the price is a hair off-grid
    order = signed(h.yes, "BUY", "0.55", "10")
    rounded = order.__class__(**{**{f: getattr(order, f) for f in order.__struct_fields__},
                                 "maker_amount": 5_500_000, "taker_amount": 9_999_900})
    reply = h.ex.place(api_key="key-alice", order=rounded, order_type="FOK", post_only=False, now_ns=h.now)
    assert reply.status == 200 and reply.body["takingAmount"] == "9.9999"  # type: ignore[index]
