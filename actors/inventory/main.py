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

config -> journal (replayed) -> Node -> core (``Inventory``, pure: every handler fills an ``Effects``) ->
handler table -> timer -> run -> close. A fill is journalled before its effects are performed.
"""

from __future__ import annotations

from actors.inventory.config import InventoryConfig
from actors.inventory.core import MOVED, Inventory
from actors.inventory.journal import Journal
from actors.inventory.marks import BookSampler
from bus import topics
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.effects import Effects
from bus.endpoints import BusConfig, ensure_run_dir
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Fill, Lease, LeaseRelease

PROGRAM = "inventory"


def recover(journal: Journal, inventory: Inventory) -> int:
    """Rebuild the state from the journal (the same lifecycle as live fills); returns fills replayed."""
    for market, yes_asset, no_asset in journal.markets():
        inventory.learn(market, yes_asset, no_asset)
    replayed = 0
    for fill in journal.replay():
        inventory.apply(fill)
        replayed += 1
    return replayed


class InventoryActor:
    def __init__(self, node: Node, inventory: Inventory, journal: Journal, books: BookSampler) -> None:
        self.node = node
        self.inventory = inventory
        self.journal = journal
        self.books = books

    def on_fill(self, topic: bytes, header: Header, fill: Fill) -> None:
        now, fx = self.node.clock(), Effects()
        action = self.inventory.on_fill(fill, now, fx)
        if action != "duplicate":
            self.journal.append(fill, action, now)  # committed before its effect is published
        self.node.apply(fx)
        if action in MOVED:
            self.books.sync(self.inventory.active_assets())  # a leg opened or went flat

    def on_lease(self, topic: bytes, header: Header, lease: Lease) -> None:
        fx = Effects()
        if self.inventory.on_lease(lease, self.node.clock(), fx):
            self.journal.save_market(lease.market, lease.yes_asset, lease.no_asset)
            self.books.sync(self.inventory.active_assets())
        self.node.apply(fx)

    def on_release(self, topic: bytes, header: Header, release: LeaseRelease) -> None:
        fx = Effects()
        if self.inventory.on_release(release, fx):
            self.books.sync(self.inventory.active_assets())
        self.node.apply(fx)

    def tick(self, now: int) -> None:
        """Every ``PM_INVENTORY_MARK_MS``: expire leases, mark to the newest books, publish what is due."""
        fx = Effects()
        if self.inventory.on_timer(self.books.drain(), now, fx):
            self.books.sync(self.inventory.active_assets())
        self.node.apply(fx)


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
    actor = InventoryActor(node, inventory, journal, books)
    dispatch = Dispatcher({Fill: actor.on_fill, Lease: actor.on_lease, LeaseRelease: actor.on_release}, log)
    node.every(cfg.mark_ms, actor.tick)
    try:
        return node.run(dispatch)
    finally:
        books.close()
        node.close()
        journal.close()
