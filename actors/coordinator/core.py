"""The coordinator's pure core: bus messages in, commands out. Time is passed in; no I/O.

It keeps the latest book top per token, the inventory and OFI state of its market, the liveness of
the programs it depends on, and its own quote slots; ``evaluate(now)`` runs the readiness gate and
the strategy, then reconciles wanted quotes with resting ones into executor commands.

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

A re-quote is one ``PlaceOrder``: the executor replaces the order resting in the slot. If that placement
fails, the replaced order may still rest (the executor refuses some placements before touching the
slot), so the slot is *swept*: the next evaluation cancels whatever rests in it, by slot, before
anything else is sent for it (what a cancel-then-place re-quote did up front).

Overlap: a re-quote of a slot that holds an order of ours names that order in ``overlap_with`` (its
``cmd_id``) only when ``overlap.overlap_safe`` proves that both filling in full keeps inventory's limits
(taken from the last ``InventoryState``, which carries them); then a pipelining executor may POST the new
order before cancelling the old one. Otherwise ``overlap_with`` is empty and the executor cancels first.
A slot the coordinator holds nothing in (never used, cancelled, swept, withdrawn) is never named: if the
executor still has an order there, it is cancelled before the new one goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from actors.coordinator.model import SLOTS, MarketSpec, Position, Slot, Top
from actors.coordinator.overlap import Order, overlap_safe
from actors.coordinator.reconcile import ClearSlot, RequoteRules, SetQuote, next_change, plan
from actors.coordinator.strategies.pair_ofi import PairParams, decide
from bus import topics
from bus.effects import Effects
from schemas import (
    Book,
    CancelMarket,
    CancelOrders,
    Command,
    FeedStatus,
    InventoryState,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    PlaceOrder,
    RiskEvent,
    TickSizeChange,
    UserFeedStatus,
)
from schemas.units import MS, NS

DEPENDENCIES = ("inventory", "ofi", "executor", "market-feed", "user-feed")
# Risk events that stop quoting until the same kind is cleared (severity "info"): market-scoped
# (market = our condition id or coordinator name) or account-wide (market = "").
HALT_KINDS = frozenset({"inventory_mismatch", "account"})
TERMINAL_ORDER_STATUSES = ("CANCELED", "INVALID", "UNMATCHED")
SWEEP_REASON = "replace_failed"
EXEC_PIPE = "exec"  # the shell's PUSH pipe to the executor


def push_commands(fx: Effects, topic: bytes, commands: Iterable[Command]) -> None:
    for cmd in commands:
        fx.push(EXEC_PIPE, topic, cmd)


@dataclass
class Coordinator:
    holder: str
    params: PairParams
    rules: RequoteRules
    liveness_ns: int = 3 * NS  # three missed 1 s heartbeats = dead
    blind_ns: int = 5 * NS  # user-feed disconnected this long = we cannot see our fills
    market: MarketSpec | None = None
    tops: dict[str, Top] = field(default_factory=dict)
    feed_live: dict[str, bool] = field(default_factory=dict)
    position: Position | None = None
    inventory: InventoryState | None = None  # the last state, whole: legs and limits for the overlap rule
    position_ts: int = 0
    toxic: bool = False
    ofi_ts: int = 0
    heartbeats: dict[str, int] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)
    sweep: set[str] = field(default_factory=set)  # slots to cancel by slot: a replacing placement failed
    last_action: dict[str, int] = field(default_factory=dict)
    blocked_until: dict[str, int] = field(default_factory=dict)
    mode: str = "starting"
    reason: str = ""
    withdrawn: bool = True
    user_blind_since: int = 0  # when the user-feed reported itself disconnected (0 = connected)
    halts: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, market) -> message
    origin_ts: int = 0  # ts_recv of the newest book that moved a top (PlaceOrder.origin_ts)
    _seq: int = 0
    run: int = 0
    end_ns: int = 0  # when the market's window ends (0: it does not rotate)
    dirty: bool = False  # an input changed what the decision reads since the last one
    wake_at: int | None = None  # when a decision could differ with no new input (``next_change``)
    last_mode: str = ""  # the mode last noted
    cmd_topic: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.cmd_topic = topics.exec_cmd(self.holder)

    # -- inputs ---------------------------------------------------------------------------------

    def set_market(self, market: MarketSpec, end_ns: int = 0) -> None:
        """A new market (start or rotation): forget everything about the previous one."""
        self.market, self.end_ns = market, end_ns
        self.tops.clear()
        self.feed_live.clear()
        self.position, self.toxic, self.position_ts, self.ofi_ts = None, False, 0, 0
        self.inventory = None
        self.slots.clear()
        self.sweep.clear()
        self.last_action.clear()
        self.blocked_until.clear()
        self.withdrawn = True
        self.halts = {key: why for key, why in self.halts.items() if key[1] == ""}  # keep account-wide

    def on_user_status(self, msg: UserFeedStatus, now: int) -> None:
        self.dirty = True
        if msg.connected:
            self.user_blind_since = 0
        elif not self.user_blind_since:
            self.user_blind_since = now

    def on_risk(self, msg: RiskEvent, fx: Effects) -> None:
        """A halt of our market or the account stops quoting until the same kind is cleared (noted)."""
        self.dirty = True
        m = self.market
        if msg.kind not in HALT_KINDS or msg.market not in ("", self.holder, m.market if m else None):
            return
        key = (msg.kind, msg.market)
        before = dict(self.halts)
        if msg.severity == "halt":
            self.halts[key] = msg.message
        elif msg.severity == "info":
            self.halts.pop(key, None)
        if self.halts != before:
            fx.warn("risk_event", kind=msg.kind, severity=msg.severity, market=msg.market,
                    message=msg.message, halted=sorted(k for k, _ in self.halts))

    def on_book(self, msg: Book) -> bool:
        """Keep the token's top of book; True if the top moved or the feed came back (depth is not read)."""
        m = self.market
        asset = msg.asset
        if m is None or (asset != m.yes_asset and asset != m.no_asset):
            return False  # a token of another market (an unsubscription still in flight)
        bids, asks = msg.bids, msg.asks
        top = Top(bids[0][0] if bids else 0, asks[0][0] if asks else 0)
        if self.tops.get(asset) == top and self.feed_live.get(asset, False):
            return False
        self.tops[asset] = top
        self.feed_live[asset] = True
        self.origin_ts = msg.ts_recv
        self.dirty = True
        return True

    def on_tick_change(self, msg: TickSizeChange) -> bool:
        """The market moved to another tick grid: price new quotes on it (both tokens share one grid)."""
        if self.market is None or msg.asset not in (self.market.yes_asset, self.market.no_asset):
            return False
        self.market = replace(self.market, tick=msg.new_tick)
        self.dirty = True
        return True

    def on_feed_status(self, msg: FeedStatus) -> None:
        self.feed_live[msg.asset] = msg.live
        self.dirty = True

    def on_inventory(self, msg: InventoryState, now: int) -> bool:
        """True if the fields the strategy reads changed, or the state was missing or stale."""
        if not self.market or msg.market != self.market.market:
            return False
        position = Position(msg.net_diff, msg.yes_avg_cost, msg.no_avg_cost, msg.can_open)
        changed = position != self.position or now - self.position_ts >= self.liveness_ns
        self.position, self.position_ts, self.inventory = position, now, msg
        self.dirty |= changed
        return changed

    def on_ofi(self, msg: OfiState, now: int) -> bool:
        """True if toxicity changed, or the state was missing or stale."""
        if not self.market or msg.market != self.market.market:
            return False
        changed = msg.toxic != self.toxic or now - self.ofi_ts >= self.liveness_ns
        self.toxic, self.ofi_ts = msg.toxic, now
        self.dirty |= changed
        return changed

    def on_heartbeat(self, program: str, now: int) -> bool:
        """True if this brings back a dependency that was silent (quoting may resume)."""
        last = self.heartbeats.get(program)
        self.heartbeats[program] = now
        revived = program in DEPENDENCIES and (last is None or now - last >= self.liveness_ns)
        self.dirty |= revived
        return revived

    def on_placed(self, msg: OrderPlaced) -> None:
        slot = self.slots.get(msg.slot)
        if slot is not None and slot.cmd_id == msg.cmd_id:
            slot.order_id, slot.status = msg.order_id, "live"

    def on_failed(self, msg: OrderFailed, now: int, fx: Effects) -> None:
        """Seed-000: a failed placement resets its slot at once (no ghost orders). If it was to replace
        an order, that order may still rest: the slot is swept (cancelled by slot) next evaluation."""
        self.dirty = True
        fx.warn("order_failed", slot=msg.slot, reason=msg.reason, message=msg.message)
        slot = self.slots.get(msg.slot)
        if slot is not None and slot.cmd_id == msg.cmd_id:
            del self.slots[msg.slot]
            if slot.replaces:
                self.sweep.add(msg.slot)
        if msg.retry_after_ms:
            self.blocked_until[msg.slot] = max(self.blocked_until.get(msg.slot, 0),
                                               now + msg.retry_after_ms * MS)

    def on_cancelled(self, msg: OrderCancelled) -> bool:
        """True if the order held one of our slots (now free)."""
        freed = self._forget(msg.order_id)
        self.dirty |= freed
        return freed

    def on_order_update(self, msg: OrderUpdate) -> bool:
        """True if this ended an order that held one of our slots (now free)."""
        done = msg.status.startswith(TERMINAL_ORDER_STATUSES) or msg.kind == "CANCELLATION" or \
            (msg.original_size > 0 and msg.size_matched >= msg.original_size)
        freed = done and self._forget(msg.order_id)
        self.dirty |= freed
        return freed

    def _forget(self, order_id: str) -> bool:
        forgot = False
        for name, slot in list(self.slots.items()):
            if order_id and slot.order_id == order_id:
                del self.slots[name]
                forgot = True
        return forgot

    # -- decisions ------------------------------------------------------------------------------

    def decide(self, now: int, fx: Effects) -> None:
        """The hot path, once per wake-up of the loop (on the newest books only): act if an input changed
        what the decision reads or a time-based condition came due; otherwise the decision would be the
        previous one again (nothing to send, nothing to update)."""
        if self.dirty or (self.wake_at is not None and now >= self.wake_at):
            self.dirty = False
            self.act(now, fx)

    def act(self, now: int, fx: Effects) -> None:
        """Decide now: the commands are pushed first, back to back; a change of mode is noted after."""
        end = self.end_ns
        commands = self.rotating(now) if end and now >= end else self.evaluate(now)  # window_over, inline
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
        why.extend(f"halt:{kind}" for kind, _ in self.halts)
        m = self.market
        if m is None:
            return ["market", *why]
        for asset in (m.yes_asset, m.no_asset):
            if asset not in self.tops or not self.feed_live.get(asset, False):
                why.append(f"book:{asset[:8]}")
        if self.position is None or now - self.position_ts >= self.liveness_ns:
            why.append("inventory_state")
        if now - self.ofi_ts >= self.liveness_ns:
            why.append("ofi_state")
        return why

    def next_change(self, now: int) -> int | None:
        """The earliest time after ``now`` at which ``evaluate`` could answer differently with no new
        input: a dependency's heartbeat, the inventory or OFI state, or the user-feed's blindness
        reaching its limit, or a slot's debounce or back-off ending. None if nothing is pending."""
        live = self.liveness_ns
        beats = self.heartbeats
        ends = [beats[p] + live for p in DEPENDENCIES if p in beats]
        if self.position is not None:
            ends.append(self.position_ts + live)
        ends.append(self.ofi_ts + live)
        if self.user_blind_since:
            ends.append(self.user_blind_since + self.blind_ns)
        slot_end = next_change(self.last_action, self.blocked_until, self.rules, now)
        if slot_end is not None:
            ends.append(slot_end)
        future = [t for t in ends if t > now]
        return min(future) if future else None

    def evaluate(self, now: int) -> list[Command]:
        m = self.market
        missing = self.missing(now)
        if missing:
            self.mode, self.reason = "withdrawn", ",".join(missing)
            return self.withdraw(now, self.reason)
        assert m is not None and self.position is not None
        self.withdrawn = False
        decision = decide(self.params, m, self.tops[m.yes_asset], self.tops[m.no_asset], self.position,
                          self.toxic)
        self.mode, self.reason = decision.mode, decision.reason
        commands: list[Command] = []
        if self.sweep:
            commands.extend(self._sweep(name, now) for name in sorted(self.sweep))
            self.sweep.clear()
        actions = plan(decision.want, self.slots, self.last_action, self.blocked_until, self.rules, now)
        commands.extend(self._command(a, now) for a in actions)
        return commands

    def withdraw(self, now: int, reason: str) -> list[Command]:
        """Cancel everything this coordinator has on its market, once per withdrawal."""
        self.sweep.clear()  # the market-wide cancel covers what a sweep would cancel
        if self.withdrawn or self.market is None:
            return []
        self.withdrawn = True
        self.slots.clear()
        return [CancelMarket(cmd_id=self._cmd_id(), holder=self.holder, market=self.market.market,
                             reason=reason, ts=now)]

    def _cmd_id(self) -> str:
        self._seq += 1
        return f"{self.holder}-{self.run}-{self._seq}"

    def _sweep(self, slot: str, now: int) -> CancelOrders:
        assert self.market is not None
        return CancelOrders(cmd_id=self._cmd_id(), holder=self.holder, market=self.market.market,
                            order_ids=[], slots=[slot], reason=SWEEP_REASON, ts=now)

    def _command(self, action: ClearSlot | SetQuote, now: int) -> Command:
        m = self.market
        assert m is not None
        if isinstance(action, ClearSlot):
            self.slots.pop(action.slot, None)
            ids = [action.order_id] if action.order_id else []
            return CancelOrders(cmd_id=self._cmd_id(), holder=self.holder, market=m.market, order_ids=ids,
                                slots=[] if ids else [action.slot], reason=self.mode, ts=now)
        yes = action.slot == SLOTS[0]
        cmd_id = self._cmd_id()
        quote = action.quote
        old = self.slots.get(action.slot)
        overlap_with = old.cmd_id if old is not None and overlap_safe(
            self.inventory, "yes" if yes else "no", Order(old.side, old.price, old.size),
            Order("BUY", quote.price, quote.size)) else ""
        self.slots[action.slot] = Slot(cmd_id=cmd_id, price=quote.price, size=quote.size,
                                       replaces=old is not None)
        self.last_action[action.slot] = now
        return PlaceOrder(cmd_id=cmd_id, holder=self.holder, market=m.market,
                          asset=m.yes_asset if yes else m.no_asset, side="BUY", price=quote.price,
                          size=quote.size, tick=m.tick, neg_risk=m.neg_risk, slot=action.slot, ts=now,
                          overlap_with=overlap_with, origin_ts=self.origin_ts)
