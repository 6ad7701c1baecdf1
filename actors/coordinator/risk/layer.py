"""The risk layer's state and announcements: the one place that changes what a strategy wants.

``RiskLayer`` sits between every strategy and ``reconcile.plan`` (pure: time is passed in, output goes into
the ``Effects`` it is handed). Per decision the core calls:
- ``assess``: a halt ending (its time is up) or starting (``halts.trigger``); returns the halt in force;
- ``exits``: while a flattening halt is in force, the orders that flatten (``exits``), or the opt-in
  taker exit once;
- ``filter``: otherwise, reduce-only and the hard cap (``limits``) on what the strategy wants.
And on an operator's command, ``on_resume`` / ``on_halt``.

What it announces (each with a log line carrying the numbers that drove it):
- ``RiskEvent`` on ``risk.event.<program>.`` (``risk_event``): a halt starting (severity ``halt``) or
  ending (``info``); reduce-only and the net cap coming into force (``warn``) or lifting (``info``);
  a taker exit (``warn``, with ``depth_fill_price``, ``depth_fill_available``, ``depth_slippage``); an
  operator's command answered (``resume`` / ``manual_halt``, the command's id first in the message);
- ``StrategyAdjust`` on ``coord.adjust.<holder>.`` (``strategy_adjust``): each quote it refused
  (``<slot>.size`` -> 0) or moved (``<slot>.price``), when that change differs from the last one
  announced for the slot (so a rule in force does not announce itself again every decision).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from actors.coordinator.model import (
    EXIT_NO,
    EXIT_YES,
    Decision,
    MarketSpec,
    Position,
    Quote,
    Slot,
    Top,
    sell_size,
)
from actors.coordinator.risk import exits, halts, limits
from actors.coordinator.risk.halts import Halt
from actors.coordinator.risk.params import RiskParams
from bus import topics
from bus.effects import Effects
from schemas import RiskEvent, StrategyAdjust
from schemas.system import Severity
from schemas.units import MICRO, NS

TAKER_SETTLE_NS = 2 * NS  # after a taker exit, maker exits wait this long for inventory to show it
ACKS_KEPT = 32
NO_EXITS: dict[str, Quote | None] = {EXIT_YES: None, EXIT_NO: None}


@dataclass
class RiskLayer:
    params: RiskParams
    holder: str
    halt: Halt | None = None
    reduce_only: bool = False
    capped: bool = False
    flat_noted: bool = False
    announced: dict[tuple[str, str, str], tuple[int, int]] = field(default_factory=dict)
    acks: deque[tuple[str, str, Severity, str]] = field(default_factory=lambda: deque(maxlen=ACKS_KEPT))
    program: str = field(init=False)
    event_topic: bytes = field(init=False)
    adjust_topic: bytes = field(init=False)
    filters: bool = field(init=False)  # whether ``filter`` can change anything (reduce-only or a cap set)
    halts_armed: bool = field(init=False)  # whether a rule can start a halt

    def __post_init__(self) -> None:
        p = self.params
        self.filters = bool(p.reduce_only_threshold or p.net_max)
        self.halts_armed = p.halts_armed
        self.program = topics.coordinator_program(self.holder)
        self.event_topic = topics.risk_event(self.program)
        self.adjust_topic = topics.coord_adjust(self.holder)

    @property
    def armed(self) -> bool:
        """Whether ``assess`` has anything to do (a halt in force, or a rule that can start one)."""
        return self.halt is not None or self.halts_armed

    # -- announcements --------------------------------------------------------------------------

    def event(self, fx: Effects, market: str, kind: str, severity: Severity, message: str, now: int,
              **numbers: Any) -> None:
        fx.publish(self.event_topic, RiskEvent(program=self.program, market=market, kind=kind,
                                               severity=severity, message=message, ts=now))
        fx.warn("risk_event", kind=kind, severity=severity, market=market, message=message, **numbers)

    # -- halts ----------------------------------------------------------------------------------

    def assess(self, now: int, jump: int, pos: Position, yes: Top, no: Top, market: str,
               fx: Effects) -> Halt | None:
        """The halt in force after this decision's checks: one ending (its time is up), one starting."""
        h = self.halt
        if h is not None and halts.expired(h, now):
            self.halt = None
            self.event(fx, market, h.kind, "info", "halt over", now)
            h = None
        pnl = halts.unrealized(pos, yes, no) if self.params.stop_loss or self.params.take_profit else None
        new = halts.trigger(self.params, h, jump, pnl, now)
        if new is None:
            return h
        self.halt, self.flat_noted = new, False
        self.event(fx, market, new.kind, "halt", new.reason, now, jump=jump, unrealized_pnl=pnl,
                   net_diff=pos.net_diff, until=new.until)
        return new

    def exits(self, pos: Position, yes: Top, no: Top, bids: Sequence[tuple[int, int]], market: MarketSpec,
              slots: dict[str, Slot], now: int, fx: Effects) -> tuple[dict[str, Quote | None], Quote | None]:
        """While a flattening halt is in force: the maker exits to rest, and a taker exit to send (or None).
        ``bids``: the heavy leg's bids, best first (the taker exit's depth walk)."""
        h = self.halt
        assert h is not None
        if exits.is_flat(pos, market):
            if not self.flat_noted:
                self.flat_noted = True
                fx.note("flatten_done", kind=h.kind, market=market.market, net_diff=pos.net_diff)
            return NO_EXITS, None
        if self.params.allow_taker_exit and not h.taker_at:
            taker = self._taker_exit(h, pos, yes, no, bids, market, now, fx)
            if taker is not None:
                return NO_EXITS, taker
        if h.taker_at and pos.net_diff == h.taker_net and now < h.taker_at + TAKER_SETTLE_NS:
            return {}, None  # the taker exit's fills are not in the inventory state yet
        return exits.maker_flatten(pos, yes, no, market, slots), None

    def _taker_exit(self, h: Halt, pos: Position, yes: Top, no: Top, bids: Sequence[tuple[int, int]],
                    market: MarketSpec, now: int, fx: Effects) -> Quote | None:
        leg, size = exits.heavy_leg(pos)
        top = yes if leg == "yes" else no
        if not top.two_sided:
            return None
        fill = exits.depth_walk(bids, size, top.mid, self.params.taker_max_slippage, market.tick)
        self.halt = halts.taker_sent(h, now, pos.net_diff)
        sold = sell_size(fill.available)
        sent = sold >= market.min_size
        self.event(fx, market.market, "taker_exit", "warn",
                   f"{h.kind}: FAK SELL {leg} {sold / MICRO} at >= {fill.limit / MICRO}" if sent else
                   f"{h.kind}: no taker exit, {fill.available / MICRO} within the slippage cap", now,
                   leg=leg, size=size, depth_fill_price=fill.price, depth_fill_available=fill.available,
                   depth_slippage=fill.slippage, limit=fill.limit,
                   max_slippage=self.params.taker_max_slippage)
        return Quote(fill.limit, sold, leg, "SELL") if sent else None

    # -- reduce-only and the hard cap -----------------------------------------------------------

    def filter(self, d: Decision, pos: Position, view: Top, market: MarketSpec, base_size: int, now: int,
               fx: Effects) -> Decision:
        p, net = self.params, pos.net_diff
        changes: list[limits.Change] = []
        want = d.want
        reducing = limits.reduce_only_active(net, p.reduce_only_threshold, base_size)
        if reducing != self.reduce_only:
            self.reduce_only = reducing
            threshold = p.reduce_only_threshold * base_size // MICRO
            self.event(fx, market.market, "reduce_only", "warn" if reducing else "info",
                       f"|net_diff| {abs(net) / MICRO} {'>=' if reducing else '<'} {threshold / MICRO}", now,
                       net_diff=net, threshold=threshold)
        if reducing:
            want = limits.reduce_only(want, net, view, market.tick, changes)
        capped_before = len(changes)
        want = limits.net_cap(want, net, p.net_max, changes)
        capped = len(changes) > capped_before
        if capped != self.capped:
            self.capped = capped
            self.event(fx, market.market, "net_cap", "warn" if capped else "info",
                       f"refused: |net_diff| would exceed {p.net_max / MICRO}" if capped
                       else "within the cap", now, net_diff=net, net_max=p.net_max,
                       refused=[c.slot for c in changes[capped_before:]])
        self._announce(changes, market.market, net, now, fx)
        if not changes:
            return d
        mode = "reduce_only" if reducing else d.mode
        return Decision(mode, d.reason, want, d.spread, d.volatility, d.requote_ns)

    def _announce(self, changes: list[limits.Change], market: str, net: int, now: int, fx: Effects) -> None:
        current = {(c.slot, c.field, c.rule): (c.old, c.new) for c in changes}
        if current == self.announced:
            return
        for (slot, fld, rule), (old, new) in current.items():
            if self.announced.get((slot, fld, rule)) != (old, new):
                fx.publish(self.adjust_topic, StrategyAdjust(holder=self.holder, market=market,
                                                             field=f"{slot}.{fld}", old=old, new=new,
                                                             reason=rule, ts=now))
                fx.note("strategy_adjust", field=f"{slot}.{fld}", old=old, new=new, reason=rule,
                        market=market, net_diff=net, net_max=self.params.net_max,
                        reduce_only_threshold=self.params.reduce_only_threshold)
        self.announced = current

    # -- the operator ---------------------------------------------------------------------------

    def on_resume(self, cmd_id: str, reason: str, market: str, now: int, fx: Effects) -> bool:
        """An operator's ``resume``: clears any halt. True if one was cleared. Answered once per command
        id (again, unchanged, if the command is repeated)."""
        if self._answered(cmd_id, fx, market, now):
            return False
        h = self.halt
        self.halt = None
        if h is not None:
            self.event(fx, market, h.kind, "info", f"resumed by the operator: {reason}", now)
        what = f"cleared {h.kind}" if h else "nothing halted"
        self._answer(cmd_id, "resume", "info", what, market, now, fx)
        return h is not None

    def on_halt(self, cmd_id: str, reason: str, market: str, now: int, fx: Effects) -> bool:
        """An operator's ``halt``: cancel everything, quote nothing until ``resume`` (a stop-loss stays)."""
        if self._answered(cmd_id, fx, market, now):
            return False
        h = self.halt
        if h is None or h.kind not in halts.NEEDS_RESUME:
            self.halt = Halt("manual_halt", now, 0, False, f"operator: {reason}")
        self._answer(cmd_id, "manual_halt", "halt", self.halt.reason if self.halt else "", market, now, fx)
        return self.halt is not h

    def answered(self, cmd_id: str, market: str, now: int, fx: Effects) -> bool:
        """A command already answered is answered again, unchanged (not acted on twice)."""
        return self._answered(cmd_id, fx, market, now)

    def answer(self, cmd_id: str, kind: str, severity: Severity, what: str, market: str, now: int,
               fx: Effects) -> None:
        """Answer an operator's command (``RiskEvent`` ``kind``, its id first in the message), once."""
        self._answer(cmd_id, kind, severity, what, market, now, fx)

    def _answered(self, cmd_id: str, fx: Effects, market: str, now: int) -> bool:
        for done, kind, severity, message in self.acks:
            if done == cmd_id:
                self.event(fx, market, kind, severity, message, now)
                return True
        return False

    def _answer(self, cmd_id: str, kind: str, severity: Severity, what: str, market: str, now: int,
                fx: Effects) -> None:
        message = f"{cmd_id}: {what}"
        self.acks.append((cmd_id, kind, severity, message))
        self.event(fx, market, kind, severity, message, now)

    # -- persistence (a halt that needs a person survives a restart) ----------------------------

    def record(self) -> dict[str, Any] | None:
        return asdict(self.halt) if self.halt is not None else None

    def restore(self, record: dict[str, Any] | None, now: int) -> None:
        if record:
            halt = Halt(**record)
            if not halts.expired(halt, now):
                self.halt = halt
