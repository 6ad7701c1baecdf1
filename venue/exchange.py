"""Exchange: the only API the server calls (see DESIGN.md, "The core contract").

Pure and synchronous: every mutating call takes `now_ns`, nothing reads a clock or the environment,
and randomness comes from generators seeded by `seed`, so the same seed and the same calls give the
same event stream. Prices and sizes are integer 1e-6 units inside; the returned dicts are wire JSON.
Every change worth keeping is marked in `changes` (venue.changes; the store writes it), and an
Exchange built from a stored `Snapshot` carries on where that one stopped (venue.persist).
"""

from __future__ import annotations

import random

from schemas.units import MS, NS, ONE
from venue.bench import BenchMaker
from venue.book import MarketBook
from venue.changes import Changes
from venue.clob_shapes import rewards_max_spread_units
from venue.config import VenueConfig
from venue.contract import MarketEvent, Reply, SignedOrder, UserEvent, error
from venue.engine import Engine
from venue.fair_script import find_market
from venue.faults import FaultPlan
from venue.flow import ACCOUNTS as FLOW_ACCOUNTS
from venue.flow import SyntheticFlow
from venue.heartbeats import Heartbeats
from venue.ledger import Ledger
from venue.markets import Catalogue, Market
from venue.matching import COLLATERAL
from venue.oracle import Oracle
from venue.outbox import Outbox
from venue.persist import Snapshot, restore
from venue.rewards import Rewards
from venue.settlement import Settled, merge, redeem
from venue.trades import rest_order, rest_trade
from venue.validation import stale_error
from venue.wire import book_event, book_summary, market_resolved, new_market

__all__ = ["Exchange", "MarketEvent", "Reply", "SignedOrder", "UserEvent"]

UNAUTHORIZED = "Unauthorized/Invalid api key"
ALLOWANCE = str(2**256 - 1)
SPENDERS = (
    "0xE111180000d2663C0091e4f400237545B87B996B",  # CTFExchangeV2
    "0xe2222d279d744050d28e00520010520000310F59",  # NegRiskCtfExchangeV2
    "0xd91E80cF2E7be2e162c6513ceD06f1dD0dA35296",  # NegRiskAdapter
)


class Exchange:
    def __init__(self, config: VenueConfig, *, seed: int, now_ns: int,
                 snapshot: Snapshot | None = None) -> None:
        self.config = config
        self.seed = seed
        self.start_ns = now_ns
        self._now_ns = now_ns
        self.changes = Changes()
        self.catalogue = Catalogue(config, seed=seed, changes=self.changes)
        self.ledger = Ledger(start_balance=config.start_balance_units, changes=self.changes)
        self.outbox = Outbox()
        self.engine = Engine(config, self.catalogue, self.ledger, self.outbox,
                             rng_ids=random.Random(f"{seed}:ids"), rng_fate=random.Random(f"{seed}:fate"))
        self.heartbeats = Heartbeats(timeout_ns=config.heartbeat_timeout_ms * MS,
                                     rng=random.Random(f"{seed}:heartbeats"), changes=self.changes)
        self.oracle = Oracle(config.flow_params, config.assets, rng=random.Random(f"{seed}:oracle"),
                             now_ns=now_ns)
        self.accounts: dict[str, str] = {}  # api key -> address
        self.owners: dict[str, str] = {}  # api key -> the owner it was derived for
        self._bench: BenchMaker | None = None
        self.rewards = Rewards(sample_s=config.rewards_sample_s, min_age_s=config.rewards_min_order_age_s,
                               rng=random.Random(f"{seed}:rewards"), now_ns=now_ns)
        if snapshot is not None:
            restore(self, snapshot)
            self.changes.clear()
        self.flow = (SyntheticFlow(config.flow_params, self.engine, self.oracle,
                                   rng=random.Random(f"{seed}:flow"), now_ns=now_ns)
                     if config.flow else None)
        for market in self.catalogue.bootstrap(now_ns):
            if market.condition_id not in self.engine.books:
                self._open_market(market, now_ns)
        self.oracle.advance(now_ns, self.catalogue.open_markets())
        self._flush(now_ns)
        if snapshot is not None:
            self.tick(now_ns)  # what fell due while the venue was down: window ends, trade statuses

    # accounts ------------------------------------------------------------------------------------
    def register_account(self, *, address: str, api_key: str, owner: str = "") -> None:
        """Bind an API key to its address (its owner's wallet; `owner` defaults to the address); the
        address gets the start balance on first sight."""
        self.accounts[api_key] = address
        self.owners[api_key] = owner or address
        self.changes.account(api_key, address)
        self.ledger.open(address)

    # orders --------------------------------------------------------------------------------------
    def place(
        self, *, api_key: str, order: SignedOrder, order_type: str, post_only: bool, now_ns: int
    ) -> Reply:
        address = self.accounts.get(api_key)
        if address is None:
            return error(UNAUTHORIZED, 401)
        if order.side not in ("BUY", "SELL"):
            return error("Invalid order payload")
        stale = stale_error(order.order_id, order.timestamp_ms, now_ns // MS, self.config.max_order_age_ms)
        if stale is not None:
            return error(stale)
        self._now_ns = now_ns
        reply = self.engine.submit(
            api_key=api_key, address=address, internal=False, order_id=order.order_id,
            token_id=order.token_id, side=order.side, maker_amount=order.maker_amount,
            taker_amount=order.taker_amount, order_type=order_type, post_only=post_only,
            expiration=order.expiration, now_ns=now_ns,
        )
        self._flush(now_ns)
        return reply

    def cancel(self, *, api_key: str, order_ids: list[str], now_ns: int) -> Reply:
        self._now_ns = now_ns
        body = self.engine.cancel_ids(api_key, order_ids, now_ns)
        self._flush(now_ns)
        return Reply(status=200, body=body)

    def cancel_all(self, *, api_key: str, now_ns: int) -> Reply:
        return self.cancel_market(api_key=api_key, market=None, asset_id=None, now_ns=now_ns)

    def cancel_market(self, *, api_key: str, market: str | None, asset_id: str | None, now_ns: int) -> Reply:
        self._now_ns = now_ns
        body = self.engine.cancel_where(api_key, now_ns, market=market, asset_id=asset_id)
        self._flush(now_ns)
        return Reply(status=200, body=body)

    def heartbeat(self, *, api_key: str, heartbeat_id: str, now_ns: int) -> Reply:
        self._now_ns = now_ns
        return self.heartbeats.beat(api_key, heartbeat_id, now_ns)

    # queries -------------------------------------------------------------------------------------
    def open_orders(self, *, api_key: str, order_id: str | None, market: str | None,
                    asset_id: str | None) -> list[dict[str, object]]:
        mine = self.engine.orders_by_key.get(api_key, {})
        return [rest_order(o) for o in mine.values()
                if (not order_id or o.order_id == order_id) and (not market or o.condition_id == market)
                and (not asset_id or o.token_id == asset_id)]

    def order(self, *, api_key: str, order_id: str) -> dict[str, object] | None:
        """Only active orders, like `/data/order/{id}`; filled or cancelled orders are forgotten."""
        found = self.engine.orders.get(order_id)
        return rest_order(found) if found is not None and found.api_key == api_key else None

    def trades(self, *, api_key: str, market: str | None, asset_id: str | None, before: int | None,
               after: int | None) -> list[dict[str, object]]:
        """`/data/trades` rows, newest first. Like the venue, `asset_id` filters on the taker leg."""
        address = self.accounts.get(api_key, "")
        rows: list[dict[str, object]] = []
        for trade in reversed(self.engine.clearing.trades_by_key.get(api_key, [])):
            match_s = trade.match_ns // NS
            if (market and trade.condition_id != market) or (asset_id and trade.asset_id != asset_id):
                continue
            if (before is not None and match_s >= before) or (after is not None and match_s < after):
                continue
            for key, side in trade.recipients():
                if key == api_key:
                    rows.append(rest_trade(trade, api_key=api_key, address=address, trader_side=side))
        return rows

    def book(self, token_id: str) -> dict[str, object] | None:
        """The REST /book object, or None (the server answers 404)."""
        found = self._token(token_id)
        if found is None:
            return None
        market, book, index = found
        return book_summary(market, book, index, self._now_ns // MS)

    def book_event(self, token_id: str) -> dict[str, object] | None:
        """The market channel's `book` event for a token (initial dump on subscribe)."""
        found = self._token(token_id)
        if found is None:
            return None
        market, book, index = found
        return book_event(market, book, index, self._now_ns // MS)

    def balance(self, *, address: str, asset_type: str, token_id: str | None) -> dict[str, object]:
        """`/balance-allowance`: base units as strings (owned balance; open orders not subtracted)."""
        asset = COLLATERAL if asset_type == "COLLATERAL" else (token_id or "")
        units = self.ledger.balance(address, asset) if asset_type == "COLLATERAL" or token_id else 0
        return {"balance": str(units), "allowance": ALLOWANCE,
                "allowances": dict.fromkeys(SPENDERS, ALLOWANCE)}

    def positions(self, address: str) -> dict[str, int]:
        return self.ledger.positions(address)

    # settlement: the Conditional Tokens calls the relayer and RPC routes execute (venue.settlement) ----
    def merge(self, *, address: str, condition_id: str, amount: int) -> Settled:
        """Burn ``amount`` of both tokens, credit ``amount`` pUSD; ``venue.settlement.Revert`` if short."""
        return merge(self.ledger, self.catalogue.get(condition_id), address, amount)

    def redeem(self, *, address: str, condition_id: str) -> Settled:
        """Burn every share of a resolved market, credit 1 pUSD per winning share; ``Revert`` before."""
        return redeem(self.ledger, self.catalogue.get(condition_id), address)

    def token_balance(self, address: str, token_id: str) -> int:
        """Shares of ``token_id`` ``address`` owns (0 for an address with no account; none is opened)."""
        return self.ledger.positions(address).get(token_id, 0)

    def undo(self, settled: Settled) -> None:
        """Roll back a settlement (a later call of the same transaction reverted)."""
        self.ledger.rollback(settled.deltas)

    @staticmethod
    def _internal(address: str) -> bool:
        """The venue's synthetic traders: paid at resolution by the venue itself."""
        return address in FLOW_ACCOUNTS.values()

    def order_scoring(self, *, api_key: str, order_id: str) -> bool:
        """Does a live order currently qualify for liquidity rewards (reward market, size, band, and live for
        at least ``rewards_min_order_age_s``, as the samples count it: venue/rewards.py)?"""
        order = self.engine.orders.get(order_id)
        if order is None or order.api_key != api_key:
            return False
        market = self.catalogue.get(order.condition_id)
        if market is None or not market.is_reward or order.remaining < market.rewards_min_size * ONE:
            return False
        if not (market.best_bid and market.best_ask):
            return False
        if self._now_ns // NS - order.created_s < self.config.rewards_min_order_age_s:
            return False
        mid = (market.best_bid + market.best_ask) // 2
        return abs(order.book_price - mid) < rewards_max_spread_units(market)

    def set_faults(self, plan: FaultPlan) -> None:
        """Use a new FaultPlan from now on (the core only reads `failed_trade_rate`)."""
        self.engine.clearing.faults = plan

    def set_fair(self, *, market: str, yes: int | None, now_ns: int) -> Market | None:
        """Script a market's fair value (`POST /_venue/fair`; venue/fair_script.py): `market` is a
        condition id, slug, token id or rotating series (its current window); `yes` in 1e-6 units, None
        to drop the override. The makers re-centre on the next `tick`. None if no market has that name."""
        found = find_market(self.catalogue, market, now_ns)
        if found is not None:
            self.oracle.script.pin(found.condition_id, yes)
        return found

    def fair(self, *, market: str, now_ns: int) -> tuple[Market, int, str] | None:
        """A market's fair value now and what sets it ("pin", "path" or "" for the model)."""
        found = find_market(self.catalogue, market, now_ns)
        if found is None:
            return None
        value = self.oracle.fair(found, now_ns)
        return found, value, self.oracle.script.source(found.condition_id)

    def bench_quote(self, token_id: str, bid: int, ask: int, size: int, now_ns: int) -> str:
        """Benchmark hook: the bench maker's one bid / ask (Yes-book prices) in this token's market,
        replacing its previous pair, flushed at once as one ``price_change``. Returns "" or an error."""
        market = self.catalogue.token(token_id)
        if market is None:
            return f"unknown token {token_id}"
        if self._bench is None:
            self._bench = BenchMaker(self.engine)
        self._now_ns = now_ns
        problem = self._bench.quote(market, bid, ask, size, now_ns)
        self._flush(now_ns)
        return problem

    # time ----------------------------------------------------------------------------------------
    def tick(self, now_ns: int) -> None:
        """Advance everything time-driven to `now_ns`."""
        self._now_ns = now_ns
        self.oracle.advance(now_ns, self.catalogue.open_markets())
        for market in self.catalogue.ensure_windows(now_ns):
            self._open_market(market, now_ns)
        self.oracle.advance(now_ns, self.catalogue.open_markets())
        for market in self.catalogue.due_to_close(now_ns):
            self._resolve(market, now_ns)
        self.engine.clearing.advance(now_ns)
        pays = (lambda address: True) if self.config.auto_redeem_accounts else self._internal
        for market in self.catalogue.all():
            if market.closed and not market.redeemed:
                self.engine.clearing.try_redeem(market, pays)
        for market in self.catalogue.prune(now_ns, keep=lambda m: bool(self.ledger.holders(m.token_ids))):
            self._drop_market(market)
        for api_key in self.heartbeats.expired(now_ns):
            self.engine.cancel_where(api_key, now_ns)
        self.engine.expire_gtd(now_ns)
        if self.flow is not None:
            self.flow.step(now_ns, self.catalogue.open_markets())
        if self.rewards.due(now_ns):
            self.rewards.sample(now_ns, self.catalogue.reward_markets(), self.engine.orders.values())
        self._flush(now_ns)

    def drain_events(self) -> list[MarketEvent | UserEvent]:
        """Everything that must go out on a WebSocket since the last drain, in order."""
        return self.outbox.drain()

    # internals -----------------------------------------------------------------------------------
    def _token(self, token_id: str) -> tuple[Market, MarketBook, int] | None:
        market = self.catalogue.token(token_id)
        if market is None:
            return None
        book = self.engine.books.get(market.condition_id)
        return None if book is None else (market, book, market.token_index(token_id))

    def _open_market(self, market: Market, now_ns: int) -> None:
        self.engine.books[market.condition_id] = MarketBook()
        self.outbox.market((), new_market(market, now_ns // MS), custom=True)

    def _resolve(self, market: Market, now_ns: int) -> None:
        self.engine.close_market(market, now_ns)
        self.catalogue.close(market, now_ns)  # marks the market changed (winner included)
        market.winner = self.oracle.winner(market)
        self.outbox.market((), market_resolved(market, now_ns // MS), custom=True)

    def _drop_market(self, market: Market) -> None:
        self.engine.books.pop(market.condition_id, None)
        self.oracle.forget(market.condition_id)
        self.outbox.forget(market.condition_id)
        if self.flow is not None:
            self.flow.forget(market.condition_id)

    def _flush(self, now_ns: int) -> None:
        self.outbox.flush(self.catalogue.markets, self.engine.books, now_ns // MS)
