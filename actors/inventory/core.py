"""The inventory's functional core: fill lifecycle, positions per token, markets from leases. No I/O.

Positions are keyed by **token (asset)**, not by market: a fill is applied to its own token's position
the moment it arrives, whether or not a coordinator's lease has told us which market it belongs to, so
no fill is ever held back or lost. A market's ``InventoryState`` is the view of its two tokens' positions
(the lease's ``yes_asset`` / ``no_asset``) and is published while a coordinator holds the market (the
shared ``bus.leases.LeaseTable``: held until the last of its holders releases it or lets it expire).

The accounting itself (the fill lifecycle, settlements, reversals; ``ledger.Ledger``) is the base
class; this module adds what makes it an actor core: leases, marks and the conflated publications.

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
- ``on_settlement``: the echo ``SettlementApplied`` on ``inv.settle.<condition>.`` (every settlement,
  duplicates included: the sender's acknowledgement), then, if applied, the market's ``InventoryState``;
  a ``settlement`` line. ``on_resolved``: the resolution a ``MarketResolved`` is (the shell applies it).
- ``on_release`` / ``on_timer`` (expiry): ``market_inactive``.
Publishing is conflated: a fill's or settlement's state goes out at once (recorded with ``sent``);
otherwise ``on_timer`` publishes ``due_states``: the published markets (leased, or resolved and still held)
whose state changed since it was last sent (a mark moved) and, as a keep-alive, those not sent for
``keepalive_ns``. Marks (``on_book``) never publish by themselves.
Start-up replays the journal through ``apply`` and ``apply_settlement``, the same lifecycle as live.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from actors.inventory.ledger import APPLYING, Event, FillRecord, Key, Ledger, Market, resolution, valid_keys
from actors.inventory.positions import Limits, can_open, portfolio_cost, unrealized
from bus import topics
from bus.effects import Effects
from bus.leases import LeaseTable
from bus.logs import Throttle
from schemas import Book, Fill, FillApplied, InventoryState, Lease, LeaseRelease, MarketResolved, Settlement
from schemas.inventory import FillAction
from schemas.settlement import SettlementAction, SettlementApplied
from schemas.units import NS

__all__ = ["APPLYING", "KEEPALIVE_NS", "MOVED", "Event", "FillRecord", "Inventory", "Key", "Market",
           "fill_topic", "resolution", "settle_topic", "top", "valid_keys"]

MOVED: frozenset[FillAction] = frozenset({"applied", "reversed"})  # the actions that move a position
KEEPALIVE_NS = 1 * NS  # every leased market's state at least this often, changed or not


def fill_topic(fill: Fill) -> bytes:
    return topics.inv_fill(fill.market if valid_keys(fill.market) else topics.ALL)


def settle_topic(s: Settlement) -> bytes:
    return topics.inv_settle(s.market if valid_keys(s.market) else topics.ALL)


def top(book: Book) -> tuple[str, int, int]:
    """A book as ``Inventory.mark``'s arguments: its token, best bid and best ask (0: that side is empty)."""
    return book.asset, book.bids[0][0] if book.bids else 0, book.asks[0][0] if book.asks else 0


class Inventory(Ledger):
    def __init__(self, limits: Limits) -> None:
        super().__init__(limits)
        self.leases = LeaseTable()  # the active markets: held by at least one coordinator
        self.marks: dict[str, int] = {}  # asset -> best bid + best ask (twice the mid)
        self.last_sent: dict[str, InventoryState] = {}  # condition id -> the state last published
        # condition id -> the ``inputs`` of the last state ``due_states`` compared (dropped by ``sent``)
        self.last_inputs: dict[str, tuple[object, ...]] = {}
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

    def on_settlement(self, s: Settlement, now: int, fx: Effects) -> SettlementAction:
        """Apply one settlement (``apply_settlement``) and announce it: the echo ``SettlementApplied`` (every
        one, the sender's acknowledgement), then the market's state if it was applied."""
        action = self.apply_settlement(s)
        fx.publish(settle_topic(s), SettlementApplied(settlement=s, action=action, ts=now))
        if action == "applied":  # as a fill's: at once, leased or not (a redeemed market's last state too)
            fx.publish(topics.inv_state(s.market), self.sent(self.state(s.market, now)))
        yes, no = self.position(s.yes_asset), self.position(s.no_asset)
        fx.note("settlement", "warning" if action == "refused" else "info", action=action, kind=s.kind,
                key=s.key, market=s.market, yes=s.yes, no=s.no, usdc=s.usdc, winner=s.winner, tx=s.tx,
                source=s.source, reason=s.reason, yes_qty=yes.qty, no_qty=no.qty,
                realized_pnl=yes.realized + no.realized)
        return action

    def on_resolved(self, msg: MarketResolved, now: int) -> Settlement | None:
        """The market-feed saw a market resolve: the settlement to apply (``on_settlement``), if the market is
        one we know and hold or trade, and not resolved already."""
        m = self.markets.get(msg.market)
        if m is None or msg.market in self.resolved or not (self.held_market(msg.market) or
                                                           self.leases.holds(msg.market)):
            return None
        return resolution(msg.market, m.yes_asset, m.no_asset, msg.winning_asset, "market-feed", now)

    def unresolved_held(self) -> list[Market]:
        """Markets with a position, not known resolved and leased by no coordinator: those whose resolution
        is asked of the CLOB (at start, and now and then: a ``MarketResolved`` can be missed)."""
        return [m for c, m in sorted(self.markets.items())
                if c not in self.resolved and not self.leases.holds(c) and self.held_market(c)]

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

    def on_timer(self, tops: Iterable[tuple[str, int, int]], now: int, fx: Effects,
                 keepalive_ns: int = KEEPALIVE_NS) -> bool:
        """Let time pass: expire leases, mark to the newest ``tops`` (``mark``'s arguments: ``top`` of each
        newest book), publish the states that are due. True if a market went inactive."""
        expired = self.expire(now)
        for market in expired:
            fx.note("market_inactive", market=market, reason="lease_expired")
        for asset, bid, ask in tops:
            self.mark(asset, bid, ask)
        for state in self.due_states(now, keepalive_ns):
            fx.publish(topics.inv_state(state.market), state)
        return bool(expired)

    def published(self, market: str) -> bool:
        """Whether the market's state is published: a coordinator holds it, or it is resolved and a leg is
        still held (redeemable: the executor redeems it)."""
        return self.leases.holds(market) or (market in self.resolved and self.held_market(market))

    def _unmark_if_flat(self, asset: str) -> None:
        """A flat leg has nothing to mark: forget its mark, so a later position waits for a fresh book."""
        if not self.held(asset):
            self.marks.pop(asset, None)

    # -- markets --------------------------------------------------------------------------------

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
        self.last_inputs.pop(market, None)
        self.marks.pop(known.yes_asset, None)
        self.marks.pop(known.no_asset, None)
        return True

    def active_assets(self) -> set[str]:
        """Tokens whose books we mark to: the held tokens of every leased, unresolved market (a flat leg adds
        nothing to unrealised PnL, so its books are not even received)."""
        return {a for m in self.leases.markets() if m in self.markets and m not in self.resolved
                for a in (self.markets[m].yes_asset, self.markets[m].no_asset) if self.held(a)}

    def active(self) -> list[str]:
        """The markets whose state is published (``published``: leased, or resolved and still held), in a
        stable order."""
        markets = self.markets
        active = {m for m in self.leases.markets() if m in markets}
        if self.resolved:  # resolved and still held: redeemable
            active.update(self.held_resolved())
        return sorted(active)

    def market_for(self, asset: str) -> str | None:
        return self.market_of.get(asset)

    # -- marks ----------------------------------------------------------------------------------

    def on_book(self, book: Book) -> None:
        """Mark a held leg of an active market to mid (``mark``)."""
        self.mark(*top(book))

    def mark(self, asset: str, bid: int, ask: int) -> None:
        """Mark a held leg of an active market to the mid of ``bid`` and ``ask`` (0: that side is empty); a
        book with an empty side removes the mark (that leg is not marked). A leg without a mark (no book
        since it was opened) is not marked either."""
        market = self.market_of.get(asset)
        if market is None or not self.leases.holds(market) or market in self.resolved or not self.held(asset):
            return
        if bid and ask:
            self.marks[asset] = bid + ask
        else:
            self.marks.pop(asset, None)

    # -- views ----------------------------------------------------------------------------------

    def state(self, market: str, now: int) -> InventoryState:
        m = self.markets[market]
        yes, no = self.position(m.yes_asset), self.position(m.no_asset)
        winner = self.resolved.get(market)
        live = winner is None  # a resolved market's legs are worth 1 and 0: no exposure, nothing to open
        return InventoryState(
            market=market, yes_asset=m.yes_asset, no_asset=m.no_asset,
            yes_qty=yes.qty, no_qty=no.qty, yes_avg_cost=yes.avg_cost, no_avg_cost=no.avg_cost,
            net_diff=yes.qty - no.qty if live else 0, portfolio_cost=portfolio_cost(yes, no),
            can_open=live and can_open(yes, no, self.limits),
            realized_pnl=yes.realized + no.realized,
            unrealized_pnl=unrealized([(yes, self.marks.get(m.yes_asset)), (no, self.marks.get(m.no_asset))])
            if live else 0,
            fills=yes.fills + no.fills, ts=now,
            max_net_diff=self.limits.max_net_diff, max_position_value=self.limits.max_position_value,
            resolved=not live, winner=winner or "",
        )

    def active_states(self, now: int) -> list[InventoryState]:
        return [self.state(m, now) for m in self.active()]

    def sent(self, state: InventoryState) -> InventoryState:
        """Record that ``state`` is being published (returns it)."""
        self.last_sent[state.market] = state
        self.last_inputs.pop(state.market, None)  # ``due_states`` compares the next state in full
        return state

    def due_states(self, now: int, keepalive_ns: int) -> list[InventoryState]:
        """The active markets' states to publish now, recorded as sent: each one that differs from the
        last one sent (other than its time), and each one last sent ``keepalive_ns`` ago or more.

        A state is a function of its market's ``inputs`` (and the fixed limits): a market whose inputs are
        those of the last state it compared equal to, not due for its keep-alive, is skipped unbuilt (this
        runs every ``PM_INVENTORY_MARK_MS``, usually to find that nothing changed)."""
        due = []
        last_sent, last_inputs = self.last_sent, self.last_inputs
        for market in self.active():
            last = last_sent.get(market)
            inputs = self.inputs(market)
            if last is not None and now - last.ts < keepalive_ns and last_inputs.get(market) == inputs:
                continue
            state = self.state(market, now)
            if last is None or now - last.ts >= keepalive_ns or \
                    msgspec.structs.replace(last, ts=now) != state:
                due.append(self.sent(state))
            last_inputs[market] = inputs
        return due

    def inputs(self, market: str) -> tuple[object, ...]:
        """Everything the market's ``state`` is computed from but the time and the limits: its tokens, both
        legs' positions and marks, the resolution."""
        m = self.markets[market]
        yes, no = self.positions.get(m.yes_asset), self.positions.get(m.no_asset)
        return (m.yes_asset, m.no_asset,
                None if yes is None else (yes.qty, yes.cost_e12, yes.realized_e12, yes.fees, yes.fills),
                None if no is None else (no.qty, no.cost_e12, no.realized_e12, no.fees, no.fills),
                self.marks.get(m.yes_asset), self.marks.get(m.no_asset), self.resolved.get(market))
