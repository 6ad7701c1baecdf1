"""One market's order book: price levels with FIFO queues, in Yes-price terms.

Polymarket's two tokens share one book. A BUY Yes at p and a SELL No at 1-p are both *Yes bids* at p;
a SELL Yes at q and a BUY No at 1-q are both *Yes asks* at q. So every resting order sits exactly once
here, and the No token's book is the mirror image (No bid at x = Yes ask at 1-x). That is how a BUY
Yes matches SELL Yes (direct) *and* BUY No (mint), and why one `price_change` frame carries both
tokens.

Levels are a dict price -> Level plus a sorted price list per side, so the best price is O(1) and a
new level costs one bisect insert. A Level is a deque of orders plus the live total; cancels are lazy
(the order is marked dead, the total drops at once, the dead entry is skipped when it reaches the
front), so place and cancel never scan a queue.
"""

from __future__ import annotations

from bisect import bisect_left, insort
from collections import deque
from collections.abc import Iterator

from schemas.units import ONE
from venue.money import fmt


class Order:
    """A live (or just finished) order, with both its own terms and its Yes-book terms."""

    __slots__ = (
        "address", "api_key", "book_price", "condition_id", "created_s", "expiration", "internal",
        "is_bid", "is_yes", "limit", "live", "matched", "order_id", "order_type", "original", "outcome",
        "post_only", "price", "remaining", "reserved", "seq", "side", "token_id", "trade_ids",
    )

    def __init__(
        self, *, order_id: str, seq: int, api_key: str, address: str, internal: bool, condition_id: str,
        token_id: str, outcome: str, is_yes: bool, side: str, price: int, original: int, order_type: str,
        expiration: int, created_s: int, post_only: bool,
    ) -> None:
        self.order_id = order_id
        self.seq = seq
        self.api_key = api_key
        self.address = address
        self.internal = internal
        self.condition_id = condition_id
        self.token_id = token_id
        self.outcome = outcome
        self.is_yes = is_yes
        self.side = side  # "BUY" | "SELL", in the order's own token
        self.price = price  # own-token limit price, 1e-6 units
        self.original = original  # shares, 1e-6 units
        self.remaining = original
        self.matched = 0
        self.order_type = order_type
        self.expiration = expiration
        self.created_s = created_s
        self.post_only = post_only
        self.is_bid = (side == "BUY") == is_yes  # a Yes bid in the shared book
        self.book_price = price if is_yes else ONE - price
        self.limit = self.book_price  # taker limit in Yes terms (same as book_price)
        self.live = False  # resting in the book
        self.reserved = 0  # pUSD (BUY) or shares (SELL) still reserved for this order
        self.trade_ids: list[str] = []


class Level:
    __slots__ = ("no_view", "orders", "total", "yes_view")

    def __init__(self) -> None:
        self.orders: deque[Order] = deque()
        self.total = 0
        self.yes_view: dict[str, str] | None = None  # rendered {"price","size"}, reset on change
        self.no_view: dict[str, str] | None = None

    def view(self, price: int, is_yes: bool) -> dict[str, str]:
        """The level as a wire `{"price","size"}` for the Yes book (Yes price) or the No book (1 - price).

        Cached until the level changes, so rendering a snapshot costs no formatting for quiet levels.
        Callers must not mutate the returned dict."""
        if is_yes:
            if self.yes_view is None:
                self.yes_view = {"price": fmt(price), "size": fmt(self.total)}
            return self.yes_view
        if self.no_view is None:
            self.no_view = {"price": fmt(ONE - price), "size": fmt(self.total)}
        return self.no_view

    def head(self) -> Order | None:
        """First live order, dropping dead ones from the front."""
        orders = self.orders
        while orders:
            first = orders[0]
            if first.live:
                return first
            orders.popleft()
        return None


class BookSide:
    __slots__ = ("is_bid", "levels", "prices")

    def __init__(self, *, is_bid: bool) -> None:
        self.is_bid = is_bid
        self.levels: dict[int, Level] = {}
        self.prices: list[int] = []  # ascending

    def best(self) -> int:
        """Best price, or 0 when empty."""
        if not self.prices:
            return 0
        return self.prices[-1] if self.is_bid else self.prices[0]

    def add(self, order: Order) -> int:
        level = self.levels.get(order.book_price)
        if level is None:
            level = self.levels[order.book_price] = Level()
            insort(self.prices, order.book_price)
        level.orders.append(order)
        level.total += order.remaining
        level.yes_view = level.no_view = None
        return level.total

    def reduce(self, price: int, amount: int) -> int:
        """Take `amount` off the level total (fill or cancel); drop the level when empty."""
        level = self.levels[price]
        level.total -= amount
        level.yes_view = level.no_view = None
        if level.total <= 0:
            del self.levels[price]
            del self.prices[bisect_left(self.prices, price)]
            return 0
        return level.total

    def size_at(self, price: int) -> int:
        level = self.levels.get(price)
        return level.total if level else 0

    def best_first(self) -> Iterator[int]:
        """Prices from best to worst."""
        return reversed(self.prices) if self.is_bid else iter(self.prices)


class MarketBook:
    """Both sides of one market, Yes-price terms."""

    __slots__ = ("asks", "bids", "version")

    def __init__(self) -> None:
        self.bids = BookSide(is_bid=True)
        self.asks = BookSide(is_bid=False)
        self.version = 0

    def side(self, is_bid: bool) -> BookSide:
        return self.bids if is_bid else self.asks

    def rest(self, order: Order) -> int:
        """Put a live order at the back of its level; returns the new level total."""
        order.live = True
        self.version += 1
        return self.side(order.is_bid).add(order)

    def remove(self, order: Order) -> int:
        """Cancel a resting order (lazy); returns the new level total."""
        order.live = False
        self.version += 1
        return self.side(order.is_bid).reduce(order.book_price, order.remaining)

    def fill(self, order: Order, amount: int) -> int:
        """A resting order traded `amount`; returns the new level total."""
        self.version += 1
        order.remaining -= amount
        order.matched += amount
        if order.remaining == 0:
            order.live = False
        return self.side(order.is_bid).reduce(order.book_price, amount)

    def crosses(self, is_bid: bool, limit: int) -> bool:
        """Would an order at Yes-price `limit` on this side trade immediately?"""
        if is_bid:
            best = self.asks.best()
            return best != 0 and best <= limit
        best = self.bids.best()
        return best != 0 and best >= limit

    def fillable(self, is_bid: bool, limit: int, wanted: int) -> bool:
        """Is there at least `wanted` resting size at prices a taker at `limit` accepts?"""
        book = self.asks if is_bid else self.bids
        total = 0
        for price in book.best_first():
            if (price > limit) if is_bid else (price < limit):
                break
            total += book.levels[price].total
            if total >= wanted:
                return True
        return False

    def orders(self) -> Iterator[Order]:
        for book in (self.bids, self.asks):
            for level in book.levels.values():
                for order in level.orders:
                    if order.live:
                        yield order

    # views per token (worst -> best, as the live venue sends them) ---------------------------------
    def rendered_levels(self, is_yes: bool) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """(bids ascending, asks descending) in the token's own prices, as wire `{"price","size"}` dicts.

        The No token's bids are the Yes asks at 1 - price and its asks the Yes bids (cached per level)."""
        bids, asks = self.bids, self.asks
        if is_yes:
            return ([bids.levels[p].view(p, True) for p in bids.prices],
                    [asks.levels[p].view(p, True) for p in reversed(asks.prices)])
        return ([asks.levels[p].view(p, False) for p in reversed(asks.prices)],
                [bids.levels[p].view(p, False) for p in bids.prices])

    def token_top(self, is_yes: bool) -> tuple[int, int]:
        """(best bid, best ask) in the token's own prices; 0 for an empty side."""
        bid, ask = self.bids.best(), self.asks.best()
        if is_yes:
            return bid, ask
        return (ONE - ask if ask else 0), (ONE - bid if bid else 0)
