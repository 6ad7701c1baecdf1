"""Everything that must go out on a WebSocket, in order, with book changes coalesced per call.

Level changes are collected while one request (or one tick) runs and flushed once at its end: a
call that traded sends a fresh `book` for each token of the market (the venue re-sends the book when
a trade changes it); a call that only placed or cancelled sends one `price_change` frame listing
every touched level for *both* tokens (the No token is the mirror of the Yes book). `best_bid_ask`
goes out for both tokens whenever the top of the book moved.
"""

from __future__ import annotations

from schemas.units import ONE
from venue.book import MarketBook
from venue.contract import MarketEvent, UserEvent
from venue.markets import Market
from venue.wire import best_bid_ask, book_event, book_hash, price_change, price_change_entry


class Outbox:
    def __init__(self) -> None:
        self.events: list[MarketEvent | UserEvent] = []
        self._dirty: dict[str, dict[tuple[bool, int], None]] = {}  # condition id -> touched levels
        self._traded: set[str] = set()
        self._tops: dict[str, tuple[int, int]] = {}  # condition id -> last (bid, ask), Yes terms

    def market(self, asset_ids: tuple[str, ...], payload: dict[str, object], *, custom: bool = False) -> None:
        self.events.append(MarketEvent(asset_ids=asset_ids, custom=custom, payload=payload))

    def user(self, api_key: str, condition_id: str, payload: dict[str, object]) -> None:
        self.events.append(UserEvent(api_key=api_key, market=condition_id, payload=payload))

    def touch(self, condition_id: str, is_bid: bool, book_price: int) -> None:
        levels = self._dirty.get(condition_id)
        if levels is None:
            levels = self._dirty[condition_id] = {}
        levels[(is_bid, book_price)] = None

    def traded(self, condition_id: str) -> None:
        self._traded.add(condition_id)
        self._dirty.setdefault(condition_id, {})

    def forget(self, condition_id: str) -> None:
        self._tops.pop(condition_id, None)

    def drain(self) -> list[MarketEvent | UserEvent]:
        events, self.events = self.events, []
        return events

    def flush(self, markets: dict[str, Market], books: dict[str, MarketBook], ts_ms: int) -> None:
        """Turn the touched levels of every market into book / price_change / best_bid_ask events."""
        dirty, self._dirty = self._dirty, {}
        traded, self._traded = self._traded, set()
        for condition_id, levels in dirty.items():
            market = markets.get(condition_id)
            book = books.get(condition_id)
            if market is None or book is None:
                continue
            yes, no = market.token_ids
            if condition_id in traded:
                self.market((yes,), book_event(market, book, 0, ts_ms))
                self.market((no,), book_event(market, book, 1, ts_ms))
            elif levels:
                self.market((yes, no), self._price_change(market, book, levels, ts_ms))
            self.top_of_book(market, book, ts_ms)

    def top_of_book(self, market: Market, book: MarketBook, ts_ms: int) -> None:
        top = (book.bids.best(), book.asks.best())
        if self._tops.get(market.condition_id, (0, 0)) == top:
            return
        self._tops[market.condition_id] = top
        market.best_bid, market.best_ask = top
        for index, token in enumerate(market.token_ids):
            bid, ask = book.token_top(index == 0)
            self.market((token,), best_bid_ask(market, token, bid, ask, ts_ms), custom=True)

    @staticmethod
    def _price_change(
        market: Market, book: MarketBook, levels: dict[tuple[bool, int], None], ts_ms: int
    ) -> dict[str, object]:
        yes, no = market.token_ids
        yes_hash = book_hash(market, book, 0, ts_ms)
        no_hash = book_hash(market, book, 1, ts_ms)
        yes_bid, yes_ask = book.token_top(True)
        no_bid, no_ask = book.token_top(False)
        entries: list[dict[str, object]] = []
        for is_bid, price in levels:
            size = book.side(is_bid).size_at(price)
            entries.append(price_change_entry(
                asset_id=yes, price=price, size=size, side="BUY" if is_bid else "SELL",
                hash_=yes_hash, best_bid=yes_bid, best_ask=yes_ask,
            ))
            entries.append(price_change_entry(
                asset_id=no, price=ONE - price, size=size, side="SELL" if is_bid else "BUY",
                hash_=no_hash, best_bid=no_bid, best_ask=no_ask,
            ))
        return price_change(market.condition_id, entries, ts_ms)
