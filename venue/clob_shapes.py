"""CLOB market JSON: `/markets/{cid}` (and `/markets`, `/sampling-markets` items), the compact
`/clob-markets/{cid}`, and `/rewards/markets/current` items, with the real field names and types.

The CLOB objects use snake_case and JSON numbers (market.json, clob_market_closed_*.json captures);
the compact form is `c`, `t[{t,o}]`, `mos`, `mts`, `ao`, `r{mi,ma,e}`, `fd{r,e,to}`, `mbf`, `tbf`, ...
as the V2 SDKs read it; rewards items follow the documented `/rewards/markets/current` example.
"""

from __future__ import annotations

from schemas.units import NS, ONE, parse_exact
from venue.markets import USDC_E, Market
from venue.money import iso_date, iso_seconds, to_float

IMAGES = {
    "btc": "https://polymarket-upload.s3.us-east-2.amazonaws.com/BTC+fullsize.png",
    "eth": "https://polymarket-upload.s3.us-east-2.amazonaws.com/ETH+fullsize.png",
}
DEFAULT_IMAGE = "https://polymarket-upload.s3.us-east-2.amazonaws.com/paper-venue.png"
REWARDS_END = "2500-12-31"


def image(market: Market) -> str:
    return IMAGES.get(market.asset, DEFAULT_IMAGE)


def display_prices(market: Market) -> tuple[int, int]:
    """Display prices of (token 0, token 1): winner 1/0 once resolved, else the mid (0.5 when empty)."""
    if market.winner >= 0:
        return (ONE, 0) if market.winner == 0 else (0, ONE)
    bid, ask = market.best_bid, market.best_ask
    if bid and ask:
        mid = (bid + ask) // 2
    elif market.last_trade_price:
        mid = market.last_trade_price
    else:
        mid = ONE // 2
    return mid, ONE - mid


def _clob_rewards_block(market: Market) -> dict[str, object]:
    rates = ([{"asset_address": USDC_E, "rewards_daily_rate": market.rewards_daily_rate}]
             if market.is_reward else None)
    return {"rates": rates, "min_size": market.rewards_min_size,
            "max_spread": float(market.rewards_max_spread)}


def clob_market(market: Market, now_ns: int) -> dict[str, object]:
    """CLOB `GET /markets/{condition_id}` (and the items of `/markets`, `/sampling-markets`)."""
    prices = display_prices(market)
    fee_bps = market.taker_base_fee_bps if market.fees_enabled else 0
    tokens = []
    for index, (token, outcome) in enumerate(zip(market.token_ids, market.outcomes, strict=True)):
        price: float | int = to_float(prices[index])
        if market.winner >= 0:
            price = int(price)
        tokens.append({"token_id": token, "outcome": outcome, "price": price,
                       "winner": market.winner == index})
    return {
        "enable_order_book": True,
        "active": True,
        "closed": market.closed,
        "archived": False,
        "accepting_orders": market.accepting_orders,
        "accepting_order_timestamp": iso_seconds(market.created_ns // NS),
        "minimum_order_size": market.min_size // ONE,
        "minimum_tick_size": to_float(market.tick),
        "condition_id": market.condition_id,
        "question_id": market.question_id,
        "question": market.question,
        "description": market.description,
        "market_slug": market.slug,
        "end_date_iso": iso_seconds(market.window_end_s),
        "game_start_time": None,
        "seconds_delay": 0,
        "fpmm": "",
        "maker_base_fee": fee_bps,
        "taker_base_fee": fee_bps,
        "notifications_enabled": True,
        "neg_risk": False,
        "neg_risk_market_id": "",
        "neg_risk_request_id": "",
        "icon": image(market),
        "image": image(market),
        "rewards": _clob_rewards_block(market),
        "is_50_50_outcome": False,
        "tokens": tokens,
        "tags": ["Crypto", "Up or Down"] if market.kind == "updown" else ["Paper venue"],
    }


def clob_market_info(market: Market) -> dict[str, object]:
    """`GET /clob-markets/{condition_id}`: the compact form the V2 SDKs read tick size and fees from."""
    info: dict[str, object] = {
        "c": market.condition_id,
        "t": [{"t": token, "o": outcome}
              for token, outcome in zip(market.token_ids, market.outcomes, strict=True)],
        "mos": market.min_size // ONE,
        "mts": to_float(market.tick),
        "ao": market.accepting_orders,
        "r": {"mi": market.rewards_min_size, "ma": float(market.rewards_max_spread), "e": market.is_reward},
        "mbf": market.taker_base_fee_bps if market.fees_enabled else 0,
        "tbf": market.taker_base_fee_bps if market.fees_enabled else 0,
        "rfqe": False,
        "ibce": False,
        "gst": None,
        "oas": 0,
    }
    if market.fees_enabled:
        info["fd"] = {"r": to_float(market.fee_rate), "e": market.fee_exponent, "to": True}
    return info


def reward_market(market: Market) -> dict[str, object]:
    """One item of `GET /rewards/markets/current` (documented example shape)."""
    rate = market.rewards_daily_rate
    return {
        "condition_id": market.condition_id,
        "rewards_max_spread": float(market.rewards_max_spread),
        "rewards_min_size": market.rewards_min_size,
        "rewards_config": [{
            "id": 0,
            "asset_address": USDC_E,
            "start_date": iso_date(market.window_start_s),
            "end_date": REWARDS_END,
            "rate_per_day": rate,
            "total_rewards": rate * max(1, (market.window_end_s - market.window_start_s) // 86_400),
        }],
        "sponsored_daily_rate": 0,
        "sponsors_count": 0,
        "native_daily_rate": rate,
        "total_daily_rate": rate,
    }


def rewards_max_spread_units(market: Market) -> int:
    """The reward band in price units (cents -> 1e-6): 4.5 -> 45_000."""
    return parse_exact(market.rewards_max_spread) // 100
