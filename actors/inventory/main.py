"""The inventory program (``python -m actors.inventory``): the single writer of positions.

- PULLs fills from the user-feed on ``BusConfig.fill_endpoint``; each one is applied in memory, committed
  to the journal (SQLite, WAL) and only then echoed as ``FillApplied`` on ``inv.fill.<condition>.``,
  followed at once by the market's ``InventoryState`` on ``inv.state.<condition>.`` if a position changed.
  The echo (duplicates included) is the user-feed's acknowledgement: a fill it has not seen echoed is
  pushed again, at once when this program's heartbeat shows a new run id (``user_feed.outbox``).
- SUBscribes ``coord.lease.`` to learn markets (their ``yes_asset`` / ``no_asset``); a newly active market's
  state is published at once.
- Marks held legs to mid (unrealised PnL) from their ``md.book.<token>.`` (only tokens of leased markets
  with a non-zero position are subscribed), read on a side socket that never wakes the program
  (``marks.BookSampler``): every ``PM_INVENTORY_MARK_MS`` (250) the queued books are drained (newest per
  token), and each leased market's state is published if it changed, and at least every second (the
  keep-alive coordinators and the executor watch). Never once per book.
Start-up = crash recovery: the journal is replayed before the fill socket is bound.
"""

from __future__ import annotations

from actors.inventory.config import InventoryConfig
from actors.inventory.core import Inventory
from actors.inventory.journal import Journal
from actors.inventory.marks import BookSampler
from bus import topics
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.endpoints import BusConfig, ensure_run_dir
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Fill, FillApplied, Lease, LeaseRelease
from schemas.units import MS

PROGRAM = "inventory"
KEEPALIVE_MS = 1000  # every leased market's state at least this often, changed or not


def recover(journal: Journal, inventory: Inventory) -> int:
    """Rebuild the state from the journal (the same ``on_fill`` as live fills); returns fills replayed."""
    for market, yes_asset, no_asset in journal.markets():
        inventory.learn(market, yes_asset, no_asset)
    replayed = 0
    for fill in journal.replay():
        inventory.on_fill(fill)
        replayed += 1
    return replayed


def valid_keys(*keys: str) -> bool:
    """Whether each of these can be a topic key (a lease naming anything else is ignored)."""
    try:
        for key in keys:
            topics.md_book(key)
    except topics.TopicError:
        return False
    return True


def fill_topic(fill: Fill) -> bytes:
    return topics.inv_fill(fill.market if valid_keys(fill.market) else topics.ALL)


class InventoryActor:
    def __init__(self, node: Node, inventory: Inventory, journal: Journal, log: Logger,
                 books: BookSampler) -> None:
        self.node = node
        self.inventory = inventory
        self.journal = journal
        self.log = log
        self.books = books

    def on_fill(self, topic: bytes, header: Header, fill: Fill) -> None:
        now = self.node.clock()
        action = self.inventory.on_fill(fill)
        if action != "duplicate":
            self.journal.append(fill, action, now)  # committed before its effect is published
        self.node.publish(fill_topic(fill), FillApplied(fill=fill, action=action, ts=now))
        market = self.inventory.market_for(fill.asset)
        if action in ("applied", "reversed") and market is not None:
            state = self.inventory.sent(self.inventory.state(market, now))
            self.node.publish(topics.inv_state(market), state)
            self.books.sync(self.inventory.active_assets())  # a leg opened or went flat
        pos = self.inventory.position(fill.asset)
        self.log.info("fill", action=action, trade_id=fill.trade_id, order_id=fill.order_id,
                      status=fill.status, asset=fill.asset, side=fill.side, price=fill.price, size=fill.size,
                      qty=pos.qty, avg_cost=pos.avg_cost, oversold=pos.oversold)

    def on_lease(self, topic: bytes, header: Header, lease: Lease) -> None:
        now = self.node.clock()
        if not valid_keys(lease.market, *lease.assets):
            self.log.warning("bad_lease", holder=lease.holder, market=lease.market, yes_asset=lease.yes_asset,
                             no_asset=lease.no_asset)
            return
        if self.inventory.on_lease(lease, now):
            self.journal.save_market(lease.market, lease.yes_asset, lease.no_asset)
            self.log.info("market_active", market=lease.market, holder=lease.holder,
                          yes_asset=lease.yes_asset, no_asset=lease.no_asset)
            self.books.sync(self.inventory.active_assets())
            state = self.inventory.sent(self.inventory.state(lease.market, now))
            self.node.publish(topics.inv_state(lease.market), state)

    def on_release(self, topic: bytes, header: Header, release: LeaseRelease) -> None:
        if self.inventory.on_release(release):
            self.log.info("market_inactive", market=release.market, reason="released")
            self.books.sync(self.inventory.active_assets())

    def tick(self, now: int) -> None:
        """Every ``PM_INVENTORY_MARK_MS``: expire leases, mark to the newest books, publish what is due."""
        expired = self.inventory.expire(now)
        for market in expired:
            self.log.info("market_inactive", market=market, reason="lease_expired")
        if expired:
            self.books.sync(self.inventory.active_assets())
        for book in self.books.drain():
            self.inventory.on_book(book)
        for state in self.inventory.due_states(now, KEEPALIVE_MS * MS):
            self.node.publish(topics.inv_state(state.market), state)


def main() -> int:
    log = Logger(PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    cfg = load_or_exit(InventoryConfig, PROGRAM)
    ensure_run_dir(bus.run_dir)
    path = cfg.db_path(bus.run_dir)
    journal = Journal(path)
    inventory = Inventory(cfg.limits)
    replayed = recover(journal, inventory)
    log.info("inventory_recovered", path=str(path), fills=replayed, markets=len(inventory.markets),
             assets=len(inventory.positions), config=describe(cfg))
    node = Node(PROGRAM, bus, subscriptions=[topics.prefix("coord", "lease")], pull_bind=bus.fill_endpoint,
                log=log)
    books = BookSampler(node.ctx, bus.subscribe_endpoint)
    actor = InventoryActor(node, inventory, journal, log, books)
    dispatch = Dispatcher({Fill: actor.on_fill, Lease: actor.on_lease, LeaseRelease: actor.on_release}, log)
    node.every(cfg.mark_ms, actor.tick)
    try:
        return node.run(dispatch)
    finally:
        books.close()
        node.close()
        journal.close()
