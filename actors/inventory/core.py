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
State is a pure function of the ordered fills and settlements received: replaying the journal (``apply``,
``apply_settlement``) rebuilds it.

Settlements (``schemas.settlement.Settlement``), per ``key``, applied once (a second one is a
``duplicate``, echoed but not journalled):
- ``merge`` (from the executor, once the venue confirmed it): both legs lose ``yes`` = ``no`` shares at
  their cost, and ``usdc`` is received: the pair's PnL is realised (``positions.Position.burn``);
- ``resolution`` (``MarketResolved`` from the market-feed, or the CLOB's answer at start and for held
  markets no coordinator leases): the winner is worth 1, the loser 0, the difference to their cost is
  realised; the market is ``resolved`` from then on: ``net_diff`` 0, ``can_open`` False, no marks, and
  its state is published (as redeemable) while either leg is held, leased or not;
- ``redeem`` (from the executor): the burned shares leave at their resolved value (nothing more is
  realised); a redemption of a market not yet seen resolved resolves it first;
- ``adjust`` (``actors.ctl reconcile --adopt-venue``): both legs are set to the given quantities and costs.
A settlement is ``refused`` (echoed, nothing changed, not journalled) when its keys cannot be topic keys,
its two tokens are the same or contradict the market's known tokens (or belong to another market), an amount
is negative, or (resolution, redemption) its winner is neither token.
A reversed fill recomputes every position linked to it by a settlement (both legs of the market) from
their remaining events in arrival order, settlements included.

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

from dataclasses import dataclass, field

import msgspec

from actors.inventory.positions import Limits, Position, can_open, fold, portfolio_cost, unrealized
from bus import topics
from bus.effects import Effects
from bus.leases import LeaseTable
from bus.logs import Throttle
from schemas import Book, Fill, FillApplied, InventoryState, Lease, LeaseRelease, MarketResolved, Settlement
from schemas.inventory import FillAction
from schemas.settlement import SettlementAction, SettlementApplied
from schemas.units import NS, ONE

APPLYING = frozenset({"MATCHED", "MINED", "CONFIRMED"})
MOVED: frozenset[FillAction] = frozenset({"applied", "reversed"})  # the actions that move a position
KEEPALIVE_NS = 1 * NS  # every leased market's state at least this often, changed or not
Key = tuple[str, str]  # a fill's (trade_id, order_id); a settlement's ("settlement", key)
Event = Fill | Settlement


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


def settle_topic(s: Settlement) -> bytes:
    return topics.inv_settle(s.market if valid_keys(s.market) else topics.ALL)


def resolution(market: str, yes_asset: str, no_asset: str, winner: str, source: str, now: int) -> Settlement:
    """The settlement a market's resolution is: one per market (its key), whoever reports it first."""
    return Settlement(key=f"resolution:{market}", kind="resolution", market=market, yes_asset=yes_asset,
                      no_asset=no_asset, winner=winner, source=source, ts=now)


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
        self.applied: dict[str, dict[Key, Event]] = {}  # asset -> applied fills/settlements, arrival order
        self.order: dict[Key, int] = {}  # event -> its arrival number (settlements sit under both tokens)
        self.settled: set[str] = set()  # settlement keys applied
        self.resolved: dict[str, str] = {}  # condition id -> winning token
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
        self._log(key, fill, fill.asset)
        self.positions.setdefault(fill.asset, Position()).apply(fill.side, fill.price, fill.size, fill.fee)
        self._unmark_if_flat(fill.asset)

    def _log(self, key: Key, event: Event, *assets: str) -> None:
        self.order[key] = len(self.order)
        for asset in assets:
            self.applied.setdefault(asset, {})[key] = event

    def _reverse(self, key: Key, fill: Fill) -> None:
        del self.applied[fill.asset][key]
        group = self._linked(fill.asset)
        if group == {fill.asset}:
            remaining = self.applied[fill.asset].values()
            self.positions[fill.asset] = fold((f.side, f.price, f.size, f.fee) for f in remaining
                                              if isinstance(f, Fill))
        else:  # settled with its other leg: both are recomputed from their events, in arrival order
            events = {k: e for a in group for k, e in self.applied.get(a, {}).items()}
            for asset in group:
                self.positions[asset] = Position()
            for event in events.values():
                if isinstance(event, Settlement):
                    self.resolved.pop(event.market, None)  # resolved again, in its place in the order
            for k in sorted(events, key=self.order.__getitem__):
                event = events[k]
                if isinstance(event, Fill):
                    self.positions[event.asset].apply(event.side, event.price, event.size, event.fee)
                else:
                    self._settle(event)
        for asset in group:
            self._unmark_if_flat(asset)

    def _linked(self, asset: str) -> set[str]:
        """``asset`` and every token a settlement of its ties it to (the market's other leg)."""
        group = {asset}
        for event in self.applied.get(asset, {}).values():
            if isinstance(event, Settlement):
                group.update((event.yes_asset, event.no_asset))
        return group

    # -- settlements ----------------------------------------------------------------------------

    def apply_settlement(self, s: Settlement) -> SettlementAction:
        """What this settlement does to its market's two positions (the rules in the module docstring)."""
        if s.key in self.settled:
            return "duplicate"
        if not self._acceptable(s):
            return "refused"
        self.settled.add(s.key)
        self.learn(s.market, s.yes_asset, s.no_asset)
        self._log(("settlement", s.key), s, s.yes_asset, s.no_asset)
        self._settle(s)
        for asset in (s.yes_asset, s.no_asset):
            self._unmark_if_flat(asset)
        return "applied"

    def _acceptable(self, s: Settlement) -> bool:
        if not s.key or not valid_keys(s.market, s.yes_asset, s.no_asset) or s.yes_asset == s.no_asset:
            return False
        known = self.markets.get(s.market)
        if known is not None and (known.yes_asset, known.no_asset) != (s.yes_asset, s.no_asset):
            return False
        if any(self.market_of.get(token, s.market) != s.market for token in (s.yes_asset, s.no_asset)):
            return False  # a token of another market
        if min(s.yes, s.no, s.usdc, s.yes_avg, s.no_avg) < 0:
            return False
        return s.kind not in ("resolution", "redeem") or s.winner in (s.yes_asset, s.no_asset)

    def _settle(self, s: Settlement) -> None:
        """The settlement's effect on the positions (also what a recomputation replays)."""
        yes = self.positions.setdefault(s.yes_asset, Position())
        no = self.positions.setdefault(s.no_asset, Position())
        if s.kind == "merge":  # 1 pUSD per pair: booked on the YES leg (the NO leg leaves at 0)
            yes.burn(s.yes, ONE)
            no.burn(s.no, 0)
        elif s.kind == "adjust":
            yes.adopt(s.yes, s.yes_avg)
            no.adopt(s.no, s.no_avg)
        else:  # resolution, or a redemption (which resolves the market if that was not seen yet)
            if self.resolved.get(s.market) != s.winner:
                self.resolved[s.market] = s.winner
                yes.resolve(ONE if s.winner == s.yes_asset else 0)
                no.resolve(ONE if s.winner == s.no_asset else 0)
            if s.kind == "redeem":
                yes.burn(s.yes, ONE if s.winner == s.yes_asset else 0)
                no.burn(s.no, ONE if s.winner == s.no_asset else 0)

    def held(self, asset: str) -> bool:
        pos = self.positions.get(asset)
        return pos is not None and pos.qty != 0

    def held_market(self, market: str) -> bool:
        m = self.markets.get(market)
        return m is not None and (self.held(m.yes_asset) or self.held(m.no_asset))

    def published(self, market: str) -> bool:
        """Whether the market's state is published: a coordinator holds it, or it is resolved and a leg is
        still held (redeemable: the executor redeems it)."""
        return self.leases.holds(market) or (market in self.resolved and self.held_market(market))

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
            active.update(m for m in self.resolved if m in markets and self.held_market(m))
        return sorted(active)

    def market_for(self, asset: str) -> str | None:
        return self.market_of.get(asset)

    # -- marks ----------------------------------------------------------------------------------

    def on_book(self, book: Book) -> None:
        """Mark a held leg of an active market to mid; a book with an empty side removes the mark (that leg
        is not marked). A leg without a mark (no book since it was opened) is not marked either."""
        market = self.market_of.get(book.asset)
        if market is None or not self.leases.holds(market) or market in self.resolved or \
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
