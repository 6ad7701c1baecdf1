"""The inventory's functional core: fill lifecycle, positions per token, markets from leases. No I/O.

Positions are keyed by **token (asset)**, not by market: a fill is applied to its own token's position
the moment it arrives, whether or not a coordinator's lease has told us which market it belongs to, so
no fill is ever held back or lost. A market's ``InventoryState`` is the view of its two tokens' positions
(the lease's ``yes_asset`` / ``no_asset``) and is published while a coordinator holds the market (the
shared ``bus.leases.LeaseTable``: held until the last of its holders releases it or lets it expire).

Fill lifecycle, per fill key (trade_id, order_id) (seed-000 §5, PROTOCOL.md pitfall 7):
- MATCHED, MINED or CONFIRMED: applied the first time one of them is seen (MATCHED normally; MINED or
  CONFIRMED when MATCHED was missed), then only recorded;
- RETRYING: recorded only;
- FAILED: reverses an applied fill; recorded if it was never applied; after a FAILED (terminal) nothing
  applies any more;
- the same (key, status) twice: a duplicate, ignored and not journalled.
A reversal recomputes the token's position from its remaining applied fills in arrival order, so the
result is exactly as if the failed fill had never been applied (no rounding residue).
State is a pure function of the ordered fills received: replaying the journal (``apply``) rebuilds it.

Each state carries the limits ``can_open`` is computed with (``max_net_diff``, ``max_position_value``), so
a coordinator checks its own orders against the same numbers (its overlap rule) without a second copy of
the environment.

Output (``bus.effects``): each handler fills the ``Effects`` it is handed and returns what the shell needs
besides (``on_fill``: the fill's action, which the shell journals *before* it performs the effects;
``on_lease`` / ``on_release`` / ``on_timer``: whether the set of marked tokens may have changed).
- ``on_fill``: the echo ``FillApplied`` on ``inv.fill.<condition>.`` (every fill, duplicates included: the
  user-feed's acknowledgement), then, if a position moved, the market's ``InventoryState``; a ``fill`` line.
- ``on_lease``: a newly active market's state at once (``market_active``); a lease naming a key no topic
  can carry is ignored (``bad_lease``, throttled: a coordinator renews it every second).
- ``on_release`` / ``on_timer`` (expiry): ``market_inactive``.
Publishing is conflated: a fill's state goes out at once (recorded with ``sent``); otherwise ``on_timer``
publishes ``due_states``: the active markets whose state changed since it was last sent (a mark moved)
and, as a keep-alive, those not sent for ``keepalive_ns``. Marks (``on_book``) never publish by themselves.
Start-up replays the journal through ``apply``, the same lifecycle ``on_fill`` runs live.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from actors.inventory.positions import Limits, Position, can_open, fold, portfolio_cost, unrealized
from bus import topics
from bus.effects import Effects
from bus.leases import LeaseTable
from bus.logs import Throttle
from schemas import Book, Fill, FillApplied, InventoryState, Lease, LeaseRelease
from schemas.inventory import FillAction
from schemas.units import NS

APPLYING = frozenset({"MATCHED", "MINED", "CONFIRMED"})
MOVED: frozenset[FillAction] = frozenset({"applied", "reversed"})  # the actions that move a position
KEEPALIVE_NS = 1 * NS  # every leased market's state at least this often, changed or not
Key = tuple[str, str]


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


@dataclass(slots=True)
class FillRecord:
    statuses: set[str] = field(default_factory=set)
    applied: Fill | None = None  # the message whose effect is in the positions, while applied


@dataclass(frozen=True, slots=True)
class Market:
    market: str
    yes_asset: str
    no_asset: str


class Inventory:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.records: dict[Key, FillRecord] = {}
        self.positions: dict[str, Position] = {}
        self.applied: dict[str, dict[Key, Fill]] = {}  # asset -> applied fills in arrival order
        self.markets: dict[str, Market] = {}  # condition id -> tokens
        self.market_of: dict[str, str] = {}  # asset -> condition id
        self.leases = LeaseTable()  # the active markets: held by at least one coordinator
        self.marks: dict[str, int] = {}  # asset -> best bid + best ask (twice the mid)
        self.last_sent: dict[str, InventoryState] = {}  # condition id -> the state last published
        self.bad_lease_log = Throttle()

    # -- handlers: what the shell calls, with the Effects it then performs ----------------------

    def on_fill(self, fill: Fill, now: int, fx: Effects) -> FillAction:
        """Apply one fill message (its lifecycle: ``apply``) and announce it."""
        action = self.apply(fill)
        fx.publish(fill_topic(fill), FillApplied(fill=fill, action=action, ts=now))
        market = self.market_for(fill.asset)
        if action in MOVED and market is not None:
            fx.publish(topics.inv_state(market), self.sent(self.state(market, now)))
        pos = self.position(fill.asset)
        fx.note("fill", action=action, trade_id=fill.trade_id, order_id=fill.order_id, status=fill.status,
                asset=fill.asset, side=fill.side, price=fill.price, size=fill.size, qty=pos.qty,
                avg_cost=pos.avg_cost, oversold=pos.oversold)
        return action

    def on_lease(self, lease: Lease, now: int, fx: Effects) -> bool:
        """A coordinator holds this market: True if it just became active (or its tokens changed); its state
        is then published at once."""
        if not valid_keys(lease.market, *lease.assets):
            if n := self.bad_lease_log.count(lease.holder):
                fx.warn("bad_lease", holder=lease.holder, market=lease.market, yes_asset=lease.yes_asset,
                        no_asset=lease.no_asset, count=n)
            return False
        if not self.hold(lease, now):
            return False
        fx.note("market_active", market=lease.market, holder=lease.holder, yes_asset=lease.yes_asset,
                no_asset=lease.no_asset)
        fx.publish(topics.inv_state(lease.market), self.sent(self.state(lease.market, now)))
        return True

    def on_release(self, release: LeaseRelease, fx: Effects) -> bool:
        """True if the market is no longer held by any coordinator (then it is no longer active)."""
        if not self.release(release):
            return False
        fx.note("market_inactive", market=release.market, reason="released")
        return True

    def on_timer(self, books: list[Book], now: int, fx: Effects, keepalive_ns: int = KEEPALIVE_NS) -> bool:
        """Let time pass: expire leases, mark to the newest ``books``, publish the states that are due.
        True if a market went inactive."""
        expired = self.expire(now)
        for market in expired:
            fx.note("market_inactive", market=market, reason="lease_expired")
        for book in books:
            self.on_book(book)
        for state in self.due_states(now, keepalive_ns):
            fx.publish(topics.inv_state(state.market), state)
        return bool(expired)

    # -- fills ----------------------------------------------------------------------------------

    def apply(self, fill: Fill) -> FillAction:
        """The fill lifecycle (above): what this message does to its token's position."""
        key = (fill.trade_id, fill.order_id)
        record = self.records.setdefault(key, FillRecord())
        if fill.status in record.statuses:
            return "duplicate"
        record.statuses.add(fill.status)
        if fill.status == "FAILED":
            if record.applied is None:
                return "recorded"
            self._reverse(key, record.applied)
            record.applied = None
            return "reversed"
        if fill.status in APPLYING and record.applied is None and "FAILED" not in record.statuses:
            self._apply(key, fill)
            record.applied = fill
            return "applied"
        return "recorded"

    def _apply(self, key: Key, fill: Fill) -> None:
        self.applied.setdefault(fill.asset, {})[key] = fill
        self.positions.setdefault(fill.asset, Position()).apply(fill.side, fill.price, fill.size, fill.fee)
        self._unmark_if_flat(fill.asset)

    def _reverse(self, key: Key, fill: Fill) -> None:
        remaining = self.applied[fill.asset]
        del remaining[key]
        self.positions[fill.asset] = fold((f.side, f.price, f.size, f.fee) for f in remaining.values())
        self._unmark_if_flat(fill.asset)

    def held(self, asset: str) -> bool:
        pos = self.positions.get(asset)
        return pos is not None and pos.qty != 0

    def _unmark_if_flat(self, asset: str) -> None:
        """A flat leg has nothing to mark: forget its mark, so a later position waits for a fresh book."""
        if not self.held(asset):
            self.marks.pop(asset, None)

    def position(self, asset: str) -> Position:
        return self.positions.get(asset) or Position()

    # -- markets --------------------------------------------------------------------------------

    def learn(self, market: str, yes_asset: str, no_asset: str) -> bool:
        """Record a market's tokens; True if this is new or changed information."""
        known = Market(market, yes_asset, no_asset)
        if self.markets.get(market) == known:
            return False
        old = self.markets.get(market)
        if old is not None:
            for asset in (old.yes_asset, old.no_asset):
                self.market_of.pop(asset, None)
        self.markets[market] = known
        self.market_of[yes_asset] = market
        self.market_of[no_asset] = market
        return True

    def hold(self, lease: Lease, now: int) -> bool:
        """Record a lease: True if its market just became active (or its tokens changed)."""
        if not (lease.market and lease.yes_asset and lease.no_asset):
            return False
        changed = self.learn(lease.market, lease.yes_asset, lease.no_asset)
        activated = not self.leases.holds(lease.market)
        self.leases.on_lease(lease, now)
        return changed or activated

    def release(self, release: LeaseRelease) -> bool:
        """End a lease: True if the market is no longer held by any coordinator (no longer active)."""
        return self.leases.on_release(release) and self._deactivate(release.market)

    def expire(self, now: int) -> list[str]:
        """Markets whose last lease ran out: no longer active (no periodic state, no marking)."""
        gone = self.leases.expire(now)
        for market in gone:
            self._deactivate(market)
        return gone

    def _deactivate(self, market: str) -> bool:
        known = self.markets.get(market)
        if known is None:
            return False
        self.last_sent.pop(market, None)
        self.marks.pop(known.yes_asset, None)
        self.marks.pop(known.no_asset, None)
        return True

    def active_assets(self) -> set[str]:
        """Tokens whose books we mark to: the held tokens of every active market (a flat leg adds nothing
        to unrealised PnL, so its books are not even received)."""
        return {a for m in self.active() for a in (self.markets[m].yes_asset, self.markets[m].no_asset)
                if self.held(a)}

    def active(self) -> list[str]:
        """The markets a coordinator holds (and whose tokens are known), in a stable order."""
        return sorted(m for m in self.leases.markets() if m in self.markets)

    def market_for(self, asset: str) -> str | None:
        return self.market_of.get(asset)

    # -- marks ----------------------------------------------------------------------------------

    def on_book(self, book: Book) -> None:
        """Mark a held leg of an active market to mid; a book with an empty side removes the mark (that leg
        is not marked). A leg without a mark (no book since it was opened) is not marked either."""
        if book.asset not in self.market_of or not self.leases.holds(self.market_of[book.asset]) or \
                not self.held(book.asset):
            return
        if book.bids and book.asks:
            self.marks[book.asset] = book.bids[0][0] + book.asks[0][0]
        else:
            self.marks.pop(book.asset, None)

    # -- views ----------------------------------------------------------------------------------

    def state(self, market: str, now: int) -> InventoryState:
        m = self.markets[market]
        yes, no = self.position(m.yes_asset), self.position(m.no_asset)
        return InventoryState(
            market=market, yes_asset=m.yes_asset, no_asset=m.no_asset,
            yes_qty=yes.qty, no_qty=no.qty, yes_avg_cost=yes.avg_cost, no_avg_cost=no.avg_cost,
            net_diff=yes.qty - no.qty, portfolio_cost=portfolio_cost(yes, no),
            can_open=can_open(yes, no, self.limits),
            realized_pnl=yes.realized + no.realized,
            unrealized_pnl=unrealized([(yes, self.marks.get(m.yes_asset)), (no, self.marks.get(m.no_asset))]),
            fills=yes.fills + no.fills, ts=now,
            max_net_diff=self.limits.max_net_diff, max_position_value=self.limits.max_position_value,
        )

    def active_states(self, now: int) -> list[InventoryState]:
        return [self.state(m, now) for m in self.active()]

    def sent(self, state: InventoryState) -> InventoryState:
        """Record that ``state`` is being published (returns it)."""
        self.last_sent[state.market] = state
        return state

    def due_states(self, now: int, keepalive_ns: int) -> list[InventoryState]:
        """The active markets' states to publish now, recorded as sent: each one that differs from the
        last one sent (other than its time), and each one last sent ``keepalive_ns`` ago or more."""
        due = []
        for market in self.active():
            state = self.state(market, now)
            last = self.last_sent.get(market)
            if last is None or now - last.ts >= keepalive_ns or \
                    msgspec.structs.replace(last, ts=now) != state:
                due.append(self.sent(state))
        return due
