"""The executor's pure core: registry and slots, batching, conflicts, cancels, maker-only, start-up."""

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
    Request,
)
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    OpenOrders,
    OrderCancelled,
    OrderFailed,
    OrderPlaced,
    PlaceOrder,
    RiskEvent,
)
from tests.support.executor_core_harness import (
    CID,
    CID2,
    MS,
    NO,
    T0,
    YES,
    Core,
    Scripted,
    Venue,
    flush,
    listed,
    place,
    pump,
    sent_events,
    started,
)

# -- start-up -----------------------------------------------------------------------------------


def test_nothing_is_placed_before_the_startup_sync() -> None:
    core = Core(Params(), T0)
    core.on_command(place("c1"), T0)
    core.on_command(CancelMarket(cmd_id="m1", holder="alpha", market=CID, reason="x", ts=T0), T0)
    [failed] = sent_events(core)
    assert isinstance(failed, OrderFailed) and failed.reason == "backoff" and failed.retry_after_ms > 0
    assert isinstance(core.next_request(T0), ListOrders)
    assert core.next_request(T0) is None  # one list at a time
    core.on_reply(ListOrders(), HttpResult(status=0, error="refused"), T0)
    assert not core.ready and core.next_request(T0 + 500 * MS) is None
    assert isinstance(core.next_request(T0 + 1000 * MS), ListOrders)  # retried after a second


def test_startup_cancel_cancels_every_open_order_and_names_known_holders() -> None:
    venue = Venue()
    venue.listed = [listed("0xa1"), listed("0xb2")]
    stored = [Live(order_id="0xa1", holder="alpha", slot="yes_bid", market=CID, asset=YES, side="BUY",
                   price=480_000, size=10_000_000),
              Live(order_id="0xzz", holder="alpha", slot="no_bid", market=CID, asset=NO, side="BUY",
                   price=500_000, size=10_000_000)]
    core = Core(Params(startup="cancel", foreign_orders="cancel_all"), T0, stored=stored)
    sent = flush(core, venue)
    assert [type(r) for r in sent] == [ListOrders, CancelEverything]
    assert sent[1] == CancelEverything(("0xa1", "0xb2"))
    cancelled = {m.order_id: m for m in sent_events(core) if isinstance(m, OrderCancelled)}
    assert (cancelled["0xa1"].holder, cancelled["0xa1"].slot, cancelled["0xa1"].reason) == (
        "alpha", "yes_bid", "startup")
    assert cancelled["0xb2"].holder == UNOWNED
    upserts, deletes = core.registry.drain_changes()
    assert upserts == [] and deletes == ["0xa1", "0xb2", "0xzz"]  # the store forgets all three
    assert len(core.registry) == 0 and core.ready and not core.heartbeat_wanted


def test_startup_with_more_open_orders_than_the_cancel_burst_chunks_delete_orders() -> None:
    venue = Venue()
    venue.listed = [listed(f"0x{i:04x}") for i in range(130)]  # 131 > 120: cancel-all can never pass
    core = Core(Params(startup="cancel", rate_tier="standard", foreign_orders="cancel_all"), T0)
    sent = flush(core, venue)
    assert [type(r) for r in sent] == [ListOrders, CancelIds]
    assert len(sent[1].ids) == 120  # type: ignore[union-attr]
    assert flush(core, venue, T0 + 10 * MS) == []  # waiting for cancel tokens (80/s)
    [rest] = flush(core, venue, T0 + 1000 * MS)
    assert isinstance(rest, CancelIds) and len(rest.ids) == 10
    assert len(core.registry) == 0


def test_startup_adopt_keeps_orders_with_their_slots_and_arms_the_heartbeat() -> None:
    venue = Venue()
    venue.listed = [listed("0xa1"), listed("0xb2")]
    stored = [Live(order_id="0xa1", holder="alpha", slot="yes_bid", market=CID, asset=YES, side="BUY",
                   price=480_000, size=10_000_000)]
    core = Core(Params(startup="adopt"), T0, stored=stored)
    assert [type(r) for r in flush(core, venue)] == [ListOrders, CancelIds]  # the stranger, at once
    assert core.registry.in_slot("alpha", "yes_bid") is not None and "0xb2" not in core.registry
    [gone] = [m for m in sent_events(core) if isinstance(m, OrderCancelled)]
    assert (gone.order_id, gone.holder, gone.reason) == ("0xb2", UNOWNED, "unknown_order")
    assert core.heartbeat_wanted
    # coordinator alpha went silent while we were down: its adopted order goes after 3 beats
    for t in range(0, 4000, 500):
        core.check_silence(T0 + t * MS)
    assert set(core.state.to_cancel) == {"0xa1"}
    [risk] = [m for m in sent_events(core) if isinstance(m, RiskEvent)]
    assert risk.kind == "coordinator_silent" and risk.market == "alpha"


def test_cancel_commands_received_while_starting_are_applied_after_the_sync() -> None:
    venue = Venue()
    venue.listed = [listed("0xa1")]
    stored = [Live(order_id="0xa1", holder="alpha", slot="yes_bid", market=CID, asset=YES, side="BUY",
                   price=480_000, size=10_000_000)]
    core = Core(Params(startup="adopt"), T0, stored=stored)
    core.on_command(CancelMarket(cmd_id="m1", holder="alpha", market=CID, reason="rotate", ts=T0), T0)
    assert [type(r) for r in flush(core, venue)] == [ListOrders, CancelIds]
    [gone] = [m for m in sent_events(core) if isinstance(m, OrderCancelled)]
    assert (gone.cmd_id, gone.reason, gone.order_id) == ("m1", "rotate", "0xa1")


# -- placing ------------------------------------------------------------------------------------


def test_place_registers_the_order_in_its_slot() -> None:
    core, venue = started(), Venue()
    core.on_command(place("c1"), T0)
    [req] = flush(core, venue)
    assert req == PostOrders((place("c1"),))
    [ok] = sent_events(core)
    assert isinstance(ok, OrderPlaced) and (ok.order_id, ok.status, ok.slot) == ("0xc1", "live", "yes_bid")
    assert core.registry.in_slot("alpha", "yes_bid").order_id == "0xc1"  # type: ignore[union-attr]
    assert core.heartbeat_wanted
    view = core.open_orders(T0)
    assert isinstance(view, OpenOrders) and [o.order_id for o in view.orders] == ["0xc1"]


def test_commands_of_one_iteration_share_batches_of_at_most_15() -> None:
    core, venue = started(), Venue()
    for i in range(20):
        core.on_command(place(f"c{i}", slot=f"s{i}"), T0)
    core.on_command(place("g1", slot="g", order_type="GTD", expiration=1_800_000_000), T0)
    sent = flush(core, venue)
    assert [len(r.cmds) for r in sent] == [15, 5, 1]  # type: ignore[union-attr]
    assert sent[2].cmds[0].order_type == "GTD"  # type: ignore[union-attr]
    assert sum(isinstance(m, OrderPlaced) for m in sent_events(core)) == 21


FLOW = "maker address not allowed, please use the deposit wallet flow"
SIGNER_NOT_KEY = "the order signer address has to be the address of the API KEY"


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
@pytest.mark.parametrize("message", [FLOW, SIGNER_NOT_KEY])
def test_an_order_refused_for_the_wallet_type_is_kept_for_the_shell_and_halts_once(message: str,
                                                                                   batch: bool) -> None:
    """The shell turns it into a config_error and exits 2 (``wire/account.py``); the core halts quoting."""
    core, venue = started(), Venue()
    venue.on[PostOrders] = lambda req: (
        HttpResult(status=200, body=[{"success": False, "orderID": "", "errorMsg": message}] * len(req.cmds))
        if batch else HttpResult(status=400, body={"error": message}))
    for i in range(2 if batch else 1):
        core.on_command(place(f"c{i}", slot=f"s{i}"), T0)
    flush(core, venue)
    assert core.wallet_refusal == message
    events = sent_events(core)
    [risk] = [m for m in events if isinstance(m, RiskEvent)]
    assert (risk.kind, risk.severity, risk.message) == ("account", "halt", f"order refused: {message}")
    assert all(m.reason in ("invalid", "rejected") for m in events if isinstance(m, OrderFailed))
    core.on_command(place("again", slot="s9"), T0 + MS)
    flush(core, venue, T0 + MS)
    assert core.wallet_refusal == message and not any(isinstance(m, RiskEvent) for m in sent_events(core))


def test_other_account_refusals_are_not_about_the_wallet() -> None:
    core, venue = started(), Venue()
    venue.on[PostOrders] = lambda req: HttpResult(status=401, body={"error": "Unauthorized/Invalid api key"})
    core.on_command(place("c1"), T0)
    flush(core, venue)
    assert core.wallet_refusal == ""
    assert [m.kind for m in sent_events(core) if isinstance(m, RiskEvent)] == ["account"]


def test_places_beyond_the_order_budget_are_refused_not_queued() -> None:
    core, venue = started(rate_tier="standard"), Venue()  # order burst 60
    for i in range(70):
        core.on_command(place(f"c{i}", slot=f"s{i}"), T0)
    sent = flush(core, venue)
    assert [len(r.cmds) for r in sent if isinstance(r, PostOrders)] == [15, 15, 15, 15]
    refused = [m for m in sent_events(core) if isinstance(m, OrderFailed)]
    assert len(refused) == 10 and {m.reason for m in refused} == {"rate_limited"}
    assert all(m.retry_after_ms >= 25 for m in refused)  # 1 token = 25 ms at 40/s
    assert flush(core, venue, T0 + 5000 * MS) == []  # nothing stale goes out later


def test_confirmed_replace_cancels_the_old_order_first() -> None:
    core, venue = started(replace="confirmed"), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    core.on_command(place("c2", price=470_000), T0)
    sent = flush(core, venue)
    assert sent == [CancelIds(("0xc1",)), PostOrders((place("c2", price=470_000),))]
    gone, ok = sent_events(core)
    assert isinstance(gone, OrderCancelled)
    assert (gone.order_id, gone.reason, gone.cmd_id) == ("0xc1", "replaced", "c2")
    assert isinstance(ok, OrderPlaced)
    assert core.registry.in_slot("alpha", "yes_bid").order_id == "0xc2"  # type: ignore[union-attr]


def test_pipelined_replace_writes_the_place_then_the_cancel_without_waiting() -> None:
    core, venue = started(), Venue()
    for slot in ("yes_bid", "no_bid"):
        core.on_command(place(f"{slot}1", slot=slot), T0)
    flush(core, venue)
    core.drain()
    answered: list[type] = []  # replies handed back to the core, at the time each request is started
    seen: list[tuple[type, list[type]]] = []

    def start(req: Request) -> tuple[HttpResult, tuple[str, ...]]:
        seen.append((type(req), list(answered)))
        return venue.answer(req)

    for slot in ("yes_bid", "no_bid"):
        core.on_command(place(f"{slot}2", slot=slot, price=470_000, overlap_with=f"{slot}1"), T0)
    pump(core, Scripted(start, lambda res: answered.append(type(res))))
    assert seen == [(PostOrders, []), (CancelIds, [])]  # both written before any reply was read
    assert venue.sent[-1] == CancelIds(("0xyes_bid1", "0xno_bid1"))  # both cancels in one request
    events = sent_events(core)
    assert [type(e) for e in events] == [OrderPlaced, OrderPlaced, OrderCancelled, OrderCancelled]
    assert [(e.order_id, e.reason, e.cmd_id) for e in events if isinstance(e, OrderCancelled)] == [
        ("0xyes_bid1", "replaced", "yes_bid2"), ("0xno_bid1", "replaced", "no_bid2")]
    assert not core.state.flight.cancelling and not core.state.to_cancel
    assert {o.order_id for o in core.registry.view()} == {"0xyes_bid2", "0xno_bid2"}


def test_pipelined_replace_keeps_a_failed_cancel_and_retries_it() -> None:
    core, venue = started(), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    venue.on[CancelIds] = lambda req: HttpResult(status=0, error="ReadTimeout")
    c2 = place("c2", price=470_000, overlap_with="c1")
    core.on_command(c2, T0)
    assert flush(core, venue) == [PostOrders((c2,)), CancelIds(("0xc1",))]
    [ok] = sent_events(core)
    assert isinstance(ok, OrderPlaced) and ok.order_id == "0xc2"
    assert core.registry.in_slot("alpha", "yes_bid").order_id == "0xc2"  # type: ignore[union-attr]
    assert "0xc1" in core.registry and "0xc1" in core.state.to_cancel  # not forgotten: ours, still to go
    assert flush(core, venue, T0 + 10 * MS) == []  # behind the cancel back-off
    core.on_command(place("c3", price=460_000, overlap_with="c2"), T0 + 20 * MS)  # cancels blocked
    assert flush(core, venue, T0 + 20 * MS) == []
    [refused] = sent_events(core)
    assert isinstance(refused, OrderFailed) and refused.reason == "backoff" and refused.cmd_id == "c3"
    del venue.on[CancelIds]
    assert flush(core, venue, T0 + 1000 * MS) == [CancelIds(("0xc1", "0xc2"))]
    assert [(e.order_id, e.reason) for e in sent_events(core)] == [("0xc1", "replaced"), ("0xc2", "replaced")]
    assert len(core.registry) == 0


@pytest.mark.parametrize(("change", "fields"), [("side", {"side": "SELL", "price": 520_000}),
                                                 ("asset", {"asset": NO})])
def test_pipelined_replace_on_another_side_or_asset_waits_for_the_cancel(change: str,
                                                                         fields: dict[str, Any]) -> None:
    core, venue = started(), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    core.on_command(place("c2", overlap_with="c1", **fields), T0)
    seen = writes(core, venue)
    assert seen == [(CancelIds, 0), (PostOrders, 1)]  # the cancel's reply was read before the place left


def writes(core: Core, venue: Venue) -> list[tuple[type, int]]:
    """One flush: each request written, with how many replies the core had been handed by then."""
    answered: list[type] = []
    seen: list[tuple[type, int]] = []

    def start(req: Request) -> tuple[HttpResult, tuple[str, ...]]:
        seen.append((type(req), len(answered)))
        return venue.answer(req)

    pump(core, Scripted(start, lambda res: answered.append(type(res))))
    return seen


PLACE_FIRST = [(PostOrders, 0), (CancelIds, 0)]  # both written before any reply was read
CANCEL_FIRST = [(CancelIds, 0), (PostOrders, 1)]  # the place left after the cancel's answer
REPLACE_CASES = [
    ("the command names the order in the slot", "pipelined", "c1", PLACE_FIRST),
    ("no overlap allowed by the command (the default)", "pipelined", "", CANCEL_FIRST),
    ("the command names another order than the one in the slot", "pipelined", "c0", CANCEL_FIRST),
    ("PM_EXEC_REPLACE=confirmed, whatever the command says", "confirmed", "c1", CANCEL_FIRST),
]


@pytest.mark.parametrize(("name", "mode", "overlap_with", "order"), REPLACE_CASES,
                         ids=[c[0] for c in REPLACE_CASES])
def test_a_replacement_goes_before_its_cancel_only_if_config_and_command_allow_it(
        name: str, mode: str, overlap_with: str, order: list[tuple[type, int]]) -> None:
    core, venue = started(replace=mode), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()

    core.on_command(place("c2", price=470_000, overlap_with=overlap_with), T0)

    assert writes(core, venue) == order
    assert [r for r in venue.sent[-2:] if isinstance(r, CancelIds)] == [CancelIds(("0xc1",))]
    assert [o.order_id for o in core.registry.view()] == ["0xc2"]


def test_no_place_first_while_an_older_order_of_the_slot_still_waits_for_its_cancel() -> None:
    """The command's proof counts the new order and the one it replaces, not a third one."""
    core, venue = started(), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    venue.on[CancelIds] = lambda req: HttpResult(status=0, error="ReadTimeout")
    core.on_command(place("c2", price=470_000, overlap_with="c1"), T0)
    flush(core, venue)  # c2 placed first; c1's cancel failed and waits behind its back-off
    del venue.on[CancelIds]
    core.drain()
    assert "0xc1" in core.state.to_cancel and [o.order_id for o in core.registry.view()] == ["0xc1", "0xc2"]
    c3 = place("c3", price=460_000, overlap_with="c2")  # c2 is the order in the slot

    core.on_command(c3, T0 + 1000 * MS)

    assert flush(core, venue, T0 + 1000 * MS) == [CancelIds(("0xc1", "0xc2")), PostOrders((c3,))]
    assert [o.order_id for o in core.registry.view()] == ["0xc3"]


def test_pipelined_place_first_needs_a_cancel_token() -> None:
    core, venue = started(), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    bucket = core.state.budget.cancels
    bucket.take(bucket.tokens(T0), T0)  # no cancel can go now
    core.on_command(place("c2", price=470_000, overlap_with="c1"), T0)
    assert flush(core, venue) == []
    [refused] = sent_events(core)
    assert isinstance(refused, OrderFailed) and refused.reason == "backoff"
    assert core.registry.in_slot("alpha", "yes_bid").order_id == "0xc1"  # type: ignore[union-attr]


def test_other_cancels_go_before_pipelined_places() -> None:
    core, venue = started(), Venue()
    for slot in ("yes_bid", "no_bid"):
        core.on_command(place(f"{slot}1", slot=slot), T0)
    flush(core, venue)
    core.drain()
    risk = CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=[], slots=["no_bid"], reason="risk",
                        ts=T0)
    core.on_command(risk, T0)
    core.on_command(place("yes_bid2", slot="yes_bid", price=470_000, overlap_with="yes_bid1"), T0)
    assert [(type(r), getattr(r, "ids", ())) for r in flush(core, venue)] == [
        (CancelIds, ("0xno_bid1",)), (PostOrders, ()), (CancelIds, ("0xyes_bid1",))]


def test_confirmed_replace_waits_for_its_cancel_or_is_refused() -> None:
    core, venue = started(replace="confirmed"), Venue()
    core.on_command(place("c1"), T0)
    flush(core, venue)
    core.drain()
    venue.on[CancelIds] = lambda req: HttpResult(status=0, error="ReadTimeout")
    core.on_command(place("c2"), T0)
    sent = flush(core, venue)
    assert [type(r) for r in sent] == [CancelIds]  # the place did not go out
    [refused] = sent_events(core)
    assert isinstance(refused, OrderFailed) and refused.reason == "backoff" and refused.cmd_id == "c2"
    assert "0xc1" in core.state.to_cancel  # the cancel is kept and retried after its back-off
    del venue.on[CancelIds]
    assert flush(core, venue, T0 + 1000 * MS) == [CancelIds(("0xc1",))]


@pytest.mark.parametrize(("first", "second", "conflict"), [
    (place("a"), place("b"), True),  # same slot: the second replaces the first
    (place("a"), place("b", slot="no_bid"), False),
    (place("a", slot=""), place("b", slot=""), False),  # untracked slots never conflict
    (place("a"), place("b", holder="beta"), False),
    (place("a"), CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=[], slots=["yes_bid"],
                              reason="r", ts=0), True),
    (place("a"), CancelOrders(cmd_id="x", holder="alpha", market=CID, order_ids=["0x1"], slots=[],
                              reason="r", ts=0), False),
    (place("a"), CancelMarket(cmd_id="x", holder="alpha", market=CID, reason="r", ts=0), True),
    (place("a"), CancelMarket(cmd_id="x", holder="alpha", market=CID2, reason="r", ts=0), False),
    (place("a"), CancelAll(cmd_id="x", holder="operator", reason="r", ts=0), True),
])
def test_conflicting_commands_force_a_flush_first(first: PlaceOrder, second: Any, conflict: bool) -> None:
    core = started()
    core.on_command(first, T0)
    assert core.conflicts(second) is conflict


def test_a_cancel_after_a_place_in_the_same_iteration_cancels_it() -> None:
    # what the shell does on a conflict: flush, then apply
    core, venue = started(), Venue()
    core.on_command(place("c1"), T0)
    cancel = CancelOrders(cmd_id="x1", holder="alpha", market=CID, order_ids=[], slots=["yes_bid"],
                          reason="kill", ts=T0)
    assert core.conflicts(cancel)
    flush(core, venue)
    core.on_command(cancel, T0)
    assert flush(core, venue) == [CancelIds(("0xc1",))]
    assert len(core.registry) == 0


@pytest.mark.parametrize(("cmd", "allowed", "why"), [  # allowed: PM_ALLOW_TAKER_EXIT
    (place("x", post_only=False), True, "post-only"),
    (place("x", order_type="FAK"), True, "taker_exit not set"),
    (place("x", order_type="FAK", taker_exit=True), True, "post-only is only for GTC/GTD"),
    (place("x", order_type="FAK", post_only=False), True, "taker_exit not set"),
    (place("x", order_type="FAK", post_only=False, taker_exit=True), False, "PM_ALLOW_TAKER_EXIT"),
    (place("x", order_type="GTD"), True, "GTD orders need an expiration"),
    (place("x", expiration=1_800_000_000), True, "other types must have expiration 0"),
    (place("x", order_type="GTD", expiration=T0 // 10**9 + 60), True, "60 s of headroom"),
    (place("x", price=485_000), True, "grid"),
    (place("x", price=0), True, "grid"),
    (place("x", price=1_000_000), True, "grid"),
    (place("x", size=0), True, "rounds to zero"),
    (place("x", tick=3_000), True, "unsupported tick size"),
    (place("x", asset="abc"), True, "token id"),
    (place("x", market=""), True, "holder and market are required"),
])
def test_maker_only_and_shape_checks(cmd: PlaceOrder, allowed: bool, why: str) -> None:
    core = started(allow_taker_exit=allowed)
    core.on_command(cmd, T0)
    [refused] = sent_events(core)
    assert isinstance(refused, OrderFailed) and refused.reason == "invalid" and why in refused.message
    assert core.next_request(T0) is None


def test_an_opted_in_taker_exit_goes_out_and_is_a_risk_event() -> None:
    core, venue = started(allow_taker_exit=True), Venue()
    venue.on[PostOrders] = lambda req: HttpResult(status=200, body={"success": True, "orderID": "0xx",
                                                                    "status": "matched", "errorMsg": ""})
    exit_order = place("x", order_type="FAK", post_only=False, taker_exit=True, side="SELL")
    core.on_command(exit_order, T0)
    assert flush(core, venue) == [PostOrders((exit_order,))]
    risk, ok = sent_events(core)
    assert isinstance(risk, RiskEvent) and risk.kind == "taker_exit"
    assert isinstance(ok, OrderPlaced) and ok.status == "matched"
    assert len(core.registry) == 0  # a FAK never rests
