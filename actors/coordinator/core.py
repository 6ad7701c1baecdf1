"""The coordinator's pure core: bus messages in, commands out. Time is passed in; no I/O.

It keeps the latest book top per token, the inventory and OFI state of its market, the liveness of
the programs it depends on, and its own quote slots; ``evaluate(now)`` runs the readiness gate and
the strategy, then reconciles wanted quotes with resting ones into executor commands.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from actors.coordinator.model import SLOTS, MarketSpec, Position, Slot, Top
from actors.coordinator.reconcile import Cancel, Place, RequoteRules, plan
from actors.coordinator.strategies.pair_ofi import PairParams, decide
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

DEPENDENCIES = ("inventory", "ofi", "executor", "market-feed", "user-feed")
# Risk events that stop quoting until the same kind is cleared (severity "info"): market-scoped
# (market = our condition id or coordinator name) or account-wide (market = "").
HALT_KINDS = frozenset({"inventory_mismatch", "account"})
TERMINAL_ORDER_STATUSES = ("CANCELED", "INVALID", "UNMATCHED")


@dataclass
class Coordinator:
    holder: str
    params: PairParams
    rules: RequoteRules
    liveness_ns: int = 3_000_000_000  # three missed 1 s heartbeats = dead
    blind_ns: int = 5_000_000_000  # user-feed disconnected this long = we cannot see our fills
    market: MarketSpec | None = None
    tops: dict[str, Top] = field(default_factory=dict)
    feed_live: dict[str, bool] = field(default_factory=dict)
    position: Position | None = None
    position_ts: int = 0
    toxic: bool = False
    ofi_ts: int = 0
    heartbeats: dict[str, int] = field(default_factory=dict)
    slots: dict[str, Slot] = field(default_factory=dict)
    last_action: dict[str, int] = field(default_factory=dict)
    blocked_until: dict[str, int] = field(default_factory=dict)
    mode: str = "starting"
    reason: str = ""
    withdrawn: bool = True
    user_blind_since: int = 0  # when the user-feed reported itself disconnected (0 = connected)
    halts: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, market) -> message
    _seq: int = 0
    run: int = 0

    # -- inputs ---------------------------------------------------------------------------------

    def set_market(self, market: MarketSpec) -> None:
        """A new market (start or rotation): forget everything about the previous one."""
        self.market = market
        self.tops.clear()
        self.feed_live.clear()
        self.position, self.toxic, self.position_ts, self.ofi_ts = None, False, 0, 0
        self.slots.clear()
        self.last_action.clear()
        self.blocked_until.clear()
        self.withdrawn = True
        self.halts = {key: why for key, why in self.halts.items() if key[1] == ""}  # keep account-wide

    def on_user_status(self, msg: UserFeedStatus, now: int) -> None:
        if msg.connected:
            self.user_blind_since = 0
        elif not self.user_blind_since:
            self.user_blind_since = now

    def on_risk(self, msg: RiskEvent) -> None:
        m = self.market
        if msg.kind not in HALT_KINDS or msg.market not in ("", self.holder, m.market if m else None):
            return
        key = (msg.kind, msg.market)
        if msg.severity == "halt":
            self.halts[key] = msg.message
        elif msg.severity == "info":
            self.halts.pop(key, None)

    def on_book(self, msg: Book) -> None:
        bid = msg.bids[0][0] if msg.bids else 0
        ask = msg.asks[0][0] if msg.asks else 0
        self.tops[msg.asset] = Top(bid, ask)
        self.feed_live[msg.asset] = True

    def on_tick_change(self, msg: TickSizeChange) -> None:
        """The market moved to another tick grid: price new quotes on it (both tokens share one grid)."""
        if self.market is not None and msg.asset in (self.market.yes_asset, self.market.no_asset):
            self.market = replace(self.market, tick=msg.new_tick)

    def on_feed_status(self, msg: FeedStatus) -> None:
        self.feed_live[msg.asset] = msg.live

    def on_inventory(self, msg: InventoryState, now: int) -> None:
        if self.market and msg.market == self.market.market:
            self.position = Position(msg.net_diff, msg.yes_avg_cost, msg.no_avg_cost, msg.can_open)
            self.position_ts = now

    def on_ofi(self, msg: OfiState, now: int) -> None:
        if self.market and msg.market == self.market.market:
            self.toxic = msg.toxic
            self.ofi_ts = now

    def on_heartbeat(self, program: str, now: int) -> None:
        self.heartbeats[program] = now

    def on_placed(self, msg: OrderPlaced) -> None:
        slot = self.slots.get(msg.slot)
        if slot is not None and slot.cmd_id == msg.cmd_id:
            slot.order_id, slot.status = msg.order_id, "live"

    def on_failed(self, msg: OrderFailed, now: int) -> None:
        """Seed-000: a failed placement resets its slot at once (no ghost orders)."""
        slot = self.slots.get(msg.slot)
        if slot is not None and slot.cmd_id == msg.cmd_id:
            del self.slots[msg.slot]
        if msg.retry_after_ms:
            self.blocked_until[msg.slot] = max(self.blocked_until.get(msg.slot, 0),
                                               now + msg.retry_after_ms * 1_000_000)

    def on_cancelled(self, msg: OrderCancelled) -> None:
        self._forget(msg.order_id)

    def on_order_update(self, msg: OrderUpdate) -> None:
        done = msg.status.startswith(TERMINAL_ORDER_STATUSES) or msg.kind == "CANCELLATION" or \
            (msg.original_size > 0 and msg.size_matched >= msg.original_size)
        if done:
            self._forget(msg.order_id)

    def _forget(self, order_id: str) -> None:
        for name, slot in list(self.slots.items()):
            if order_id and slot.order_id == order_id:
                del self.slots[name]

    # -- decisions ------------------------------------------------------------------------------

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
        actions = plan(decision.want, self.slots, self.last_action, self.blocked_until, self.rules, now)
        return [self._command(a, now) for a in actions]

    def withdraw(self, now: int, reason: str) -> list[Command]:
        """Cancel everything this coordinator has on its market, once per withdrawal."""
        if self.withdrawn or self.market is None:
            return []
        self.withdrawn = True
        self.slots.clear()
        return [CancelMarket(cmd_id=self._cmd_id(), holder=self.holder, market=self.market.market,
                             reason=reason, ts=now)]

    def _cmd_id(self) -> str:
        self._seq += 1
        return f"{self.holder}-{self.run}-{self._seq}"

    def _command(self, action: Cancel | Place, now: int) -> Command:
        m = self.market
        assert m is not None
        if isinstance(action, Cancel):
            self.slots.pop(action.slot, None)
            ids = [action.order_id] if action.order_id else []
            return CancelOrders(cmd_id=self._cmd_id(), holder=self.holder, market=m.market, order_ids=ids,
                                slots=[] if ids else [action.slot], reason=self.mode, ts=now)
        asset = m.yes_asset if action.slot == SLOTS[0] else m.no_asset
        cmd_id = self._cmd_id()
        self.slots[action.slot] = Slot(cmd_id=cmd_id, price=action.quote.price, size=action.quote.size)
        self.last_action[action.slot] = now
        return PlaceOrder(cmd_id=cmd_id, holder=self.holder, market=m.market, asset=asset, side="BUY",
                          price=action.quote.price, size=action.quote.size, tick=m.tick,
                          neg_risk=m.neg_risk, slot=action.slot, ts=now)
