"""``reconcile``, the pure half: inventory's view of a market against the venue's, side by side, and the
adjustment that adopts the venue's (``Settlement`` kind ``adjust``).

Three sides per market: inventory (its journal replayed: quantities, average costs, realised PnL, resolved),
the venue's token balances, and our trades as the venue lists them (``/data/trades``), folded per token with
inventory's own position math into a quantity and an average cost. Adopting the venue sets each leg's
quantity to the venue's balance and its average cost to that of our trades (inventory's own when our
trades hold none of it), leaving realised PnL as it was. Quantities in 1e-6 shares, costs in 1e-6 pUSD.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from actors.inventory.core import Inventory
from actors.inventory.positions import Position, fold
from schemas import Fill, Settlement
from schemas.units import MICRO


@dataclass(frozen=True, slots=True)
class Leg:
    token: str
    inventory: int
    inventory_avg: int
    venue: int | None  # None: the venue's balance could not be read
    traded: int  # our trades folded (before merges and redemptions, which are not trades)
    traded_avg: int

    @property
    def matches(self) -> bool:
        return self.venue is not None and self.venue == self.inventory


@dataclass(frozen=True, slots=True)
class Row:
    market: str
    yes: Leg
    no: Leg
    realized_pnl: int
    resolved: str  # the winning token, "" while unresolved

    @property
    def matches(self) -> bool:
        return self.yes.matches and self.no.matches


def legs_traded(fills: Iterable[Fill]) -> dict[str, Position]:
    """Token -> our trades folded in order (FAILED ones left out): what our trades alone say we hold."""
    by_token: dict[str, list[Fill]] = {}
    for fill in fills:
        if fill.status != "FAILED":
            by_token.setdefault(fill.asset, []).append(fill)
    return {token: fold((f.side, f.price, f.size, f.fee) for f in sorted(fs, key=lambda f: f.ts_event))
            for token, fs in by_token.items()}


def row(inventory: Inventory, market: str, balances: dict[str, int], traded: dict[str, Position]) -> Row:
    m = inventory.markets[market]

    def leg(token: str) -> Leg:
        held, ours = inventory.position(token), traded.get(token) or Position()
        return Leg(token, held.qty, held.avg_cost, balances.get(token), ours.qty, ours.avg_cost)

    yes, no = inventory.position(m.yes_asset), inventory.position(m.no_asset)
    return Row(market, leg(m.yes_asset), leg(m.no_asset), yes.realized + no.realized,
               inventory.resolved.get(market, ""))


def adjustment(r: Row, yes_asset: str, no_asset: str, reason: str, now: int) -> Settlement:
    """The settlement that makes inventory hold what the venue holds (both legs' balances must be known)."""
    if r.yes.venue is None or r.no.venue is None:
        raise ValueError("the venue's balances are not known: nothing to adopt")

    def avg(leg: Leg) -> int:
        return leg.traded_avg if leg.traded else leg.inventory_avg

    return Settlement(key=f"adjust:{r.market}:{now}", kind="adjust", market=r.market, yes_asset=yes_asset,
                      no_asset=no_asset, yes=r.yes.venue, no=r.no.venue, yes_avg=avg(r.yes), no_avg=avg(r.no),
                      source="ctl", reason=reason, ts=now)


def shares(units: int | None) -> str:
    return "?" if units is None else f"{units / MICRO:.6f}".rstrip("0").rstrip(".")


def render(rows: list[Row]) -> str:
    """One block per market: each leg's three sides, then whether inventory matches the venue."""
    lines = []
    for r in rows:
        status = "MATCH" if r.matches else "DIFFERS"
        resolved = f" resolved (winner {r.resolved[:12]}..)" if r.resolved else ""
        lines.append(f"market {r.market}  {status}{resolved}  realised_pnl={r.realized_pnl / MICRO:.6f}")
        for name, leg in (("yes", r.yes), ("no", r.no)):
            lines.append(f"  {name:3} {leg.token[:16]}..  inventory={shares(leg.inventory)} "
                         f"(avg {leg.inventory_avg / MICRO:.6f})  venue={shares(leg.venue)}  "
                         f"our_trades={shares(leg.traded)} (avg {leg.traded_avg / MICRO:.6f})")
    return "\n".join(lines) if lines else "no market to compare (name one with --market)"
