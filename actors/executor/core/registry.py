"""The order registry: every order we believe is open, who holds it and in which slot (pure).

``Registry`` is the in-memory truth the core works with; it records a change log that the shell
writes through to SQLite (``order_store.py``) after each step, so a restart can adopt its own orders.
A slot is ``(holder, slot)``; the empty slot name means "not tracked by slot".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

import msgspec

from schemas import OpenOrder

UNOWNED = "unowned"  # holder of orders found on the venue that no coordinator placed (start-up adopt)


class Live(msgspec.Struct, frozen=True, kw_only=True):
    order_id: str
    holder: str
    slot: str
    market: str
    asset: str
    side: Literal["BUY", "SELL"]
    price: int
    size: int
    size_matched: int = 0
    post_only: bool = True
    cmd_id: str = ""
    created_ns: int = 0

    def view(self) -> OpenOrder:
        return OpenOrder(order_id=self.order_id, holder=self.holder, market=self.market, asset=self.asset,
                         side=self.side, price=self.price, size=self.size, size_matched=self.size_matched,
                         slot=self.slot, post_only=self.post_only)


class Registry:
    __slots__ = ("_slots", "changed", "dirty", "orders", "removed")

    def __init__(self) -> None:
        self.orders: dict[str, Live] = {}
        self._slots: dict[tuple[str, str], str] = {}
        self.changed: dict[str, Live] = {}  # upserts since the last drain
        self.removed: set[str] = set()  # deletes since the last drain
        self.dirty = False  # the OpenOrders view changed

    def __len__(self) -> int:
        return len(self.orders)

    def __contains__(self, order_id: object) -> bool:
        return order_id in self.orders

    def get(self, order_id: str) -> Live | None:
        return self.orders.get(order_id)

    def put(self, live: Live) -> None:
        old = self.orders.get(live.order_id)
        if old is not None and old.slot and self._slots.get((old.holder, old.slot)) == old.order_id:
            del self._slots[(old.holder, old.slot)]
        self.orders[live.order_id] = live
        if live.slot:
            self._slots[(live.holder, live.slot)] = live.order_id
        self.changed[live.order_id] = live
        self.removed.discard(live.order_id)
        self.dirty = True

    def remove(self, order_id: str) -> Live | None:
        live = self.orders.pop(order_id, None)
        if live is None:
            return None
        if live.slot and self._slots.get((live.holder, live.slot)) == order_id:
            del self._slots[(live.holder, live.slot)]
        self.changed.pop(order_id, None)
        self.removed.add(order_id)
        self.dirty = True
        return live

    def in_slot(self, holder: str, slot: str) -> Live | None:
        order_id = self._slots.get((holder, slot)) if slot else None
        return self.orders.get(order_id) if order_id else None

    def of(self, holder: str | None = None, market: str | None = None) -> list[Live]:
        """Orders of a holder (all holders when None), optionally in one market."""
        return [o for o in self.orders.values()
                if (holder is None or o.holder == holder) and (market is None or o.market == market)]

    def holders(self) -> set[str]:
        return {o.holder for o in self.orders.values()}

    def view(self) -> list[OpenOrder]:
        return [o.view() for o in self.orders.values()]

    def snapshot(self) -> list[OpenOrder]:
        """The view to publish (the ``OpenOrders`` view is no longer ``dirty``)."""
        self.dirty = False
        return self.view()

    def load(self, rows: Iterable[Live]) -> None:
        """Fill from the durable store without recording changes."""
        for live in rows:
            self.put(live)
        self.changed.clear()
        self.removed.clear()

    def drain_changes(self) -> tuple[list[Live], list[str]]:
        upserts, deletes = list(self.changed.values()), sorted(self.removed)
        self.changed.clear()
        self.removed.clear()
        return upserts, deletes
