"""Slug arithmetic for rotating up/down markets (pure; ``now_s`` is an argument). PROTOCOL.md §7.3.

- a rotating prefix ``{asset}-updown-{5m|15m|1h|4h}``: the window's slug is ``prefix-{start}`` with
  ``start = floor(now / interval) * interval`` (+ k intervals for the k-th next window). A window-length
  override (``PM_WINDOW_SECONDS``, the local venue's shortened windows) keeps the label and aligns
  starts to the override. 4h windows sit on Eastern-time 4-hour blocks (the UTC lattice is tried
  too: they differ in winter); 1h windows also have a human slug form
  (``bitcoin-up-or-down-march-12-2026-5am-et``, seen in third-party clients, tried second).
- anything else (including one window's full slug) is a plain slug, resolved once.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

INTERVAL_S = {"5m": 300, "15m": 900, "1h": 3600, "4h": 14_400}
ASSET_NAMES = {"btc": "bitcoin", "eth": "ethereum", "sol": "solana", "xrp": "xrp", "doge": "dogecoin",
               "bnb": "bnb", "hype": "hyperliquid"}
_ET = ZoneInfo("America/New_York")
_PREFIX = re.compile(r"^(?P<asset>[a-z0-9]+)-updown-(?P<label>5m|15m|1h|4h)$")


class MarketError(ValueError):
    """The data cannot describe a tradable binary market (and waiting will not fix it)."""


class NotReady(Exception):
    """Not resolvable yet: not listed, or still in CLOB hydration (404 / empty token ids). Retry later."""


class Target(NamedTuple):
    text: str  # the slug or prefix as given
    asset: str  # rotating only
    label: str  # "5m" | "15m" | "1h" | "4h"; "" for a plain slug

    @property
    def rotating(self) -> bool:
        return bool(self.label)


class Window(NamedTuple):
    slugs: tuple[str, ...]  # candidates, best first
    start_s: int
    end_s: int


def parse_target(text: str) -> Target:
    slug = text.strip().lower()
    if not slug or "/" in slug or " " in slug:
        raise MarketError(f"not a slug: {text!r}")
    match = _PREFIX.match(slug)
    return Target(slug, match["asset"], match["label"]) if match else Target(slug, "", "")


def window_length(label: str, override_s: int = 0) -> int:
    return override_s or INTERVAL_S[label]


def _et_block_start(now_s: int, hours: int) -> int:
    local = datetime.fromtimestamp(now_s, _ET)
    return int(local.replace(hour=local.hour // hours * hours, minute=0, second=0, microsecond=0).timestamp())


def _human_hourly(asset: str, start_s: int) -> str:
    """The hourly slug form (a third-party observation): ``bitcoin-up-or-down-march-12-2026-5am-et``."""
    local = datetime.fromtimestamp(start_s, _ET)
    hour = local.hour % 12 or 12
    name = ASSET_NAMES.get(asset, asset)
    return (f"{name}-up-or-down-{local.strftime('%B').lower()}-{local.day}-{local.year}-"
            f"{hour}{'am' if local.hour < 12 else 'pm'}-et")


def window(target: Target, now_s: int, k: int = 0, override_s: int = 0) -> Window:
    """The window ``k`` intervals after the one containing ``now_s`` (k=0: current), with slug candidates."""
    if not target.rotating:
        raise MarketError(f"{target.text!r} is not a rotating prefix")
    length = window_length(target.label, override_s)
    lattice = now_s // length * length + k * length
    starts = [lattice]
    if target.label == "4h" and not override_s:  # Eastern-time blocks, equal to the lattice only in EDT
        block = datetime.fromtimestamp(_et_block_start(now_s, 4), _ET) + timedelta(hours=4 * k)
        starts = [int(block.timestamp()), lattice]
    slugs = [f"{target.text}-{start}" for start in dict.fromkeys(starts)]
    if target.label == "1h" and not override_s:
        slugs.append(_human_hourly(target.asset, lattice))
    return Window(tuple(slugs), starts[0], starts[0] + length)
