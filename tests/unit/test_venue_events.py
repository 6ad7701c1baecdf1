"""Market events (price_change, book, best_bid_ask, last trade, tick_size_change); determinism."""

from __future__ import annotations

import hashlib
import json

import msgspec

from tests.support.venue_harness import T0, Harness, signed
from venue.config import VenueConfig
from venue.contract import MarketEvent, UserEvent
from venue.exchange import Exchange


def test_a_placement_sends_one_price_change_covering_both_tokens() -> None:
    h = Harness()
    h.place("alice", h.yes, "BUY", "0.45", "10", post_only=True)
    h.place("bob", h.yes, "BUY", "0.45", "5", post_only=True)
    first, second = h.market_events("price_change")
    assert set(first.asset_ids) == {h.yes, h.no} and not first.custom
    changes = second.payload["price_changes"]
    assert [(c["asset_id"], c["price"], c["size"], c["side"]) for c in changes] == [
        (h.yes, "0.45", "15", "BUY"), (h.no, "0.55", "15", "SELL")]  # size: the new level total
    assert (changes[0]["best_bid"], changes[0]["best_ask"]) == ("0.45", "1")  # empty ask side shows "1"
    assert (changes[1]["best_bid"], changes[1]["best_ask"]) == ("0", "0.55")  # empty bid side shows "0"
    assert second.payload["market"] == h.market().condition_id and "asset_id" not in second.payload


def test_a_cancel_reports_the_level_gone_with_size_zero() -> None:
    h = Harness()
    order_id = h.place("alice", h.no, "BUY", "0.3", "10").body["orderID"]  # type: ignore[index]
    h.cancel("alice", order_id)
    last = h.market_events("price_change")[-1].payload["price_changes"]
    assert [(c["asset_id"], c["price"], c["size"], c["side"]) for c in last] == [
        (h.yes, "0.7", "0", "SELL"), (h.no, "0.3", "0", "BUY")]


def test_books_go_worst_to_best_and_the_no_book_mirrors_the_yes_book() -> None:
    h = Harness()
    for price in ("0.40", "0.42", "0.41"):
        h.place("alice", h.yes, "BUY", price, "10", post_only=True)
    h.place("bob", h.no, "BUY", "0.40", "7", post_only=True)  # a Yes ask at 0.6
    h.place("bob", h.no, "BUY", "0.45", "9", post_only=True)  # a Yes ask at 0.55
    yes_book, no_book = h.ex.book(h.yes), h.ex.book(h.no)
    assert yes_book is not None and no_book is not None
    assert [lv["price"] for lv in yes_book["bids"]] == ["0.4", "0.41", "0.42"]  # ascending: best last
    assert [lv["price"] for lv in yes_book["asks"]] == ["0.6", "0.55"]  # descending: best last
    assert no_book["bids"] == [{"price": "0.4", "size": "7"}, {"price": "0.45", "size": "9"}]
    assert [lv["price"] for lv in no_book["asks"]] == ["0.6", "0.59", "0.58"]


def test_the_book_hash_is_the_one_clients_recompute() -> None:
    h = Harness()
    h.place("alice", h.yes, "BUY", "0.4", "10", post_only=True)
    book = h.ex.book(h.yes)
    assert book is not None
    unhashed = {**book, "hash": ""}
    expected = hashlib.sha1(json.dumps(unhashed, separators=(",", ":")).encode()).hexdigest()
    assert book["hash"] == expected
    empty = h.ex.book(h.market("eth-updown-5m-1773307200").token_ids[0])
    assert empty is not None and empty["hash"] == "0" * 40 and empty["last_trade_price"] == ""


def test_a_trade_resends_both_books_and_the_last_trade_price() -> None:
    h = Harness()
    h.place("bob", h.no, "BUY", "0.45", "10", post_only=True)
    h.clear()
    h.place("alice", h.yes, "BUY", "0.55", "6")
    [trade] = h.market_events("last_trade_price")
    assert (trade.asset_ids, trade.payload["price"], trade.payload["size"], trade.payload["side"]) == (
        (h.yes,), "0.55", "6", "BUY")
    books = h.market_events("book")
    assert [b.asset_ids for b in books] == [(h.yes,), (h.no,)]
    assert books[0].payload["asks"] == [{"price": "0.55", "size": "4"}]
    assert (books[0].payload["last_trade_price"], books[1].payload["last_trade_price"]) == ("0.55", "0.45")
    assert h.market_events("price_change") == []


def test_best_bid_ask_goes_to_custom_subscribers_when_the_top_moves() -> None:
    h = Harness()
    h.place("alice", h.yes, "BUY", "0.45", "10", post_only=True)
    h.place("alice", h.yes, "BUY", "0.40", "10", post_only=True)  # not the top: no new best_bid_ask
    events = h.market_events("best_bid_ask")
    assert all(e.custom for e in events) and len(events) == 2
    yes, no = (e.payload for e in events)
    assert (yes["asset_id"], yes["best_bid"], yes["best_ask"], yes["spread"]) == (h.yes, "0.45", "", "")
    assert (no["asset_id"], no["best_bid"], no["best_ask"]) == (h.no, "", "0.55")
    h.place("bob", h.no, "BUY", "0.5", "10", post_only=True)
    last = h.market_events("best_bid_ask")[-2].payload
    assert (last["best_bid"], last["best_ask"], last["spread"]) == ("0.45", "0.5", "0.05")


def test_tick_size_goes_to_0_001_beyond_0_96_and_back() -> None:
    h = Harness()
    h.grant("bob", h.yes, "100")
    h.place("bob", h.yes, "SELL", "0.97", "10", post_only=True)
    h.place("alice", h.yes, "BUY", "0.97", "10")
    changes = h.market_events("tick_size_change")
    assert [(e.asset_ids, e.payload["old_tick_size"], e.payload["new_tick_size"]) for e in changes] == [
        ((h.yes,), "0.01", "0.001"), ((h.no,), "0.01", "0.001")]
    assert h.ex.book(h.no)["tick_size"] == "0.001"  # type: ignore[index]
    assert h.place("alice", h.yes, "BUY", "0.975", "10", post_only=True).status == 200
    off = h.place("alice", h.yes, "BUY", "0.9755", "20", order_id="0x" + "1" * 64)
    assert off.body == {"error": f"order {'0x' + '1' * 64} is invalid. Price (0.9755) breaks minimum "
                                 f"tick size rule: 0.001"}

    h.ex.cancel_all(api_key="key-alice", now_ns=h.now)
    h.clear()
    h.place("bob", h.yes, "SELL", "0.5", "10", post_only=True)
    h.place("carol", h.yes, "BUY", "0.5", "10")
    back = h.market_events("tick_size_change")
    assert [(e.payload["old_tick_size"], e.payload["new_tick_size"]) for e in back] == [("0.001", "0.01")] * 2


def test_tick_size_also_shrinks_below_0_04() -> None:
    h = Harness()
    h.place("bob", h.yes, "BUY", "0.03", "100", post_only=True)
    h.grant("alice", h.yes, "100")
    h.place("alice", h.yes, "SELL", "0.03", "100")
    assert [e.payload["new_tick_size"] for e in h.market_events("tick_size_change")] == ["0.001", "0.001"]


def _run(seed: int) -> list[bytes]:
    """A scripted session with synthetic flow on; returns every event, encoded."""
    ex = Exchange(VenueConfig(window_seconds=30), seed=seed, now_ns=T0)
    ex.register_account(address="0xa11ce", api_key="key-alice")
    out: list[bytes] = []
    now = T0
    market = ex.catalogue.slug("btc-updown-5m-1773307200")
    assert market is not None
    for step in range(400):
        now += 100_000_000
        ex.tick(now)
        if step % 40 == 0:
            order = signed(market.token_ids[step % 80 // 40], "BUY", "0.3", "10", order_id=f"0x{step:064x}")
            ex.place(api_key="key-alice", order=order, order_type="GTC", post_only=True, now_ns=now)
        for event in ex.drain_events():
            kind = "m" if isinstance(event, MarketEvent) else "u"
            key = event.asset_ids if isinstance(event, MarketEvent) else (event.api_key, event.market)
            assert isinstance(event, MarketEvent | UserEvent)
            out.append(msgspec.json.encode([kind, key, event.payload]))
    return out


def test_the_same_seed_and_calls_give_the_same_event_stream() -> None:
    first, second = _run(11), _run(11)
    assert len(first) > 500
    assert first == second
    assert _run(12) != first
