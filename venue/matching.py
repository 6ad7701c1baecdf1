"""Price-time matching of a taker against one market's shared Yes/No book, and what each fill moves.

The book is in Yes-price terms (see book.py), so matching is plain price-time priority: a taker bid
walks the asks from the lowest price up to its limit, a taker ask walks the bids down. What a fill
*means* depends on the two orders' tokens and sides:

| taker      | maker       | kind   | money                                          |
|------------|-------------|--------|------------------------------------------------|
| BUY  T     | SELL T      | direct | taker pays p*f to the maker; f tokens T move   |
| BUY  T     | BUY  T'     | mint   | taker pays p*f, maker pays (1-p)*f; both get f |
| SELL T     | BUY  T      | direct | maker pays p*f to the taker; f tokens T move   |
| SELL T     | SELL T'     | merge  | taker gets p*f, maker gets (1-p)*f; both give f |

p is the taker's own-token price at the fill (the maker's level price, translated), so takers get
price improvement and makers trade at exactly their own price. The taker also pays the crypto fee
`f * rate * p * (1-p)` in pUSD; makers pay nothing.
"""

from __future__ import annotations

from typing import NamedTuple

from schemas.units import ONE
from venue.book import MarketBook, Order
from venue.money import notional, taker_fee

COLLATERAL = ""  # ledger asset key of pUSD

Delta = tuple[str, str, int]  # (address, asset: "" = pUSD or a token id, signed 1e-6 units)


class Fill(NamedTuple):
    maker: Order
    size: int  # shares, 1e-6 units
    book_price: int  # Yes-price of the maker's level


def match(book: MarketBook, taker: Order) -> list[Fill]:
    """Trade `taker` against the book up to its limit; updates both orders and the book."""
    opposite = book.asks if taker.is_bid else book.bids
    limit = taker.limit
    fills: list[Fill] = []
    while taker.remaining > 0 and opposite.prices:
        price = opposite.prices[0] if taker.is_bid else opposite.prices[-1]
        if (price > limit) if taker.is_bid else (price < limit):
            break
        level = opposite.levels[price]
        while taker.remaining > 0:
            maker = level.head()
            if maker is None:  # pragma: no cover - a level with a positive total has a live head
                break
            size = min(taker.remaining, maker.remaining)
            fills.append(Fill(maker, size, price))
            taker.remaining -= size
            taker.matched += size
            if book.fill(maker, size) == 0:
                break
    return fills


def own_price(order: Order, book_price: int) -> int:
    """A Yes-book price translated into `order`'s own token."""
    return book_price if order.is_yes else ONE - book_price


def fill_deltas(taker: Order, fill: Fill, fee: int) -> list[Delta]:
    """Balance changes of one fill (the taker's fee included)."""
    maker, size = fill.maker, fill.size
    cash = notional(own_price(taker, fill.book_price), size)
    t_addr, m_addr = taker.address, maker.address
    if taker.side == "BUY":
        if maker.side == "SELL":  # direct
            deltas = [(t_addr, COLLATERAL, -cash), (m_addr, COLLATERAL, cash),
                      (t_addr, taker.token_id, size), (m_addr, maker.token_id, -size)]
        else:  # mint
            deltas = [(t_addr, COLLATERAL, -cash), (m_addr, COLLATERAL, cash - size),
                      (t_addr, taker.token_id, size), (m_addr, maker.token_id, size)]
    elif maker.side == "BUY":  # taker SELL, direct
        deltas = [(t_addr, COLLATERAL, cash), (m_addr, COLLATERAL, -cash),
                  (t_addr, taker.token_id, -size), (m_addr, maker.token_id, size)]
    else:  # merge
        deltas = [(t_addr, COLLATERAL, cash), (m_addr, COLLATERAL, size - cash),
                  (t_addr, taker.token_id, -size), (m_addr, maker.token_id, -size)]
    if fee:
        deltas.append((t_addr, COLLATERAL, -fee))
    return deltas


def fill_fee(taker: Order, fill: Fill, *, rate: int, exponent: int) -> int:
    return taker_fee(fill.size, own_price(taker, fill.book_price), rate, exponent)


def reserve_release(order: Order, size: int) -> int:
    """How much of `order`'s reservation a fill of `size` frees (pUSD for BUY, shares for SELL)."""
    amount = notional(order.price, size) if order.side == "BUY" else size
    return min(order.reserved, amount)


def group_by_price(fills: list[Fill]) -> list[list[Fill]]:
    """Consecutive fills at one level price form one trade."""
    groups: list[list[Fill]] = []
    for fill in fills:
        if groups and groups[-1][0].book_price == fill.book_price:
            groups[-1].append(fill)
        else:
            groups.append([fill])
    return groups
