"""actors.market_feed.books: sorted levels, best first, depth-N view patched copy-on-write."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.market_feed import venue
from actors.market_feed.books import OrderBook, Side
from actors.market_feed.core import _sizes


def test_snapshot_in_live_order_worst_to_best_comes_out_best_first() -> None:
    book = OrderBook(depth=10)
    book.replace(bids=[(10_000, 1), (20_000, 2), (30_000, 3)],
                 asks=[(990_000, 4), (980_000, 5), (970_000, 6)])
    assert book.bids.top() == [(30_000, 3), (20_000, 2), (10_000, 1)]
    assert book.asks.top() == [(970_000, 6), (980_000, 5), (990_000, 4)]
    assert book.top() == (30_000, 970_000)


def test_snapshot_skips_zero_sizes_and_keeps_the_last_duplicate() -> None:
    side = Side(is_bid=True, depth=5)
    side.replace([(100, 1), (200, 0), (100, 7)])
    assert side.top() == [(100, 7)]


# (levels before, update (price, size), depth-N view after, whether the view changed)
CASES = [
    ([(500, 1), (400, 1)], (450, 9), [(500, 1), (450, 9), (400, 1)], True),  # new level inside
    ([(500, 1), (400, 1)], (600, 2), [(600, 2), (500, 1), (400, 1)], True),  # new best
    ([(500, 1), (400, 1)], (500, 5), [(500, 5), (400, 1)], True),  # size is the new total
    ([(500, 1), (400, 1)], (500, 0), [(400, 1)], True),  # "0" removes the level
    ([(500, 1), (400, 1)], (300, 0), [(500, 1), (400, 1)], False),  # removing a missing level
    ([(500, 1), (400, 1)], (500, 1), [(500, 1), (400, 1)], False),  # same size again
    ([(500, 1), (400, 1), (300, 1)], (200, 4), [(500, 1), (400, 1), (300, 1)], False),  # below depth 3
    ([(500, 1), (400, 1), (300, 1), (200, 1)], (500, 0), [(400, 1), (300, 1), (200, 1)], True),  # refill
    ([(500, 1), (400, 1), (300, 1)], (450, 1), [(500, 1), (450, 1), (400, 1)], True),  # pushes one out
]


@pytest.mark.parametrize(("before", "update", "after", "changed"), CASES)
def test_bid_level_update(before: list[tuple[int, int]], update: tuple[int, int],
                          after: list[tuple[int, int]], changed: bool) -> None:
    side = Side(is_bid=True, depth=3)
    side.replace(before)
    side.top()  # warm the cached view: updates patch it
    assert side.set(*update) is changed
    assert side.top() == after


def test_ask_side_is_ascending() -> None:
    side = Side(is_bid=False, depth=2)
    side.replace([(600, 1), (700, 1)])
    side.top()
    assert side.set(550, 3)
    assert side.top() == [(550, 3), (600, 1)]
    assert not side.set(800, 1)
    assert side.set(550, 0) and side.top() == [(600, 1), (700, 1)]


def test_published_view_is_never_mutated() -> None:
    side = Side(is_bid=True, depth=3)
    side.replace([(500, 1), (400, 1)])
    published = side.top()
    side.set(450, 2)
    side.set(500, 0)
    assert published == [(500, 1), (400, 1)]


def test_empty_side_best_is_the_sentinel() -> None:
    book = OrderBook(depth=3)
    assert (book.top(), len(book.bids)) == ((0, 1_000_000), 0)
    book.set(False, 600_000, 1)
    assert book.top() == (0, 600_000)


updates = st.lists(st.tuples(st.booleans(), st.integers(1, 40), st.sampled_from([0, 0, 1, 2, 5])),
                   max_size=80)


@settings(max_examples=200, deadline=None)
@given(updates, st.integers(1, 6))
def test_matches_a_naive_model(ops: list[tuple[bool, int, int]], depth: int) -> None:
    book = OrderBook(depth)
    model: dict[bool, dict[int, int]] = {True: {}, False: {}}
    views = {True: book.bids.top(), False: book.asks.top()}
    for is_bid, price, size in ops:
        changed = book.set(is_bid, price, size)
        if size:
            model[is_bid][price] = size
        else:
            model[is_bid].pop(price, None)
        for side, levels in ((True, book.bids), (False, book.asks)):
            want = sorted(model[side].items(), reverse=side)[:depth]
            assert levels.top() == want
            if side == is_bid:
                assert changed == (want != views[side])
            views[side] = want


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(updates, st.booleans()), max_size=10), st.integers(1, 6))
def test_views_handed_out_are_never_mutated_however_many_changes_follow(
        batches: list[tuple[list[tuple[bool, int, int]], bool]], depth: int) -> None:
    """Several changes between two ``top()`` calls (one frame's deltas) patch one private copy."""
    book = OrderBook(depth)
    model: dict[bool, dict[int, int]] = {True: {}, False: {}}
    handed: list[tuple[list[tuple[int, int]], list[tuple[int, int]]]] = []  # (view, what it said then)
    for ops, look in batches:
        for is_bid, price, size in ops:
            book.set(is_bid, price, size)
            if size:
                model[is_bid][price] = size
            else:
                model[is_bid].pop(price, None)
        if look:
            for side, levels in ((True, book.bids), (False, book.asks)):
                view = levels.top()
                assert view == sorted(model[side].items(), reverse=side)[:depth]
                handed.append((view, list(view)))
    assert all(view == then for view, then in handed)


@settings(max_examples=200, deadline=None)
@given(levels=st.lists(st.tuples(st.integers(1, 40), st.integers(0, 3)), max_size=30),
       depth=st.integers(1, 8), is_bid=st.booleans())
def test_a_snapshot_parsed_into_a_dict_loads_the_same_side_as_its_levels(
        levels: list[tuple[int, int]], depth: int, is_bid: bool) -> None:
    """The market-feed parses a snapshot side straight into ``price -> size`` (``core._sizes``: a zero
    skipped, the last of a repeated price kept) and ``Side.load``\\ s it: the same side as ``Side.replace``
    of the parsed levels (duplicates and zeros included)."""
    raw = [venue.Level(price=f"0.{p:02d}", size=str(s)) for p, s in levels]
    loaded, replaced = Side(is_bid, depth), Side(is_bid, depth)
    loaded.load(_sizes(raw))
    replaced.replace([(p * 10_000, s * 1_000_000) for p, s in levels])
    assert (loaded.keys, loaded.sizes, loaded.top()) == (replaced.keys, replaced.sizes, replaced.top())


def test_a_snapshot_repeating_a_sides_levels_keeps_its_sorted_keys_and_view() -> None:
    """Most snapshots move one side only: the other side's levels come again and keep the view handed out
    (no re-sort, no new list); different levels replace it."""
    side = Side(is_bid=True, depth=3)
    side.load({100: 1, 200: 2})
    view = side.top()
    side.load({200: 2, 100: 1})
    assert side.top() is view == [(200, 2), (100, 1)]
    side.load({100: 1})
    assert side.top() == [(100, 1)] and view == [(200, 2), (100, 1)]
