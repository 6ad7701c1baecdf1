"""Random order sequences keep the venue's books and balances consistent (hypothesis)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.units import MICRO
from tests.support.venue_harness import ADDRESSES, Harness
from venue.matching import COLLATERAL
from venue.money import notional

WHO = sorted(ADDRESSES)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("order"), st.sampled_from(WHO), st.booleans(), st.sampled_from(["BUY", "SELL"]),
                  st.one_of(st.integers(40, 60), st.integers(1, 99)),  # price in ticks
                  st.integers(5, 60), st.sampled_from(["GTC", "GTC", "FOK", "FAK"]),
                  st.booleans()),
        st.tuples(st.just("cancel"), st.sampled_from(WHO), st.integers(0, 30)),
    ),
    min_size=5, max_size=60,
)


def _check(h: Harness, start_total: int) -> None:
    engine = h.ex.engine
    book = engine.books[h.market().condition_id]
    if book.bids.prices and book.asks.prices:
        assert book.bids.best() < book.asks.best()  # never left crossed
    for side in (book.bids, book.asks):
        for price, level in side.levels.items():
            assert level.total == sum(o.remaining for o in level.orders if o.live) > 0
            assert all(o.book_price == price for o in level.orders)
    yes, no = h.market().token_ids
    fees = sum(t.fee for t in engine.clearing.trades.values())
    cash = sum(h.ex.ledger.balance(a) for a in ADDRESSES.values())
    yes_total = sum(h.ex.ledger.balance(a, yes) for a in ADDRESSES.values())
    no_total = sum(h.ex.ledger.balance(a, no) for a in ADDRESSES.values())
    assert yes_total == no_total  # every share was minted as a Yes/No pair
    assert cash + fees + yes_total == start_total  # collateral is conserved (mint/merge/direct, fees)
    for name, address in ADDRESSES.items():
        live = [o for o in engine.orders.values() if o.address == address]
        want_cash = sum(o.reserved for o in live if o.side == "BUY")
        assert h.ex.ledger.reserved(address, COLLATERAL) == want_cash, name
        for token in (yes, no):
            shares = sum(o.reserved for o in live if o.side == "SELL" and o.token_id == token)
            assert h.ex.ledger.reserved(address, token) == shares, name
            assert h.ex.ledger.available(address, token) >= 0, name
        for order in live:
            assert order.reserved <= (notional(order.price, order.remaining) + 1 if order.side == "BUY"
                                      else order.remaining)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ACTIONS)
def test_random_sessions_keep_books_and_balances_consistent(actions: list[tuple[object, ...]]) -> None:
    h = Harness()
    yes, no = h.market().token_ids
    for address in ADDRESSES.values():  # everyone starts with 200 minted Yes/No pairs
        h.ex.ledger.apply([(address, COLLATERAL, -200 * MICRO), (address, yes, 200 * MICRO),
                           (address, no, 200 * MICRO)])
    start_total = sum(h.ex.ledger.balance(a) + h.ex.ledger.balance(a, yes) for a in ADDRESSES.values())
    placed: list[tuple[str, str]] = []
    for action in actions:
        if action[0] == "order":
            _, who, is_yes, side, ticks, size, order_type, post_only = action
            token = h.yes if is_yes else h.no
            reply = h.place(str(who), token, str(side), f"{int(ticks) / 100:.2f}", str(size),
                            order_type=str(order_type), post_only=bool(post_only) and order_type == "GTC")
            if reply.status == 200:
                placed.append((str(who), str(reply.body["orderID"])))  # type: ignore[index]
        elif placed:
            _, who, index = action
            owner, order_id = placed[int(index) % len(placed)]
            h.cancel(owner if int(index) % 2 else str(who), order_id)
        _check(h, start_total)
    h.advance(10)
    _check(h, start_total)
    assert all(t.status == "CONFIRMED" for t in h.ex.engine.clearing.trades.values())
