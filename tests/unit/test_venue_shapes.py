"""Every wire payload the core produces has the keys and JSON value types of the real captures.

`assert_shape` compares recursively: our keys must equal the fixture's, except for a few named
extras (fields the brief or newer captures add) and named keys that are `null` in one capture and a
value in another (e.g. `associate_trades`). Numbers compare as "number" (Gamma serves 5 and 0.01
alike). The official SDK (polymarket-client 0.14.0) parses each payload as a second, independent check.
"""

from __future__ import annotations

from typing import Any

import pytest
from polymarket._internal.actions.orders.market_data import _parse_market_info
from polymarket.models.clob.account import BalanceAllowance, ClobTrade, OpenOrder
from polymarket.models.clob.market_events import parse_market_event
from polymarket.models.clob.order_book import OrderBook
from polymarket.models.clob.rewards import CurrentReward
from polymarket.models.clob.user_events import parse_user_event
from polymarket.models.gamma.market import Market as GammaMarket

from tests.support.venue_harness import ADDRESSES, Harness, fixture
from venue import gamma_shapes


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return {str: "str", list: "list", dict: "dict", type(None): "null"}[type(value)]


def assert_shape(ours: Any, theirs: Any, *, extra: frozenset[str] = frozenset(),
                 nullable: frozenset[str] = frozenset(), path: str = "$") -> None:
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), path
        missing = set(theirs) - set(ours)
        unexpected = set(ours) - set(theirs) - extra
        assert not missing and not unexpected, (
            f"{path}: missing {sorted(missing)}, unexpected {sorted(unexpected)}")
        for key in theirs:
            if key in nullable and (theirs[key] is None or ours[key] is None):
                continue
            assert_shape(ours[key], theirs[key], extra=extra, nullable=nullable, path=f"{path}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list), path
        if ours and theirs:
            assert_shape(ours[0], theirs[0], extra=extra, nullable=nullable, path=f"{path}[0]")
    else:
        assert _kind(ours) == _kind(theirs), f"{path}: {ours!r} vs {theirs!r}"


@pytest.fixture(scope="module")
def session() -> Harness:
    """One session producing every kind of payload: quotes, a cross-asset trade, lifecycle, cancels."""
    h = Harness()
    h.grant("carol", h.yes, "50")
    h.place("bob", h.no, "BUY", "0.45", "10", post_only=True)  # maker, will be minted against
    h.place("carol", h.yes, "SELL", "0.55", "10", post_only=True)  # maker, direct
    h.place("alice", h.yes, "BUY", "0.55", "15")  # taker: one trade, two makers on two tokens
    h.place("alice", h.yes, "BUY", "0.40", "10", post_only=True)  # rests
    gone = h.place("alice", h.yes, "BUY", "0.39", "10", post_only=True)
    h.cancel("alice", gone.body["orderID"])  # type: ignore[index]
    h.place("carol", h.yes, "SELL", "0.97", "5")  # no bid that high: rests as an ask
    h.place("dave", h.yes, "BUY", "0.97", "10")  # takes the 0.55 rest, then 0.97 -> tick size change
    h.advance(8)  # MINED, CONFIRMED
    h.ex.oracle.spot["btc"] *= 1.01
    h.advance(300)  # the window resolves
    return h


def _market(h: Harness, kind: str) -> list[dict[str, Any]]:
    return [e.payload for e in h.market_events(kind)]


MARKET_CASES = [
    ("book", "live_captures_rust_client/ws_market_initial_book_frame_array_2026-10-02_trimmed.json",
     {"min_order_size", "neg_risk"}),
    ("book", "nautilus_trader/py_ws_messages/book.json", {"min_order_size", "neg_risk", "tick_size",
                                                          "last_trade_price"}),
    ("price_change", "docs_examples/price_change_NEW_price_changes_schema_post_2025-09-15.json", set()),
    ("price_change", "nautilus_trader/py_ws_messages/price_change_v2.json", set()),
    ("last_trade_price", "docs_examples/last_trade_price_asyncapi_example.json", set()),
    ("last_trade_price", "nautilus_trader/py_ws_messages/last_trade_price.json", {"transaction_hash"}),
    ("tick_size_change", "nautilus_trader/py_ws_messages/tick_size_change.json", set()),
    ("best_bid_ask", "nautilus_trader/crates_test_data/ws_market_best_bid_ask_msg.json", set()),
    ("new_market", "live_captures_rust_client/ws_market_new_market_btc_updown_5m_2026-10-02_trimmed.json",
     set()),
    ("market_resolved", "nautilus_trader/crates_test_data/ws_market_resolved_msg.json", {"event_message"}),
]


@pytest.mark.parametrize(("kind", "path", "extra"), MARKET_CASES, ids=[f"{c[0]}:{c[1].split('/')[-1]}"
                                                                       for c in MARKET_CASES])
def test_market_channel_payloads_match_the_captures(
    session: Harness, kind: str, path: str, extra: set[str]
) -> None:
    theirs = fixture(path)
    theirs = theirs[0] if isinstance(theirs, list) else theirs
    produced = _market(session, kind)
    if kind == "new_market":  # fee-enabled up/down markets; reward markets are checked below
        produced = [p for p in produced if "updown" in str(p["slug"])]
    assert produced, kind
    for ours in produced:
        assert_shape(ours, theirs, extra=frozenset(extra))
        parse_market_event(ours)


def test_reward_markets_announce_like_the_documented_new_market() -> None:
    h = Harness()
    [ours] = [e.payload for e in h.log if e.payload.get("slug") == "venue-reward-market-1"]
    assert_shape(ours, fixture("nautilus_trader/crates_test_data/ws_market_new_market_msg.json"))


USER_CASES = [
    ("PLACEMENT", "nautilus_trader/py_ws_messages/order_placement.json", set(), set()),
    ("PLACEMENT", "polyoxide/asyncapi_user_example_user_order_placement.json", set(), set()),
    ("UPDATE", "nautilus_trader/crates_test_data/ws_user_order_update.json", {"event_type"}, {"expiration"}),
    ("CANCELLATION", "nautilus_trader/py_ws_messages/order_cancel.json", set(), set()),
    ("CANCELLATION", "polyoxide/asyncapi_user_example_user_order_cancellation.json", set(),
     {"associate_trades"}),
    ("TRADE", "nautilus_trader/py_ws_messages/user_trade2.json", {"side"}, set()),  # 2024: no maker side
    ("TRADE", "nautilus_trader/py_ws_messages/user_trade3.json", set(), set()),
    ("TRADE", "polyoxide/asyncapi_user_example_user_trade_matched.json", set(), set()),
    ("TRADE", "polyoxide/asyncapi_user_example_user_trade_confirmed.json", set(), set()),
]


@pytest.mark.parametrize(("kind", "path", "extra", "nullable"), USER_CASES,
                         ids=[f"{c[0]}:{c[1].split('/')[-1]}" for c in USER_CASES])
def test_user_channel_payloads_match_the_captures(session: Harness, kind: str, path: str, extra: set[str],
                                                  nullable: set[str]) -> None:
    produced = [p for who in ADDRESSES for p in session.user(who) if p["type"] == kind]
    assert produced, kind
    for ours in produced:
        assert_shape(ours, fixture(path), extra=frozenset(extra), nullable=frozenset(nullable))
        parse_user_event(ours)


def test_fok_kill_event_carries_the_reason_suffix() -> None:
    h = Harness()
    h.place("alice", h.yes, "BUY", "0.5", "10", order_type="FOK")
    [killed] = h.user("alice", "order")
    assert killed["status"] == (
        "CANCELED_order couldn't be fully filled. FOK orders are fully filled or killed.")
    assert_shape(killed, fixture("nautilus_trader/crates_test_data/ws_user_order_fok_killed.json"),
                 nullable=frozenset({"associate_trades"}))


def test_rest_trades_match_the_trade_report(session: Harness) -> None:
    rows = session.ex.trades(api_key="key-alice", market=None, asset_id=None, before=None, after=None)
    maker_rows = session.ex.trades(api_key="key-bob", market=None, asset_id=None, before=None, after=None)
    assert rows and maker_rows and maker_rows[0]["trader_side"] == "MAKER"
    for row in rows + maker_rows:
        assert_shape(row, fixture("nautilus_trader/crates_test_data/http_trade_report.json"))
        assert_shape(row, fixture("nautilus_trader/py_ws_messages/trades.json"), extra=frozenset({"side"}))
        ClobTrade.model_validate(row)


def test_rest_orders_match_the_open_order_captures() -> None:
    h = Harness()
    h.place("alice", h.yes, "BUY", "0.4", "10")
    [row] = h.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None)
    assert_shape(row, fixture("nautilus_trader/crates_test_data/http_open_order_sell_fok.json"),
                 nullable=frozenset({"associate_trades"}))
    assert_shape(row, fixture("nautilus_trader/crates_test_data/http_open_orders_page.json")["data"][0],
                 nullable=frozenset({"expiration"}))
    assert h.ex.order(api_key="key-alice", order_id=str(row["id"])) == row
    OpenOrder.model_validate(row)


def test_rest_book_balance_and_cancel_replies_match(session: Harness) -> None:
    h = Harness()
    h.place("alice", h.yes, "BUY", "0.4", "10")
    book = h.ex.book(h.yes)
    assert_shape(book, fixture("nautilus_trader/crates_test_data/clob_book_response.json"),
                 extra=frozenset({"min_order_size", "tick_size", "neg_risk", "last_trade_price"}))
    assert_shape(book, fixture("nautilus_trader/py_http_responses/book.json"),
                 extra=frozenset({"min_order_size", "tick_size", "neg_risk", "last_trade_price"}))
    OrderBook.model_validate(book)
    balance = h.ex.balance(address=ADDRESSES["alice"], asset_type="COLLATERAL", token_id=None)
    assert_shape(balance, fixture("nautilus_trader/crates_test_data/http_balance_allowance_collateral.json"),
                 extra=frozenset({"allowances"}))
    BalanceAllowance.model_validate(balance)
    tokens = h.ex.balance(address=ADDRESSES["alice"], asset_type="CONDITIONAL", token_id=h.yes)
    assert tokens["balance"] == "0"
    order_id = h.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None)[0]["id"]
    reply = h.cancel("alice", str(order_id), "0x" + "3" * 64)
    assert_shape(reply.body, fixture("nautilus_trader/crates_test_data/http_batch_cancel_response.json"))


def test_gamma_market_and_event_match_the_updown_capture(session: Harness) -> None:
    theirs = fixture("nautilus_trader/crates_test_data/gamma_market.json")
    now = session.now
    open_market = session.market(f"btc-updown-5m-{1_773_307_200 + 600}")
    ours = gamma_shapes.gamma_market(open_market, now)
    newer = {"feeSchedule", "version"}  # newer than the 2026-03 capture (version: Protocol-V2 split)
    assert_shape(ours, theirs, extra=frozenset(newer))
    assert GammaMarket.model_validate(ours).version == "v1"  # what the SDK's merge / redeem need
    closed = gamma_shapes.gamma_market(session.market(), now)
    assert closed["closed"] is True and closed["outcomePrices"] == '["1", "0"]'
    assert_shape(closed, theirs, extra=frozenset({*newer, "closedTime", "umaResolutionStatus"}))
    event = gamma_shapes.gamma_event(open_market, now)
    [inner] = event.pop("markets")  # type: ignore[misc]
    assert_shape(event, theirs["events"][0])
    assert_shape(inner, {k: v for k, v in theirs.items() if k != "events"}, extra=frozenset(newer))
    assert ours["clobTokenIds"] == f'["{open_market.token_ids[0]}", "{open_market.token_ids[1]}"]'


def test_reward_markets_carry_clob_rewards_like_the_event_capture(session: Harness) -> None:
    reward = session.market("venue-reward-market-1")
    ours = gamma_shapes.gamma_market(reward, session.now)
    event_market = fixture("nautilus_trader/crates_test_data/gamma_event.json")[0]["markets"][1]
    assert_shape(ours["clobRewards"], event_market["clobRewards"])
    assert (ours["rewardsMinSize"], ours["rewardsMaxSpread"]) == (50, 4.5)
    GammaMarket.model_validate(ours)


@pytest.mark.parametrize("path", ["nautilus_trader/py_http_responses/market.json",
                                  "nautilus_trader/crates_test_data/clob_market_closed_binary_accepting_true.json"])
def test_clob_markets_match_the_captures(session: Harness, path: str) -> None:
    for market in (session.market(), session.market("venue-reward-market-1")):
        ours = gamma_shapes.clob_market(market, session.now)
        assert_shape(ours, fixture(path),
                     nullable=frozenset({"accepting_order_timestamp", "rates", "game_start_time"}))


def test_compact_clob_market_and_current_rewards_follow_the_documented_examples(session: Harness) -> None:
    documented_compact = {"gst": None, "r": {}, "t": [{"t": "1", "o": "Yes"}], "mos": 5, "mts": 0.01,
                          "mbf": 0, "tbf": 0, "rfqe": True, "ibce": True,
                          "fd": {"r": 0.02, "e": 2, "to": True}, "oas": 123}
    market = session.market(f"btc-updown-5m-{1_773_307_200 + 600}")
    compact = gamma_shapes.clob_market_info(market)
    assert_shape(compact, documented_compact, extra=frozenset({"c", "ao", "mi", "ma", "e"}),
                 nullable=frozenset({"gst"}))
    info = _parse_market_info(compact)
    assert str(info.tick_size) == "0.01" and str(info.fee_info.rate) == "0.07"
    assert set(info.token_ids) == set(market.token_ids)

    documented_reward = {"condition_id": "0xbd31", "rewards_max_spread": 99, "rewards_min_size": 10,
                         "rewards_config": [{"id": 0, "asset_address": "0x9c4E", "start_date": "2024-03-01",
                                             "end_date": "2500-12-31", "rate_per_day": 2,
                                             "total_rewards": 92}],
                         "sponsored_daily_rate": 0.5, "sponsors_count": 2, "native_daily_rate": 2.5,
                         "total_daily_rate": 3}
    reward = gamma_shapes.reward_market(session.market("venue-reward-market-1"))
    assert_shape(reward, documented_reward)
    CurrentReward.model_validate(reward)
