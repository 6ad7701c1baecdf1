"""Gamma market and event JSON (and, re-exported from clob_shapes, the CLOB market shapes).

Gamma mixes JSON numbers with JSON-*encoded* strings (`clobTokenIds`, `outcomes`, `outcomePrices`).
Shapes follow the captures in `tests/fixtures/nautilus_trader/crates_test_data/` (gamma_market.json for
an up/down market and its event and series, gamma_event.json for `clobRewards`).

Every renderer takes a `Market` (plus `now_ns` where Gamma shows an update time); live numbers
(best bid/ask, last trade, volume) come from the fields the Exchange keeps current on the market.
"""

from __future__ import annotations

import json

from schemas.units import NS, ONE
from venue.clob_shapes import (
    REWARDS_END,
    clob_market,
    clob_market_info,
    display_prices,
    image,
    reward_market,
    rewards_max_spread_units,
)
from venue.markets import USDC_E, Market
from venue.money import fmt, iso_date, iso_micro, iso_seconds, to_float

__all__ = [  # the CLOB shapes are re-exported: the server renders every market shape from here
    "clob_market", "clob_market_info", "gamma_event", "gamma_market", "reward_market",
    "rewards_max_spread_units",
]



def _json_list(values: list[str]) -> str:
    """Gamma's JSON-encoded string arrays: '["Up", "Down"]'."""
    return json.dumps(values)


def _resolution_source(market: Market) -> str:
    return f"https://data.chain.link/streams/{market.asset}-usd" if market.kind == "updown" else ""


def _series(market: Market, now_ns: int) -> dict[str, object]:
    return {
        "id": str(10_000 + sum(map(ord, market.series_slug))),
        "ticker": market.series_slug,
        "slug": market.series_slug,
        "title": f"{market.asset.upper()} Up or Down {market.interval}",
        "seriesType": "single",
        "recurrence": market.interval,
        "image": "",
        "icon": "",
        "active": True,
        "closed": False,
        "archived": False,
        "featured": False,
        "restricted": True,
        "createdAt": iso_micro(market.created_ns),
        "updatedAt": iso_micro(now_ns),
        "volume24hr": to_float(market.volume),
        "volume": to_float(market.volume),
        "liquidity": 0.0,
        "commentCount": 0,
        "requiresTranslation": False,
    }


def _event_fields(market: Market, now_ns: int) -> dict[str, object]:
    volume = to_float(market.volume)
    event: dict[str, object] = {
        "id": market.event_id,
        "ticker": market.slug,
        "slug": market.slug,
        "title": market.question,
        "description": market.description,
        "resolutionSource": _resolution_source(market),
        "startDate": iso_micro(market.created_ns),
        "creationDate": iso_micro(market.created_ns),
        "endDate": iso_seconds(market.window_end_s),
        "image": image(market),
        "icon": image(market),
        "active": True,
        "closed": market.closed,
        "archived": False,
        "new": False,
        "featured": False,
        "restricted": True,
        "liquidity": 0.0,
        "volume": volume,
        "openInterest": 0,
        "createdAt": iso_micro(market.created_ns),
        "updatedAt": iso_micro(now_ns),
        "competitive": 0.0,
        "volume24hr": volume,
        "volume1wk": volume,
        "volume1mo": volume,
        "volume1yr": volume,
        "enableOrderBook": True,
        "liquidityClob": 0.0,
        "negRisk": False,
        "commentCount": 0,
    }
    if market.kind == "updown":
        event["series"] = [_series(market, now_ns)]
    event.update({
        "cyom": False,
        "showAllOutcomes": True,
        "showMarketImages": True,
        "enableNegRisk": False,
        "automaticallyActive": True,
        "startTime": iso_seconds(market.window_start_s),
        "seriesSlug": market.series_slug,
        "negRiskAugmented": False,
        "pendingDeployment": False,
        "deploying": False,
        "requiresTranslation": False,
    })
    if market.kind != "updown":
        del event["seriesSlug"]
    return event


def _clob_rewards(market: Market) -> list[dict[str, object]]:
    return [{
        "id": str(80_000 + int(market.gamma_id) % 10_000),
        "conditionId": market.condition_id,
        "assetAddress": USDC_E,
        "rewardsAmount": 0,
        "rewardsDailyRate": market.rewards_daily_rate,
        "startDate": iso_date(market.window_start_s),
        "endDate": REWARDS_END,
    }]


def gamma_market(market: Market, now_ns: int, *, with_events: bool = True) -> dict[str, object]:
    """`GET /markets/slug/{slug}` (and each item of `GET /markets`)."""
    volume = to_float(market.volume)
    first, second = display_prices(market)
    fee_bps = market.taker_base_fee_bps if market.fees_enabled else 0
    data: dict[str, object] = {
        "id": market.gamma_id,
        "question": market.question,
        "conditionId": market.condition_id,
        "version": "v1",  # Protocol-V1 (CTF) market: clobTokenIds; polymarket-client's merge/redeem need it
        "slug": market.slug,
        "resolutionSource": _resolution_source(market),
        "endDate": iso_seconds(market.window_end_s),
        "liquidity": "0",
        "startDate": iso_micro(market.created_ns),
        "image": image(market),
        "icon": image(market),
        "description": market.description,
        "outcomes": _json_list(list(market.outcomes)),
        "outcomePrices": _json_list([fmt(first), fmt(second)]),
        "volume": fmt(market.volume),
        "active": True,
        "closed": market.closed,
        "marketMakerAddress": "",
        "createdAt": iso_micro(market.created_ns),
        "updatedAt": iso_micro(now_ns),
        "new": False,
        "featured": False,
        "archived": False,
        "restricted": True,
        "groupItemThreshold": "0",
        "questionID": market.question_id,
        "enableOrderBook": True,
        "orderPriceMinTickSize": to_float(market.tick),
        "orderMinSize": market.min_size // ONE,
        "volumeNum": volume,
        "liquidityNum": 0.0,
        "endDateIso": iso_date(market.window_end_s),
        "startDateIso": iso_date(market.created_ns // NS),
        "hasReviewedDates": True,
        "volume24hr": volume,
        "volume1wk": volume,
        "volume1mo": volume,
        "volume1yr": volume,
        "clobTokenIds": _json_list(list(market.token_ids)),
        "volume24hrClob": volume,
        "volume1wkClob": volume,
        "volume1moClob": volume,
        "volume1yrClob": volume,
        "volumeClob": volume,
        "liquidityClob": 0.0,
        "makerBaseFee": fee_bps,
        "takerBaseFee": fee_bps,
        "acceptingOrders": market.accepting_orders,
        "negRisk": False,
    }
    if with_events:
        data["events"] = [_event_fields(market, now_ns)]
    data.update({
        "ready": False,
        "funded": False,
        "acceptingOrdersTimestamp": iso_seconds(market.created_ns // NS),
        "cyom": False,
        "competitive": 0.0,
        "pagerDutyNotificationEnabled": False,
        "approved": True,
        "rewardsMinSize": market.rewards_min_size,
        "rewardsMaxSpread": float(market.rewards_max_spread),
        "spread": to_float(market.best_ask - market.best_bid) if market.best_bid and market.best_ask else 0.0,
        "lastTradePrice": to_float(market.last_trade_price),
        "bestBid": to_float(market.best_bid),
        "bestAsk": to_float(market.best_ask),
        "automaticallyActive": True,
        "clearBookOnStart": False,
        "showGmpSeries": False,
        "showGmpOutcome": False,
        "manualActivation": False,
        "negRiskOther": False,
        "umaResolutionStatuses": "[]",
        "pendingDeployment": False,
        "deploying": False,
        "rfqEnabled": False,
        "eventStartTime": iso_seconds(market.window_start_s),
        "holdingRewardsEnabled": False,
        "feesEnabled": market.fees_enabled,
        "requiresTranslation": False,
        "makerRebatesFeeShareBps": 10_000 if market.fees_enabled else 0,
        "feeType": "crypto_fees" if market.fees_enabled else None,
    })
    if market.fees_enabled:
        data["feeSchedule"] = {"exponent": market.fee_exponent, "rate": to_float(market.fee_rate),
                               "takerOnly": True, "rebateRate": float(market.rebate_rate)}
    if market.is_reward:
        data["clobRewards"] = _clob_rewards(market)
    if market.closed:
        data["closedTime"] = iso_seconds(market.closed_ns // NS).replace("T", " ").replace("Z", "+00")
        data["umaResolutionStatus"] = "resolved" if market.winner >= 0 else "proposed"
    return data


def gamma_event(market: Market, now_ns: int) -> dict[str, object]:
    """`GET /events?slug=` item: the market's event (event slug == market slug) with `markets[]`."""
    event = _event_fields(market, now_ns)
    event["markets"] = [gamma_market(market, now_ns, with_events=False)]
    return event
