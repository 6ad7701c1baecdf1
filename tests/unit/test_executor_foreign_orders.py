"""Orders on the account that the engine did not place (``PM_EXEC_FOREIGN_ORDERS``), through the core's pure
API: ``cancel_traded`` cancels them only in markets a running coordinator (lease) or the engine trades and
reports the others once (RiskEvent info); ``cancel_all`` cancels every one; ``keep`` never cancels one.
The same rules at start-up and in every periodic sync; a lease heard late cancels late, never wrongly;
a ``CancelAll`` command and the exit cancel touch only what the engine holds."""

from __future__ import annotations

from typing import Any

import pytest

from actors.executor.core.executor_core import Params
from actors.executor.core.foreign_orders import SETTLE_MS
from actors.executor.core.registry import UNOWNED, Live
from actors.executor.core.venue_requests import CancelEverything, CancelIds, ListOrders
from schemas import CancelAll, Lease, LeaseRelease, OrderCancelled, RiskEvent
from tests.support.executor_core_harness import (
    CID,
    CID2,
    MS,
    NO,
    T0,
    YES,
    Core,
    Venue,
    flush,
    listed,
    place,
    sent_events,
)

CID3 = "0x" + "ab" * 32
LATER = T0 + 10_000 * MS


def lease(market: str, holder: str = "beta", ttl_ms: int = 5_000) -> Lease:
    return Lease(holder=holder, market=market, yes_asset=YES, no_asset=NO, ttl_ms=ttl_ms, ts=0)


def stored(order_id: str, slot: str = "a", created_ns: int = T0) -> Live:
    return Live(order_id=order_id, holder="alpha", slot=slot, market=CID, asset=YES, side="BUY",
                price=480_000, size=10_000_000, created_ns=created_ns)


def cancelled(sent: list[Any]) -> set[str]:
    return {i for req in sent if isinstance(req, CancelIds | CancelEverything) for i in req.ids}


def risks(core: Core) -> list[RiskEvent]:
    return [m for m in sent_events(core) if isinstance(m, RiskEvent)]


# The engine holds 0xa1 in CID; a coordinator leases CID2; CID3 is traded by nobody.
# Foreign orders: 0xf1 in CID (the engine's market), 0xf2 in CID2 (leased), 0xf3 in CID3 (not traded).
FOREIGN = [listed("0xf1", market=CID), listed("0xf2", market=CID2), listed("0xf3", market=CID3)]
EXPECTED = {"cancel_traded": {"0xf1", "0xf2"}, "cancel_all": {"0xf1", "0xf2", "0xf3"}, "keep": set()}


def at_startup(policy: str, venue: Venue) -> tuple[Core, list[Any]]:
    core = Core(Params(startup="adopt", foreign_orders=policy), LATER, stored=[stored("0xa1")])  # type: ignore[arg-type]
    core.on_lease(lease(CID2), LATER)  # heard before the start-up listing
    venue.listed = [listed("0xa1"), *FOREIGN]
    return core, flush(core, venue, LATER)


def in_a_sync(policy: str, venue: Venue) -> tuple[Core, list[Any]]:
    core, _ = at_startup(policy, Venue())  # nothing foreign yet
    venue.listed = [listed("0xa1"), *FOREIGN]  # placed by hand since
    core.on_lease(lease(CID2), LATER)
    core.request_sync()
    return core, flush(core, venue, LATER)


@pytest.mark.parametrize("policy", ["cancel_traded", "cancel_all", "keep"])
@pytest.mark.parametrize("path", [at_startup, in_a_sync], ids=["startup", "sync"])
def test_which_foreign_orders_each_policy_cancels(policy: str, path: Any) -> None:
    core, sent = path(policy, Venue())

    assert ListOrders() in sent and CancelEverything not in {type(r) for r in sent}
    assert cancelled(sent) == EXPECTED[policy]
    gone = {m.order_id: (m.holder, m.reason) for m in sent_events(core) if isinstance(m, OrderCancelled)}
    assert gone == {i: (UNOWNED, "unknown_order") for i in EXPECTED[policy]}
    assert set(core.registry.orders) == {"0xa1"}  # a foreign order left alone never enters the registry
    assert set(core.state.foreign.held) == {"0xf1", "0xf2", "0xf3"} - EXPECTED[policy]


def test_a_lease_heard_after_the_startup_listing_cancels_late_never_wrongly() -> None:
    venue = Venue()
    venue.listed = [listed("0xf2", market=CID2)]
    core = Core(Params(startup="adopt"), T0)
    assert flush(core, venue) == [ListOrders()]  # no lease heard yet: CID2 is not known to be traded
    assert core.ready and risks(core) == []
    core.on_lease(lease(CID2), T0 + 800 * MS)  # the coordinator's next re-publication
    assert flush(core, venue, T0 + 800 * MS) == [CancelIds(("0xf2",))]
    [gone] = [m for m in sent_events(core) if isinstance(m, OrderCancelled)]
    assert (gone.order_id, gone.holder, gone.market, gone.reason) == ("0xf2", UNOWNED, CID2, "unknown_order")
    core.check_foreign(T0 + 2 * SETTLE_MS * MS)
    assert risks(core) == []  # never reported as left alone


@pytest.mark.parametrize("policy", ["cancel_traded", "keep"])
def test_an_order_left_alone_is_reported_once_after_it_settled(policy: str) -> None:
    venue = Venue()
    venue.listed = [listed("0xf3", market=CID3)]
    core = Core(Params(startup="adopt", foreign_orders=policy), T0)  # type: ignore[arg-type]
    flush(core, venue)
    core.check_foreign(T0 + (SETTLE_MS - 1) * MS)
    assert risks(core) == []
    core.check_foreign(T0 + SETTLE_MS * MS)
    [risk] = risks(core)
    assert (risk.program, risk.kind, risk.severity, risk.market) == (
        "executor", "foreign_order", "info", CID3)
    assert "0xf3" in risk.message and f"PM_EXEC_FOREIGN_ORDERS={policy}" in risk.message
    assert ("kept" in risk.message) is (policy == "keep")
    core.check_foreign(T0 + 2 * SETTLE_MS * MS)
    core.request_sync()
    assert flush(core, venue, LATER) == [ListOrders()]  # listed again: still left alone, not reported again
    core.check_foreign(LATER + SETTLE_MS * MS)
    assert risks(core) == [] and "0xf3" not in core.registry


def test_keep_never_cancels_even_in_a_traded_market() -> None:
    venue = Venue()
    venue.listed = [listed("0xa1"), listed("0xf1")]
    core = Core(Params(startup="adopt", foreign_orders="keep"), LATER, stored=[stored("0xa1")])
    core.on_lease(lease(CID), LATER)
    assert flush(core, venue, LATER) == [ListOrders()]
    core.on_lease(lease(CID), LATER + MS)
    assert flush(core, venue, LATER + MS) == []


def test_an_order_that_is_no_longer_listed_is_forgotten() -> None:
    venue = Venue()
    venue.listed = [listed("0xf3", market=CID3)]
    core = Core(Params(startup="adopt"), T0)
    flush(core, venue)
    assert set(core.state.foreign.held) == {"0xf3"}
    venue.listed = []  # filled or cancelled by the person who placed it
    core.request_sync()
    flush(core, venue, T0 + MS)
    assert core.state.foreign.held == {}
    core.check_foreign(LATER)
    assert risks(core) == []


def test_an_expired_or_released_lease_no_longer_makes_its_market_traded() -> None:
    core = Core(Params(startup="adopt"), T0)
    flush(core, Venue())
    core.on_lease(lease(CID2, ttl_ms=5_000), T0)
    core.on_lease(lease(CID3), T0)
    core.on_lease_release(LeaseRelease(holder="beta", market=CID3, ts=0))
    venue = Venue()
    venue.listed = [listed("0xf2", market=CID2), listed("0xf3", market=CID3)]
    core.request_sync()
    assert flush(core, venue, T0 + 6_000 * MS) == [ListOrders()]  # CID2's lease ran out, CID3's was released
    assert set(core.state.foreign.held) == {"0xf2", "0xf3"}


def test_startup_cancel_cancels_the_engines_orders_by_id_and_leaves_untraded_foreign_ones() -> None:
    venue = Venue()
    venue.listed = [listed("0xa1"), listed("0xf1"), listed("0xf3", market=CID3)]
    young = stored("0xa9", slot="b", created_ns=LATER - MS)  # placed just before the crash, not listed yet
    core = Core(Params(startup="cancel"), LATER, stored=[stored("0xa1"), young])
    sent = flush(core, venue, LATER)
    assert sent == [ListOrders(), CancelIds(("0xf1", "0xa1", "0xa9"))]  # never DELETE /cancel-all
    reasons = {m.order_id: m.reason for m in sent_events(core) if isinstance(m, OrderCancelled)}
    assert reasons == {"0xa1": "startup", "0xa9": "startup", "0xf1": "unknown_order"}
    assert set(core.state.foreign.held) == {"0xf3"} and len(core.registry) == 0


def test_cancel_all_and_the_exit_cancel_touch_only_what_the_engine_holds() -> None:
    venue = Venue()
    venue.listed = [listed("0xa1"), listed("0xf3", market=CID3)]
    core = Core(Params(startup="adopt"), LATER, stored=[stored("0xa1")])
    flush(core, venue, LATER)
    core.on_command(place("c2", slot="b", market=CID2), LATER)
    flush(core, venue, LATER)
    assert core.exit_cancels() == [CancelIds(("0xa1", "0xc2"))]  # the held 0xf3 is not the engine's
    core.on_command(CancelAll(cmd_id="all", holder="operator", reason="down", ts=0), LATER)
    assert flush(core, venue, LATER) == [CancelIds(("0xa1", "0xc2"))]
    assert core.exit_cancels() == [] and set(core.state.foreign.held) == {"0xf3"}


def test_the_exit_cancel_is_chunked_to_the_cancel_burst() -> None:
    core = Core(Params(rate_tier="standard"), T0)
    for i in range(130):
        core.registry.put(Live(order_id=f"0x{i:04x}", holder="alpha", slot=f"s{i}", market=CID, asset=YES,
                               side="BUY", price=480_000, size=10_000_000))
    chunks = core.exit_cancels()
    assert [len(c.ids) for c in chunks] == [120, 10]
    assert sorted(i for c in chunks for i in c.ids) == sorted(core.registry.orders)
