"""The simulated executor: commands on the simulated exchange (placements, post-only rejects, cancels) and
our fills, answered as the executor, the user feed and inventory answer them (``OrderPlaced`` /
``OrderFailed`` / ``OrderCancelled``, ``Fill`` to inventory, ``OrderUpdate`` to the coordinator); and the
redemption of a resolved market inventory holds (``PM_SETTLE_REDEEM``, as the executor's settlements do)."""

from __future__ import annotations

from backtest.coordinators import Coordinators
from backtest.exchange import SimFill
from backtest.result import FillRow
from bus.effects import Effects
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    Command,
    Fill,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    PlaceOrder,
)
from schemas.settlement import redemption


class SimExecutor(Coordinators):
    def execute(self, cid: str, cmd: Command, now: int) -> None:
        ex = self.exchange
        if isinstance(cmd, PlaceOrder):
            old = self.slots.pop((cid, cmd.slot), None)
            if old is not None:
                ex.cancel(old)
            if cmd.order_type != "GTC" or not cmd.post_only:
                return  # the opt-in taker exit is not simulated (documented)
            o = ex.place(cmd_id=cmd.cmd_id, slot=cmd.slot, market=cid, token=cmd.asset, side=cmd.side,
                         price=cmd.price, size=cmd.size, now=now)
            if o is None:
                assert self.result is not None
                self.result.rejects += 1
                failed = OrderFailed(cmd_id=cmd.cmd_id, holder=cmd.holder, market=cid, asset=cmd.asset,
                                     side=cmd.side, price=cmd.price, size=cmd.size, slot=cmd.slot,
                                     reason="crosses_book", message="post-only order would cross",
                                     retry_after_ms=1000, ts=now)
                self.deliver(cid, lambda c, t: c.on_failed(failed, t, Effects()))
                return
            self.slots[(cid, cmd.slot)] = o.order_id
            placed = OrderPlaced(cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=o.order_id, market=cid,
                                 asset=cmd.asset, side=cmd.side, price=cmd.price, size=cmd.size,
                                 slot=cmd.slot, status="live", ts=now)
            self.deliver(cid, lambda c, t: c.on_placed(placed))
            return
        if isinstance(cmd, CancelOrders):
            ids = list(cmd.order_ids) + [i for s in cmd.slots if (i := self.slots.get((cid, s)))]
        elif isinstance(cmd, CancelMarket | CancelAll):
            ids = [i for (m, _), i in self.slots.items() if m == cid]
        else:
            return
        for order_id in ids:
            o = ex.cancel(order_id)
            for key in [k for k, v in self.slots.items() if v == order_id]:
                del self.slots[key]
            if o is not None:
                done = OrderCancelled(cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=order_id, market=cid,
                                      asset=o.token, slot=o.slot, reason=cmd.reason, ts=now)
                self.deliver(cid, lambda c, t, done=done: c.on_cancelled(done))  # type: ignore[misc]

    def on_fills(self, fills: list[SimFill], now: int) -> None:
        res = self.result
        assert res is not None
        for f in fills:
            o = f.order
            if f.size <= 0:
                continue
            cid = o.market
            meta = res.markets[cid]
            self.trade_seq += 1
            leg = "yes" if o.token == meta.yes_asset else "no"
            res.fills.append(FillRow(ts=now, market=cid, leg=leg, side=o.side, price=f.price, size=f.size,
                                     reason=f.reason, slot=o.slot))
            matched = self.matched[o.order_id] = self.matched.get(o.order_id, 0) + f.size
            if o.left <= 0:
                for key in [k for k, v in self.slots.items() if v == o.order_id]:
                    del self.slots[key]
            fill = Fill(trade_id=f"bt-{self.trade_seq}", order_id=o.order_id, market=cid, asset=o.token,
                        side=o.side, price=f.price, size=f.size, status="CONFIRMED", role="MAKER", fee=0,
                        source="ws", ts_event=now, ts_recv=now + self.fill_ns)
            update = OrderUpdate(order_id=o.order_id, market=cid, asset=o.token, side=o.side, price=o.price,
                                 original_size=o.size, size_matched=matched,
                                 status="MATCHED" if o.left <= 0 else "LIVE", reason="", kind="UPDATE",
                                 ts_event=now, ts_recv=now + self.order_ns)

            def arrive(t: int, fill: Fill = fill, cid: str = cid) -> None:
                fx = Effects()
                self.inventory.on_fill(fill, t, fx)
                self.route(fx, t)  # inventory's states to the coordinators
                self.touched.add(cid)

            def updated(_t: int, update: OrderUpdate = update, cid: str = cid) -> None:
                c = self.coords.get(cid)
                if c is not None:
                    c.on_order_update(update)
                    self.touched.add(cid)
            # the order's update (user-feed) and the fill through inventory are two paths: live, the
            # coordinator learns that its order is gone before inventory has the fill, and may re-quote
            # the same leg in between (``SimParams.order_ns``)
            self.later(self.order_ns, updated)
            self.later(self.fill_ns, arrive)

    def redeem_later(self, market: str, now: int) -> None:
        """The market resolved: the executor redeems what inventory holds of it ``merge_ns`` later (its chain
        call and echo, as a merge's), unless ``PM_SETTLE_REDEEM`` is off. The shares leave at their resolved
        value (nothing more is realised); the market then drops out of inventory's published states, as live
        (a backtest of many windows no longer carries every resolved one to its end)."""
        if self.settle.redeem:
            self.at(now + self.sim.merge_ns, lambda t: self._redeem(market, t))

    def _redeem(self, market: str, now: int) -> None:
        inv = self.inventory
        m, winner = inv.markets.get(market), inv.resolved.get(market)
        if m is None or not winner or not inv.held_market(market):
            return
        self.redeemed += 1
        s = redemption(market, m.yes_asset, m.no_asset, winner, inv.position(m.yes_asset).qty,
                       inv.position(m.no_asset).qty, f"bt-{self.redeemed}", now)
        fx = Effects()
        inv.on_settlement(s, now, fx)
        self.route(fx, now)
