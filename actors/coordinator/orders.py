"""Our orders in one market: the quote slots and the commands that change them (pure; time passed in).

``Orders`` owns the slots (what rests, or is on its way, per slot), the per-slot debounce and back-off
clocks, the slots to sweep, whether everything was withdrawn, and the command ids. The coordinator
hands it the reconciler's actions (``apply``), a withdrawal, the opt-in taker exit, and the executor's
answers (``on_placed``, ``on_failed``, ``forget``).

A re-quote is one ``PlaceOrder``: the executor replaces the order resting in the slot. If that placement
fails, the replaced order may still rest (the executor refuses some placements before touching the
slot), so the slot is *swept*: the next decision cancels whatever rests in it, by slot, before anything
else is sent for it (what a cancel-then-place re-quote did up front).

Overlap: a re-quote of a slot that holds an order of ours names that order in ``overlap_with`` (its
``cmd_id``) only when both trade the same token and ``overlap.overlap_safe`` proves that both filling in
full keeps inventory's limits (taken from the last ``InventoryState``, which carries them); then a
pipelining executor may POST the new order before cancelling the old one. Otherwise ``overlap_with`` is
empty and the executor cancels first. A slot we hold nothing in (never used, cancelled, swept,
withdrawn) is never named: if the executor still has an order there, it is cancelled before the new one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from actors.coordinator.model import MarketSpec, Quote, Slot
from actors.coordinator.overlap import Order, overlap_safe
from actors.coordinator.reconcile import ClearSlot, SetQuote
from schemas import CancelMarket, CancelOrders, Command, InventoryState, OrderFailed, OrderPlaced, PlaceOrder
from schemas.units import MS

SWEEP_REASON = "replace_failed"
TAKER_SLOT = "exit_taker"  # the opt-in taker exit (FAK: never rests, never held in a slot)


@dataclass
class Orders:
    holder: str
    run: int = 0
    slots: dict[str, Slot] = field(default_factory=dict)
    sweep: set[str] = field(default_factory=set)  # slots to cancel by slot: a replacing placement failed
    last_action: dict[str, int] = field(default_factory=dict)
    blocked_until: dict[str, int] = field(default_factory=dict)
    withdrawn: bool = True
    _seq: int = 0

    def reset(self) -> None:
        """Another market: nothing of ours rests in it yet."""
        self.slots.clear()
        self.sweep.clear()
        self.last_action.clear()
        self.blocked_until.clear()
        self.withdrawn = True

    # -- the executor's answers -----------------------------------------------------------------

    def on_placed(self, msg: OrderPlaced) -> None:
        slot = self.slots.get(msg.slot)
        if slot is not None and slot.cmd_id == msg.cmd_id:
            slot.order_id, slot.status = msg.order_id, "live"

    def on_failed(self, msg: OrderFailed, now: int, back_off: bool) -> None:
        """Seed-000: a failed placement resets its slot at once (no ghost orders). If it was to replace
        an order, that order may still rest: the slot is swept next decision. ``back_off``: wait out the
        executor's ``retry_after_ms`` in this slot."""
        slot = self.slots.get(msg.slot)
        if slot is not None and slot.cmd_id == msg.cmd_id:
            del self.slots[msg.slot]
            if slot.replaces:
                self.sweep.add(msg.slot)
        if back_off and msg.retry_after_ms:
            self.blocked_until[msg.slot] = max(self.blocked_until.get(msg.slot, 0),
                                               now + msg.retry_after_ms * MS)

    def forget(self, order_id: str) -> bool:
        """An order of ours ended: True if it held a slot (now free)."""
        forgot = False
        for name, slot in list(self.slots.items()):
            if order_id and slot.order_id == order_id:
                del self.slots[name]
                forgot = True
        return forgot

    # -- commands -------------------------------------------------------------------------------

    def cmd_id(self) -> str:
        self._seq += 1
        return f"{self.holder}-{self.run}-{self._seq}"

    def withdraw(self, market: MarketSpec | None, now: int, reason: str) -> list[Command]:
        """Cancel everything we have on ``market``, once per withdrawal."""
        self.sweep.clear()  # the market-wide cancel covers what a sweep would cancel
        if self.withdrawn or market is None:
            return []
        self.withdrawn = True
        self.slots.clear()
        return [CancelMarket(cmd_id=self.cmd_id(), holder=self.holder, market=market.market, reason=reason,
                             ts=now)]

    def swept(self, market: MarketSpec, now: int) -> list[Command]:
        """The cancels by slot of the slots whose replacing placement failed."""
        if not self.sweep:
            return []
        out: list[Command] = [CancelOrders(cmd_id=self.cmd_id(), holder=self.holder, market=market.market,
                                           order_ids=[], slots=[name], reason=SWEEP_REASON, ts=now)
                              for name in sorted(self.sweep)]
        self.sweep.clear()
        return out

    def apply(self, actions: Iterable[ClearSlot | SetQuote], market: MarketSpec,
              inv: InventoryState | None, reason: str, origin_ts: int, now: int) -> list[Command]:
        """The reconciler's actions as commands; the slots follow them."""
        return [self._command(a, market, inv, reason, origin_ts, now) for a in actions]

    def _command(self, action: ClearSlot | SetQuote, m: MarketSpec, inv: InventoryState | None,
                 reason: str, origin_ts: int, now: int) -> Command:
        if isinstance(action, ClearSlot):
            self.slots.pop(action.slot, None)
            ids = [action.order_id] if action.order_id else []
            return CancelOrders(cmd_id=self.cmd_id(), holder=self.holder, market=m.market, order_ids=ids,
                                slots=[] if ids else [action.slot], reason=reason, ts=now)
        quote = action.quote
        cmd_id = self.cmd_id()
        old = self.slots.get(action.slot)
        safe = old is not None and old.leg == quote.leg and overlap_safe(
            inv, quote.leg, Order(old.side, old.price, old.size), Order(quote.side, quote.price, quote.size))
        overlap_with = old.cmd_id if safe and old is not None else ""
        self.slots[action.slot] = Slot(cmd_id=cmd_id, price=quote.price, size=quote.size,
                                       replaces=old is not None, side=quote.side, leg=quote.leg)
        self.last_action[action.slot] = now
        return PlaceOrder(cmd_id=cmd_id, holder=self.holder, market=m.market,
                          asset=m.yes_asset if quote.leg == "yes" else m.no_asset, side=quote.side,
                          price=quote.price, size=quote.size, tick=m.tick, neg_risk=m.neg_risk,
                          slot=action.slot, ts=now, overlap_with=overlap_with, origin_ts=origin_ts)

    def taker(self, quote: Quote, m: MarketSpec, origin_ts: int, now: int) -> PlaceOrder:
        """The opt-in taker exit: FAK, not post-only, ``taker_exit`` (the executor refuses it unless
        ``PM_ALLOW_TAKER_EXIT=true``). It never rests, so no slot holds it."""
        return PlaceOrder(cmd_id=self.cmd_id(), holder=self.holder, market=m.market,
                          asset=m.yes_asset if quote.leg == "yes" else m.no_asset, side=quote.side,
                          price=quote.price, size=quote.size, tick=m.tick, neg_risk=m.neg_risk,
                          order_type="FAK", post_only=False, slot=TAKER_SLOT, taker_exit=True, ts=now,
                          origin_ts=origin_ts)
