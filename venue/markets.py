"""Catalogue: rotating crypto up/down windows plus long-lived reward markets.

Up/down slugs are `{asset}-updown-{label}-{window_start}` with `window_start` a unix second aligned
to the window length. `VenueConfig.window_seconds` shortens every window (e.g. 20 s); the slug keeps
its label ("5m") while its start stays aligned to the shortened length. Windows are listed
`windows_ahead` windows before they start, accept orders from then until their end, and are closed
and resolved at the end (the Exchange decides the winner from the latent spot walk).

Ids are deterministic functions of the seed and the slug, so a restarted venue with the same seed
serves the same condition ids and token ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from schemas.units import MICRO, NS, parse_exact
from venue.changes import Changes
from venue.config import RewardSpec, VenueConfig, parse_fair

ASSET_NAMES = {
    "btc": "Bitcoin", "eth": "Ethereum", "sol": "Solana", "xrp": "XRP", "doge": "Dogecoin",
    "bnb": "BNB", "hype": "Hyperliquid",
}
USDC_E = "0x2791Bca1f2de4661ED88A30C99A7a9449Aa84174"  # reward asset address as served
_ET = ZoneInfo("America/New_York")


@dataclass(slots=True, eq=False)
class Market:
    """One binary market (two tokens, index 0 = Yes/Up, 1 = No/Down). Mutable venue state included."""

    slug: str
    condition_id: str
    question_id: str
    gamma_id: str
    event_id: str
    question: str
    description: str
    outcomes: tuple[str, str]
    token_ids: tuple[str, str]
    kind: str  # "updown" | "reward"
    asset: str
    interval: str  # "5m" ... ("" for reward markets)
    window_start_s: int  # up/down: window start; reward: creation
    window_end_s: int
    created_ns: int
    tick: int  # 1e-6 units; changes with tick_size_change
    min_size: int  # shares, 1e-6 units
    fees_enabled: bool
    fee_rate: int  # 1e-6 units (0.07 -> 70_000)
    fee_exponent: int
    taker_base_fee_bps: int
    rewards_min_size: int  # whole shares
    rewards_max_spread: str  # cents, decimal string
    rewards_daily_rate: int  # whole pUSD per day, 0 = no reward pool
    series_slug: str = ""
    rebate_rate: str = "0.2"
    accepting_orders: bool = True
    closed: bool = False
    closed_ns: int = 0
    winner: int = -1  # -1 unresolved, else winning token index
    redeemed: bool = False
    last_trade_price: int = 0  # Yes-token price of the last trade, 0 = none yet
    best_bid: int = 0  # Yes-token top of book, kept current by the Outbox; 0 = empty side
    best_ask: int = 0
    volume: int = 0  # pUSD units traded
    extra: dict[str, object] = field(default_factory=dict)

    def token_index(self, token_id: str) -> int:
        return 0 if token_id == self.token_ids[0] else 1

    @property
    def is_reward(self) -> bool:
        return self.rewards_daily_rate > 0


def _digest(seed: int, *parts: str) -> bytes:
    return hashlib.sha256("|".join((str(seed), *parts)).encode()).digest()


def market_ids(seed: int, slug: str, outcomes: tuple[str, str]) -> dict[str, object]:
    """Deterministic ids for a slug: condition id, question id, token ids, Gamma ids."""
    tokens = tuple(str(int.from_bytes(_digest(seed, "token", slug, o), "big")) for o in outcomes)
    return {
        "condition_id": "0x" + _digest(seed, "condition", slug).hex(),
        "question_id": "0x" + _digest(seed, "question", slug).hex(),
        "token_ids": tokens,
        "gamma_id": str(1_000_000 + int.from_bytes(_digest(seed, "gamma", slug)[:4], "big") % 8_999_999),
        "event_id": str(100_000 + int.from_bytes(_digest(seed, "event", slug)[:4], "big") % 899_999),
    }


def _clock(moment: datetime) -> str:
    return moment.strftime("%I:%M%p").lstrip("0")


def updown_question(asset: str, start_s: int, end_s: int) -> str:
    """"Bitcoin Up or Down - March 12, 5:20AM-5:25AM ET" (Eastern time, as the venue titles them)."""
    start = datetime.fromtimestamp(start_s, tz=UTC).astimezone(_ET)
    end = datetime.fromtimestamp(end_s, tz=UTC).astimezone(_ET)
    name = ASSET_NAMES.get(asset, asset.upper())
    return f"{name} Up or Down - {start.strftime('%B')} {start.day}, {_clock(start)}-{_clock(end)} ET"


def updown_description(asset: str) -> str:
    name = ASSET_NAMES.get(asset, asset.upper())
    pair = f"{asset.upper()}/USD"
    return (
        f'This market will resolve to "Up" if the {name} price at the end of the time range specified in '
        f"the title is greater than or equal to the price at the beginning of that range. Otherwise, it "
        f'will resolve to "Down".\nThe resolution source for this market is information from Chainlink, '
        f"specifically the {pair} data stream available at https://data.chain.link/streams/{asset}-usd.\n"
        f"Please note that this market is about the price according to Chainlink data stream {pair}, not "
        f"according to other sources or spot markets."
    )


class Catalogue:
    """All markets the venue serves, by condition id, token id and slug."""

    def __init__(self, config: VenueConfig, *, seed: int, changes: Changes | None = None) -> None:
        self._config = config
        self._seed = seed
        self.changes = changes if changes is not None else Changes()
        self.markets: dict[str, Market] = {}
        self.by_token: dict[str, Market] = {}
        self.by_slug: dict[str, Market] = {}

    # lookups -------------------------------------------------------------------------------
    def get(self, condition_id: str) -> Market | None:
        return self.markets.get(condition_id)

    def token(self, token_id: str) -> Market | None:
        return self.by_token.get(token_id)

    def slug(self, slug: str) -> Market | None:
        return self.by_slug.get(slug)

    def all(self) -> list[Market]:
        return list(self.markets.values())

    def open_markets(self) -> list[Market]:
        return [m for m in self.markets.values() if not m.closed]

    def reward_markets(self) -> list[Market]:
        return [m for m in self.markets.values() if m.is_reward and not m.closed]

    # rotation ----------------------------------------------------------------------------------
    def bootstrap(self, now_ns: int) -> list[Market]:
        """Create the reward markets and every window that should exist now."""
        created = [self._reward_market(i, now_ns) for i in range(self._config.reward_markets)]
        created += [self._spec_market(spec, now_ns) for spec in self._config.reward_specs]
        return created + self.ensure_windows(now_ns)

    def ensure_windows(self, now_ns: int) -> list[Market]:
        """Create missing up/down windows: the current one and `windows_ahead` after it."""
        created: list[Market] = []
        now_s = now_ns // NS
        for label in self._config.intervals:
            length = self._config.window_length(label)
            first = now_s // length * length
            for k in range(self._config.windows_ahead + 1):
                start = first + k * length
                for asset in self._config.assets:
                    slug = f"{asset}-updown-{label}-{start}"
                    if slug not in self.by_slug:
                        created.append(self._updown_market(asset, label, start, start + length, now_ns))
        return created

    def due_to_close(self, now_ns: int) -> list[Market]:
        """Open up/down markets whose window has ended."""
        now_s = now_ns // NS
        return [m for m in self.markets.values()
                if not m.closed and m.kind == "updown" and m.window_end_s <= now_s]

    def close(self, market: Market, now_ns: int) -> None:
        market.closed = True
        market.accepting_orders = False
        market.closed_ns = now_ns
        self.changes.market(market.condition_id)

    def prune(self, now_ns: int, keep: Callable[[Market], bool] = lambda market: False) -> list[Market]:
        """Forget closed, redeemed markets older than `retain_closed_s` (but not those `keep` names: an
        account still holds their tokens, so they must stay redeemable)."""
        horizon = now_ns - self._config.retain_closed_s * NS
        gone = [m for m in self.markets.values()
                if m.closed and m.redeemed and m.closed_ns <= horizon and not keep(m)]
        for market in gone:
            del self.markets[market.condition_id]
            del self.by_slug[market.slug]
            for token in market.token_ids:
                del self.by_token[token]
            self.changes.market(market.condition_id)
        return gone

    # construction ------------------------------------------------------------------------------
    def restore(self, market: Market) -> None:
        """Put back a stored market (venue.persist)."""
        self._index(market)

    def _add(self, market: Market) -> Market:
        self.changes.market(market.condition_id)
        return self._index(market)

    def _index(self, market: Market) -> Market:
        self.markets[market.condition_id] = market
        self.by_slug[market.slug] = market
        for token in market.token_ids:
            self.by_token[token] = market
        return market

    def _common(self, slug: str, outcomes: tuple[str, str]) -> dict[str, object]:
        cfg = self._config
        ids = market_ids(self._seed, slug, outcomes)
        return {
            **ids,
            "slug": slug,
            "outcomes": outcomes,
            "tick": cfg.tick_units,
            "min_size": cfg.min_order_size * MICRO,
            "fee_exponent": cfg.fee_exponent,
            "rewards_min_size": cfg.rewards_min_size,
            "rewards_max_spread": cfg.rewards_max_spread,
        }

    def _updown_market(self, asset: str, label: str, start: int, end: int, now_ns: int) -> Market:
        cfg = self._config
        return self._add(Market(
            **self._common(f"{asset}-updown-{label}-{start}", ("Up", "Down")),  # type: ignore[arg-type]
            question=updown_question(asset, start, end),
            description=updown_description(asset),
            kind="updown",
            asset=asset,
            interval=label,
            window_start_s=start,
            window_end_s=end,
            created_ns=now_ns,
            fees_enabled=True,
            fee_rate=parse_exact(cfg.fee_rate),
            taker_base_fee_bps=cfg.taker_base_fee_bps,
            rewards_daily_rate=0,
            series_slug=f"{asset}-up-or-down-{label}",
            rebate_rate=cfg.rebate_rate,
        ))

    def _reward_market(self, index: int, now_ns: int) -> Market:
        cfg = self._config
        slug = f"venue-reward-market-{index + 1}"
        if slug in self.by_slug:
            return self.by_slug[slug]
        now_s = now_ns // NS
        return self._add(Market(
            **self._common(slug, ("Yes", "No")),  # type: ignore[arg-type]
            question=f"Will paper-venue reward market #{index + 1} resolve Yes?",
            description="A long-lived market of the local paper venue that pays liquidity rewards. "
            "It does not resolve while the venue runs.",
            kind="reward",
            asset="",
            interval="",
            window_start_s=now_s,
            window_end_s=now_s + 365 * 86_400,
            created_ns=now_ns,
            fees_enabled=False,
            fee_rate=0,
            taker_base_fee_bps=0,
            rewards_daily_rate=cfg.reward_daily_rate,
        ))

    def _spec_market(self, spec: RewardSpec, now_ns: int) -> Market:
        """A reward market of its own shape (`VenueConfig.reward_specs`); its starting fair in `extra`."""
        if spec.slug in self.by_slug:
            return self.by_slug[spec.slug]
        now_s = now_ns // NS
        common = self._common(spec.slug, ("Yes", "No"))
        common.update(rewards_min_size=spec.min_size, rewards_max_spread=spec.max_spread)
        return self._add(Market(
            **common,  # type: ignore[arg-type]
            question=spec.question,
            description="A long-lived market of the local paper venue that pays liquidity rewards "
            "(a configured shape). It does not resolve while the venue runs.",
            kind="reward",
            asset="",
            interval="",
            window_start_s=now_s,
            window_end_s=now_s + spec.days * 86_400,
            created_ns=now_ns,
            fees_enabled=False,
            fee_rate=0,
            taker_base_fee_bps=0,
            rewards_daily_rate=spec.daily_rate,
            extra={"fair": parse_fair(spec.fair)},
        ))
