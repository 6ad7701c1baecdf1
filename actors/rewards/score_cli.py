"""``python -m actors.rewards score FILE``: the liquidity-rewards formula (PROTOCOL.md §8.2) on one book.

The file is JSON ``{"max_spread_cents": 3, "min_size": 50, "mid": 0.50, "c": 3.0, "orders": [{"owner":
"a", "token": "yes"|"no", "side": "BUY"|"SELL", "price": 0.49, "size": 100}, ...]}``: ``mid`` is the YES
token's, an order on ``no`` is priced in NO, sizes and ``min_size`` are shares. It prints one JSON object
per owner, ``{"a": {"q_one": …, "q_two": …, "q_min": …, "share": …}}``, from ``clob.rewards.score``, the
same function the scanner and the venue use. Numbers are read exactly into 1e-6 units.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from clob.rewards import C, RestingOrder, score
from schemas.units import parse_exact


def micros(value: Any) -> int:
    """A JSON number or decimal string -> 1e-6 units (a seventh decimal is an error, not rounded)."""
    return parse_exact(value)


def scores(doc: dict[str, Any]) -> dict[str, dict[str, float]]:
    orders = []
    for o in doc.get("orders", []):
        token, side = str(o["token"]).lower(), str(o["side"]).upper()
        if token not in ("yes", "no") or side not in ("BUY", "SELL"):
            raise ValueError(f"order {o!r}: token yes|no, side BUY|SELL")
        orders.append(RestingOrder(str(o["owner"]), token, side,  # type: ignore[arg-type]
                                   micros(o["price"]), micros(o["size"])))
    got = score(orders, micros(doc["mid"]), float(doc["max_spread_cents"]), micros(doc.get("min_size", 0)),
                float(doc.get("c", C)))
    return {owner: {"q_one": s.q_one, "q_two": s.q_two, "q_min": s.q_min, "share": s.share}
            for owner, s in got.items()}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m actors.rewards score FILE", file=sys.stderr)
        return 2
    try:
        doc = json.loads(Path(argv[0]).read_text())
        out = scores(doc)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"score: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(out, sort_keys=True))
    return 0
