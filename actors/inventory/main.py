"""The inventory program (``python -m actors.inventory``): the single writer of positions.

- PULLs fills from the user-feed on ``BusConfig.fill_endpoint``; each one is applied in memory, committed
  to the journal (SQLite, WAL) and only then echoed as ``FillApplied`` on ``inv.fill.<condition>.``,
  followed at once by the market's ``InventoryState`` on ``inv.state.<condition>.`` if a position changed.
  The echo (duplicates included) is the user-feed's acknowledgement: a fill it has not seen echoed is
  pushed again, at once when this program's heartbeat shows a new run id (``user_feed.outbox``).
- PULLs settlements on the same pipe (merges and redemptions from the executor, adjustments from
  ``actors.ctl``), and makes its own from ``MarketResolved`` (``md.market.``) and from the CLOB
  (``resolutions``): journalled, then echoed as ``SettlementApplied`` on ``inv.settle.<condition>.``.
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
from actors.inventory.core import MOVED, Inventory, top
from actors.inventory.journal import Journal
from actors.inventory.marks import BookSampler
from actors.inventory.resolutions import ResolutionCheck
from bus import topics
from bus.codec import Header
from bus.config import describe, load_or_exit
from bus.effects import Effects
from bus.endpoints import BusConfig, ensure_run_dir
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import Fill, Lease, LeaseRelease, MarketResolved, NewMarket, Settlement
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.gamma import MarketHttp

PROGRAM = "inventory"


def recover(journal: Journal, inventory: Inventory) -> int:
    """Rebuild the state from the journal (the same lifecycle as live fills); returns fills replayed."""
    for market, yes_asset, no_asset in journal.markets():
        inventory.learn(market, yes_asset, no_asset)
    replayed = 0
    for event in journal.replay_events():
        if isinstance(event, Fill):
            inventory.apply(event)
        else:
            inventory.apply_settlement(event)
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

    def on_settlement(self, topic: bytes, header: Header, settlement: Settlement) -> None:
        self.settle(settlement)

    def settle(self, settlement: Settlement) -> None:
        now, fx = self.node.clock(), Effects()
        action = self.inventory.on_settlement(settlement, now, fx)
        if action == "applied":
            self.journal.save_market(settlement.market, settlement.yes_asset, settlement.no_asset)
            self.journal.append_settlement(settlement, action, now)  # committed before it is announced
        self.node.apply(fx)
        if action == "applied":
            self.books.sync(self.inventory.active_assets())

    def on_resolved(self, topic: bytes, header: Header, msg: MarketResolved) -> None:
        if (settlement := self.inventory.on_resolved(msg, self.node.clock())) is not None:
            self.settle(settlement)

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
        if self.inventory.on_timer(map(top, self.books.drain()), now, fx):
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
    venue = load_or_exit(VenueEndpoints, PROGRAM)
    log.info("inventory_recovered", path=str(path), events=replayed, markets=len(inventory.markets),
             assets=len(inventory.positions), resolved=len(inventory.resolved), config=describe(cfg))
    node = Node(PROGRAM, bus, subscriptions=[topics.prefix("coord", "lease"), topics.prefix("md", "market")],
                pull_bind=bus.fill_endpoint, log=log)
    books = BookSampler(node.ctx, bus.md_endpoint if bus.md_direct else bus.subscribe_endpoint,
                        secure=node.secure)
    actor = InventoryActor(node, inventory, journal, books)
    dispatch = Dispatcher({Fill: actor.on_fill, Settlement: actor.on_settlement, Lease: actor.on_lease,
                           LeaseRelease: actor.on_release, MarketResolved: actor.on_resolved,
                           NewMarket: lambda t, h, m: None}, log)
    node.every(cfg.mark_ms, actor.tick)
    resolutions = ResolutionCheck(MarketHttp(venue.gamma_url, venue.rest_url, retries=0), inventory,
                                  actor.settle, node.clock, log)
    resolutions.bridge.attach(node)
    if cfg.resolve_ms:
        node.every(cfg.resolve_ms, resolutions.tick)
        resolutions.tick(node.clock())  # at start: markets held across a restart may have resolved since
    try:
        return node.run(dispatch)
    finally:
        resolutions.close()
        books.close()
        node.close()
        journal.close()
