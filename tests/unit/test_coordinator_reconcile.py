"""Re-quoting rules: reprice threshold (PM_REPRICE_THRESHOLD) and per-side debounce (PM_DEBOUNCE_MS)."""

from __future__ import annotations

import pytest

from actors.coordinator.model import Quote, Slot
from actors.coordinator.reconcile import Cancel, Place, RequoteRules, plan

R = RequoteRules(reprice_threshold=5_000, debounce_ns=200_000_000)
NOW = 10_000_000_000
LIVE = Slot(cmd_id="c1", price=480_000, size=5_000_000, order_id="0xa", status="live")


@pytest.mark.parametrize(
    ("name", "want", "slots", "last", "blocked", "actions"),
    [
        ("empty slot: place", {"yes_bid": Quote(480_000, 5_000_000)}, {}, {}, {},
         [Place("yes_bid", Quote(480_000, 5_000_000))]),
        ("same price: nothing", {"yes_bid": Quote(480_000, 5_000_000)}, {"yes_bid": LIVE}, {}, {}, []),
        ("moved less than threshold: nothing", {"yes_bid": Quote(484_000, 5_000_000)}, {"yes_bid": LIVE}, {},
         {}, []),
        ("moved by threshold: cancel + place", {"yes_bid": Quote(485_000, 5_000_000)}, {"yes_bid": LIVE}, {},
         {}, [Cancel("yes_bid", "0xa"), Place("yes_bid", Quote(485_000, 5_000_000))]),
        ("size changed: requote", {"yes_bid": Quote(480_000, 6_000_000)}, {"yes_bid": LIVE}, {}, {},
         [Cancel("yes_bid", "0xa"), Place("yes_bid", Quote(480_000, 6_000_000))]),
        ("within debounce: wait", {"yes_bid": Quote(500_000, 5_000_000)}, {"yes_bid": LIVE},
         {"yes_bid": NOW - 100_000_000}, {}, []),
        ("debounce over: requote", {"yes_bid": Quote(500_000, 5_000_000)}, {"yes_bid": LIVE},
         {"yes_bid": NOW - 200_000_000}, {},
         [Cancel("yes_bid", "0xa"), Place("yes_bid", Quote(500_000, 5_000_000))]),
        ("debounce is per side", {"no_bid": Quote(500_000, 5_000_000)}, {}, {"yes_bid": NOW}, {},
         [Place("no_bid", Quote(500_000, 5_000_000))]),
        ("cancel is never debounced", {"yes_bid": None}, {"yes_bid": LIVE}, {"yes_bid": NOW}, {},
         [Cancel("yes_bid", "0xa")]),
        ("cancel of a pending order goes by slot", {"yes_bid": None}, {"yes_bid": Slot("c9", 1, 1)}, {}, {},
         [Cancel("yes_bid", "")]),
        ("cancel of nothing: nothing", {"yes_bid": None}, {}, {}, {}, []),
        ("back-off after a rejection: wait", {"yes_bid": Quote(480_000, 5_000_000)}, {}, {},
         {"yes_bid": NOW + 1}, []),
        ("slot not mentioned: left alone", {}, {"yes_bid": LIVE}, {}, {}, []),
    ],
)
def test_plan(name: str, want: dict[str, Quote | None], slots: dict[str, Slot], last: dict[str, int],
              blocked: dict[str, int], actions: list[object]) -> None:
    assert plan(want, slots, last, blocked, R, NOW) == actions
