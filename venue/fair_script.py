"""Scripted fair values, for tests and demos (`POST /_venue/fair`, `flow_params.fair_paths`).

A market's fair value (what the synthetic makers quote around and the informed takers trade against)
is, in this order:
1. the value last set at runtime (`pin`, from `POST /_venue/fair`), until it is cleared (`"yes": null`)
   or the market is forgotten;
2. its path from the config file, if one names it: points `(t, yes)` with `t` in seconds since the
   market's window start (a reward market: since it was listed), linear between points, the first
   value before the first point and the last one after the last (two points at one `t` make a step);
3. none: the latent model of `oracle.py` decides.

A path is named by a condition id, a slug, or a rotating series (`btc-updown-15m`: every window of
it, each from its own start). Pure: time is passed in.
"""

from __future__ import annotations

import itertools

from schemas.units import NS
from venue.config import FairPoint
from venue.markets import Catalogue, Market

Path = tuple[tuple[int, int], ...]  # (t in ns since the window start, fair in 1e-6 units), by t


def series(market: Market) -> str:
    """The rotating series an up/down window belongs to (`btc-updown-15m`); "" for other markets."""
    return f"{market.asset}-updown-{market.interval}" if market.kind == "updown" else ""


def find_market(catalogue: Catalogue, key: str, now_ns: int) -> Market | None:
    """A market named by its condition id, slug or token id, or by a rotating series: the window in
    progress at `now_ns`."""
    found = catalogue.get(key) or catalogue.slug(key) or catalogue.token(key)
    if found is not None:
        return found
    now_s = now_ns // NS
    for market in catalogue.open_markets():
        if series(market) == key and market.window_start_s <= now_s < market.window_end_s:
            return market
    return None


def compile_path(points: tuple[FairPoint, ...]) -> Path:
    return tuple((round(p.t * NS), p.yes_units) for p in points)


def on_path(path: Path, since_ns: int) -> int:
    """The path's value `since_ns` after its start: linear between points, flat outside them."""
    if since_ns < path[0][0]:
        return path[0][1]
    for (t0, y0), (t1, y1) in itertools.pairwise(path):
        if t0 <= since_ns < t1:
            return y0 + (y1 - y0) * (since_ns - t0) // (t1 - t0)
    return path[-1][1]


class FairScript:
    def __init__(self, paths: dict[str, tuple[FairPoint, ...]]) -> None:
        self._paths = {key: compile_path(points) for key, points in paths.items()}
        self._pinned: dict[str, int] = {}  # condition id -> fair set at runtime
        self._path_of: dict[str, Path | None] = {}  # condition id -> its path (cached)

    def pin(self, condition_id: str, yes: int | None) -> None:
        """Hold the market's fair at `yes` (1e-6 units) from now on; None returns it to its path or
        to the model."""
        if yes is None:
            self._pinned.pop(condition_id, None)
        else:
            self._pinned[condition_id] = yes

    def fair(self, market: Market, now_ns: int) -> int | None:
        """The scripted fair value of the market's first token, or None (the model decides)."""
        cid = market.condition_id
        pinned = self._pinned.get(cid)
        if pinned is not None:
            return pinned
        if not self._paths:
            return None
        path = self._path_of.get(cid, ())
        if path == ():
            path = self._path_of[cid] = (self._paths.get(cid) or self._paths.get(market.slug)
                                         or self._paths.get(series(market)))
        if path is None:
            return None
        return on_path(path, now_ns - market.window_start_s * NS)

    def source(self, condition_id: str) -> str:
        """What sets the market's fair: "pin", "path" or "" (the model); for `GET /_venue/fair`."""
        if condition_id in self._pinned:
            return "pin"
        return "path" if self._path_of.get(condition_id) else ""

    def forget(self, condition_id: str) -> None:
        self._pinned.pop(condition_id, None)
        self._path_of.pop(condition_id, None)
