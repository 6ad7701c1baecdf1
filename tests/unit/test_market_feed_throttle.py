"""``DepthThrottle``: which ``Book``s the market-feed publishes at once, which wait, and when they go out.

The rule (docs/performance.md, round two, feeds): a depth-only change (top of book, epoch, tick and
market unchanged) goes out at most once per ``PM_MD_DEPTH_THROTTLE_MS`` per asset, the newest held one
by a timer; a change of the top always goes out at once; the last state always goes out.
"""

from __future__ import annotations

from typing import Any

import pytest

from actors.market_feed.throttle import DepthThrottle
from bus import topics
from schemas import Book, FeedStatus, Trade

MS = 1_000_000
A, B = "111", "222"
TA, TB = topics.md_book(A), topics.md_book(B)


def book(asset: str = A, bid: tuple[int, int] = (500_000, 10), depth: int = 1,
         ask: tuple[int, int] = (510_000, 10), epoch: int = 1, tick: int = 10_000,
         rest: bool = False) -> tuple[bytes, Book]:
    """A book whose second bid level's size is ``depth`` (what a depth-only change changes)."""
    return topics.md_book(asset), Book(asset=asset, market="m", bids=[bid, (490_000, depth)], asks=[ask],
                                       tick=tick, epoch=epoch, ts_event=0, ts_recv=0, rest=rest)


def depth_of(item: tuple[bytes, Any]) -> int:
    return int(item[1].bids[1][1])


# (case, second book, published at once?) -- each after ``book()`` was published at t=0, read 5 ms later
SECOND = [
    ("depth only: held", book(depth=2), False),
    ("identical: held (the timer sends the same state, harmless)", book(), False),
    ("best bid price moved", book(bid=(501_000, 10), depth=2), True),
    ("best bid size changed", book(bid=(500_000, 11)), True),
    ("best ask size changed", book(ask=(510_000, 9)), True),
    ("best ask price moved", book(ask=(520_000, 10)), True),
    ("new epoch (snapshot)", book(depth=2, epoch=2), True),
    ("tick change", book(depth=2, tick=1_000), True),
    ("a REST book", book(depth=2, rest=True), True),
    ("another asset's first book", book(asset=B, depth=2), True),
]


@pytest.mark.parametrize(("second", "at_once"), [(c[1], c[2]) for c in SECOND], ids=[c[0] for c in SECOND])
def test_what_goes_out_at_once(second: tuple[bytes, Book], at_once: bool) -> None:
    gate = DepthThrottle(20 * MS)
    assert gate.admit([book()], 0) == [book()]
    out = gate.admit([second], 5 * MS)
    assert out == ([second] if at_once else [])
    assert gate.next_due() == (None if at_once else 20 * MS)


def test_a_depth_only_change_after_the_interval_goes_out_at_once() -> None:
    gate = DepthThrottle(20 * MS)
    gate.admit([book()], 0)
    assert gate.admit([book(depth=2)], 20 * MS) == [book(depth=2)]
    assert gate.admit([book(depth=3)], 25 * MS) == []  # the interval counts from that publication
    assert gate.next_due() == 40 * MS


def test_the_newest_held_book_goes_out_when_due_and_never_twice() -> None:
    gate = DepthThrottle(20 * MS)
    gate.admit([book()], 0)
    for n, t in ((2, 1), (3, 2), (4, 3)):
        assert gate.admit([book(depth=n)], t * MS) == []
    assert gate.withheld == 2
    assert gate.flush(19 * MS) == []  # not due yet
    assert [depth_of(i) for i in gate.flush(20 * MS)] == [4]
    assert gate.flush(60 * MS) == [] and gate.next_due() is None


def test_a_top_change_makes_the_held_book_obsolete() -> None:
    gate = DepthThrottle(20 * MS)
    gate.admit([book()], 0)
    gate.admit([book(depth=2)], MS)
    moved = book(bid=(501_000, 10), depth=3)
    assert gate.admit([moved], 2 * MS) == [moved]  # it carries the newer depth too
    assert gate.next_due() is None and gate.flush(100 * MS) == []


def test_a_held_book_goes_out_before_a_later_message_of_its_asset() -> None:
    """A status (or tick change, trade) never overtakes the book read before it."""
    gate = DepthThrottle(20 * MS)
    gate.admit([book(), book(asset=B)], 0)
    held_a, held_b = book(depth=2), book(asset=B, depth=2)
    status = (topics.md_status(A), FeedStatus(asset=A, live=False, reason="stale", ts=0))
    trade_b = (topics.md_trade(B), Trade(asset=B, market="m", price=1, size=1, side="BUY", fee_rate_bps=0,
                                         ts_event=0, ts_recv=0))
    assert gate.admit([held_a, held_b], MS) == []
    assert gate.admit([status], 2 * MS) == [held_a, status]
    assert gate.admit([trade_b], 3 * MS) == [held_b, trade_b]
    assert gate.next_due() is None


def test_per_asset_intervals_and_the_earliest_due() -> None:
    gate = DepthThrottle(20 * MS)
    gate.admit([book()], 0)
    gate.admit([book(asset=B)], 10 * MS)
    gate.admit([book(asset=B, depth=2), book(depth=2)], 12 * MS)
    assert gate.next_due() == 20 * MS
    assert [i[0] for i in gate.flush(20 * MS)] == [TA]
    assert gate.next_due() == 30 * MS
    assert [i[0] for i in gate.flush(30 * MS)] == [TB]


def test_zero_turns_the_rule_off() -> None:
    gate = DepthThrottle(0)
    items = [book(), book(depth=2), book(depth=3)]
    assert gate.admit(items, 0) == items and gate.next_due() is None
