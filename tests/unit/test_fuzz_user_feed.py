"""Fuzzing the user channel: hostile WebSocket frames through ``parse_frame`` and ``Feed.on_event`` (what
the live program and ``--replay`` run), and trades with one bad value on their way to the inventory.

For every input: nothing raises; a JSON item that is not an event is counted in ``Parsed.skipped`` (the
shell logs ``user_frame_skipped``); an event that cannot become a message is counted in
``Feed.skipped`` with its reason in ``Feed.errors`` (logged as ``user_event_skipped``); every message
produced fits the bus; and a trade with a bad price, size, side, status or time produces no fill at
all, so the inventory it would have reached is unchanged.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from actors.inventory.core import Inventory
from actors.inventory.positions import Limits
from actors.user_feed.core import Feed, Identity
from actors.user_feed.venue import UserTrade, parse_frame
from bus import codec, topics
from schemas import Fill
from tests.support.fixtures import NT_CRATES, NT_WS
from tests.support.fuzz import (
    BAD_NUMBERS,
    BAD_PRICES,
    BAD_SIDES,
    FUZZ,
    ODD_TEXT,
    byte_mutated,
    dumps,
    json_bytes,
    load,
    mutated,
)

NOW = 1_800_000_000_000_000_000
FIXTURES = sorted([*NT_WS.glob("user_trade*.json"), *NT_WS.glob("order_*.json"), NT_WS / "trades.json",
                   *NT_CRATES.glob("ws_user_*.json"),
                   *(NT_CRATES.parents[1] / "polyoxide").glob("asyncapi_user_*.json")])
SEEDS = [load(p) for p in FIXTURES]
TRADE = load(NT_WS / "user_trade4.json")  # one taker against three makers, two of them ours
US = Identity("a93a3d32-74fa-dd2b-4b67-98bfa6fc5cb5")
OURS = [i for i, m in enumerate(TRADE["maker_orders"]) if m["owner"] == US.api_key]


def run(feed: Feed, data: bytes) -> list[Any]:
    """What the live shell does with one frame; checks every message fits the bus."""
    parsed = parse_frame(data)
    if data.lstrip()[:1] == b"{":  # one JSON item: an event, or counted as skipped
        assert len(parsed.events) + parsed.skipped == 1
    outs = []
    for event in parsed.events:
        skipped = feed.skipped
        produced = feed.on_event(event, "ws", NOW)
        if feed.skipped > skipped:
            assert produced == [] and feed.errors and event.id in feed.errors[-1]
        for out in produced:
            topics.owner_of(out.topic)
            header = codec.encode_header("user-feed", 1, 1, NOW)
            assert codec.decode([out.topic, header, codec.encode_body(out.msg)])[2] == out.msg
        outs += produced
    return outs


@FUZZ
@given(json_bytes())
def test_any_user_frame_is_handled_and_everything_produced_fits_the_bus(data: bytes) -> None:
    run(Feed(US), data)


@FUZZ
@given(st.sampled_from(SEEDS).flatmap(mutated).map(dumps).flatmap(
    lambda raw: st.one_of(st.just(raw), byte_mutated(raw))))
def test_mutated_real_user_events_never_raise(data: bytes) -> None:
    for me in (US, Identity("78132bc3-22af-6aa2-79ae-11929f821cae"),
               Identity("", "0xa3d82ed56f4c68d2328fb8c29e568ba2caf7d7c8")):
        run(Feed(me), data)


def inventory_after(fills: list[Fill]) -> Any:
    inv = Inventory(Limits(10**12, 10**12, 10**12))
    for fill in fills:
        inv.on_fill(fill)
    return {a: (p.qty, p.avg_cost, p.realized, p.fills) for a, p in inv.positions.items()}, {
        k: sorted(r.statuses) for k, r in inv.records.items()}


BAD_VALUES: dict[str, list[Any]] = {"price": [*BAD_PRICES, None], "matched_amount": BAD_NUMBERS,
              "side": [s for s in BAD_SIDES if s],  # "" is an older capture's missing side: derived
              "status": [s for s in ODD_TEXT if not s.startswith(("MATCHED", "TRADE_STATUS_"))] + [
                  "TRADE_STATUS_", "MATCHEDX", "CANCELED"],
              "timestamp": ["x", "-5", "9" * 30, "0001-01-01T00:00:00+01:00", "1e5", "NaN"]}


@FUZZ
@given(st.sampled_from(sorted(BAD_VALUES)).flatmap(
    lambda f: st.tuples(st.just(f), st.sampled_from(BAD_VALUES[f]))), st.sampled_from(OURS),
    st.sampled_from(["ws", "rest"]))
def test_a_trade_with_one_bad_value_gives_no_fill_and_leaves_inventory_unchanged(
        bad: tuple[str, Any], entry: int, source: str) -> None:
    field, value = bad
    good_feed, bad_feed = Feed(US), Feed(US)
    good = run(good_feed, json.dumps(TRADE).encode())
    assert len(good) == 2  # the untouched trade: one fill per maker order of ours
    trade = copy.deepcopy(TRADE)
    if field in ("status", "timestamp"):
        trade[field] = value
    else:
        trade["maker_orders"][entry][field] = value
    frame = json.dumps(trade, allow_nan=True).encode("utf-8", "surrogatepass")
    parsed = parse_frame(frame)
    events = [e for e in parsed.events if isinstance(e, UserTrade)]
    outs = [o for e in events for o in bad_feed.on_event(e, source, NOW)]  # type: ignore[arg-type]
    assert outs == []  # all or nothing: not even the other, good maker entry
    assert bad_feed.skipped == len(events) and (parsed.skipped or bad_feed.errors)
    assert inventory_after([o.msg for o in outs if isinstance(o.msg, Fill)]) == inventory_after([])
