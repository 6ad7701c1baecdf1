"""The inventory's ledger: positions per token from the fills and settlements received, in order. No I/O.

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
"""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from actors.inventory.positions import Limits, Position, fold
from bus import topics
from schemas import Fill, Settlement
from schemas.inventory import FillAction
from schemas.settlement import SettlementAction
from schemas.units import ONE

APPLYING = frozenset({"MATCHED", "MINED", "CONFIRMED"})
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


class Ledger:
    """The positions per token and what each fill and settlement did to them (``apply``,
    ``apply_settlement``); the markets' tokens as learned. ``Inventory`` adds leases, marks, publications."""

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
        # bumped by every change of a position, a resolution or a market's tokens: what is computed from
        # them (``held_resolved``) is still right while it is unchanged
        self.version = 0
        self._held_resolved: tuple[int, set[str]] = (-1, set())

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
        self.version += 1
        self._log(key, fill, fill.asset)
        self.positions.setdefault(fill.asset, Position()).apply(fill.side, fill.price, fill.size, fill.fee)
        self._unmark_if_flat(fill.asset)

    def _log(self, key: Key, event: Event, *assets: str) -> None:
        self.order[key] = len(self.order)
        for asset in assets:
            self.applied.setdefault(asset, {})[key] = event

    def _reverse(self, key: Key, fill: Fill) -> None:
        self.version += 1
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
        self.version += 1
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

    def held_resolved(self) -> AbstractSet[str]:
        """The resolved markets of which a leg is still held (redeemable). Computed again only after a change
        (``version``): resolved markets pile up over days of windows, and this is asked on every tick."""
        version, found = self._held_resolved
        if version != self.version:
            found = {m for m in self.resolved if self.held_market(m)}
            self._held_resolved = (self.version, found)
        return found

    def _unmark_if_flat(self, asset: str) -> None:
        """Called for every token whose position a fill or settlement changed (``Inventory`` forgets a flat
        leg's mark)."""

    def position(self, asset: str) -> Position:
        return self.positions.get(asset) or Position()

    # -- markets --------------------------------------------------------------------------------

    def learn(self, market: str, yes_asset: str, no_asset: str) -> bool:
        """Record a market's tokens; True if this is new or changed information."""
        known = Market(market, yes_asset, no_asset)
        if self.markets.get(market) == known:
            return False
        self.version += 1
        old = self.markets.get(market)
        if old is not None:
            for asset in (old.yes_asset, old.no_asset):
                self.market_of.pop(asset, None)
        self.markets[market] = known
        self.market_of[yes_asset] = market
        self.market_of[no_asset] = market
        return True
