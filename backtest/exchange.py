"""The simulated exchange (pure): our orders against the recorded market. Time is passed in.

The recorded books are the market without us; our orders are added in our imagination, each with an
estimate of the volume queued ahead of it. The rules (docs/backtest.md, "The simulated exchange"):

- **Post-only**: an order that would cross when it arrives (a BUY at or above the token's best ask, or
  at or above ``1 -`` the complement's best bid; a SELL at or below the best bid, or ``1 -`` the
  complement's best ask) is rejected as the venue does (``crosses_book``); nothing rests.
- **Queue**: an order joins the back of its level: ``ahead`` = the level's recorded size on arrival.
  A trade at our price takes ``ahead`` first, then us; a level that shrinks by more than its trades is a
  cancellation, taken from ahead of us with probability ``1 - f(back) / (f(back) + f(ahead))``,
  ``f(x) = x ** queue_power`` (hftbacktest's probabilistic queue model, power function: 0 = half of
  every cancellation is ahead of us, large = cancellations come from the bigger part); a level that
  grows does not move us (newcomers queue behind). ``ahead`` never exceeds the level.
- **Through**: a trade at a better price than ours for its taker (a sell below our bid), or the
  opposite side's best reaching our price, fills all of what is left of our order, at our price.
- **YES/NO (mint/merge)**: one market, two tokens: a BUY of NO at ``x`` is the same liquidity as a SELL
  of YES at ``1 - x``. A taker BUY of YES at ``p`` fills our NO bids at ``1 - p`` (mint), a taker SELL
  of YES at ``p`` our NO asks at ``1 - p`` (merge), and the other way round; a print seen on both tokens
  for one match (same time, complementary price, same size) counts once.
- **Fees**: makers pay none and receive no rebate (as the local venue applies them); a fill's ``fee`` is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from schemas.units import ONE

Side = Literal["BUY", "SELL"]


def back_share(front: float, back: float, n: float) -> float:
    """The probability that a cancellation at our level is behind us: ``f(back) / (f(back) + f(front))``,
    ``f(x) = x ** n``, computed as ``1 / (1 + (front / back) ** n)`` (no overflow for large ``n``)."""
    if back <= 0:
        return 0.0
    if front <= 0:
        return 1.0
    try:
        return 1.0 / (1.0 + (front / back) ** n)
    except OverflowError:
        return 0.0


@dataclass(slots=True)
class SimOrder:
    order_id: str
    cmd_id: str
    slot: str
    market: str
    token: str
    side: Side
    price: int
    size: int  # original
    left: int  # what is left to fill
    ahead: float  # volume queued ahead of us at our level
    level: int  # the level's recorded size when last seen
    placed_ns: int


@dataclass(slots=True)
class SimFill:
    order: SimOrder
    size: int
    price: int
    ts: int
    reason: Literal["trade", "through", "cross", "touch"]


@dataclass(slots=True)
class TokenBook:
    """What the exchange reads of one token's recorded book: level sizes and the best prices."""

    bids: dict[int, int] = field(default_factory=dict)
    asks: dict[int, int] = field(default_factory=dict)
    best_bid: int = 0
    best_ask: int = 0


@dataclass
class SimExchange:
    queue_power: float = 2.0
    # a print that took our live order alone at the touch goes to our simulated order on that side if it is
    # the touch without the live order (the venue's noise takers take the touch, wherever it is)
    touch_takers: bool = True
    # the opposite side reaching our price fills us (real makers' limit orders would trade with ours); off:
    # such a book is not a trade (the local venue's makers are post-only: refused against our order)
    cross_fills: bool = True
    books: dict[str, TokenBook] = field(default_factory=dict)
    complement: dict[str, str] = field(default_factory=dict)  # token -> the other token of its market
    orders: dict[str, SimOrder] = field(default_factory=dict)
    by_token: dict[str, dict[str, SimOrder]] = field(default_factory=dict)
    recent_prints: dict[tuple[str, int, int, int, str], None] = field(default_factory=dict)
    own: dict[tuple[str, bool], dict[int, int]] = field(default_factory=dict)  # (token, bid?) -> price -> qty
    # our live orders' changes on a token whose market is not open yet (a window's first live order can
    # rest before the live coordinator's first decision there is due in the backtest): applied when it opens
    own_pending: dict[str, list[tuple[Side, int, int]]] = field(default_factory=dict)
    _seq: int = 0

    def add_market(self, yes: str, no: str) -> None:
        self.complement[yes], self.complement[no] = no, yes
        for t in (yes, no):
            self.books.setdefault(t, TokenBook())
            self.by_token.setdefault(t, {})
            for side, price, delta in self.own_pending.pop(t, ()):
                self.own_delta(t, side, price, delta)

    # -- the market --------------------------------------------------------------------------------

    def on_book(self, token: str, bids: dict[int, int], asks: dict[int, int], best_bid: int, best_ask: int,
                now: int) -> list[SimFill]:
        """The token's recorded book changed: queues move, crossed orders fill."""
        b = self.books.get(token)
        if b is None:
            return []
        b.bids, b.asks, b.best_bid, b.best_ask = bids, asks, best_bid, best_ask
        fills: list[SimFill] = []
        for o in list(self.by_token.get(token, {}).values()):
            self._requeue(o, self.level(token, o.side, o.price))
            if self.cross_fills and self._crossed(o):
                fills.append(self._fill(o, o.left, now, "cross"))
        other = self.complement.get(token)
        if other is not None and self.cross_fills:  # the complement's orders may now be crossed by this book
            for o in list(self.by_token.get(other, {}).values()):
                if self._crossed(o):
                    fills.append(self._fill(o, o.left, now, "cross"))
        return fills

    def on_trade(self, token: str, taker_side: Side, price: int, size: int, ts_event: int,
                 now: int) -> list[SimFill]:
        """A print: taker ``taker_side`` of ``token`` at ``price``. Our orders on the token's other side, and
        on the complement's same side (mint/merge), at or through that price, fill by the queue rule."""
        other = self.complement.get(token)
        if other is None:
            return []
        # in the YES token's terms: (yes-side price, taker buys YES?)
        key = (min(token, other), ts_event, price if token < other else ONE - price, size,
               taker_side if token < other else ("SELL" if taker_side == "BUY" else "BUY"))
        if key in self.recent_prints:
            return []
        self.recent_prints[key] = None
        if len(self.recent_prints) > 256:
            del self.recent_prints[next(iter(self.recent_prints))]
        fills: list[SimFill] = []
        maker_side: Side = "SELL" if taker_side == "BUY" else "BUY"
        displaced = self._displaced(token, maker_side, price, size) if self.touch_takers and self.own else 0
        for o in list(self.by_token.get(token, {}).values()):
            if o.side == maker_side:
                fills.extend(self._trade(o, price, size, now, displaced))
        for o in list(self.by_token.get(other, {}).values()):  # the complement: same side, price 1 - p
            if o.side == taker_side:
                fills.extend(self._trade(o, ONE - price, size, now, displaced))
        return fills

    def _displaced(self, token: str, maker_side: Side, price: int, size: int) -> int:
        """How much of a print traded with our live order resting alone at the touch (``own``): that taker
        took the touch, and without our live order the touch is elsewhere (``touch_takers``)."""
        own = self.own.get((token, maker_side == "BUY"), {}).get(price, 0)
        if own <= 0 or self.level(token, maker_side, price) > 0:
            return 0
        b = self.books[token]
        levels = b.bids if maker_side == "BUY" else b.asks
        better = (lambda p: p > price) if maker_side == "BUY" else (lambda p: p < price)
        if any(better(p) and self.level(token, maker_side, p) > 0 for p in levels):
            return 0  # others rested at a better price: not a touch taker (a sweep, seen level by level)
        return min(own, size)

    def _others_best(self, token: str, side: Side) -> int:
        """The best price at which others (not our live orders) rest on ``side`` of ``token``; 0: none."""
        b = self.books[token]
        prices = [p for p in (b.bids if side == "BUY" else b.asks) if self.level(token, side, p) > 0]
        if not prices:
            return 0
        return max(prices) if side == "BUY" else min(prices)

    # -- our orders --------------------------------------------------------------------------------

    def crosses(self, token: str, side: Side, price: int) -> bool:
        """Would a post-only order cross now (the venue's ``crosses_book``)? Against the others' orders: our
        live orders in a recording are not there in the backtest (our simulated orders stand for them)."""
        if token not in self.books:
            return False
        other = self.complement.get(token, "")
        if side == "BUY":
            ask, bid = self._best(token, "SELL"), self._best(other, "BUY") if other in self.books else 0
            return bool((ask and price >= ask) or (bid and price >= ONE - bid))
        bid, ask = self._best(token, "BUY"), self._best(other, "SELL") if other in self.books else 0
        return bool((bid and price <= bid) or (ask and price <= ONE - ask))

    def crosses_ours(self, token: str, side: Side, price: int) -> bool:
        """Would it cross one of our simulated orders: the token's other side, or the complement's same side
        (a YES bid and a NO bid summing to 1 or more meet by minting)?"""
        buy = side == "BUY"
        for o in self.by_token.get(token, {}).values():
            if o.side != side and (price >= o.price if buy else price <= o.price):
                return True
        for o in self.by_token.get(self.complement.get(token, ""), {}).values():
            if o.side == side and (price >= ONE - o.price if buy else price <= ONE - o.price):
                return True
        return False

    def _best(self, token: str, side: Side) -> int:
        """The best price on ``side`` of ``token`` (0: none), our live orders left out: recomputed only when
        the recorded best holds one of them."""
        b = self.books[token]
        best = b.best_bid if side == "BUY" else b.best_ask
        if best and self.own and self.own.get((token, side == "BUY"), {}).get(best):
            return self._others_best(token, side)
        return best

    def place(self, *, cmd_id: str, slot: str, market: str, token: str, side: Side, price: int, size: int,
              now: int) -> SimOrder | None:
        """Rest a post-only order at the back of its level; None if it would cross (rejected): the others'
        orders or our own simulated ones (the venue checks every resting order, ours too)."""
        if self.crosses(token, side, price) or self.crosses_ours(token, side, price):
            return None
        level = self.level(token, side, price)
        self._seq += 1
        o = SimOrder(order_id=f"sim-{self._seq}", cmd_id=cmd_id, slot=slot, market=market, token=token,
                     side=side, price=price, size=size, left=size, ahead=float(level), level=level,
                     placed_ns=now)
        self.orders[o.order_id] = o
        self.by_token[token][o.order_id] = o
        return o

    def cancel(self, order_id: str) -> SimOrder | None:
        o = self.orders.pop(order_id, None)
        if o is not None:
            self.by_token[o.token].pop(order_id, None)
        return o

    def level(self, token: str, side: Side, price: int) -> int:
        """The recorded size at a level, less what our live orders rested there (``own``)."""
        b = self.books[token]
        size = (b.bids if side == "BUY" else b.asks).get(price, 0)
        if self.own:
            size -= self.own.get((token, side == "BUY"), {}).get(price, 0)
        return max(size, 0)

    def own_delta(self, token: str, side: Side, price: int, delta: int) -> None:
        """A recording made while the engine traded holds the engine's own orders in its books: they are
        kept here (both views of the one book: the token's and the complement's mirror) and left out of
        the queue, so a simulated order does not wait behind the live order it stands for."""
        other = self.complement.get(token)
        if other is None:  # its market is not open yet: kept until it is
            self.own_pending.setdefault(token, []).append((side, price, delta))
            return
        for key, p in (((token, side == "BUY"), price), ((other, side != "BUY"), ONE - price)):
            levels = self.own.setdefault(key, {})
            left = levels.get(p, 0) + delta
            if left > 0:
                levels[p] = left
            else:
                levels.pop(p, None)

    # -- rules -------------------------------------------------------------------------------------

    def _requeue(self, o: SimOrder, level: int) -> None:
        """The level went from ``o.level`` to ``level`` (trades already taken off): the queue model."""
        change = o.level - level
        if change > 0 and o.ahead > 0:
            front = o.ahead
            back = max(o.level - front, 0.0)
            p_back = back_share(front, back, self.queue_power)
            o.ahead = max(front - (1.0 - p_back) * change + min(back - p_back * change, 0.0), 0.0)
        o.level = level
        if o.ahead > level:
            o.ahead = float(level)

    def _crossed(self, o: SimOrder) -> bool:
        """The opposite side reached our price: what is left of us would have traded."""
        return self.crosses(o.token, o.side, o.price)

    def _trade(self, o: SimOrder, price: int, size: int, now: int, displaced: int = 0) -> list[SimFill]:
        """A taker hitting our side at ``price`` (in our token's terms) for ``size``; ``displaced`` of it
        took our live order alone at the touch, and goes to this order if it is the touch without it."""
        through = price < o.price if o.side == "BUY" else price > o.price
        if through:
            return [self._fill(o, o.left, now, "through")]
        if price != o.price:
            if displaced <= 0:
                return []
            best = self._others_best(o.token, o.side)
            if best and (o.price < best if o.side == "BUY" else o.price > best):
                return []  # others are the touch: the taker takes them
            reach = displaced - (o.ahead if o.price == best else 0.0)
            if reach <= 0:
                return []
            return [self._fill(o, min(o.left, int(reach)), now, "touch")]
        reach = size - o.ahead
        o.ahead = max(o.ahead - size, 0.0)
        o.level = max(o.level - size, 0)  # the recorded level loses the traded volume too
        if reach <= 0:
            return []
        return [self._fill(o, min(o.left, int(reach)), now, "trade")]

    def _fill(self, o: SimOrder, size: int, now: int,
              reason: Literal["trade", "through", "cross", "touch"]) -> SimFill:
        o.left -= size
        if o.left <= 0:
            self.cancel(o.order_id)
        return SimFill(order=o, size=size, price=o.price, ts=now, reason=reason)
