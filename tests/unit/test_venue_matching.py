"""Matching: direct / mint / merge with maker attribution, price-time priority, partial fills, fees."""

from __future__ import annotations

import pytest

from schemas.units import MICRO
from tests.support.venue_harness import Harness, units
from venue.config import VenueConfig
from venue.money import taker_fee

FEE_RATE = 70_000  # 0.07

# maker (token, side, price) rests first; the taker (token, side, limit) crosses it for 10 shares.
# `price` is what the taker trades at in its own token; the maker entry keeps the maker's own terms.
CROSS_CASES = [
    # kind,    maker token/side/price,  taker token/side/limit, taker price
    ("direct", ("yes", "SELL", "0.55"), ("yes", "BUY", "0.6"), "0.55"),
    ("mint", ("no", "BUY", "0.45"), ("yes", "BUY", "0.6"), "0.55"),
    ("direct", ("yes", "BUY", "0.4"), ("yes", "SELL", "0.35"), "0.4"),
    ("merge", ("no", "SELL", "0.6"), ("yes", "SELL", "0.35"), "0.4"),
    ("direct", ("no", "SELL", "0.45"), ("no", "BUY", "0.5"), "0.45"),
    ("mint", ("yes", "BUY", "0.55"), ("no", "BUY", "0.5"), "0.45"),
    ("direct", ("no", "BUY", "0.45"), ("no", "SELL", "0.4"), "0.45"),
    ("merge", ("yes", "SELL", "0.55"), ("no", "SELL", "0.4"), "0.45"),
]


@pytest.mark.parametrize(("kind", "maker", "taker", "price"), CROSS_CASES)
def test_cross_asset_matching_moves_money_and_names_each_side_in_its_own_terms(
    kind: str, maker: tuple[str, str, str], taker: tuple[str, str, str], price: str
) -> None:
    h = Harness()
    tokens = {"yes": h.yes, "no": h.no}
    m_token, m_side, m_price = tokens[maker[0]], maker[1], maker[2]
    t_token, t_side, t_limit = tokens[taker[0]], taker[1], taker[2]
    if m_side == "SELL":
        h.grant("bob", m_token, "10")
    if t_side == "SELL":
        h.grant("alice", t_token, "10")
    start_alice, start_bob = h.cash("alice"), h.cash("bob")

    resting = h.place("bob", m_token, m_side, m_price, "10", post_only=True)
    taking = h.place("alice", t_token, t_side, t_limit, "10")

    assert resting.status == 200 and taking.status == 200
    assert taking.body["status"] == "matched"  # type: ignore[index]
    fee = taker_fee(10 * MICRO, units(price), FEE_RATE)
    taker_cash = -units(price) * 10 - fee if t_side == "BUY" else units(price) * 10 - fee
    maker_cash = -units(m_price) * 10 if m_side == "BUY" else units(m_price) * 10
    assert h.cash("alice") - start_alice == taker_cash
    assert h.cash("bob") - start_bob == maker_cash  # makers pay no fee
    assert h.shares("alice", t_token) == (10 * MICRO if t_side == "BUY" else 0)
    assert h.shares("bob", m_token) == (10 * MICRO if m_side == "BUY" else 0)

    [taker_msg] = h.user("alice", "trade")
    [maker_msg] = h.user("bob", "trade")
    assert taker_msg["id"] == maker_msg["id"]
    assert (taker_msg["trader_side"], maker_msg["trader_side"]) == ("TAKER", "MAKER")
    assert (maker_msg["trade_owner"], maker_msg["owner"]) == ("key-bob", "key-alice")
    for msg in (taker_msg, maker_msg):
        assert (msg["asset_id"], msg["side"], msg["price"], msg["size"]) == (t_token, t_side, price, "10")
        [entry] = msg["maker_orders"]
        assert (entry["asset_id"], entry["side"], entry["price"]) == (m_token, m_side, m_price)
        assert (entry["owner"], entry["matched_amount"], entry["fee_rate_bps"]) == ("key-bob", "10", "0")
    assert h.market().last_trade_price == (units(price) if t_token == h.yes else MICRO - units(price))
    assert kind in ("direct", "mint", "merge")


def test_price_beats_time_and_time_breaks_ties_across_both_tokens() -> None:
    h = Harness()
    h.grant("bob", h.yes, "10")
    h.grant("carol", h.yes, "10")
    bob = h.place("bob", h.yes, "SELL", "0.55", "10", post_only=True)
    dave = h.place("dave", h.no, "BUY", "0.45", "10", post_only=True)  # a Yes ask at 0.55, later than bob
    carol = h.place("carol", h.yes, "SELL", "0.55", "10", post_only=True)
    cheap = h.place("dave", h.no, "BUY", "0.46", "10", post_only=True)  # a Yes ask at 0.54: best price

    h.place("alice", h.yes, "BUY", "0.55", "25")

    trades = h.user("alice", "trade")
    assert [t["price"] for t in trades] == ["0.54", "0.55"]
    fills = [(m["order_id"], m["matched_amount"]) for t in trades for m in t["maker_orders"]]
    assert fills == [(cheap.body["orderID"], "10"), (bob.body["orderID"], "10"),  # type: ignore[index]
                     (dave.body["orderID"], "5")]  # type: ignore[index]
    assert carol.body["orderID"] in {o["id"] for o in h.ex.open_orders(  # type: ignore[index]
        api_key="key-carol", order_id=None, market=None, asset_id=None)}


def test_partial_fills_report_cumulative_size_matched_and_the_remainder_rests() -> None:
    h = Harness()
    maker = h.place("bob", h.yes, "BUY", "0.50", "20", post_only=True)
    h.grant("alice", h.yes, "30")
    h.place("alice", h.yes, "SELL", "0.50", "8", order_type="FAK")
    h.place("alice", h.yes, "SELL", "0.50", "12", order_type="FAK")

    updates = [e for e in h.user("bob", "order") if e["type"] == "UPDATE"]
    assert [(e["size_matched"], e["status"]) for e in updates] == [("8", "LIVE"), ("20", "MATCHED")]
    assert len(updates[-1]["associate_trades"]) == 2
    assert h.ex.order(api_key="key-bob", order_id=maker.body["orderID"]) is None  # type: ignore[index]

    # a crossing GTC takes what it can, then rests the rest at its limit
    h.clear()
    h.place("carol", h.yes, "BUY", "0.52", "5", post_only=True)
    reply = h.place("alice", h.yes, "SELL", "0.50", "10")
    assert reply.body["status"] == "matched"  # type: ignore[index]
    events = h.user("alice", "order")
    assert [(e["type"], e["size_matched"], e["status"]) for e in events] == [
        ("PLACEMENT", "0", "LIVE"), ("UPDATE", "5", "LIVE")]
    book = h.ex.book(h.yes)
    assert book is not None and book["asks"] == [{"price": "0.5", "size": "5"}]


@pytest.mark.parametrize(("price", "size", "fee"), [
    ("0.5", "100", "1.75"),
    ("0.1", "100", "0.63"),
    ("0.9", "100", "0.63"),
    ("0.01", "5", "0.00347"),  # 0.003465 rounds half up to 5 decimals
])
def test_crypto_taker_fee_is_rate_p_one_minus_p(price: str, size: str, fee: str) -> None:
    assert taker_fee(units(size), units(price), FEE_RATE) == units(fee)


def test_the_taker_pays_the_fee_and_reward_markets_charge_none() -> None:
    h = Harness()
    reward = h.ex.catalogue.slug("venue-reward-market-1")
    assert reward is not None and not reward.fees_enabled
    for token, fee_bps in ((h.yes, "1000"), (reward.token_ids[0], "0")):
        before = h.cash("alice")
        h.grant("bob", token, "100")
        h.place("bob", token, "SELL", "0.5", "100", post_only=True)
        h.place("alice", token, "BUY", "0.5", "100", order_type="FOK")
        expected_fee = units("1.75") if fee_bps == "1000" else 0
        assert before - h.cash("alice") == units("50") + expected_fee
        assert h.user("alice", "trade")[-1]["fee_rate_bps"] == fee_bps


def test_a_lower_fee_rate_from_config_is_used() -> None:
    h = Harness(VenueConfig(flow=False, fee_rate="0.02"))
    h.grant("bob", h.yes, "100")
    h.place("bob", h.yes, "SELL", "0.5", "100", post_only=True)
    before = h.cash("alice")
    h.place("alice", h.yes, "BUY", "0.5", "100")
    assert before - h.cash("alice") == units("50") + units("0.5")
