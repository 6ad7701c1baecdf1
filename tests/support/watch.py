"""What the chaos run checks while the engine runs (pure: bus messages and venue snapshots in, findings out).

- ``OrderWatch``: every order resting at the venue for our key must be one the executor knows
  (ARCHITECTURE invariant 5: "leaves no order it does not know about"). The executor's knowledge is
  its latest ``OpenOrders`` plus the ``OrderPlaced`` it announced since; an order listed by the venue
  and unknown to the executor for longer than ``grace_ns`` is a *stranger* (reported once).
  The grace covers the executor's own cadence (``OpenOrders`` every 2 s and on change) and a bus
  restart, during which nothing reaches us.
- ``PlaceWatch``: every order the executor was asked to place is post-only GTC/GTD (invariant 3;
  the opt-in taker exit is off in the chaos run).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas import OpenOrders, OrderPlaced, PlaceOrder

GRACE_NS = 8_000_000_000


@dataclass
class OrderWatch:
    grace_ns: int = GRACE_NS
    listed: set[str] = field(default_factory=set)  # the executor's latest OpenOrders
    placed: dict[str, int] = field(default_factory=dict)  # OrderPlaced since, order id -> when
    unknown_since: dict[str, int] = field(default_factory=dict)
    strangers: dict[str, str] = field(default_factory=dict)  # order id -> what the venue listed

    def on_open_orders(self, msg: OpenOrders, now: int) -> None:
        self.listed = {o.order_id for o in msg.orders}
        self.placed = {k: t for k, t in self.placed.items() if now - t < self.grace_ns}

    def on_placed(self, msg: OrderPlaced, now: int) -> None:
        if msg.order_id:
            self.placed[msg.order_id] = now

    def on_venue(self, orders: list[dict[str, object]], now: int) -> list[str]:
        """A snapshot of our open orders at the venue; returns the strangers found by it."""
        found = []
        open_ids = set()
        for order in orders:
            order_id = str(order["id"])
            open_ids.add(order_id)
            if order_id in self.listed or order_id in self.placed:
                self.unknown_since.pop(order_id, None)
                continue
            since = self.unknown_since.setdefault(order_id, now)
            if now - since > self.grace_ns and order_id not in self.strangers:
                self.strangers[order_id] = (
                    f"stranger: order {order_id[:18]}.. {order.get('side')} {order.get('price')} x "
                    f"{order.get('original_size')} open at the venue, unknown to the executor for "
                    f"{(now - since) // 10**9} s")
                found.append(self.strangers[order_id])
        self.unknown_since = {k: t for k, t in self.unknown_since.items() if k in open_ids}
        return found


@dataclass
class PlaceWatch:
    violations: list[str] = field(default_factory=list)

    def on_place(self, msg: PlaceOrder) -> None:
        if not msg.post_only or msg.order_type not in ("GTC", "GTD") or msg.taker_exit:
            self.violations.append(f"not post-only GTC/GTD: {msg.cmd_id} {msg.order_type} "
                                   f"post_only={msg.post_only} taker_exit={msg.taker_exit}")
