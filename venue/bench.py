"""The bench maker: an internal account whose one bid and one ask set a market's touch on demand.

Used only by the benchmark routes (``/_venue/bench/*``): each ``quote`` cancels the maker's previous
pair in that market and rests a new Yes-book bid and ask, through ``Engine.submit`` / ``Engine.cancel``
like the synthetic flow, so the book, the ``price_change`` frame and later snapshots all agree.
The ask is a BUY of the No token at ``1 - ask`` (the maker holds no tokens): the shared book makes it
the same quote. Pure: time comes in as ``now_ns``; order ids are a counter.
"""

from __future__ import annotations

from schemas.units import ONE
from venue.engine import Engine
from venue.markets import Market
from venue.money import notional

ADDRESS = "0x00000000000000000000000000000000000b3c40"
ACCOUNT = "bench-maker"
BALANCE = 10**12 * ONE


class BenchMaker:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._quotes: dict[str, list[str]] = {}  # condition id -> resting order ids
        self._next = 0
        engine.ledger.open(ADDRESS, balance=BALANCE)

    def quote(self, market: Market, bid: int, ask: int, size: int, now_ns: int) -> str:
        """Replace the maker's pair in ``market`` with ``bid`` / ``ask`` (Yes prices); "" or an error."""
        if not 0 < bid < ask < ONE:
            return f"need 0 < bid < ask < 1, got {bid} / {ask}"
        engine = self._engine
        for order_id in self._quotes.pop(market.condition_id, []):
            order = engine.orders.get(order_id)
            if order is not None:
                engine.cancel(order, now_ns)
        yes, no = market.token_ids
        placed: list[str] = []
        for token, price in ((yes, bid), (no, ONE - ask)):
            self._next += 1
            order_id = f"0x{self._next:064x}"
            reply = engine.submit(api_key=ACCOUNT, address=ADDRESS, internal=True, order_id=order_id,
                                  token_id=token, side="BUY", maker_amount=notional(price, size),
                                  taker_amount=size, order_type="GTC", post_only=True, expiration=0,
                                  now_ns=now_ns)
            if reply.status != 200:
                self._quotes[market.condition_id] = placed
                return f"bench maker order at {price} refused: {reply.body}"
            placed.append(order_id)
        self._quotes[market.condition_id] = placed
        return ""
