"""What the coordinator knows, and the handlers that keep it: the latest book tops per token, the
inventory and OFI state of its market, the liveness of the programs it depends on, the account-wide and
market halts, the operator's commands and our orders' ends. No I/O, time passed in.

Each handler that can change what a decision reads says so (returns True, or sets ``dirty``): ``on_book``
only when a top or the feed's liveness moved (not the depth), ``on_order_update`` / ``on_cancelled`` only
when a slot is freed, ``on_heartbeat`` only when a silent dependency came back, ``on_inventory`` /
``on_ofi`` only for the fields the strategy reads or a state that had gone stale. ``core.Coordinator``
adds the decision itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from actors.coordinator.model import MarketSpec, Position, Top, yes_side
from actors.coordinator.orders import Orders
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.risk.layer import RiskLayer
from actors.coordinator.risk.params import RiskParams
from actors.coordinator.signals import MidWindow, RejectWidening
from actors.coordinator.strategies.base import Strategy
from actors.coordinator.strategies.follow import Follow
from actors.coordinator.strategies.pair_ofi import PairOfi
from bus import topics
from bus.effects import Effects
from schemas import (
    Book,
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


@dataclass
class Intake:
    """The coordinator's inputs (see the module docstring); ``core.Coordinator`` decides on them."""

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
