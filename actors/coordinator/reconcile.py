"""Pure reconciliation: what the strategy wants per slot vs what rests -> the minimal actions.

Re-quote only when the wanted price moved by at least the reprice threshold (a static quote: by more
than its ``keep_within``), or the size, token or side changed; at most one placement per slot per debounce
window (the strategy's ``requote_ns`` when it gives one). Cancels are never debounced (they reduce risk).

A re-quote is a single ``SetQuote``: the executor replaces the order resting in an occupied slot itself
(the old one is cancelled, reason ``replaced``), so no ``ClearSlot`` precedes it. ``ClearSlot`` is only for a
slot the strategy wants empty.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.coordinator.model import Quote, Slot


@dataclass(frozen=True, slots=True)
class SetQuote:
    slot: str
    quote: Quote


@dataclass(frozen=True, slots=True)
class ClearSlot:
    slot: str
    order_id: str  # "" while the placement is still pending: cancel by slot


Action = SetQuote | ClearSlot


@dataclass(frozen=True, slots=True)
class RequoteRules:
    reprice_threshold: int = 5_000  # PM_REPRICE_THRESHOLD 0.005
    debounce_ns: int = 200_000_000  # PM_DEBOUNCE_MS 200


def plan(want: dict[str, Quote | None], slots: dict[str, Slot], last_action_ns: dict[str, int],
         blocked_until_ns: dict[str, int], rules: RequoteRules, now_ns: int,
         debounce_ns: int | None = None) -> list[Action]:
    actions: list[Action] = []
    debounce = rules.debounce_ns if debounce_ns is None else debounce_ns
    for name, quote in want.items():
        current = slots.get(name)
        if quote is None:
            if current is not None:
                actions.append(ClearSlot(name, current.order_id))
            continue
        if current is not None and current.size == quote.size and current.side == quote.side and \
                current.leg == quote.leg and _close(current.price, quote, rules):
            continue
        if now_ns - last_action_ns.get(name, -debounce) < debounce:
            continue
        if now_ns < blocked_until_ns.get(name, 0):
            continue
        actions.append(SetQuote(name, quote))  # replaces what rests in the slot, if anything
    return actions


def _close(resting: int, quote: Quote, rules: RequoteRules) -> bool:
    if quote.keep_within >= 0:
        return abs(resting - quote.price) <= quote.keep_within
    return abs(resting - quote.price) < rules.reprice_threshold


def next_change(last_action_ns: dict[str, int], blocked_until_ns: dict[str, int], rules: RequoteRules,
                now_ns: int, debounce_ns: int | None = None) -> int | None:
    """The earliest time after ``now_ns`` at which ``plan`` could answer differently with the same wants
    and slots: a debounce window or a back-off ending. None if there is no such time."""
    debounce = rules.debounce_ns if debounce_ns is None else debounce_ns
    ends = [t + debounce for t in last_action_ns.values()]
    ends.extend(blocked_until_ns.values())
    future = [t for t in ends if t > now_ns]
    return min(future) if future else None
