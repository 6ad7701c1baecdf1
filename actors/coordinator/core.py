"""The coordinator's pure core: bus messages in, commands out. Time is passed in; no I/O.

It keeps (in its base class ``intake.Intake``) the latest book top per token, the inventory and OFI state of
its market, the liveness of the programs it depends on, and its orders (``orders.Orders``: the quote slots
and the commands that change them, sweeps and overlap included); ``evaluate(now, fx)`` runs the readiness
gate, the risk layer's halt checks, the strategy (``PM_STRATEGY``, ``strategies.base.Strategy``) and the
risk layer's filter (``risk.layer.RiskLayer``), then reconciles wanted quotes with resting ones into
executor commands. While a halt is in force the strategy is not asked: everything was cancelled when the
halt started, and only a flattening halt (stop-loss, take-profit) rests its exit orders. An operator's
``Resume`` / ``Halt`` (``ctl.cmd.<holder>.``) goes to the risk layer (``on_ctl``).

Output (``bus.effects``): ``act(now, fx)`` pushes the decision's commands on ``EXEC_PIPE`` (the shell's
``Node.apply`` sends them before anything else) and notes a change of mode (``strategy_mode``);
``on_failed`` and ``on_risk`` note what the operator must see. ``decide(now, fx)`` is the hot path: it
acts once per wake-up of the loop, and only when something changed (below). Once its window is over
(``end_ns``, a rotating market) the coordinator withdraws and places nothing until the next one.

Deciding only when the outcome can change: the inputs that often change nothing ``evaluate`` reads
return whether they did (``on_book``: only the top of book and the feed's liveness matter, not the
depth; ``on_order_update`` / ``on_cancelled``: only when a slot is freed; ``on_heartbeat``: only when a
silent dependency comes back; ``on_inventory`` / ``on_ofi``: only the fields the strategy reads, or a
state that had gone stale); such an input, or any of the others, marks the core ``dirty``. And
``next_change(now)`` is the earliest time at which ``evaluate`` could answer differently with no new input
(a dependency or state going stale, a debounce window or a back-off ending): ``wake_at``. Between those,
``evaluate`` would return nothing and change nothing, so ``decide`` skips it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from actors.coordinator.intake import (
    DEPENDENCIES,
    EXEC_PIPE,
    HALT_KINDS,
    REST_GRACE_NS,
    TERMINAL_ORDER_STATUSES,
    Intake,
)
from actors.coordinator.model import yes_view
from actors.coordinator.reconcile import next_change, plan
from actors.coordinator.risk.exits import is_flat
from actors.coordinator.risk.halts import Halt
from actors.coordinator.risk.limits import reduce_only_active
from actors.coordinator.strategies.base import Inputs
from bus.effects import Effects
from schemas import Command

__all__ = ["DEPENDENCIES", "EXEC_PIPE", "HALT_KINDS", "REST_GRACE_NS", "TERMINAL_ORDER_STATUSES",
           "Coordinator", "push_commands"]


def push_commands(fx: Effects, topic: bytes, commands: Iterable[Command]) -> None:
    for cmd in commands:
        fx.push(EXEC_PIPE, topic, cmd)


@dataclass
class Coordinator(Intake):
    """The decision (module docstring): ``decide`` / ``act`` / ``evaluate`` on what ``Intake`` holds."""

    # -- decisions ------------------------------------------------------------------------------

    def decide(self, now: int, fx: Effects) -> None:
        """The hot path, once per wake-up of the loop (on the newest books only): act if an input changed
        what the decision reads or a time-based condition came due; otherwise the decision would be the
        previous one again (nothing to send, nothing to update). While a frame is open (the YES book of a
        price change read, its NO book not yet) it waits for the rest: the pair is decided once; if that
        book never came, the ``PM_EVALUATE_MS`` timer (``act``) decides anyway."""
        if self.frame_open:
            return
        if self.dirty or (self.wake_at is not None and now >= self.wake_at):
            self.dirty = False
            self.act(now, fx)

    def act(self, now: int, fx: Effects) -> None:
        """Decide now: the commands are pushed first, back to back; a change of mode is noted after."""
        self.frame_open = False  # decided on what arrived (the timer's fallback when a frame's rest is lost)
        end = self.end_ns
        commands = self.rotating(now) if end and now >= end else self.evaluate(now, fx)  # window_over, inline
        if commands:
            push, topic = fx.push, self.cmd_topic
            for cmd in commands:
                push(EXEC_PIPE, topic, cmd)
        self.wake_at = self.next_change(now)
        if self.mode != self.last_mode:
            self.last_mode = self.mode
            fx.note("strategy_mode", mode=self.mode, reason=self.reason,
                    market=self.market.market if self.market else "")

    def window_over(self, now: int) -> bool:
        return bool(self.end_ns) and now >= self.end_ns

    def rotating(self, now: int) -> list[Command]:
        """The window is over and the next one is not traded yet: withdraw (once) and place nothing,
        however live the ended market's books still are."""
        self.mode, self.reason = "rotating", "window over"
        return self.withdraw(now, "window over")

    def missing(self, now: int) -> list[str]:
        """Why quoting is not allowed now (empty = ready)."""
        why = [p for p in DEPENDENCIES if now - self.heartbeats.get(p, -self.liveness_ns) >= self.liveness_ns]
        if self.user_blind_since and now - self.user_blind_since >= self.blind_ns:
            why.append("user_feed_blind")
        if self.halts:
            why.extend(f"halt:{kind}" for kind, _ in self.halts)
        m = self.market
        if m is None:
            return ["market", *why]
        for asset in (m.yes_asset, m.no_asset):
            if asset not in self.tops or not self.feed_live.get(asset, False):
                down = self.feed_down.get(asset)
                if down is None or now - down >= REST_GRACE_NS:
                    why.append(f"book:{asset[:8]}")
        if self.position is None or now - self.position_ts >= self.liveness_ns:
            why.append("inventory_state")
        if now - self.ofi_ts >= self.liveness_ns:
            why.append("ofi_state")
        return why

    def next_change(self, now: int) -> int | None:
        """The earliest time after ``now`` at which ``evaluate`` could answer differently with no new
        input: a dependency's heartbeat, the inventory or OFI state, or the user-feed's blindness
        reaching its limit, a slot's debounce or back-off ending, a halt's time being up, or (neutral) a
        mid move leaving the volatility window or a rejection's widening decaying. None if nothing is
        pending."""
        live = self.liveness_ns
        beats = self.heartbeats
        soonest = None  # the earliest time after now (runs on every decision: no list built)
        for program in DEPENDENCIES:
            beat = beats.get(program)
            if beat is not None:
                t = beat + live
                if t > now and (soonest is None or t < soonest):
                    soonest = t
        ends = [self.ofi_ts + live]
        if self.position is not None:
            ends.append(self.position_ts + live)
        if self.user_blind_since:
            ends.append(self.user_blind_since + self.blind_ns)
        slot_end = next_change(self.orders.last_action, self.orders.blocked_until, self.rules, now,
                               self.requote_ns)
        if slot_end is not None:
            ends.append(slot_end)
        halt = self.risk.halt
        if halt is not None and halt.until:
            ends.append(halt.until)
        if self.strategy.widens_on_reject:  # reads the volatility and the rejections' widening
            for end in (self.mids.next_change(), self.rejects.next_change(now)):
                if end is not None:
                    ends.append(end)
        for t in ends:
            if t > now and (soonest is None or t < soonest):
                soonest = t
        return soonest

    def evaluate(self, now: int, fx: Effects | None = None) -> list[Command]:
        """The commands of a decision now; what the risk layer announces goes into ``fx``."""
        if fx is None:
            fx = Effects()
        m = self.market
        missing = self.missing(now)
        if missing:
            halt = self.risk.halt
            self.mode, self.reason = "withdrawn", ",".join(missing)
            self.spread = 0
            if halt is not None:  # still halted, whatever else is missing
                self.mode, self.reason = "halted", f"{halt.kind}: {halt.reason}; {self.reason}"
            return self.withdraw(now, self.reason)
        assert m is not None and self.position is not None
        yes, no, pos = self.tops[m.yes_asset], self.tops[m.no_asset], self.position
        view = yes_view(yes, no)
        bid, ask = view.bid, view.ask
        jump = self.mids.observe(now, (bid + ask) // 2 if 0 < bid < ask else 0)
        risk = self.risk
        commands: list[Command] = []
        if risk.halt is not None or risk.halts_armed:
            halt = risk.assess(now, jump, pos, yes, no, m.market, fx)
            if halt is not None:
                return self.halted(now, halt, fx)
        orders = self.orders
        if self.halt_since is not None:  # a halt ended: its exit orders go before anything is quoted again
            self.halt_since = None
            if orders.slots:
                orders.withdrawn = False
                commands.extend(self.withdraw(now, "halt over"))
        orders.withdrawn = False
        strategy, filters = self.strategy, risk.filters
        depth = ({"yes": self.bids.get(m.yes_asset, ()), "no": self.bids.get(m.no_asset, ())}
                 if getattr(strategy, "reads_depth", False) else {})
        # neutral, rewards (depth), or a limit to apply (not pair_ofi's default)
        if strategy.widens_on_reject or filters or depth:
            base, rejects, p = strategy.base_size(m), self.rejects, risk.params
            widen_bid = rejects.ticks("bid", now) if rejects.count else 0
            widen_ask = rejects.ticks("ask", now) if rejects.count else 0
            reducing = reduce_only_active(pos.net_diff, p.reduce_only_threshold, base)
            decision = strategy.decide(Inputs(m, yes, no, view, pos, self.toxic, orders.slots,
                                              self.mids.volatility(now), widen_bid, widen_ask, p.net_max,
                                              reducing, now, depth))
            if filters:
                decision = risk.filter(decision, pos, view, m, base, now, fx)
        else:  # the hot path of pair_ofi: nothing it does not read
            decision = strategy.decide(Inputs(m, yes, no, view, pos, self.toxic, orders.slots, 0, 0, 0, 0,
                                              False, now))
        self.mode, self.reason = decision.mode, decision.reason
        self.spread, self.requote_ns = decision.spread, decision.requote_ns
        for event, fields in decision.notes:  # follow's actions and transitions
            fx.note(event, market=m.market, **fields)
        if orders.sweep:
            commands.extend(orders.swept(m, now))
        actions = plan(decision.want, orders.slots, orders.last_action, orders.blocked_until, self.rules, now,
                       decision.requote_ns)
        if actions:
            commands.extend(orders.apply(actions, m, self.inventory, self.mode, self.origin_ts, now))
        return commands

    def halted(self, now: int, halt: Halt, fx: Effects) -> list[Command]:
        """A risk halt is in force: cancel everything once when it starts; then rest only the exit orders
        of a flattening halt (and send its opt-in taker exit once)."""
        m, pos, orders = self.market, self.position, self.orders
        assert m is not None and pos is not None
        self.mode, self.spread = "halted", 0
        commands: list[Command] = []
        if halt.since != self.halt_since:  # it started now (or was taken up after a restart)
            self.halt_since = halt.since
            orders.withdrawn = False
            commands.extend(self.withdraw(now, halt.kind))
        if not halt.flatten:
            self.reason = f"{halt.kind}: {halt.reason}"
            return commands
        asset = m.yes_asset if pos.net_diff > 0 else m.no_asset
        want, taker = self.risk.exits(pos, self.tops[m.yes_asset], self.tops[m.no_asset],
                                      self.bids.get(asset, ()), m, orders.slots, now, fx)
        flat = is_flat(pos, m)
        self.reason = f"{halt.kind}: {halt.reason}; " + (
            "flat" + (", awaiting resume" if not halt.until else "") if flat else "flattening")
        if taker is not None:
            commands.append(orders.taker(taker, m, self.origin_ts, now))
        commands.extend(orders.swept(m, now))
        actions = plan(want, orders.slots, orders.last_action, orders.blocked_until, self.rules, now)
        commands.extend(orders.apply(actions, m, self.inventory, self.mode, self.origin_ts, now))
        if orders.slots:
            orders.withdrawn = False
        return commands

    def withdraw(self, now: int, reason: str) -> list[Command]:
        """Cancel everything this coordinator has on its market, once per withdrawal."""
        return self.orders.withdraw(self.market, now, reason)
