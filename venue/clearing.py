"""Clearing: turning a taker's fills into trades, balances, events; trade lifecycle; redemption.

One trade per price level a taker walks (its makers may sit on either token). Balances move at
MATCHED; the trade's fate (CONFIRMED or FAILED) was drawn at match time and the Timeline delivers
its status changes, each re-sent with the same id to every party. FAILED rolls the deltas back.
A resolved market pays its synthetic traders (``pays``) 1 pUSD per winning share once none of its trades
is still pending; accounts redeem their own (``venue.settlement``).
Trades with an external party, and what they change in a market, are marked in the ledger's `changes`
for the store; a restored pending trade carries on from its status (`restore_trade`).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from schemas.units import MS, ONE
from venue.book import Order
from venue.config import VenueConfig
from venue.faults import trade_fails
from venue.ledger import Ledger
from venue.lifecycle import TERMINAL, Timeline
from venue.markets import Market
from venue.matching import COLLATERAL, Fill, fill_deltas, fill_fee, group_by_price, own_price, reserve_release
from venue.money import new_hex, new_uuid, notional
from venue.outbox import Outbox
from venue.trades import MakerFill, Trade, trade_event
from venue.wire import last_trade_price, tick_size_change

EXTREME = 40_000  # 0.04: beyond 0.96 / below 0.04 the tick becomes 0.001


def release(ledger: Ledger, order: Order, size: int) -> None:
    """Free the part of `order`'s reservation that a fill of `size` used."""
    amount = reserve_release(order, size)
    order.reserved -= amount
    ledger.release(order.address, COLLATERAL if order.side == "BUY" else order.token_id, amount)


class Clearing:
    def __init__(self, config: VenueConfig, ledger: Ledger, outbox: Outbox, *, rng_ids: random.Random,
                 rng_fate: random.Random) -> None:
        self.config = config
        self.ledger = ledger
        self.outbox = outbox
        self.rng_ids = rng_ids
        self.rng_fate = rng_fate
        self.faults = config.faults  # replaceable at runtime (Exchange.set_faults)
        self.changes = ledger.changes
        self.trades: dict[str, Trade] = {}  # every trade an external party is in, plus pending ones
        self.trades_by_key: dict[str, list[Trade]] = {}
        self.pending: dict[str, int] = {}  # condition id -> trades not yet CONFIRMED / FAILED
        self.timeline = Timeline(mined_delay_ms=config.mined_delay_ms,
                                 confirmed_delay_ms=config.confirmed_delay_ms)

    def settle(
        self, market: Market, taker: Order, fills: list[Fill], now_ns: int
    ) -> tuple[int, int, list[str]]:
        """Record the trades of a taker's fills; returns (making, taking, trade ids) for the reply."""
        ts_ms = now_ns // MS
        fee_bps = str(market.taker_base_fee_bps) if market.fees_enabled else "0"
        rate = market.fee_rate if market.fees_enabled else 0
        making = taking = 0
        trade_ids: list[str] = []
        for group in group_by_price(fills):
            trade = self._trade(market, taker, group, now_ns, rate=rate, fee_bps=fee_bps)
            cash = notional(trade.price, trade.size)
            if taker.side == "BUY":
                making, taking = making + cash + trade.fee, taking + trade.size
            else:
                making, taking = making + trade.size, taking + cash - trade.fee
            trade_ids.append(trade.trade_id)
            market.last_trade_price = group[0].book_price
            market.volume += cash
            self.outbox.market((taker.token_id,), last_trade_price(
                market=market, asset_id=taker.token_id, price=trade.price, size=trade.size, side=taker.side,
                fee_rate_bps=fee_bps, ts_ms=ts_ms, transaction_hash=trade.tx_hash))
            self._announce(trade)
        self.outbox.traded(market.condition_id)
        self.changes.market(market.condition_id, urgent=False)  # volume, last trade price
        self._check_tick(market, ts_ms)
        return making, taking, trade_ids

    def _trade(self, market: Market, taker: Order, group: list[Fill], now_ns: int, *, rate: int,
               fee_bps: str) -> Trade:
        book_price = group[0].book_price
        trade = Trade(
            trade_id=new_uuid(self.rng_ids), condition_id=market.condition_id,
            taker_order_id=taker.order_id, taker_key=taker.api_key, taker_address=taker.address,
            taker_internal=taker.internal, asset_id=taker.token_id, outcome=taker.outcome, side=taker.side,
            size=0, price=own_price(taker, book_price), fee=0, fee_rate_bps=fee_bps, match_ns=now_ns,
            tx_hash=new_hex(self.rng_ids), fails=trade_fails(self.faults, self.rng_fate),
        )
        for fill in group:
            maker = fill.maker
            fee = fill_fee(taker, fill, rate=rate, exponent=market.fee_exponent)
            trade.size += fill.size
            trade.fee += fee
            trade.deltas.extend(fill_deltas(taker, fill, fee))
            trade.makers.append(MakerFill(
                order_id=maker.order_id, api_key=maker.api_key, address=maker.address,
                internal=maker.internal, size=fill.size, price=own_price(maker, book_price),
                asset_id=maker.token_id, outcome=maker.outcome, side=maker.side,
            ))
            if trade.trade_id not in maker.trade_ids:
                maker.trade_ids.append(trade.trade_id)
            release(self.ledger, maker, fill.size)
            release(self.ledger, taker, fill.size)
        taker.trade_ids.append(trade.trade_id)
        self.ledger.apply(trade.deltas)
        self.trades[trade.trade_id] = trade
        self.pending[trade.condition_id] = self.pending.get(trade.condition_id, 0) + 1
        for api_key, _ in trade.recipients():
            self.trades_by_key.setdefault(api_key, []).append(trade)
        self.timeline.start(trade.trade_id, now_ns=now_ns, fails=trade.fails)
        if not trade.internal_only:
            self.changes.trade(trade.trade_id)
        return trade

    def _announce(self, trade: Trade) -> None:
        for api_key, side in trade.recipients():
            payload = trade_event(trade, recipient=api_key, trader_side=side)
            self.outbox.user(api_key, trade.condition_id, payload)

    def _check_tick(self, market: Market, ts_ms: int) -> None:
        """Tick 0.01 -> 0.001 once the price trades above 0.96 or below 0.04, and back."""
        base, small = self.config.tick_units, self.config.small_tick_units
        if market.tick not in (base, small) or base == small:
            return
        price = market.last_trade_price
        wanted = small if price > ONE - EXTREME or price < EXTREME else base
        if wanted == market.tick:
            return
        old, market.tick = market.tick, wanted
        self.changes.market(market.condition_id)
        for token in market.token_ids:
            self.outbox.market((token,), tick_size_change(market, token, old, wanted, ts_ms))

    def advance(self, now_ns: int) -> None:
        """Apply due status changes; FAILED rolls the trade's balances back."""
        for trade_id, status in self.timeline.due(now_ns):
            trade = self.trades.get(trade_id)
            if trade is None:
                continue
            trade.status = status
            trade.update_ns = now_ns
            if not trade.internal_only:
                self.changes.trade(trade_id)
            if status == "FAILED":
                self.ledger.rollback(trade.deltas)
            self._announce(trade)
            if status in TERMINAL:
                self.pending[trade.condition_id] -= 1
                if trade.internal_only:
                    del self.trades[trade_id]

    def try_redeem(self, market: Market, pays: Callable[[str], bool] = lambda address: True) -> bool:
        """Once every trade of a resolved market is final, pay 1 pUSD per winning share to every holder
        ``pays`` names (the others redeem their own)."""
        if market.winner < 0 or market.redeemed or self.pending.get(market.condition_id, 0) > 0:
            return False
        winner = market.token_ids[market.winner]
        deltas = []
        for address, token, shares in self.ledger.holders(market.token_ids):
            if not pays(address):
                continue
            deltas.append((address, token, -shares))
            if token == winner and shares > 0:
                deltas.append((address, COLLATERAL, shares))
        self.ledger.apply(deltas)
        market.redeemed = True
        self.pending.pop(market.condition_id, None)
        self.changes.market(market.condition_id)
        return True

    def restore_trade(self, trade: Trade) -> None:
        """Put back a stored trade (restored in match order); a pending one goes on where it stood."""
        self.trades[trade.trade_id] = trade
        for api_key, _ in trade.recipients():
            self.trades_by_key.setdefault(api_key, []).append(trade)
        if trade.status not in TERMINAL:
            self.pending[trade.condition_id] = self.pending.get(trade.condition_id, 0) + 1
            self.timeline.resume(trade.trade_id, status=trade.status, match_ns=trade.match_ns,
                                 fails=trade.fails)
