"""Synthetic order flow: background makers, noise takers and informed (toxic) takers.

All three are internal accounts acting through `Engine.submit` / `Engine.cancel`, the same path as
API orders, so they obey price-time priority, post-only, balances and fees.

* Makers keep a ladder of post-only quotes around the fair value and re-centre it only every
  `maker_refresh_ms`, so their quotes go stale between refreshes; a scripted fair value
  (`venue/fair_script.py`) is followed at once instead: the ladder is re-centred on the first step
  after it moved to another tick.
* Noise takers arrive as a Poisson process per market and take the touch (sometimes a little more)
  on a random side with FAK orders.
* Informed takers watch for quotes that are more than `informed_edge_ticks` through the current fair
  value and sweep them in bursts: the adverse selection a real maker faces.

Asks are posted as SELLs when the account holds the tokens and as BUYs of the other token otherwise
(the shared book makes them the same quote), so the flow also exercises mint and merge matching.
"""

from __future__ import annotations

import random

from schemas.units import MS, NS, ONE
from venue.book import MarketBook
from venue.config import FlowConfig
from venue.engine import Engine
from venue.markets import Market
from venue.money import new_hex, notional
from venue.oracle import Oracle

SHARE_STEP = 10_000  # sizes in whole cents of a share
MAKER, NOISE, INFORMED = "flow-maker", "flow-noise", "flow-informed"
ACCOUNTS = {MAKER: "0x00000000000000000000000000000000000f10a1",
            NOISE: "0x00000000000000000000000000000000000f10a2",
            INFORMED: "0x00000000000000000000000000000000000f10a3"}
FLOW_BALANCE = 10**12 * ONE


class SyntheticFlow:
    def __init__(self, params: FlowConfig, engine: Engine, oracle: Oracle, *, rng: random.Random,
                 now_ns: int) -> None:
        self._p = params
        self._engine = engine
        self._oracle = oracle
        self._rng = rng
        self._quotes: dict[str, list[str]] = {}  # condition id -> maker order ids
        self._quoted_fair: dict[str, int] = {}
        self._next_refresh: dict[str, int] = {}
        self._next_noise: dict[str, int] = {}
        self._next_informed = now_ns
        for address in ACCOUNTS.values():
            engine.ledger.open(address, balance=FLOW_BALANCE)

    def step(self, now_ns: int, markets: list[Market]) -> None:
        live = [m for m in markets if m.accepting_orders]
        for market in live:
            cid = market.condition_id
            if cid not in self._next_refresh:  # a new market: first quotes soon, staggered
                stagger = self._rng.randrange(min(500, self._p.maker_refresh_ms))
                self._next_refresh[cid] = now_ns + stagger * MS
                self._next_noise[cid] = now_ns + self._noise_gap()
            if now_ns >= self._next_refresh[cid] or self._script_moved(market, now_ns):
                self._next_refresh[cid] = now_ns + self._p.maker_refresh_ms * MS
                self._requote(market, now_ns)
            if now_ns >= self._next_noise[cid]:
                self._next_noise[cid] = now_ns + self._noise_gap()
                self._noise(market, now_ns)
        if now_ns >= self._next_informed:
            self._next_informed = now_ns + self._p.informed_check_ms * MS
            for market in live:
                self._informed(market, now_ns)

    def forget(self, condition_id: str) -> None:
        self._quotes.pop(condition_id, None)
        self._quoted_fair.pop(condition_id, None)
        self._next_refresh.pop(condition_id, None)
        self._next_noise.pop(condition_id, None)

    # makers ---------------------------------------------------------------------------------------
    def _script_moved(self, market: Market, now_ns: int) -> bool:
        """A scripted fair value has moved off the tick the ladder is centred on."""
        scripted = self._oracle.script.fair(market, now_ns)
        return scripted is not None and scripted // market.tick * market.tick != self._quoted_fair.get(
            market.condition_id)

    def _requote(self, market: Market, now_ns: int) -> None:
        cid, tick = market.condition_id, market.tick
        fair = self._oracle.fair(market, now_ns) // tick * tick
        quoted = [oid for oid in self._quotes.get(cid, []) if oid in self._engine.orders]
        if quoted and self._quoted_fair.get(cid) == fair and len(quoted) == 2 * self._p.maker_levels:
            return
        for order_id in quoted:
            self._engine.cancel(self._engine.orders[order_id], now_ns)
        placed: list[str] = []
        for level in range(self._p.maker_levels):
            offset = (self._p.maker_half_spread_ticks + level * self._p.maker_level_gap_ticks) * tick
            size = self._rng.randint(self._p.maker_size_min, self._p.maker_size_max) * ONE * (level + 1)
            for is_bid, price in ((True, fair - offset), (False, fair + offset)):
                if tick <= price <= ONE - tick:
                    new_id = self._order(MAKER, market, is_bid, price, size, "GTC", now_ns, post_only=True)
                    if new_id:
                        placed.append(new_id)
        self._quotes[cid] = placed
        self._quoted_fair[cid] = fair

    # takers ---------------------------------------------------------------------------------------
    def _noise_gap(self) -> int:
        rate = self._p.noise_rate_per_min / 60.0
        return int(self._rng.expovariate(rate) * NS) if rate > 0 else 10**18

    def _noise(self, market: Market, now_ns: int) -> None:
        book = self._engine.books[market.condition_id]
        is_bid = self._rng.random() < 0.5
        touch = book.asks.best() if is_bid else book.bids.best()
        if not touch:
            return
        reach = market.tick * (2 if self._rng.random() < 0.3 else 0)
        limit = min(touch + reach, ONE - market.tick) if is_bid else max(touch - reach, market.tick)
        size = max(5 * ONE, int(self._rng.expovariate(1.0 / self._p.noise_size_mean) * ONE))
        self._order(NOISE, market, is_bid, limit, size, "FAK", now_ns)

    def _informed(self, market: Market, now_ns: int) -> None:
        book = self._engine.books[market.condition_id]
        fair = self._oracle.fair(market, now_ns)
        edge = self._p.informed_edge_ticks * market.tick
        ask, bid = book.asks.best(), book.bids.best()
        if ask and ask < fair - edge and self._rng.random() < self._p.informed_prob:
            limit = (fair - edge) // market.tick * market.tick
            self._sweep(market, book, True, limit, now_ns)
        elif bid and bid > fair + edge and self._rng.random() < self._p.informed_prob:
            limit = -(-(fair + edge) // market.tick) * market.tick
            self._sweep(market, book, False, limit, now_ns)

    def _sweep(self, market: Market, book: MarketBook, is_bid: bool, limit: int, now_ns: int) -> None:
        side = book.asks if is_bid else book.bids
        available = 0
        for price in side.best_first():
            if (price > limit) if is_bid else (price < limit):
                break
            available += side.levels[price].total
        size = min(available, self._p.informed_size_max * ONE)
        if size >= 5 * ONE and market.tick <= limit <= ONE - market.tick:
            self._order(INFORMED, market, is_bid, limit, size, "FAK", now_ns)

    # order plumbing -------------------------------------------------------------------------------
    def _order(self, account: str, market: Market, is_bid: bool, yes_price: int, size: int, order_type: str,
               now_ns: int, *, post_only: bool = False) -> str | None:
        """A Yes-book bid or ask: BUY/SELL Yes, or the mirror order on the No token."""
        size = size // SHARE_STEP * SHARE_STEP
        address = ACCOUNTS[account]
        yes, no = market.token_ids
        held_yes = self._engine.ledger.available(address, yes)
        held_no = self._engine.ledger.available(address, no)
        if is_bid:  # buy Yes at p, or sell No at 1-p when holding No
            token, side, price = ((no, "SELL", ONE - yes_price) if held_no >= size
                                  else (yes, "BUY", yes_price))
        else:  # sell Yes at p when holding Yes, else buy No at 1-p
            token, side, price = ((yes, "SELL", yes_price) if held_yes >= size
                                  else (no, "BUY", ONE - yes_price))
        if side == "BUY" and notional(price, size) < ONE:  # marketable BUYs need $1
            size = -(-ONE * ONE // price) // SHARE_STEP * SHARE_STEP + SHARE_STEP
        collateral = notional(price, size)
        order_id = new_hex(self._rng)
        reply = self._engine.submit(
            api_key=account, address=address, internal=True, order_id=order_id, token_id=token, side=side,
            maker_amount=collateral if side == "BUY" else size,
            taker_amount=size if side == "BUY" else collateral,
            order_type=order_type, post_only=post_only, expiration=0, now_ns=now_ns,
        )
        return order_id if reply.status == 200 else None
