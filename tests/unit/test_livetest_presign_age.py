"""Pre-signing's age check (issue 20 §3 "Pre-signing": "...off by default in live mode, and
``doctor``/``livetest`` can check it"), the pure parts:

- the executor signs an order in the past (``PlaceOrder.signed_age_ms``) only for holder ``livetest`` and
  only within the bound; any other holder is refused as "invalid", never signed old silently;
- the signer puts ``now - signed_age_ms`` in the signed timestamp and leaves the pre-signing cache alone;
- livetest's age step: which age it checks, and skip / ok / fail from what happened;
- the paper venue's ``max_order_age_ms`` refuses an order signed longer ago than that (0: any age).
"""

from __future__ import annotations

import dataclasses

import msgspec
import pytest

from actors.ctl import livetest
from actors.executor.config import ExecutorConfig
from actors.executor.core.maker_only import signed_age_problem
from actors.executor.core.presign import PresignCache
from actors.executor.wire.signing import OrderSigner
from clob.orders import OrderError
from clob.signer import Signer
from schemas import OrderFailed, PlaceOrder
from schemas.commands import MAX_SIGNED_AGE_MS, SIGNED_AGE_HOLDER
from tests.support.executor_core_harness import T0, Venue, flush, place, sent_events, started
from tests.support.venue_harness import Harness
from venue.config import VenueConfig
from venue.validation import stale_error
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY

NOW_MS = 1_800_000_000_000


# -- the executor: who may ask for an order signed in the past ------------------------------------------


@pytest.mark.parametrize(("holder", "age_ms", "problem"), [
    ("btc-updown-15m", 0, None),  # every order today: signed now
    ("livetest", 0, None),
    ("livetest", 1, None),
    ("livetest", 2_000, None),
    ("livetest", MAX_SIGNED_AGE_MS, None),  # the bound itself: PM_EXEC_PRESIGN_MAX_AGE_MS's maximum
    ("livetest", MAX_SIGNED_AGE_MS + 1, "must be within"),
    ("livetest", -1, "must be within"),
    ("btc-updown-15m", 2_000, "only for holder 'livetest'"),  # a coordinator never gets an old order
    ("operator", 1, "only for holder 'livetest'"),
    ("Livetest", 1, "only for holder 'livetest'"),  # exactly that holder
])
def test_only_livetest_may_have_an_order_signed_in_the_past_within_the_bound(holder: str, age_ms: int,
                                                                            problem: str | None) -> None:
    found = signed_age_problem(holder, age_ms)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_the_bound_is_pre_signings_own_maximum() -> None:
    """livetest can check every age PM_EXEC_PRESIGN_MAX_AGE_MS allows, and no older."""
    field = msgspec.inspect.type_info(ExecutorConfig)
    [presign] = [f for f in field.fields if f.name == "presign_max_age_ms"]  # type: ignore[attr-defined]
    assert presign.type.le == MAX_SIGNED_AGE_MS and SIGNED_AGE_HOLDER == livetest.HOLDER == "livetest"


@pytest.mark.parametrize(("holder", "age_ms", "why"), [
    ("alpha", 5_000, "only for holder 'livetest'"),
    ("livetest", MAX_SIGNED_AGE_MS + 1, "must be within"),
])
def test_the_core_refuses_an_aged_order_as_invalid_before_anything_is_sent(holder: str, age_ms: int,
                                                                           why: str) -> None:
    core = started()
    core.on_command(place("x", holder=holder, signed_age_ms=age_ms), T0)
    [refused] = sent_events(core)
    assert isinstance(refused, OrderFailed) and refused.reason == "invalid" and why in refused.message
    assert core.next_request(T0) is None


def test_the_core_sends_livetests_aged_order_like_any_other() -> None:
    core, venue = started(), Venue()
    aged = place("x", holder="livetest", slot="livetest-aged", signed_age_ms=5_000)
    core.on_command(aged, T0)
    [req] = flush(core, venue)
    assert getattr(req, "cmds", None) == (aged,)


# -- the signer -------------------------------------------------------------------------------------------


def aged_cmd(holder: str = "livetest", age_ms: int = 5_000) -> PlaceOrder:
    return PlaceOrder(cmd_id="a1", holder=holder, market="0xm", asset=str(2**255 - 12_345), side="BUY",
                      price=10_000, size=5_000_000, tick=10_000, neg_risk=False, slot="livetest-aged",
                      signed_age_ms=age_ms)


def test_the_signer_signs_the_timestamp_that_far_back_and_leaves_the_presign_cache_alone() -> None:
    cache = PresignCache(max_age_ms=60_000, ticks=1)
    signer = OrderSigner(Signer(LOCAL_TEST_PRIVATE_KEY), presigned=cache)
    order = signer.sign(aged_cmd(age_ms=5_000), NOW_MS)
    assert order.timestamp_ms == NOW_MS - 5_000
    assert cache.plan() == [] and cache.counts.misses == 0  # neither taken from nor taught to the cache
    fresh = signer.sign(msgspec.structs.replace(aged_cmd(), signed_age_ms=0, cmd_id="a2"), NOW_MS)
    assert fresh.timestamp_ms == NOW_MS


def test_the_signer_refuses_an_aged_order_of_any_other_holder() -> None:
    signer = OrderSigner(Signer(LOCAL_TEST_PRIVATE_KEY))
    with pytest.raises(OrderError, match="only for holder"):
        signer.sign(aged_cmd(holder="btc-updown-15m"), NOW_MS)


# -- livetest's step --------------------------------------------------------------------------------------

MARKET = livetest.Market(condition="0xc", asset="123", tick=10_000, min_size=5_000_000, neg_risk=False,
                         best_bid=450_000)


@pytest.mark.parametrize(("reported", "checked"), [
    (None, "not reported"),  # the preflight failed: skipped, not failed
    (0, "pre-signing is off"),
    (2_000, 2_000),
    (MAX_SIGNED_AGE_MS, MAX_SIGNED_AGE_MS),
])
def test_the_step_checks_pre_signings_bound_or_is_skipped(reported: int | None, checked: int | str) -> None:
    found = livetest.age_to_check(reported)
    if isinstance(checked, int):
        assert found == checked
    else:
        assert isinstance(found, str) and checked in found
        assert "checks that the venue accepts orders as old as" in found  # the note says what it would check


@pytest.mark.parametrize(("order_id", "refusal", "cancelled", "verdict", "says"), [
    ("0x" + "a" * 64, "", True, "ok", "placed, then cancelled"),
    ("", "rejected: order 0x.. is invalid. Timestamp (1) ...", False, "fail",
     "lower PM_EXEC_PRESIGN_MAX_AGE_MS below 2000"),
    ("", "", False, "fail", "no answer"),  # no answer: failed (its slot is cancelled all the same)
    ("0x" + "a" * 64, "", False, "fail", "cancel was not confirmed"),
])
def test_the_step_passes_only_when_the_aged_order_was_placed_and_cancelled(
        order_id: str, refusal: str, cancelled: bool, verdict: str, says: str) -> None:
    found, detail = livetest.age_verdict(2_000, order_id, refusal, cancelled)
    assert found == verdict and says in detail
    if not order_id:
        assert "leave pre-signing off" in detail


def test_the_aged_order_is_the_first_ones_twin_in_its_own_slot() -> None:
    first = livetest.order(MARKET, "c1", 7)
    aged = livetest.aged_order(MARKET, "c2", 7, 2_000)
    assert aged.slot == livetest.AGED_SLOT != first.slot and aged.signed_age_ms == 2_000
    assert msgspec.structs.replace(aged, cmd_id="c1", slot=first.slot, signed_age_ms=0) == first
    assert aged.post_only and aged.price == MARKET.tick and aged.size == MARKET.min_size
    with pytest.raises(ValueError):
        livetest.aged_order(MARKET, "c3", 7, 0)
    cancel = livetest.cancel("0xo", "c4", "0xc", 8, slots=(livetest.AGED_SLOT,))
    assert cancel.slots == [livetest.AGED_SLOT] and cancel.order_ids == ["0xo"]  # never the first one's slot
    assert livetest.cancel("", "c5", "0xc", 8, slots=(livetest.AGED_SLOT,)).order_ids == []  # by slot only
    last = livetest.cancel("0xf", "c6", "0xc", 9)  # the first order's: empties the age check's slot too
    assert last.slots == [livetest.SLOT, livetest.AGED_SLOT] and last.order_ids == ["0xf"]


# -- the paper venue's max_order_age_ms ------------------------------------------------------------------


@pytest.mark.parametrize(("max_age_ms", "age_ms", "refused"), [
    (0, 10**9, False),  # 0: any age (the default)
    (5_000, 0, False),
    (5_000, 5_000, False),  # exactly the bound: accepted
    (5_000, 5_001, True),
    (5_000, -60_000, False),  # a timestamp ahead of the venue's clock is not this check's business
])
def test_stale_error(max_age_ms: int, age_ms: int, refused: bool) -> None:
    found = stale_error("0xo", NOW_MS - age_ms, NOW_MS, max_age_ms)
    assert (found is not None) is refused
    if found is not None:
        assert found.startswith("order 0xo is invalid. ") and "max_order_age_ms (5000)" in found


@pytest.mark.parametrize(("max_age_ms", "age_ms", "status"), [(0, 60_000, 200), (5_000, 4_000, 200),
                                                             (5_000, 6_000, 400)])
def test_the_venue_refuses_an_order_signed_longer_ago_than_max_order_age_ms(max_age_ms: int, age_ms: int,
                                                                            status: int) -> None:
    h = Harness(VenueConfig(flow=False, max_order_age_ms=max_age_ms))
    h.now += age_ms * 1_000_000 - 1_000_000  # the harness signs at T0 and adds 1 ms per request
    reply = h.place("alice", h.yes, "BUY", "0.01", "5", post_only=True)
    assert reply.status == status
    if status == 400:
        assert isinstance(reply.body, dict) and set(reply.body) == {"error"}
        assert "max_order_age_ms" in reply.body["error"] and not h.ex.open_orders(
            api_key="key-alice", order_id=None, market=None, asset_id=None)


def test_max_order_age_ms_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="max_order_age_ms"):
        VenueConfig(max_order_age_ms=-1)


@pytest.mark.parametrize(("yes_bid", "no_bid", "buys"), [
    (450_000, 540_000, "yes"),   # the usual: YES, one tick, far below its best bid
    (0, 990_000, "yes"),         # no YES bid at all: one tick cannot cross
    (10_000, 980_000, "no"),     # YES's best bid is the lowest price: nothing below it, NO instead
    (10_000, 10_000, "none"),    # both at the lowest price: refused, nothing placed
])
def test_livetest_buys_the_token_with_room_below_its_best_bid(yes_bid: int, no_bid: int, buys: str) -> None:
    """A market near 0 (YES's best bid at one tick) still gets its harmless order: on the NO token."""
    chosen = livetest.pick(dataclasses.replace(MARKET, asset="yes", best_bid=yes_bid),
                           dataclasses.replace(MARKET, asset="no", best_bid=no_bid))
    if buys == "none":
        with pytest.raises(ValueError, match="lowest price"):
            livetest.order(chosen, "c", 1)
        return
    placed = livetest.order(chosen, "c", 1)
    assert (placed.asset, placed.side, placed.price, placed.post_only) == (buys, "BUY", MARKET.tick, True)
    assert chosen.best_bid == 0 or placed.price < chosen.best_bid
