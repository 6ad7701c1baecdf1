"""Adapter from market resolution (``actors.markets``) to the coordinator's ``Rotation``."""

from __future__ import annotations

from actors.common.polymarket import VenueEndpoints
from actors.coordinator.model import MarketSpec
from actors.coordinator.rotation import Resolve, Window
from actors.markets.config import MarketsConfig
from bus.config import load_or_exit


def gamma_resolver(venue: VenueEndpoints, slug: str, program: str) -> Resolve:
    resolver = load_or_exit(MarketsConfig, program).resolver(slug, venue)

    def resolve(target: str, at_ns: int) -> Window:
        info = resolver.at(at_ns)
        yes, no = info.token_ids
        spec = MarketSpec(market=info.condition_id, yes_asset=yes, no_asset=no, tick=info.tick,
                          min_size=info.min_size, neg_risk=info.neg_risk)
        return Window(spec=spec, slug=info.slug, end_ns=info.window_end_ns if resolver.rotating else 0)

    return resolve
