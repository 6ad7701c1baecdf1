"""``actors.ctl reconcile``'s pure half: the three sides of a market and the adjustment adopting the venue."""

from __future__ import annotations

import pytest

from actors.ctl import reconcile
from actors.inventory.core import Inventory
from tests.support.inventory_cases import CID, LIMITS, NO, YES, M, fill


def inventory() -> Inventory:
    inv = Inventory(LIMITS)
    inv.learn(CID, YES, NO)
    inv.apply(fill("t1", size=7 * M, price=400_000))
    return inv


def test_a_row_shows_inventory_the_venue_and_our_trades_per_leg() -> None:
    traded = reconcile.legs_traded([fill("t1", size=7 * M, price=400_000),
                                    fill("t2", size=3 * M, price=420_000),
                                    fill("t3", "FAILED", asset=NO, size=5 * M)])
    r = reconcile.row(inventory(), CID, {YES: 10 * M, NO: 0}, traded)
    assert (r.yes.inventory, r.yes.venue, r.yes.traded, r.yes.traded_avg) == (7 * M, 10 * M, 10 * M, 406_000)
    assert (r.no.inventory, r.no.venue, r.no.traded) == (0, 0, 0)  # the FAILED fill counts nothing
    assert not r.matches and r.no.matches and not r.yes.matches
    text = reconcile.render([r])
    assert f"market {CID}  DIFFERS" in text and "venue=10  our_trades=10 (avg 0.406000)" in text


def test_the_adjustment_adopts_the_venues_balances_at_our_trades_cost() -> None:
    traded = reconcile.legs_traded([fill("t1", size=10 * M)])
    r = reconcile.row(inventory(), CID, {YES: 10 * M, NO: 2 * M}, traded)
    s = reconcile.adjustment(r, YES, NO, "missed fill", 5)
    assert (s.kind, s.key, s.yes, s.no, s.yes_avg, s.no_avg, s.reason, s.source) == (
        "adjust", f"adjust:{CID}:5", 10 * M, 2 * M, 480_000, 0, "missed fill", "ctl")
    inv = inventory()
    assert inv.apply_settlement(s) == "applied"
    assert (inv.position(YES).qty, inv.position(NO).qty) == (10 * M, 2 * M)


def test_nothing_is_adopted_when_a_balance_could_not_be_read() -> None:
    r = reconcile.row(inventory(), CID, {YES: 10 * M}, {})
    assert r.no.venue is None and not r.matches
    assert "venue=?" in reconcile.render([r])
    with pytest.raises(ValueError):
        reconcile.adjustment(r, YES, NO, "x", 1)
