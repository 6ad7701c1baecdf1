"""The venue's durable state as records: what changed since the last commit (`Collector.collect`), and
how a loaded `Snapshot` becomes an Exchange again (`restore`). Pure: the SQLite file is `venue.store`.

What is kept (see venue/DESIGN.md, "State and restarts"):

| record | what | written |
|---|---|---|
| accounts | API key -> wallet address and owner | when a key is registered |
| balances | every ledger balance (pUSD and tokens), every address | when it moves (generic: `Ledger.apply`) |
| markets | the whole `Market` (windows, closed, winner, redeemed, tick, volume) | listed, changed, pruned |
| orders | external resting orders, with what they still reserve | rest, fill, leave |
| trades | trades with an external party, every status | match, each status change |
| seen | external order ids of the duplicate check | each new order |
| heartbeats | each key's dead-man switch | each beat, each firing |
| blobs | price walks (`oracle`), reward earnings (`rewards`), the server's registry (`extras`) | periodic |

Not kept: the synthetic traders' orders and their trades among themselves (they quote afresh within
half a second; their balances are kept), reservations (recomputed from the restored orders), the
market channel's book caches, the fault plan, the relayer's transaction log.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING

import msgspec

from venue.book import MarketBook, Order
from venue.markets import Market
from venue.oracle import OracleState
from venue.rewards import RewardsState
from venue.trades import Trade

if TYPE_CHECKING:
    from venue.exchange import Exchange

ORACLE = "oracle"
REWARDS = "rewards"
_INT64 = 2**63


class OrderRecord(msgspec.Struct, frozen=True, array_like=True):
    order_id: str
    seq: int
    api_key: str
    address: str
    condition_id: str
    token_id: str
    outcome: str
    is_yes: bool
    side: str
    price: int
    original: int
    remaining: int
    matched: int
    order_type: str
    expiration: int
    created_s: int
    post_only: bool
    reserved: int
    trade_ids: list[str]


class AccountRecord(msgspec.Struct, frozen=True, array_like=True):
    api_key: str
    address: str  # the account's wallet: balances and orders are its
    owner: str  # the key's owner (the server derives the key again from it)


class HeartbeatRecord(msgspec.Struct, frozen=True, array_like=True):
    api_key: str
    expected: str
    last_ns: int


class Snapshot(msgspec.Struct, kw_only=True):
    """Everything the store loaded (in the order it was first written)."""

    accounts: list[AccountRecord] = []
    balances: dict[str, dict[str, int]] = {}
    markets: list[Market] = []
    orders: list[OrderRecord] = []
    trades: list[Trade] = []
    seen: list[tuple[str, int]] = []  # (order id, forget at ns), by forget time
    heartbeats: list[HeartbeatRecord] = []
    blobs: dict[str, bytes] = {}


class Batch(msgspec.Struct, kw_only=True):
    """Writes: the current value of each changed thing by its key, None where it is gone. A later batch
    folds into an earlier one (`merge`), so batches journaled one by one are written to the tables
    together; the first position of a key is kept (trades stay in match order)."""

    accounts: dict[str, AccountRecord] = {}  # by api key
    balances: dict[str, dict[str, int | str | None]] = {}  # address -> asset -> units (str beyond 64 bits)
    markets: dict[str, bytes | None] = {}  # condition id -> encoded Market
    orders: dict[str, bytes | None] = {}  # order id -> encoded OrderRecord
    trades: dict[str, bytes] = {}  # trade id -> encoded Trade (never deleted)
    seen: dict[str, int] = {}  # order id -> forget at ns
    forget_seen_before_ns: int = 0  # > 0: drop remembered ids whose time is up
    heartbeats: dict[str, HeartbeatRecord | None] = {}
    blobs: dict[str, bytes] = {}

    def __bool__(self) -> bool:
        return bool(self.accounts or self.balances or self.markets or self.orders or self.trades or self.seen
                    or self.forget_seen_before_ns or self.heartbeats or self.blobs)

    def merge(self, later: Batch) -> None:
        self.accounts.update(later.accounts)
        for address, units in later.balances.items():
            self.balances.setdefault(address, {}).update(units)
        self.markets.update(later.markets)
        self.orders.update(later.orders)
        self.trades.update(later.trades)
        self.seen.update(later.seen)
        self.forget_seen_before_ns = max(self.forget_seen_before_ns, later.forget_seen_before_ns)
        self.heartbeats.update(later.heartbeats)
        self.blobs.update(later.blobs)


_encode = msgspec.msgpack.Encoder().encode
encode_batch = _encode
decode_batch = msgspec.msgpack.Decoder(Batch).decode
decode_market = msgspec.msgpack.Decoder(Market).decode
decode_trade = msgspec.msgpack.Decoder(Trade).decode
decode_order = msgspec.msgpack.Decoder(OrderRecord).decode
decode_oracle = msgspec.msgpack.Decoder(OracleState).decode


def order_record(order: Order) -> OrderRecord:
    return OrderRecord(
        order_id=order.order_id, seq=order.seq, api_key=order.api_key, address=order.address,
        condition_id=order.condition_id, token_id=order.token_id, outcome=order.outcome, is_yes=order.is_yes,
        side=order.side, price=order.price, original=order.original, remaining=order.remaining,
        matched=order.matched, order_type=order.order_type, expiration=order.expiration,
        created_s=order.created_s, post_only=order.post_only, reserved=order.reserved,
        trade_ids=list(order.trade_ids))


def order_from(record: OrderRecord) -> Order:
    order = Order(
        order_id=record.order_id, seq=record.seq, api_key=record.api_key, address=record.address,
        internal=False, condition_id=record.condition_id, token_id=record.token_id, outcome=record.outcome,
        is_yes=record.is_yes, side=record.side, price=record.price, original=record.original,
        order_type=record.order_type, expiration=record.expiration, created_s=record.created_s,
        post_only=record.post_only)
    order.remaining = record.remaining
    order.matched = record.matched
    order.reserved = record.reserved
    order.trade_ids = list(record.trade_ids)
    return order


class Collector:
    """Turns the marks in `exchange.changes` into a `Batch` of current values.

    Balances are compared with what was last written, per marked address, so only changed balances are
    written. `extras` are named blobs of the server's own state (e.g. the relayer's deployed wallets):
    each a function returning a msgspec-encodable value, written at periodic commits when it changed.
    """

    def __init__(self, exchange: Exchange, snapshot: Snapshot | None = None,
                 extras: dict[str, Callable[[], object]] | None = None) -> None:
        self.ex = exchange
        self.extras = extras or {}
        self._written: dict[str, dict[str, int]] = {}
        self._blobs: dict[str, bytes] = {}
        self._forgets: deque[int] = deque()  # forget times of the stored ids (ascending: a fixed window)
        if snapshot is not None:
            self._written = {address: dict(units) for address, units in snapshot.balances.items()}
            self._blobs = dict(snapshot.blobs)
            self._forgets.extend(ns for _, ns in snapshot.seen)

    def collect(self, *, now_ns: int, everything: bool) -> Batch:
        """What to write now. `everything` (periodic, at close): also the blobs and expired ids."""
        ex, changes = self.ex, self.ex.changes
        batch = Batch()
        for api_key in changes.accounts:
            address = ex.accounts.get(api_key)
            if address is not None:
                batch.accounts[api_key] = AccountRecord(api_key, address, ex.owners.get(api_key, address))
        for address in changes.balances:
            self._balances(address, batch)
        markets = ex.catalogue.markets
        for cid in changes.markets:
            market = markets.get(cid)
            batch.markets[cid] = None if market is None else _encode(market)
        orders = ex.engine.orders
        for order_id in changes.orders:
            order = orders.get(order_id)
            batch.orders[order_id] = None if order is None else _encode(order_record(order))
        trades = ex.engine.clearing.trades
        batch.trades = {tid: _encode(trades[tid]) for tid in changes.trades if tid in trades}
        batch.seen = dict(changes.seen)
        self._forgets.extend(ns for _, ns in changes.seen)
        for api_key in changes.heartbeats:
            state = ex.heartbeats.state(api_key)
            batch.heartbeats[api_key] = None if state is None else HeartbeatRecord(api_key, *state)
        changes.clear()
        if everything:
            forgets = self._forgets
            if forgets and forgets[0] <= now_ns:
                batch.forget_seen_before_ns = now_ns
                while forgets and forgets[0] <= now_ns:
                    forgets.popleft()
            self._blob(ORACLE, ex.oracle.snapshot(), batch)
            self._blob(REWARDS, ex.rewards.snapshot(), batch)
            for name, export in self.extras.items():
                self._blob(name, export(), batch)
        return batch

    def _balances(self, address: str, batch: Batch) -> None:
        current = self.ex.ledger.balances_of(address)
        if current is None:
            return
        written = self._written.setdefault(address, {})
        changed: dict[str, int | str | None] = {}
        for asset, units in current.items():
            if written.get(asset) != units:
                changed[asset] = units if -_INT64 <= units < _INT64 else str(units)
                written[asset] = units
        for asset in [a for a in written if a not in current]:
            changed[asset] = None
            del written[asset]
        if changed:
            batch.balances[address] = changed

    def _blob(self, name: str, value: object, batch: Batch) -> None:
        data = _encode(value)
        if self._blobs.get(name) != data:
            self._blobs[name] = data
            batch.blobs[name] = data


def restore(ex: Exchange, snapshot: Snapshot) -> None:
    """Rebuild the exchange's state from a snapshot (called by `Exchange.__init__` before it lists the
    markets that are missing). Time-driven consequences (windows that ended, trades due, switches that
    fired while the venue was down) happen at the exchange's next tick."""
    for market in snapshot.markets:
        market.best_bid = market.best_ask = 0  # the book is rebuilt from the restored orders
        ex.catalogue.restore(market)
        ex.engine.books[market.condition_id] = MarketBook()
    for address, balances in snapshot.balances.items():
        ex.ledger.restore(address, balances)
    for account in snapshot.accounts:
        ex.accounts[account.api_key] = account.address
        ex.owners[account.api_key] = account.owner
        ex.changes.external.add(account.address)
    for record in sorted(snapshot.orders, key=lambda r: r.seq):
        if record.condition_id in ex.engine.books:
            ex.engine.restore_order(order_from(record))
    for order_id, forget_ns in snapshot.seen:
        ex.engine.restore_seen(order_id, forget_ns)
    for trade in snapshot.trades:
        ex.engine.clearing.restore_trade(trade)
    for beat in snapshot.heartbeats:
        ex.heartbeats.restore(beat.api_key, beat.expected, beat.last_ns)
    rewards = snapshot.blobs.get(REWARDS)
    if rewards is not None:
        ex.rewards.restore(msgspec.msgpack.decode(rewards, type=RewardsState))
    oracle = snapshot.blobs.get(ORACLE)
    if oracle is not None:
        ex.oracle.restore(decode_oracle(oracle))
