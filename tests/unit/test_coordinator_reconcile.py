"""Re-quoting rules: reprice threshold (PM_REPRICE_THRESHOLD) and per-side debounce (PM_DEBOUNCE_MS).

A moved quote is replaced by one ``SetQuote`` on its occupied slot: the executor cancels the resting order
(reason ``replaced``) and places the new one, so no ``ClearSlot`` precedes it (seed: a moved quote is
replaced; the executor's side is proven in ``test_executor_core``)."""

from __future__ import annotations

import pytest

from actors.coordinator.model import Quote, Slot
from actors.coordinator.reconcile import ClearSlot, RequoteRules, SetQuote, next_change, plan

R = RequoteRules(reprice_threshold=5_000, debounce_ns=200_000_000)
NOW = 10_000_000_000
LIVE = Slot(cmd_id="c1", price=480_000, size=5_000_000, order_id="0xa", status="live")


@pytest.mark.parametrize(
    ("name", "want", "slots", "last", "blocked", "actions"),
    [
        ("empty slot: place", {"yes_bid": Quote(480_000, 5_000_000)}, {}, {}, {},
         [SetQuote("yes_bid", Quote(480_000, 5_000_000))]),
        ("same price: nothing", {"yes_bid": Quote(480_000, 5_000_000)}, {"yes_bid": LIVE}, {}, {}, []),
        ("moved less than threshold: nothing", {"yes_bid": Quote(484_000, 5_000_000)}, {"yes_bid": LIVE}, {},
         {}, []),
        ("moved by threshold: replaced by one place", {"yes_bid": Quote(485_000, 5_000_000)},
         {"yes_bid": LIVE}, {}, {}, [SetQuote("yes_bid", Quote(485_000, 5_000_000))]),
        ("moved down by threshold: replaced", {"yes_bid": Quote(475_000, 5_000_000)}, {"yes_bid": LIVE}, {},
         {}, [SetQuote("yes_bid", Quote(475_000, 5_000_000))]),
        ("size changed: replaced", {"yes_bid": Quote(480_000, 6_000_000)}, {"yes_bid": LIVE}, {}, {},
         [SetQuote("yes_bid", Quote(480_000, 6_000_000))]),
        ("pending placement moved: replaced too", {"yes_bid": Quote(500_000, 5_000_000)},
         {"yes_bid": Slot("c9", 480_000, 5_000_000)}, {}, {},
         [SetQuote("yes_bid", Quote(500_000, 5_000_000))]),
        ("within debounce: wait", {"yes_bid": Quote(500_000, 5_000_000)}, {"yes_bid": LIVE},
         {"yes_bid": NOW - 100_000_000}, {}, []),
        ("debounce over: replaced", {"yes_bid": Quote(500_000, 5_000_000)}, {"yes_bid": LIVE},
         {"yes_bid": NOW - 200_000_000}, {}, [SetQuote("yes_bid", Quote(500_000, 5_000_000))]),
        ("debounce is per side", {"no_bid": Quote(500_000, 5_000_000)}, {}, {"yes_bid": NOW}, {},
         [SetQuote("no_bid", Quote(500_000, 5_000_000))]),
        ("cancel is never debounced", {"yes_bid": None}, {"yes_bid": LIVE}, {"yes_bid": NOW}, {},
         [ClearSlot("yes_bid", "0xa")]),
        ("cancel of a pending order goes by slot", {"yes_bid": None}, {"yes_bid": Slot("c9", 1, 1)}, {}, {},
         [ClearSlot("yes_bid", "")]),
        ("cancel of nothing: nothing", {"yes_bid": None}, {}, {}, {}, []),
        ("back-off after a rejection: wait", {"yes_bid": Quote(480_000, 5_000_000)}, {}, {},
         {"yes_bid": NOW + 1}, []),
        ("back-off over: place", {"yes_bid": Quote(480_000, 5_000_000)}, {}, {}, {"yes_bid": NOW},
         [SetQuote("yes_bid", Quote(480_000, 5_000_000))]),
        ("both slots moved: one place each, nothing else", {"yes_bid": Quote(500_000, 5_000_000),
                                                            "no_bid": Quote(460_000, 5_000_000)},
         {"yes_bid": LIVE, "no_bid": Slot("c2", 480_000, 5_000_000, "0xb", "live")}, {}, {},
         [SetQuote("yes_bid", Quote(500_000, 5_000_000)), SetQuote("no_bid", Quote(460_000, 5_000_000))]),
        ("slot not mentioned: left alone", {}, {"yes_bid": LIVE}, {}, {}, []),
    ],
)
def test_plan(name: str, want: dict[str, Quote | None], slots: dict[str, Slot], last: dict[str, int],
              blocked: dict[str, int], actions: list[object]) -> None:
    assert plan(want, slots, last, blocked, R, NOW) == actions


@pytest.mark.parametrize(
    ("name", "last", "blocked", "expected"),
    [
        ("nothing pending", {}, {}, None),
        ("debounce window ends", {"yes_bid": NOW - 50_000_000}, {}, NOW + 150_000_000),
        ("debounce already over: not pending", {"yes_bid": NOW - 200_000_000}, {}, None),
        ("back-off ends", {}, {"no_bid": NOW + 7}, NOW + 7),
        ("the earliest of both", {"yes_bid": NOW - 50_000_000}, {"no_bid": NOW + 7}, NOW + 7),
        ("back-off already over: not pending", {}, {"no_bid": NOW}, None),
    ],
)
def test_next_change_is_the_first_debounce_or_back_off_to_end(
        name: str, last: dict[str, int], blocked: dict[str, int], expected: int | None) -> None:
    assert next_change(last, blocked, R, NOW) == expected


@pytest.mark.parametrize("offset", [0, 1, 149_999_999, 150_000_000, 150_000_001])
def test_plan_answers_the_same_until_next_change(offset: int) -> None:
    """Between two times with no pending change in between, ``plan`` gives the same answer."""
    want = {"yes_bid": Quote(500_000, 5_000_000), "no_bid": Quote(480_000, 5_000_000)}
    slots = {"yes_bid": LIVE}
    last, blocked = {"yes_bid": NOW - 50_000_000}, {"no_bid": NOW + 150_000_000}
    change = next_change(last, blocked, R, NOW)
    assert change == NOW + 150_000_000
    same = plan(want, slots, last, blocked, R, NOW + offset) == plan(want, slots, last, blocked, R, NOW)
    assert same == (NOW + offset < change)
