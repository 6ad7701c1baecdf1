"""``python -m actors.coordinator --decide FILE``: what would the strategy do in this situation?

The file holds ``params``, ``market``, the YES and NO ``book``s, ``inventory``, ``ofi`` and
``open_orders``; the commands are the ones the same pure ``Coordinator.act`` pushes live, printed as
JSON. Prices and sizes are decimal strings (``"0.48"``, read exactly: a seventh decimal is an error, not
truncated) or integers in 1e-6 units (the bus format).
An open order whose quote moved shows as one ``PlaceOrder`` on its slot (the executor replaces it).
"""

from __future__ import annotations

import sys
from typing import Any

import msgspec

from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import MarketSpec, Slot
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.strategies.pair_ofi import PairParams
from bus import codec
from bus.effects import Effects
from schemas import Book, InventoryState, OfiSide, OfiState
from schemas.units import MS, parse_exact

NOW = 1_000_000_000_000


class DecideError(ValueError):
    pass


def units(value: Any, where: str) -> int:
    """Decimal string -> exact 1e-6 units (``parse_exact``); int -> as is (already 1e-6 units)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DecideError(f"{where}: expected a decimal string or an integer in 1e-6 units, got {value!r}")
    if isinstance(value, int):
        return value
    try:
        return parse_exact(value)
    except ValueError as exc:
        raise DecideError(f"{where}: {exc}") from None


def levels(raw: list[Any], where: str) -> list[tuple[int, int]]:
    return [(units(p, f"{where} price"), units(s, f"{where} size")) for p, s in raw]


def build(doc: dict[str, Any]) -> Coordinator:
    params = doc.get("params", {})
    market = doc.get("market", {})
    spec = MarketSpec(market=market.get("condition_id", "0xdecide"), yes_asset="YES", no_asset="NO",
                      tick=units(market.get("tick", "0.01"), "market.tick"),
                      min_size=units(market.get("min_size", "5"), "market.min_size"))
    coord = Coordinator(
        holder="decide",
        params=PairParams(pair_target=units(params.get("pair_target", "0.99"), "params.pair_target"),
                          bid_size=units(params.get("bid_size", "2"), "params.bid_size")),
        rules=RequoteRules(reprice_threshold=units(params.get("reprice_threshold", "0.005"), "reprice"),
                           debounce_ns=int(params.get("debounce_ms", 200)) * MS),
    )
    coord.set_market(spec)
    for program in DEPENDENCIES:
        coord.on_heartbeat(program, NOW)
    for side, asset in (("yes", "YES"), ("no", "NO")):
        b = doc["book"][side]
        coord.on_book(Book(asset=asset, market=spec.market, bids=sorted(levels(b.get("bids", []), side),
                                                                         reverse=True),
                           asks=sorted(levels(b.get("asks", []), side)), tick=spec.tick, epoch=1,
                           ts_event=NOW, ts_recv=NOW))
    i = doc.get("inventory", {})
    yes_qty, no_qty = units(i.get("yes_qty", 0), "yes_qty"), units(i.get("no_qty", 0), "no_qty")
    coord.on_inventory(InventoryState(
        market=spec.market, yes_asset="YES", no_asset="NO", yes_qty=yes_qty, no_qty=no_qty,
        yes_avg_cost=units(i.get("yes_avg_cost", 0), "yes_avg_cost"),
        no_avg_cost=units(i.get("no_avg_cost", 0), "no_avg_cost"), net_diff=yes_qty - no_qty,
        portfolio_cost=0, can_open=bool(i.get("can_open", True)), realized_pnl=0, unrealized_pnl=0, fills=0,
        ts=NOW), NOW)
    o = doc.get("ofi", {})
    quiet = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=0, toxic=False)
    toxic = bool(o.get("toxic", False) or o.get("yes_toxic", False) or o.get("no_toxic", False))
    coord.on_ofi(OfiState(market=spec.market, yes=quiet, no=quiet, toxic=toxic, window_ms=0, ts=NOW), NOW)
    for order in doc.get("open_orders", []):
        coord.slots[order["slot"]] = Slot(cmd_id="open", price=units(order["price"], "open_orders.price"),
                                          size=units(order["size"], "open_orders.size"),
                                          order_id=order.get("order_id", ""), status="live")
    return coord


def run(path: str) -> int:
    try:
        with open(path, "rb") as f:
            doc = msgspec.json.decode(f.read())
        coord = build(doc)
    except (OSError, msgspec.DecodeError, KeyError, TypeError, ValueError) as exc:
        sys.stderr.write(f"decide: {path}: {exc}\n")
        return 2
    fx = Effects()
    coord.act(NOW, fx)
    commands = [cmd for _, _, cmd in fx.pushes]
    out = {"mode": coord.mode, "reason": coord.reason,
           "commands": [{"type": codec.tag(c), **codec.to_builtins(c)} for c in commands]}
    sys.stdout.write(msgspec.json.encode(out).decode() + "\n")
    return 0
