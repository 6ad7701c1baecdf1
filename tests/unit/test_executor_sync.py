"""Reconciliation with the venue's list of our open orders is one code path for start-up (crash recovery)
and for every later sync (periodic, heartbeat lapse, venue reachable again): the same list gives the
same outcome either way: known orders adopted with their slots, strangers cancelled, missing ones gone."""

from __future__ import annotations

from typing import Any

import pytest

from actors.executor.core.executor_core import Params
from actors.executor.core.registry import UNOWNED, Live
from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    HttpResult,
    ListOrders,
    PostOrders,
)
from schemas import OrderCancelled
from tests.support.executor_core_harness import (
    CID,
    MS,
    T0,
    YES,
    Core,
    Venue,
    flush,
    listed,
    place,
    sent_events,
    started,
)

LATER = T0 + 10_000 * MS  # both known orders are older than the listing grace by then


def stored(order_id: str, slot: str, created_ns: int = T0) -> Live:
    return Live(order_id=order_id, holder="alpha", slot=slot, market=CID, asset=YES, side="BUY",
                price=480_000, size=10_000_000, created_ns=created_ns)


def at_startup(venue: Venue) -> Core:
    """A restarted executor whose durable registry holds 0xa1 (slot a) and 0xa2 (slot b)."""
    core = Core(Params(startup="adopt"), LATER, stored=[stored("0xa1", "a"), stored("0xa2", "b")])
    venue.sent.clear()
    return core


def while_running(venue: Venue) -> Core:
    """A running executor that placed 0xa1 (slot a) and 0xa2 (slot b), then syncs."""
    core = started(venue)
    for cmd in (place("a1", slot="a"), place("a2", slot="b")):
        core.on_command(cmd, T0)
    flush(core, venue)
    core.drain()
    core.registry.drain_changes()
    venue.sent.clear()
    core.request_sync()
    return core


@pytest.mark.parametrize("path", [at_startup, while_running], ids=["startup", "sync"])
def test_the_same_list_gives_the_same_outcome_at_startup_and_in_a_sync(path: Any) -> None:
    venue = Venue()
    core = path(venue)
    venue.listed = [{**listed("0xa1"), "size_matched": "3"}, listed("0xfff")]  # 0xa2 gone, 0xfff stranger

    assert flush(core, venue, LATER) == [ListOrders(), CancelIds(("0xfff",))]

    assert core.ready
    kept = core.registry.in_slot("alpha", "a")
    assert kept is not None and (kept.order_id, kept.size_matched) == ("0xa1", 3_000_000)
    assert set(core.registry.orders) == {"0xa1"}
    out = {m.order_id: (m.holder, m.slot, m.reason)
           for m in sent_events(core) if isinstance(m, OrderCancelled)}
    assert out == {"0xa2": ("alpha", "b", "gone"), "0xfff": (UNOWNED, "", "unknown_order")}
    upserts, deletes = core.registry.drain_changes()
    assert [u.order_id for u in upserts] == ["0xa1"] and deletes == ["0xa2", "0xfff"]


@pytest.mark.parametrize("starting", [True, False], ids=["startup", "sync"])
def test_a_young_order_missing_from_the_list_is_looked_for_again_after_its_grace(starting: bool) -> None:
    venue = Venue()
    if starting:
        core = Core(Params(startup="adopt"), T0, stored=[stored("0xa1", "a", created_ns=T0)])
    else:
        core = started(venue)
        core.on_command(place("a1", slot="a"), T0)
        flush(core, venue)
        core.request_sync()
    core.drain()
    venue.sent.clear()

    assert flush(core, venue, T0 + 1000 * MS) == [ListOrders()]  # not listed yet: maybe just placed
    assert "0xa1" in core.registry and core.ready
    assert flush(core, venue, T0 + 4000 * MS) == []  # the next look waits for the grace to end
    assert flush(core, venue, T0 + 5100 * MS) == [ListOrders()]
    [gone] = sent_events(core)
    assert isinstance(gone, OrderCancelled) and (gone.order_id, gone.reason) == ("0xa1", "gone")
    assert len(core.registry) == 0 and flush(core, venue, T0 + 9000 * MS) == []


def test_startup_cancel_covers_orders_the_registry_knows_even_if_not_listed_yet() -> None:
    venue = Venue()
    venue.listed = [listed("0xb2")]
    core = Core(Params(startup="cancel", foreign_orders="cancel_all"), T0 + 1000 * MS,
                        stored=[stored("0xa1", "a", created_ns=T0)])
    sent = flush(core, venue, T0 + 1000 * MS)
    assert sent == [ListOrders(), CancelEverything(("0xa1", "0xb2"))]
    reasons = {m.order_id: m.reason for m in sent_events(core) if isinstance(m, OrderCancelled)}
    assert reasons == {"0xa1": "startup", "0xb2": "unknown_order"}
    assert len(core.registry) == 0 and not core.heartbeat_wanted


def test_a_venue_that_answers_again_after_being_unreachable_is_reconciled() -> None:
    core, venue = started(), Venue()
    venue.on[PostOrders] = lambda req: HttpResult(status=0, error="ConnectionRefusedError", sent=False)
    core.on_command(place("c1"), T0)
    assert flush(core, venue) == [PostOrders((place("c1"),))]
    del venue.on[PostOrders]
    core.drain()
    core.on_command(place("c2"), T0 + 1000 * MS)  # after the one-second pause
    sent = flush(core, venue, T0 + 1000 * MS)
    assert sent == [PostOrders((place("c2"),)), ListOrders()]
    assert ("venue_reconnected", {"request": "PostOrders"}) in core.drain()[1]
    assert flush(core, venue, T0 + 2000 * MS) == []  # once
