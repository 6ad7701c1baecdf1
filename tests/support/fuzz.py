"""Shared pieces of the fuzz tests: settings, hostile values, JSON strategies, fixture mutation.

Every fuzz test runs derandomized (the same examples on every run, so CI is stable) with no deadline
(a slow CI machine is not a failure). ``FUZZ`` is the default budget; heavy targets use fewer examples.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUZZ = settings(max_examples=100, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.filter_too_much])
FEW = settings(FUZZ, max_examples=30)

DEEP = b"[" * 5000 + b"]" * 5000  # msgspec raises RecursionError (not DecodeError) for this

# Numbers as text that no venue field may accept: not numbers, not finite, negative, or too large
# for int64 1e-6 units on the bus (> 9.2e12).
BAD_NUMBERS = ["NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-inf", "-1", "-0.5",
               "-0.000001", "1e999999999", "1e30", "9" * 40, "0x10", "abc", "1.2.3", "--1", "1e", ".",
               "²", "None", "null", "true", "1,5", "½"]
# Prices must be exact 1e-6 units in (0, 1] (schemas.units.parse_price): these are numbers but not prices.
BAD_PRICES = ["0", "0.0", "1.000001", "1.5", "2", "100", "1e6", "0.5000001", "0.0000001", *BAD_NUMBERS]
# Strings that are hard on any text handling.
ODD_TEXT = ["", " ", "\x00", "\ud800", "\udcff", "💥" * 3, "a.b", "a b", "\n", "\\", '"', "x" * 300,
            "ORDER_STATUS_", "TRADE_STATUS_", "MATCHED_", "CANCELED_x", "BUY ", "HOLD", "Buy"]
BAD_SIDES = [t for t in ODD_TEXT if t.strip() != t or t.upper() not in ("BUY", "SELL")]
EVIL_STRINGS = BAD_PRICES + ODD_TEXT + ["0.5", "0.01", "5", "1", "1757908892000", "1e5"]

KEYS = ["event_type", "type", "asset_id", "market", "price", "size", "side", "bids", "asks", "timestamp",
        "price_changes", "changes", "best_bid", "best_ask", "tick_size", "new_tick_size", "old_tick_size",
        "fee_rate_bps", "id", "status", "maker_orders", "owner", "matched_amount", "order_id", "data",
        "next_cursor", "success", "orderID", "errorMsg", "canceled", "not_canceled", "error"]
EVENT_TYPES = ["book", "price_change", "last_trade_price", "tick_size_change", "best_bid_ask",
               "new_market", "market_resolved", "order", "trade", "BOOK", "", "unknown_event"]

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(EVIL_STRINGS))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=5),
    max_leaves=20,
)


def dumps(value: Any) -> bytes:
    """JSON as a hostile peer might send it: NaN / Infinity literals and lone surrogates included."""
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


@st.composite
def json_bytes(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, arbitrary JSON, or an event-shaped object with hostile field values."""
    kind = draw(st.sampled_from(["bytes", "json", "event", "deep", "truncated"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "deep":
        return draw(st.sampled_from([DEEP, b"[" + DEEP + b"]", b'{"event_type":"book","x":' + DEEP + b"}"]))
    if kind == "json":
        return dumps(draw(json_values))
    event = draw(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8))
    event["event_type"] = draw(st.sampled_from(EVENT_TYPES))
    raw = dumps(draw(st.sampled_from([event, [event], [event, event]])))
    if kind == "truncated":
        raw = raw[: draw(st.integers(min_value=0, max_value=max(0, len(raw) - 1)))]
    return raw


def load(path: Path) -> Any:
    return json.loads(path.read_text())


def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(doc, dict):
        for key, value in doc.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for i, value in enumerate(doc):
            out += _paths(value, (*prefix, i))
    return out


def _parent(doc: Any, path: tuple[Any, ...]) -> Any:
    for step in path[:-1]:
        doc = doc[step]
    return doc


@st.composite
def mutated(draw: st.DrawFn, doc: Any, max_changes: int = 3) -> Any:
    """``doc`` (a real fixture) with 1..max_changes edits: a value replaced by a hostile one (or a
    wrong type), a key deleted, an unknown key added, or a value wrapped in a list."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(min_value=1, max_value=max_changes))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return draw(json_values)
        path = draw(st.sampled_from(paths))
        parent, key = _parent(doc, path), path[-1]
        op = draw(st.sampled_from(["evil", "type", "delete", "add", "wrap"]))
        if op == "evil":
            parent[key] = draw(st.sampled_from(EVIL_STRINGS))
        elif op == "type":
            parent[key] = draw(scalars | st.lists(scalars, max_size=2) | st.just({}))
        elif op == "delete":
            del parent[key]
        elif op == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(KEYS))] = draw(json_values)
        else:
            parent[key] = [parent[key]]
    return doc


@st.composite
def byte_mutated(draw: st.DrawFn, raw: bytes) -> bytes:
    """``raw`` cut short, with a byte flipped, or with junk spliced in."""
    op = draw(st.sampled_from(["truncate", "flip", "splice"]))
    at = draw(st.integers(min_value=0, max_value=max(0, len(raw) - 1)))
    if op == "truncate":
        return raw[:at]
    if op == "flip" and raw:
        return raw[:at] + bytes([raw[at] ^ draw(st.integers(min_value=1, max_value=255))]) + raw[at + 1:]
    return raw[:at] + draw(st.binary(min_size=1, max_size=8)) + raw[at:]
