"""The executor never waits for a reply, and what arrives meanwhile sees the state it would have seen had
it waited: a command or a user-feed update that could observe a reply still out waits for it (and so does
everything behind it); anything else is applied, and sent, at once. Replies are handed back in the order
the requests were sent."""

from __future__ import annotations

from actors.executor.core.venue_requests import CancelIds, ListOrders, PostOrders
from actors.executor.wire.flight import Pump
from schemas import CancelMarket, CancelOrders, OrderCancelled, OrderPlaced, OrderUpdate
from tests.support.executor_core_harness import CID, T0, YES, Core, Slow, Venue, place, sent_events, started


def rig() -> tuple[Core, Slow, Pump]:
    core = started()
    slow = Slow(Venue())
    return core, slow, Pump(core.core, slow, clock=lambda: T0)


def test_a_place_on_another_slot_goes_out_while_the_first_is_in_flight() -> None:
    core, slow, pump = rig()
    core.on_command(place("a1", slot="a"), T0)
    pump(core.fx)
    core.on_command(place("b1", slot="b"), T0)  # the first one's reply is still out

    pump(core.fx)

    assert slow.started == [PostOrders((place("a1", slot="a"),)), PostOrders((place("b1", slot="b"),))]
    assert sent_events(core) == []  # nothing answered yet


def test_a_command_on_the_same_slot_waits_for_the_reply_and_then_replaces_what_it_placed() -> None:
    core, slow, pump = rig()
    core.on_command(place("a1"), T0)
    pump(core.fx)
    core.on_command(place("a2", price=470_000), T0)  # same slot: must see a1's outcome
    core.on_command(place("b1", slot="b"), T0)  # behind a held command: waits too (order is kept)

    pump(core.fx)
    assert slow.started == [PostOrders((place("a1"),))]

    slow.answer()
    pump(core.fx)

    assert [(type(m), m.cmd_id) for m in sent_events(core)] == [(OrderPlaced, "a1")]
    assert slow.started[1:] == [CancelIds(("0xa1",))]  # a2 replaces a1 (cancel first: no overlap allowed)
    slow.answer()
    pump(core.fx)
    assert slow.started[2:] == [PostOrders((place("a2", price=470_000), place("b1", slot="b")))]
    slow.answer()
    pump(core.fx)
    assert {o.order_id for o in core.registry.view()} == {"0xa2", "0xb1"}
    assert [type(m) for m in sent_events(core)] == [OrderCancelled, OrderPlaced, OrderPlaced]


def test_replies_are_handed_back_in_the_order_their_requests_were_sent() -> None:
    core, slow, pump = rig()
    core.on_command(place("a1", slot="a"), T0)
    pump(core.fx)
    core.on_command(place("b1", slot="b"), T0)
    pump(core.fx)

    slow.answer(PostOrders)  # a1's
    slow.waiting[0][1].done = slow.venue.answer(slow.waiting[0][0])[0]  # b1's comes in too
    slow.waiting.clear()
    pump(core.fx)

    assert [m.cmd_id for m in sent_events(core)] == ["a1", "b1"]


def test_an_update_of_an_order_whose_place_is_in_flight_waits_for_its_reply() -> None:
    core, slow, pump = rig()
    core.on_command(place("a1"), T0)
    pump(core.fx)
    filled = OrderUpdate(order_id="0xa1", market=CID, asset=YES, side="BUY", price=480_000,
                         original_size=10_000_000, size_matched=10_000_000, status="MATCHED", reason="",
                         kind="UPDATE", ts_event=T0, ts_recv=T0)
    core.on_order_update(filled, T0)  # the user-feed was faster than the REST reply
    assert sent_events(core) == []

    slow.answer()
    pump(core.fx)

    events = [(type(m), m.order_id) for m in sent_events(core)]
    assert events == [(OrderPlaced, "0xa1"), (OrderCancelled, "0xa1")]
    assert len(core.registry) == 0  # filled: it no longer rests


def test_nothing_is_applied_while_a_listing_is_in_flight() -> None:
    core, slow, pump = rig()
    core.on_command(place("a1"), T0)
    pump(core.fx)
    slow.answer()
    pump(core.fx)
    sent_events(core)
    core.request_sync()
    pump(core.fx)
    assert slow.started[-1] == ListOrders()
    core.on_command(CancelMarket(cmd_id="m1", holder="alpha", market=CID, reason="r", ts=T0), T0)
    core.on_command(place("z1", slot="z"), T0)

    pump(core.fx)
    assert slow.started[-1] == ListOrders()  # both wait for the listing

    slow.venue.listed = []  # the venue no longer has a1: gone (it is old enough by now)
    slow.answer()
    pump(core.fx)
    assert slow.started[-1] == PostOrders((place("z1", slot="z"),))


def test_a_command_held_behind_a_refused_place_is_applied_in_the_same_pump() -> None:
    core, slow, pump = rig()
    bucket = core.state.budget.orders
    bucket.take(bucket.tokens(T0), T0)  # the order budget is spent: the next place is refused, not sent
    core.on_command(place("a1"), T0)
    cancel = CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=[], slots=["yes_bid"],
                          reason="r", ts=T0)
    core.on_command(cancel, T0)  # touches the queued place: waits for it

    pump(core.fx)

    assert slow.started == [] and not core.state.flight.held
    assert [m.reason for m in sent_events(core)] == ["rate_limited"]


def test_a_burst_is_announced_together_once_all_its_replies_are_in() -> None:
    core, slow, pump = rig()
    core.on_command(place("c1"), T0)
    pump(core.fx)
    slow.answer()
    pump(core.fx)
    sent_events(core)
    core.on_command(place("c2", price=470_000, overlap_with="c1"), T0)  # place-first: one burst of two
    pump(core.fx)
    assert [type(r) for r in slow.started[1:]] == [PostOrders, CancelIds] and not pump.siblings_out

    slow.answer(PostOrders)
    pump(core.fx)
    assert pump.siblings_out  # the shell waits for the cancel's reply before announcing

    slow.answer(CancelIds)
    pump(core.fx)
    assert not pump.siblings_out
    assert [type(m) for m in sent_events(core)] == [OrderPlaced, OrderCancelled]
