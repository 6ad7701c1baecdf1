"""The matching engine: order entry (checks, reservations, matching, resting), cancels, GTD expiry.

Everything here is synchronous and deterministic: time comes in as `now_ns`, randomness from the
seeded generators the Exchange hands over. External orders and the synthetic traders' orders take
exactly the same path (`submit`); only user events for internal accounts are skipped. What fills
mean for balances and trades is `Clearing`'s job. External orders that rest, fill or leave, and the
external order ids remembered for the duplicate check, are marked in the ledger's `changes` (the
store writes them; the synthetic traders' orders are not stored: they quote afresh after a restart).
"""

from __future__ import annotations

import heapq
import random
from collections import deque

from schemas.units import MS, NS
from venue.book import MarketBook, Order
from venue.clearing import Clearing
from venue.config import VenueConfig
from venue.contract import Reply, UserEvent, error
from venue.ledger import Ledger
from venue.markets import Catalogue, Market
from venue.matching import COLLATERAL, Fill, match
from venue.money import fmt, taker_fee
from venue.outbox import Outbox
from venue.trades import order_event
from venue.validation import (
    ALREADY_DONE,
    FAK_NOT_FILLED,
    FOK_NOT_FILLED,
    MARKET_NOT_READY,
    NOT_ENOUGH_BALANCE,
    ORDER_TYPES,
    POST_ONLY_CROSSES,
    POST_ONLY_TYPE,
    RESTING_TYPES,
    Terms,
    duplicate_error,
    expiration_error,
    order_terms,
)


class Engine:
    def __init__(
        self, config: VenueConfig, catalogue: Catalogue, ledger: Ledger, outbox: Outbox, *,
        rng_ids: random.Random, rng_fate: random.Random,
    ) -> None:
        self.config = config
        self.catalogue = catalogue
        self.ledger = ledger
        self.outbox = outbox
        self.clearing = Clearing(config, ledger, outbox, rng_ids=rng_ids, rng_fate=rng_fate)
        self.changes = ledger.changes
        self.books: dict[str, MarketBook] = {}
        self.orders: dict[str, Order] = {}  # resting orders
        self.orders_by_key: dict[str, dict[str, Order]] = {}
        self._seen: dict[str, int] = {}  # order id -> forget-after ns (duplicate check)
        self._seen_queue: deque[tuple[int, str]] = deque()
        self._gtd: list[tuple[int, int, str]] = []  # (expires_s, seq, order id)
        self._seq = 0

    # order entry --------------------------------------------------------------------------------
    def submit(
        self, *, api_key: str, address: str, internal: bool, order_id: str, token_id: str, side: str,
        maker_amount: int, taker_amount: int, order_type: str, post_only: bool, expiration: int, now_ns: int,
    ) -> Reply:
        market = self.catalogue.token(token_id)
        if market is None or not market.accepting_orders or order_type not in ORDER_TYPES:
            return error(MARKET_NOT_READY)
        now_s = now_ns // NS
        checked = self._check(market, address=address, order_id=order_id, token_id=token_id, side=side,
                              maker_amount=maker_amount, taker_amount=taker_amount, order_type=order_type,
                              post_only=post_only, expiration=expiration, now_s=now_s)
        if isinstance(checked, Reply):
            return checked
        reserve_asset, reserve, terms = checked
        index = market.token_index(token_id)
        self._seq += 1
        order = Order(
            order_id=order_id, seq=self._seq, api_key=api_key, address=address, internal=internal,
            condition_id=market.condition_id, token_id=token_id, outcome=market.outcomes[index],
            is_yes=index == 0, side=side, price=terms.price, original=terms.shares, order_type=order_type,
            expiration=expiration, created_s=now_s, post_only=post_only,
        )
        book = self.books[market.condition_id]
        if post_only and book.crosses(order.is_bid, order.limit):
            return error(POST_ONLY_CROSSES)
        ts_ms = now_ns // MS
        if order_type == "FOK" and not book.fillable(order.is_bid, order.limit, order.original):
            self._remember(order_id, now_ns, internal)
            if not internal:
                status = "CANCELED_" + FOK_NOT_FILLED
                self.outbox.user(api_key, market.condition_id, order_event(
                    order, condition_id=market.condition_id, event="CANCELLATION", status=status,
                    ts_ms=ts_ms))
            return error(FOK_NOT_FILLED)
        self._remember(order_id, now_ns, internal)
        order.reserved = reserve
        self.ledger.reserve(address, reserve_asset, reserve)
        mark = len(self.outbox.events)
        fills = match(book, order)
        if not fills and order_type == "FAK":
            self._release_all(order)
            return error(FAK_NOT_FILLED)
        making, taking, trade_ids = self._settle(market, order, fills, now_ns) if fills else (0, 0, [])
        rests = order.remaining > 0 and order_type in RESTING_TYPES
        if rests:
            self._rest(market, book, order)
            if not internal:
                placement = order_event(order, condition_id=market.condition_id, event="PLACEMENT",
                                        status="LIVE", ts_ms=ts_ms)
                placement["size_matched"] = "0"
                placement["associate_trades"] = None
                self.outbox.events.insert(mark, UserEvent(api_key=api_key, market=market.condition_id,
                                                         payload=placement))
        else:
            self._release_all(order)
        if fills and not internal:
            self.outbox.user(api_key, market.condition_id, order_event(
                order, condition_id=market.condition_id, event="UPDATE",
                status="LIVE" if rests else "MATCHED", ts_ms=ts_ms))
        return Reply(status=200, body={
            "success": True,
            "orderID": order_id,
            "status": "matched" if fills else "live",
            "makingAmount": fmt(making) if fills else "",
            "takingAmount": fmt(taking) if fills else "",
            "transactionsHashes": [],
            "tradeIDs": trade_ids,
            "errorMsg": "",
        })

    def _check(
        self, market: Market, *, address: str, order_id: str, token_id: str, side: str, maker_amount: int,
        taker_amount: int, order_type: str, post_only: bool, expiration: int, now_s: int,
    ) -> Reply | tuple[str, int, Terms]:
        """The venue's order checks in its order; returns the reservation to make, or the rejection."""
        problem = expiration_error(order_type=order_type, expiration=expiration, now_s=now_s,
                                   buffer_s=self.config.gtd_buffer_s)
        if problem:
            return error(problem)
        terms = order_terms(order_id=order_id, side=side, maker_amount=maker_amount,
                            taker_amount=taker_amount, order_type=order_type, tick=market.tick,
                            min_size=market.min_size)
        if isinstance(terms, str):
            return error(terms)
        if order_id in self._seen or order_id in self.orders:
            return error(duplicate_error(order_id))
        if post_only and order_type not in RESTING_TYPES:
            return error(POST_ONLY_TYPE)
        reserve_asset = COLLATERAL if side == "BUY" else token_id
        reserve = terms.collateral if side == "BUY" else terms.shares
        needed = reserve
        if side == "BUY" and not post_only and market.fees_enabled:  # a taker must cover its fee too
            needed += taker_fee(terms.shares, terms.price, market.fee_rate, market.fee_exponent)
        if self.ledger.available(address, reserve_asset) < needed:
            return error(NOT_ENOUGH_BALANCE)
        return reserve_asset, reserve, terms

    def _remember(self, order_id: str, now_ns: int, internal: bool) -> None:
        forget = now_ns + self.config.dedupe_window_s * NS
        self._seen[order_id] = forget
        self._seen_queue.append((forget, order_id))
        if not internal:
            self.changes.remembered(order_id, forget)
        queue = self._seen_queue
        while queue and queue[0][0] <= now_ns:
            _, old = queue.popleft()
            if self._seen.get(old, 0) <= now_ns:
                self._seen.pop(old, None)

    def _rest(self, market: Market, book: MarketBook, order: Order) -> None:
        book.rest(order)
        self.orders[order.order_id] = order
        self.orders_by_key.setdefault(order.api_key, {})[order.order_id] = order
        if not order.internal:
            self.changes.order(order.order_id)
        self.outbox.touch(market.condition_id, order.is_bid, order.book_price)
        if order.order_type == "GTD":
            expires = order.expiration - self.config.gtd_buffer_s
            heapq.heappush(self._gtd, (expires, order.seq, order.order_id))

    def _release_all(self, order: Order) -> None:
        asset = COLLATERAL if order.side == "BUY" else order.token_id
        self.ledger.release(order.address, asset, order.reserved)
        order.reserved = 0

    def _settle(
        self, market: Market, taker: Order, fills: list[Fill], now_ns: int
    ) -> tuple[int, int, list[str]]:
        """Clear the fills, then report each touched maker order (UPDATE) and retire filled ones."""
        result = self.clearing.settle(market, taker, fills, now_ns)
        cid = market.condition_id
        touched = {fill.maker.order_id: fill.maker for fill in fills}
        for maker in touched.values():
            if maker.remaining == 0:
                self._retire(maker)
            if not maker.internal:
                self.changes.order(maker.order_id)
                self.outbox.user(maker.api_key, cid, order_event(
                    maker, condition_id=cid, event="UPDATE", status="LIVE" if maker.remaining else "MATCHED",
                    ts_ms=now_ns // MS))
        return result

    def _retire(self, order: Order) -> None:
        """A resting order left the book (filled or cancelled)."""
        self.orders.pop(order.order_id, None)
        mine = self.orders_by_key.get(order.api_key)
        if mine is not None:
            mine.pop(order.order_id, None)
        self._release_all(order)
        if not order.internal:
            self.changes.order(order.order_id)

    # restart (venue.persist) -----------------------------------------------------------------------
    def restore_order(self, order: Order) -> None:
        """Put back a stored resting order (restored in arrival order): in its book, reserving what it
        still had reserved."""
        self._seq = max(self._seq, order.seq)
        self.ledger.reserve(order.address, COLLATERAL if order.side == "BUY" else order.token_id,
                            order.reserved)
        market = self.catalogue.get(order.condition_id)
        if market is not None:
            self._rest(market, self.books[order.condition_id], order)

    def restore_seen(self, order_id: str, forget_ns: int) -> None:
        """Remember a stored order id for the duplicate check (restored in forget order)."""
        self._seen[order_id] = forget_ns
        self._seen_queue.append((forget_ns, order_id))

    # cancels ----------------------------------------------------------------------------------------
    def cancel(self, order: Order, now_ns: int, *, status: str = "CANCELED") -> None:
        book = self.books[order.condition_id]
        book.remove(order)
        self.outbox.touch(order.condition_id, order.is_bid, order.book_price)
        self._retire(order)
        if not order.internal:
            self.outbox.user(order.api_key, order.condition_id, order_event(
                order, condition_id=order.condition_id, event="CANCELLATION", status=status,
                ts_ms=now_ns // MS))

    def cancel_ids(self, api_key: str, order_ids: list[str], now_ns: int) -> dict[str, object]:
        canceled: list[str] = []
        not_canceled: dict[str, str] = {}
        for order_id in order_ids:
            order = self.orders.get(order_id)
            if order is None or order.api_key != api_key:
                not_canceled[order_id] = ALREADY_DONE
                continue
            self.cancel(order, now_ns)
            canceled.append(order_id)
        return {"canceled": canceled, "not_canceled": not_canceled}

    def cancel_where(
        self, api_key: str, now_ns: int, *, market: str | None = None, asset_id: str | None = None,
        status: str = "CANCELED",
    ) -> dict[str, object]:
        mine = self.orders_by_key.get(api_key, {})
        chosen = [o for o in mine.values()
                  if (not market or o.condition_id == market) and (not asset_id or o.token_id == asset_id)]
        for order in chosen:
            self.cancel(order, now_ns, status=status)
        return {"canceled": [o.order_id for o in chosen], "not_canceled": {}}

    def expire_gtd(self, now_ns: int) -> None:
        now_s = now_ns // NS
        while self._gtd and self._gtd[0][0] <= now_s:
            _, _, order_id = heapq.heappop(self._gtd)
            order = self.orders.get(order_id)
            if order is not None:
                self.cancel(order, now_ns, status="CANCELED")

    # market end ----------------------------------------------------------------------------------
    def close_market(self, market: Market, now_ns: int) -> None:
        """Stop trading: cancel every resting order of the market."""
        book = self.books.get(market.condition_id)
        if book is None:
            return
        for order in list(book.orders()):
            self.cancel(order, now_ns, status="CANCELED_MARKET_RESOLVED")
