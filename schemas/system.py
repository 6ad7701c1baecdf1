"""System streams: heartbeats, risk events, strategy adjustments, coordinator state."""

from __future__ import annotations

from typing import Literal

import msgspec

from schemas.base import Message


class Heartbeat(Message, frozen=True, tag="sys.hb"):
    """``sys.hb.<program>.`` every second; three missed = dead."""

    program: str
    pid: int
    ready: bool
    gaps: int  # sequence gaps this program has seen on its subscriptions
    ts: int


Severity = Literal["info", "warn", "halt"]


class RiskEvent(Message, frozen=True, tag="risk.event"):
    """``risk.event.<program>.``: anything that stops or limits quoting, for operators and strategies."""

    program: str
    market: str  # condition id or coordinator name; "" when account-wide
    kind: str  # e.g. "balance", "inventory_mismatch", "stop_loss", "shock_halt", "taker_exit"
    severity: Severity
    message: str
    ts: int


class StrategyAdjust(Message, frozen=True, tag="coord.adjust"):
    """A strategy changed one of its own parameters (seed-003's ``strategy_adjust``)."""

    holder: str
    market: str
    field: str
    old: int
    new: int
    reason: str
    ts: int


class FollowStatus(msgspec.Struct, frozen=True, kw_only=True, gc=False, array_like=True):
    """Strategy ``follow``'s round (``CoordinatorState.follow``), 1e-6 units and ns: the state
    (FLAT, BUYING, LONG, SELLING, WAIT_FOR_FLOOR, COOLDOWN), the round number, the last transition's reason,
    the token (``yes`` / ``no``), target, filled, average buy price, floor X, sold, remaining (to buy while
    BUYING, to sell after), the round's status (FILLED, FILLED_TRUNCATED, SOLD, DUST, ABORTED, ...)."""

    state: str
    round: int
    reason: str
    leg: str = ""
    target: int = 0
    filled: int = 0
    avg_price: int = 0
    floor: int = 0
    sold: int = 0
    remaining: int = 0
    status: str = ""
    cooldown_until: int = 0


class CoordinatorState(Message, frozen=True, tag="coord.state"):
    """What a coordinator is doing and why (``coord.state.<holder>.``)."""

    holder: str
    market: str
    strategy: str  # pair_ofi | follow | neutral | rewards
    mode: str  # balanced | hedge | kill | blocked | withdrawn | rotating | ...
    reason: str
    quotes: dict[str, int]  # slot -> price (1e-6) currently wanted
    ts: int
    spread: int = 0  # the strategy's current quoting spread, 1e-6 units of price (0: not quoting two-sided)
    volatility: int = 0  # the strategy's volatility estimate, 1e-6 units (|Δmid|/mid; 0: none)
    follow: FollowStatus | None = None  # strategy follow's round (None: another strategy)


class RewardMarket(Message, frozen=True, tag="rewards.market"):
    """One candidate of the rewards scanner (seed-004), ranked."""

    market: str
    slug: str
    assets: list[str]
    min_size: int  # shares, 1e-6
    max_spread: int  # price distance, 1e-6 (4.5c -> 45_000)
    daily_rate: int  # USDC per day, 1e-6
    volume_24h: int
    end_ts: int
    score: int  # ranking key, 1e-6
    ts: int  # the scan's time: every market of one scan carries the same ts
    rank: int = 0  # 1-based position in this scan's selection (slot market:rewards-<rank> trades it)
    selected: int = 0  # how many markets this scan selected (a rank above it is no longer selected)
    reward_ratio: int = 0  # seed-004's ratio: our shares × 2 / the book's top-two shares × daily rate, 1e-6
    est_daily: int = 0  # our estimated USDC/day: our planned Q_min's share of the pool (PROTOCOL §8.2), 1e-6
    tick: int = 0
    order_size: int = 0  # shares per bid, 1e-6 (seed-004 §2.4.4)
    two_sided: bool = False  # a mid <= 0.10 or >= 0.90: both tokens must be quoted
    question: str = ""


class RewardScoring(Message, frozen=True, tag="rewards.scoring"):
    """Whether each of our orders on a selected reward market scores now (the venue's ``/orders-scoring``,
    polled by the rewards scanner every ``PM_REWARDS_SCORING_S``), and the market's estimated $/day."""

    market: str
    slug: str
    orders: dict[str, bool]  # our open order id -> scoring
    scoring: int  # how many of them score
    est_daily: int  # the scan's estimate of our USDC/day on this market, 1e-6
    ts: int


SystemMessage = Heartbeat | RiskEvent | StrategyAdjust | CoordinatorState | RewardMarket | RewardScoring
