"""Adapter from market resolution (``venue_client.markets``) to the coordinator's ``Rotation``.

The tick comes from the market (the CLOB; ``TickSizeChange`` on the bus moves it later); the
coordinator's ``PM_TICK_SIZE`` is the fallback for a market whose CLOB entry gives no tick size.
``resolve`` blocks (HTTP, retries): the ``Rotation`` runs it off the loop, one resolution at a time, so
the ``MarketResolver`` behind it is only ever used by one thread at a time.
"""

from __future__ import annotations

from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.model import MarketSpec
from actors.coordinator.rotation import Resolve, Window
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.config import MarketsConfig


def gamma_resolver(venue: VenueEndpoints, cfg: CoordinatorConfig, markets: MarketsConfig) -> Resolve:
    resolver = markets.resolver(cfg.market_slug, venue, default_tick=cfg.tick_size)

    def resolve(target: str, at_ns: int) -> Window:
        info = resolver.at(at_ns)
        spec = MarketSpec(market=info.condition_id, yes_asset=info.yes_asset, no_asset=info.no_asset,
                          tick=info.tick, min_size=info.min_size, neg_risk=info.neg_risk)
        return Window(spec=spec, slug=info.slug, end_ns=info.window_end_ns if resolver.rotating else 0)

    return resolve
