"""The simulated exchange's rules (backtest/exchange.py, docs/backtest.md "The simulated exchange"), as
tables: post-only, the queue (trades, cancellations, the power parameter), trade-through, the YES/NO
complement (mint/merge), and the fees a maker pays (none)."""

from __future__ import annotations

import pytest

from backtest.exchange import SimExchange

YES, NO, M = "yes-token", "no-token", "0xcid"
S = 1_000_000  # one share / 1.0


def px(x: float) -> int:
    return round(x * S)


def ex_with(yes_bids: dict[float, float], yes_asks: dict[float, float], power: float = 2.0) -> SimExchange:
    """A market whose YES book is given and whose NO book is its mirror (as the venue publishes both)."""
    ex = SimExchange(queue_power=power)
    ex.add_market(YES, NO)
    set_books(ex, yes_bids, yes_asks)
    return ex


def set_books(ex: SimExchange, yes_bids: dict[float, float], yes_asks: dict[float, float]) -> list:
    yb = {px(p): px(s) for p, s in yes_bids.items()}
    ya = {px(p): px(s) for p, s in yes_asks.items()}
    nb = {S - p: s for p, s in ya.items()}
    na = {S - p: s for p, s in yb.items()}
    fills = ex.on_book(YES, yb, ya, max(yb, default=0), min(ya, default=0), 0)
    fills += ex.on_book(NO, nb, na, max(nb, default=0), min(na, default=0), 0)
    return fills


BOOK = ({0.48: 30, 0.49: 20}, {0.51: 10, 0.52: 20})


# -- post-only ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("token", "side", "price", "rejected"), [
    (YES, "BUY", 0.50, False),   # inside the spread: rests
    (YES, "BUY", 0.51, True),    # at the best ask: would take
    (YES, "BUY", 0.55, True),    # through it
    (YES, "SELL", 0.49, True),   # at the best bid
    (YES, "SELL", 0.50, False),
    (NO, "BUY", 0.50, False),    # NO bid 0.50 = YES ask 0.50: inside
    (NO, "BUY", 0.51, True),     # NO bid 0.51 = YES ask 0.49 = the YES best bid (complement crosses)
    (NO, "SELL", 0.49, True),    # NO ask 0.49 = YES bid 0.51 = the YES best ask
    (NO, "SELL", 0.52, False),
], ids=lambda v: str(v))
def test_post_only_rejects_what_would_cross(token: str, side: str, price: float, rejected: bool) -> None:
    ex = ex_with(*BOOK)
    placed = ex.place(cmd_id="c", slot="s", market=M, token=token, side=side, price=px(price), size=px(5),
                      now=1)
    assert (placed is None) is rejected
    assert (len(ex.orders) == 0) is rejected


@pytest.mark.parametrize(("resting", "token", "side", "price", "rejected"), [
    # our own simulated order resting; the venue checks every resting order, ours too (one YES-price book)
    ((YES, "BUY", 0.50), NO, "BUY", 0.50, True),    # YES bid 0.50 + NO bid 0.50 = 1: they meet by minting
    ((YES, "BUY", 0.50), NO, "BUY", 0.49, False),   # 0.99: no
    ((YES, "BUY", 0.50), YES, "SELL", 0.50, True),  # our own ask at our bid
    ((YES, "BUY", 0.50), YES, "SELL", 0.505, False),
    ((NO, "SELL", 0.505), YES, "SELL", 0.495, True),  # NO ask 0.505 = YES bid 0.495: a YES ask there meets
    ((NO, "SELL", 0.505), YES, "BUY", 0.495, False),  # the same side: no
], ids=lambda v: str(v))
def test_post_only_counts_our_own_simulated_orders(resting: tuple[str, str, float], token: str, side: str,
                                                    price: float, rejected: bool) -> None:
    ex = ex_with(*BOOK)
    assert ex.place(cmd_id="a", slot="a", market=M, token=resting[0], side=resting[1], price=px(resting[2]),
                    size=px(5), now=1) is not None
    placed = ex.place(cmd_id="b", slot="b", market=M, token=token, side=side, price=px(price), size=px(5),
                      now=2)
    assert (placed is None) is rejected


@pytest.mark.parametrize(("own", "token", "side", "price", "rejected"), [
    # the recorded book holds our live order (it stands for the simulated one, which is not there)
    ((YES, "SELL", 0.51, 10), YES, "BUY", 0.51, False),  # the 0.51 ask was only ours: 0.52 is the others'
    ((YES, "SELL", 0.51, 4), YES, "BUY", 0.51, True),    # others rest at 0.51 too
    ((YES, "BUY", 0.49, 20), NO, "BUY", 0.51, False),    # NO bid 0.51 met only our live YES bid 0.49
    ((YES, "BUY", 0.49, 20), NO, "BUY", 0.52, True),     # ... the others' 0.48 is still there
], ids=lambda v: str(v))
def test_post_only_leaves_our_live_orders_out(own: tuple[str, str, float, float], token: str, side: str,
                                             price: float, rejected: bool) -> None:
    ex = ex_with(*BOOK)
    ex.own_delta(own[0], own[1], px(own[2]), px(own[3]))
    placed = ex.place(cmd_id="b", slot="b", market=M, token=token, side=side, price=px(price), size=px(5),
                      now=2)
    assert (placed is None) is rejected


# -- the queue ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("trades", "filled"), [
    ([10], 0),            # 20 ahead of us: a 10-share print only shortens the queue
    ([20], 0),            # exactly the queue ahead: nothing left for us
    ([25], 5),            # 5 past the queue: we get 5
    ([15, 10], 5),        # two prints: the second reaches us
    ([40], 5),            # more than queue + us: we fill in full (5), never more
], ids=lambda v: str(v))
def test_trade_at_our_price_takes_the_queue_ahead_first(trades: list[int], filled: int) -> None:
    ex = ex_with(*BOOK)
    o = ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.49), size=px(5), now=1)
    assert o is not None and o.ahead == px(20)  # joins the back of the 20-share level
    got = 0
    for i, size in enumerate(trades):
        got += sum(f.size for f in ex.on_trade(YES, "SELL", px(0.49), px(size), ts_event=i, now=2 + i))
    assert got == px(filled)


@pytest.mark.parametrize(("power", "new_level", "ahead_after"), [
    # 20 ahead of us, 10 behind; the level then drops to new_level (20 cancelled, or 10)
    (0.0, 10, 10.0),   # f = 1: half of every cancellation is ahead of us: 20 - 10
    (1.0, 10, 6.67),   # proportional: 2/3 of the 20 cancelled are ahead: 20 - 13.33
    (2.0, 20, 12.0),   # squares: 10 cancelled, 80 % of it ahead (400 vs 100): 20 - 8
    (50.0, 10, 0.0),   # cancellations come from the bigger part (ahead) first: 20 - 20
    (2.0, 30, 20.0),   # no cancellation: nothing moves
], ids=lambda v: str(v))
def test_cancellations_split_by_the_power_queue_model(power: float, new_level: float,
                                                      ahead_after: float) -> None:
    ex = ex_with({0.48: 30, 0.49: 20}, {0.51: 10}, power=power)
    o = ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.49), size=px(5), now=1)
    assert o is not None
    set_books(ex, {0.48: 30, 0.49: 30}, {0.51: 10})  # 10 more join behind us
    set_books(ex, {0.48: 30, 0.49: new_level}, {0.51: 10})
    assert o.ahead == pytest.approx(ahead_after * S, abs=0.01 * S)


def test_queue_ahead_never_exceeds_the_level() -> None:
    ex = ex_with(*BOOK)
    o = ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.49), size=px(5), now=1)
    assert o is not None
    set_books(ex, {0.48: 30, 0.49: 3}, {0.51: 10})
    assert o.ahead <= px(3)


# -- through and crossing ----------------------------------------------------------------------------

@pytest.mark.parametrize(("taker_side", "price", "filled"), [
    ("SELL", 0.48, 5),   # sold below our bid: we would have been hit first, in full
    ("SELL", 0.49, 0),   # at our price with 20 ahead: not yet
    ("BUY", 0.48, 0),    # a taker BUY does not hit bids
], ids=lambda v: str(v))
def test_trade_through_fills_in_full(taker_side: str, price: float, filled: int) -> None:
    ex = ex_with(*BOOK)
    ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.49), size=px(5), now=1)
    fills = ex.on_trade(YES, taker_side, px(price), px(10), ts_event=1, now=2)  # type: ignore[arg-type]
    assert sum(f.size for f in fills) == px(filled)
    assert all(f.price == px(0.49) for f in fills)  # always at our own price (maker)


@pytest.mark.parametrize("cross_fills", [True, False], ids=["real makers", "post-only makers (local venue)"])
def test_the_opposite_best_reaching_our_price_fills_us(cross_fills: bool) -> None:
    ex = ex_with(*BOOK)
    ex.cross_fills = cross_fills
    ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.50), size=px(5), now=1)
    fills = set_books(ex, {0.49: 20}, {0.50: 7})  # an ask arrives at our bid
    if cross_fills:
        assert [(f.size, f.reason) for f in fills] == [(px(5), "cross")]
        assert not ex.orders
    else:  # the venue refuses a post-only quote that crosses ours: not a trade, our order rests
        assert not fills and len(ex.orders) == 1


# -- YES / NO: mint and merge ------------------------------------------------------------------------

@pytest.mark.parametrize(("print_token", "taker_side", "print_price", "our_token", "our_side", "our_price",
                          "filled"), [
    (YES, "BUY", 0.46, NO, "BUY", 0.55, 5),     # YES bought at 0.46 through NO bids at 0.54+: mint
    (YES, "BUY", 0.50, NO, "BUY", 0.50, 5),     # at our price, nobody queued at NO 0.50 (YES ask 0.50 empty)
    (YES, "SELL", 0.53, NO, "SELL", 0.46, 5),   # YES sold at 0.53 = NO sold at 0.47, past our 0.46: merge
    (YES, "SELL", 0.40, NO, "BUY", 0.50, 0),    # a YES sale does not hit NO bids
    (NO, "BUY", 0.48, YES, "BUY", 0.53, 5),     # NO bought at 0.48 = YES sold at 0.52, through our 0.53 bid
], ids=lambda v: str(v))
def test_a_print_on_one_token_fills_the_complement(print_token: str, taker_side: str, print_price: float,
                                                   our_token: str, our_side: str, our_price: float,
                                                   filled: int) -> None:
    ex = ex_with({0.40: 10}, {0.60: 10})  # a wide book: all our test prices rest
    placed = ex.place(cmd_id="c", slot="s", market=M, token=our_token, side=our_side,  # type: ignore[arg-type]
                      price=px(our_price), size=px(5), now=1)
    assert placed is not None
    fills = ex.on_trade(print_token, taker_side, px(print_price), px(10), ts_event=7, now=2)  # type: ignore[arg-type]
    assert sum(f.size for f in fills) == px(filled)


def test_one_match_printed_on_both_tokens_counts_once() -> None:
    ex = ex_with({0.40: 10}, {0.60: 10})
    o = ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.45), size=px(50), now=1)
    assert o is not None
    a = ex.on_trade(YES, "SELL", px(0.45), px(10), ts_event=9, now=2)
    b = ex.on_trade(NO, "BUY", px(0.55), px(10), ts_event=9, now=2)  # the same match seen on NO
    assert sum(f.size for f in a + b) == px(10)


# -- cancels and fees --------------------------------------------------------------------------------

def test_a_cancelled_order_never_fills_and_makers_pay_no_fee() -> None:
    ex = ex_with(*BOOK)
    o = ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.50), size=px(5), now=1)
    assert o is not None
    keep = ex.place(cmd_id="d", slot="t", market=M, token=YES, side="BUY", price=px(0.495), size=px(5), now=1)
    assert keep is not None
    ex.cancel(o.order_id)
    fills = ex.on_trade(YES, "SELL", px(0.40), px(100), ts_event=1, now=2)
    assert [f.order.order_id for f in fills] == [keep.order_id]
    assert not hasattr(fills[0], "fee")  # the engine books every simulated fill with fee 0 (maker)


@pytest.mark.parametrize(("own_token", "own_side", "own_price", "ahead"), [
    (YES, "BUY", 0.49, 15),   # our live 5 at YES 0.49 is not queued ahead of our simulated order
    (NO, "SELL", 0.51, 15),   # the same order seen on the NO book (a NO ask at 0.51 = a YES bid at 0.49)
    (YES, "BUY", 0.48, 20),   # another level: nothing changes
], ids=lambda v: str(v))
def test_the_engines_own_live_orders_are_left_out_of_the_queue(own_token: str, own_side: str,
                                                               own_price: float, ahead: int) -> None:
    ex = ex_with(*BOOK)
    ex.own_delta(own_token, own_side, px(own_price), px(5))  # type: ignore[arg-type]
    o = ex.place(cmd_id="c", slot="s", market=M, token=YES, side="BUY", price=px(0.49), size=px(5), now=1)
    assert o is not None and o.ahead == px(ahead)
    ex.own_delta(own_token, own_side, px(own_price), -px(5))  # cancelled: the level is all others' again
    assert ex.level(YES, "BUY", px(0.49)) == px(20)


# -- touch takers (a recording of a live run) --------------------------------------------------------

@pytest.mark.parametrize(("own_price", "others", "our_token", "our_price", "touch_takers", "filled"), [
    (0.50, {0.48: 30}, YES, 0.49, True, 5),    # our live bid alone at the touch, ours the next touch: hit
    (0.50, {0.48: 30}, YES, 0.48, True, 0),    # ours joins the others' best behind 30: 5 do not reach us
    (0.50, {0.49: 30}, YES, 0.48, True, 0),    # others are the touch without our live bid: they are hit
    (0.50, {0.48: 30}, NO, 0.51, True, 5),     # a NO SELL at 0.51 is a YES bid at 0.49: the same
    (0.50, {0.48: 30}, YES, 0.49, False, 0),   # the rule off: a print at 0.50 does not reach a 0.49 bid
    (0.50, {0.48: 30, 0.50: 10}, YES, 0.49, True, 0),  # others queued with our live bid: not ours alone
], ids=lambda v: str(v))
def test_a_print_on_our_live_touch_goes_to_the_simulated_touch(own_price: float, others: dict[float, float],
                                                               our_token: str, our_price: float,
                                                               touch_takers: bool, filled: int) -> None:
    """The venue's noise takers take the touch, wherever it is: a print that took our live order resting
    alone at the touch would, without it, have hit the touch of the simulated book (docs/backtest.md)."""
    ex = SimExchange(touch_takers=touch_takers)
    ex.add_market(YES, NO)
    ex.own_delta(YES, "BUY", px(own_price), px(5))  # our live 5 at the bid (both views)
    bids = dict(others)
    bids[own_price] = bids.get(own_price, 0) + 5
    set_books(ex, bids, {0.60: 10})
    side = "BUY" if our_token == YES else "SELL"
    o = ex.place(cmd_id="c", slot="s", market=M, token=our_token, side=side,  # type: ignore[arg-type]
                 price=px(our_price), size=px(5), now=1)
    assert o is not None
    fills = ex.on_trade(YES, "SELL", px(own_price), px(5), ts_event=3, now=4)
    assert sum(f.size for f in fills) == px(filled)
    assert all(f.reason == "touch" and f.price == px(our_price) for f in fills)


def test_a_live_order_resting_before_its_market_opens_still_leaves_the_level() -> None:
    """Our live order can rest before the backtest opens the market (the live coordinator's decision is
    due a moment later there): its level change is kept and applied when the market opens, so the simulated
    order does not queue behind the live order it stands for."""
    ex = SimExchange()
    ex.own_delta("yes", "BUY", 490_000, 5_000_000)          # before add_market: kept
    assert ex.own == {} and ex.own_pending == {"yes": [("BUY", 490_000, 5_000_000)]}
    ex.add_market("yes", "no")
    assert ex.own_pending == {}
    assert ex.own == {("yes", True): {490_000: 5_000_000}, ("no", False): {510_000: 5_000_000}}
    ex.on_book("yes", {490_000: 5_000_000}, {}, 490_000, 0, 1)
    assert ex.level("yes", "BUY", 490_000) == 0               # the recorded 5 are ours
