"""The coordinator's pure core: bus messages in, commands out. Time is passed in; no I/O.

It keeps the latest book top per token, the inventory and OFI state of its market, the liveness of
the programs it depends on, and its orders (``orders.Orders``: the quote slots and the commands that
change them, sweeps and overlap included); ``evaluate(now, fx)`` runs the readiness gate, the
risk layer's halt checks, the strategy (``PM_STRATEGY``, ``strategies.base.Strategy``) and the risk
layer's filter (``risk.layer.RiskLayer``), then reconciles wanted quotes with resting ones into executor
commands. While a halt is in force the strategy is not asked: everything was cancelled when the halt
started, and only a flattening halt (stop-loss, take-profit) rests its exit orders. An operator's
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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from actors.coordinator.model import MarketSpec, Position, Top, yes_side, yes_view
from actors.coordinator.orders import Orders
from actors.coordinator.reconcile import RequoteRules, next_change, plan
from actors.coordinator.risk.exits import is_flat
from actors.coordinator.risk.halts import Halt
from actors.coordinator.risk.layer import RiskLayer
from actors.coordinator.risk.limits import reduce_only_active
from actors.coordinator.risk.params import RiskParams
from actors.coordinator.signals import MidWindow, RejectWidening
from actors.coordinator.strategies.base import Inputs, Strategy
from actors.coordinator.strategies.follow import Follow
from actors.coordinator.strategies.pair_ofi import PairOfi
from bus import topics
from bus.effects import Effects
from schemas import (
    Book,
    Command,
    CtlMessage,
    FeedStatus,
    FollowAbort,
    FollowStart,
    InventoryState,
    OfiState,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    RiskEvent,
    StrategyAdjust,
    TickSizeChange,
    UserFeedStatus,
)
from schemas import (
    Halt as HaltCmd,
)
from schemas.units import NS

DEPENDENCIES = ("inventory", "ofi", "executor", "market-feed", "user-feed")
# Risk events that stop quoting until the same kind is cleared (severity "info"): market-scoped
# (market = our condition id or coordinator name) or account-wide (market = "").
HALT_KINDS = frozenset({"inventory_mismatch", "account"})
TERMINAL_ORDER_STATUSES = ("CANCELED", "INVALID", "UNMATCHED")
REST_GRACE_NS = 3 * NS  # follow: a socket gone, the last book is kept this long for the REST books to come
EXEC_PIPE = "exec"  # the shell's PUSH pipe to the executor


def push_commands(fx: Effects, topic: bytes, commands: Iterable[Command]) -> None:
    for cmd in commands:
        fx.push(EXEC_PIPE, topic, cmd)


@dataclass
class Coordinator:
    holder: str
    strategy: Strategy = field(default_factory=PairOfi)
    rules: RequoteRules = field(default_factory=RequoteRules)
    risk_params: RiskParams = field(default_factory=RiskParams)
    vol_window_ns: int = 10 * NS
    liveness_ns: int = 3 * NS  # three missed 1 s heartbeats = dead
    blind_ns: int = 5 * NS  # user-feed disconnected this long = we cannot see our fills
    market: MarketSpec | None = None
    tops: dict[str, Top] = field(default_factory=dict)
    feed_live: dict[str, bool] = field(default_factory=dict)
    feed_down: dict[str, int] = field(default_factory=dict)  # follow: when a token's socket went down
    position: Position | None = None
    inventory: InventoryState | None = None  # the last state, whole: legs and limits for the overlap rule
    position_ts: int = 0
    toxic: bool = False
    ofi_ts: int = 0
    heartbeats: dict[str, int] = field(default_factory=dict)
    mode: str = "starting"
    reason: str = ""
    user_blind_since: int = 0  # when the user-feed reported itself disconnected (0 = connected)
    halts: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, market) -> message
    origin_ts: int = 0  # ts_recv of the newest book that moved a top (PlaceOrder.origin_ts)
    bids: dict[str, Sequence[tuple[int, int]]] = field(default_factory=dict)  # the newest bids per token
    spread: int = 0  # the strategy's quoting spread, for CoordinatorState (with ``mids.volatility``)
    requote_ns: int | None = None  # the last decision's re-quote interval (None: PM_DEBOUNCE_MS)
    halt_since: int | None = None  # when the halt the last decision acted on started (None: none)
    run: int = 0  # the program's run id, in command ids
    end_ns: int = 0  # when the market's window ends (0: it does not rotate)
    dirty: bool = False  # an input changed what the decision reads since the last one
    frame_open: bool = False  # the last book read said the rest of its frame follows (``Book.more``)
    wake_at: int | None = None  # when a decision could differ with no new input (``next_change``)
    last_mode: str = ""  # the mode last noted
    cancel_on_start: bool = False  # a restored follow round: cancel what a previous run left, once
    cmd_topic: bytes = field(init=False)
    rest_books: bool = field(init=False)
    adjust_topic: bytes = field(init=False)

    orders: Orders = field(init=False)
    mids: MidWindow = field(init=False)
    rejects: RejectWidening = field(init=False)
    risk: RiskLayer = field(init=False)

    def __post_init__(self) -> None:
        self.rest_books = isinstance(self.strategy, Follow)  # trades on REST-polled books (WS down)
        self.orders = Orders(self.holder, self.run)
        self.cmd_topic = topics.exec_cmd(self.holder)
        self.adjust_topic = topics.coord_adjust(self.holder)
        self.mids = MidWindow(self.vol_window_ns)
        self.rejects = RejectWidening()
        self.risk = RiskLayer(self.risk_params, self.holder)

    # -- inputs ---------------------------------------------------------------------------------

    def set_market(self, market: MarketSpec, end_ns: int = 0) -> None:
        """A new market (start or rotation): forget everything about the previous one."""
        self.market, self.end_ns = market, end_ns
        self.tops.clear()
        self.feed_live.clear()
        self.feed_down.clear()
        self.position, self.toxic, self.position_ts, self.ofi_ts = None, False, 0, 0
        self.inventory = None
        self.orders.reset()
        if self.cancel_on_start:  # the first withdrawal (books not in yet) is a CancelMarket
            self.cancel_on_start, self.orders.withdrawn = False, False
        self.bids.clear()
        self.mids.reset()
        self.rejects.reset()
        self.halts = {key: why for key, why in self.halts.items() if key[1] == ""}  # keep account-wide
        # a risk halt (risk.layer) is kept: a stop-loss still needs a person, a shock halt its time

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
        if msg.rest and not self.rest_books:
            return False  # polled while the WebSocket is down: only follow trades on it
        self.frame_open = msg.more
        bids, asks = msg.bids, msg.asks
        self.bids[asset] = bids  # the taker exit's depth walk (only the newest book is kept)
        top = Top(bids[0][0] if bids else 0, asks[0][0] if asks else 0)
        if self.tops.get(asset) == top and self.feed_live.get(asset, False):
            return False
        self.tops[asset] = top
        self.feed_live[asset] = True
        self.feed_down.pop(asset, None)
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
        """A token's feed went live or not. For ``follow`` (it trades on the market-feed's REST books while
        the socket is down) the last book stays usable for ``REST_GRACE_NS``, so a dropped socket does not
        withdraw its orders before the first REST book arrives."""
        if self.rest_books and not msg.live and self.feed_live.get(msg.asset, False):
            self.feed_down.setdefault(msg.asset, msg.ts)
        self.feed_live[msg.asset] = msg.live
        self.dirty = True

    def on_inventory(self, msg: InventoryState, now: int) -> bool:
        """True if the fields the strategy reads changed, or the state was missing or stale."""
        if not self.market or msg.market != self.market.market:
            return False
        position = Position(msg.net_diff, msg.yes_avg_cost, msg.no_avg_cost, msg.can_open, msg.yes_qty,
                            msg.no_qty)
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
        self.orders.on_placed(msg)
        hook = getattr(self.strategy, "on_placed", None)
        if hook is not None:
            hook(msg.slot)

    def on_failed(self, msg: OrderFailed, now: int, fx: Effects) -> None:
        """Seed-000: a failed placement resets its slot at once (``Orders.on_failed``). A post-only
        rejection widens that side instead of the back-off for a strategy that widens (neutral)."""
        self.dirty = True
        fx.warn("order_failed", slot=msg.slot, reason=msg.reason, message=msg.message)
        hook = getattr(self.strategy, "on_failed", None)
        if hook is not None:  # the rewards strategy's hedge retry queue
            hook(msg.slot, now)
        m = self.market
        widen = msg.reason == "crosses_book" and self.strategy.widens_on_reject and m is not None
        self.orders.on_failed(msg, now, back_off=not widen)
        if widen:
            assert m is not None
            self._widen(yes_side("yes" if msg.asset == m.yes_asset else "no", msg.side), now, fx)

    def _widen(self, side: str, now: int, fx: Effects) -> None:
        """A post-only rejection: that side one tick wider (``signals.RejectWidening``), announced."""
        old, new = self.rejects.on_reject(side, now)
        if new != old:
            market = self.market.market if self.market else ""
            fx.publish(self.adjust_topic, StrategyAdjust(holder=self.holder, market=market,
                                                         field=f"{side}.widen_ticks", old=old, new=new,
                                                         reason="post_only_reject", ts=now))
            fx.note("strategy_adjust", field=f"{side}.widen_ticks", old=old, new=new,
                    reason="post_only_reject", market=market, max_ticks=self.rejects.max_ticks)

    def on_ctl(self, msg: CtlMessage, now: int, fx: Effects) -> None:
        """An operator's command for this coordinator (``ctl.cmd.<holder>.``): to the risk layer, or to
        strategy ``follow`` (a round started or aborted; answered as the risk layer answers)."""
        if msg.holder != self.holder:
            return
        market = self.market.market if self.market else ""
        if isinstance(msg, FollowStart | FollowAbort):
            kind = "follow" if isinstance(msg, FollowStart) else "follow_abort"
            if not self.risk.answered(msg.cmd_id, market, now, fx):
                strategy = self.strategy
                ok, what = (strategy.on_command(msg) if isinstance(strategy, Follow)
                            else (False, f"refused: strategy is {strategy.name}, not follow"))
                self.risk.answer(msg.cmd_id, kind, "info" if ok else "warn", what, market, now, fx)
        elif isinstance(msg, HaltCmd):
            self.risk.on_halt(msg.cmd_id, msg.reason, market, now, fx)
        else:
            self.risk.on_resume(msg.cmd_id, msg.reason, market, now, fx)
        self.dirty = True

    def on_cancelled(self, msg: OrderCancelled) -> bool:
        """True if the order held one of our slots (now free)."""
        freed = self.orders.forget(msg.order_id)
        self.dirty |= freed
        return freed

    def on_order_update(self, msg: OrderUpdate) -> bool:
        """True if this ended an order that held one of our slots (now free)."""
        done = msg.status.startswith(TERMINAL_ORDER_STATUSES) or msg.kind == "CANCELLATION" or \
            (msg.original_size > 0 and msg.size_matched >= msg.original_size)
        freed = done and self.orders.forget(msg.order_id)
        self.dirty |= freed
        return freed

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
        ends = [beats[p] + live for p in DEPENDENCIES if p in beats]
        if self.position is not None:
            ends.append(self.position_ts + live)
        ends.append(self.ofi_ts + live)
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
        future = [t for t in ends if t > now]
        return min(future) if future else None

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
