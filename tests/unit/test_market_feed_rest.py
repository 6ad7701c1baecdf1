"""market-feed's REST fallback, the pure part (``rest_books.RestPoller``): which leased tokens are polled
and when (seed-002 §7: only while their socket is down), and the REST ``/book`` answer as a ``Book``
marked ``rest`` (levels sorted best first, the venue's tick)."""

from __future__ import annotations

import json

import pytest

from actors.market_feed.core import MarketFeed
from actors.market_feed.rest_books import RestPoller
from schemas.units import MS

BODY = json.dumps({"market": "0xm", "asset_id": "A", "timestamp": "1700000000000", "hash": "h",
                   "bids": [{"price": "0.39", "size": "5"}, {"price": "0.41", "size": "10"}],
                   "asks": [{"price": "0.49", "size": "7"}, {"price": "0.47", "size": "10"}],
                   "min_order_size": "5", "tick_size": "0.01", "neg_risk": False,
                   "last_trade_price": ""}).encode()


def poller() -> RestPoller:
    feed = MarketFeed(depth=10, default_tick=10_000)
    feed.track("A", 0)
    feed.track("B", 0)
    feed.assets["B"].live = True
    return RestPoller(feed, 200 * MS)


def test_only_tokens_whose_socket_is_down_are_polled_at_most_once_per_interval() -> None:
    p = poller()
    assert p.due(1_000 * MS) == ["A"]
    assert p.due(1_100 * MS) == []
    assert p.due(1_200 * MS) == ["A"]
    p.feed.assets["A"].live = True
    assert p.due(2_000 * MS) == []
    assert RestPoller(p.feed, 0).due(5_000 * MS) == []  # PM_FEED_REST_POLL_MS=0: never


def test_the_answer_becomes_a_rest_book_best_first() -> None:
    p = poller()
    book = p.book("A", BODY, 7)
    assert book is not None and book.rest and book.asset == "A" and book.market == "0xm"
    assert book.bids == [(410_000, 10_000_000), (390_000, 5_000_000)]
    assert book.asks == [(470_000, 10_000_000), (490_000, 7_000_000)]
    assert (book.tick, book.ts_event, book.ts_recv) == (10_000, 1_700_000_000_000 * MS, 7)


def test_a_token_live_again_or_released_gets_no_rest_book_and_a_wrong_answer_is_refused() -> None:
    p = poller()
    assert p.book("B", BODY.replace(b'"A"', b'"B"'), 7) is None  # its socket's books win
    assert p.book("C", BODY, 7) is None  # not leased (any more)
    with pytest.raises(ValueError):
        p.book("A", BODY.replace(b'"A"', b'"Z"'), 7)
    with pytest.raises(ValueError):
        p.book("A", b"<html>", 7)
