"""FaultPlan: which request gets latency / 429 / 425, when WebSockets drop or freeze, restarts.

Pure decisions only. The server owns the clock and a seeded `random.Random`; it asks these
functions what applies to a request or a connection *now* and acts on the answer (sleep, send the
status, close the socket, stop forwarding market events). Times are integer nanoseconds;
`start_ns` is when the venue started (restart and freeze schedules are relative to it).

Engine restarts follow the documented pattern: order endpoints return 425 for `restart_425_s`,
then for `restart_post_only_s` only post-only orders (and cancels) are accepted; anything else gets
400 `post-only mode: only post-only orders and cancels are allowed`.
"""

from __future__ import annotations

import random
from typing import Literal

import msgspec

from schemas.units import NS

POST_ONLY_MODE_ERROR = "post-only mode: only post-only orders and cancels are allowed"
RESTART_ERROR = "the matching engine is restarting, please retry later"  # venue wording, status 425
TOO_MANY_REQUESTS = "Too Many Requests"

EnginePhase = Literal["normal", "restarting", "post_only"]


class FaultPlan(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """All faults off by default. Rates are probabilities per request (0..1)."""

    latency_ms: int = 0  # added to every REST response
    latency_jitter_ms: int = 0  # plus uniform 0..jitter
    rate_429: float = 0.0
    retry_after_s: int = 1  # Retry-After header on 429
    rate_425: float = 0.0  # random 425s on order endpoints, outside restarts
    ws_drop_interval_s: float = 0.0  # 0 = never; else close each socket after this long
    freeze_interval_s: float = 0.0  # 0 = never; else a silent market-feed freeze every interval...
    freeze_duration_s: float = 0.0  # ...lasting this long (sockets stay open, PONG still answered)
    failed_trade_rate: float = 0.0  # fraction of trades that go RETRYING -> FAILED and roll back
    restart_interval_s: float = 0.0  # 0 = never; first restart one interval after start
    restart_425_s: float = 90.0
    restart_post_only_s: float = 120.0

    def __post_init__(self) -> None:
        for name in ("rate_429", "rate_425", "failed_trade_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within [0, 1], got {value}")
        for name in (
            "latency_ms", "latency_jitter_ms", "retry_after_s", "ws_drop_interval_s",
            "freeze_interval_s", "freeze_duration_s", "restart_interval_s", "restart_425_s",
            "restart_post_only_s",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.freeze_interval_s and self.freeze_duration_s >= self.freeze_interval_s:
            raise ValueError("freeze_duration_s must be shorter than freeze_interval_s")
        if self.restart_interval_s and (
            self.restart_425_s + self.restart_post_only_s >= self.restart_interval_s
        ):
            raise ValueError("restart_425_s + restart_post_only_s must be shorter than restart_interval_s")


class HttpFault(msgspec.Struct, frozen=True, kw_only=True):
    """What to do with one REST request before (or instead of) handling it."""

    delay_ms: int = 0
    status: int = 0  # 0: handle normally; else reply with this status and `body` / `headers`
    body: dict[str, object] | None = None
    headers: dict[str, str] = {}


def engine_phase(plan: FaultPlan, now_ns: int, start_ns: int) -> EnginePhase:
    """Where the matching engine is in its restart cycle."""
    if plan.restart_interval_s <= 0:
        return "normal"
    interval = int(plan.restart_interval_s * NS)
    elapsed = now_ns - start_ns
    if elapsed < interval:
        return "normal"
    into = (elapsed - interval) % interval
    if into < plan.restart_425_s * NS:
        return "restarting"
    if into < (plan.restart_425_s + plan.restart_post_only_s) * NS:
        return "post_only"
    return "normal"


def decide_http(
    plan: FaultPlan, rng: random.Random, *, now_ns: int, start_ns: int, kind: str, post_only: bool = False
) -> HttpFault:
    """Decide the fault for one REST request.

    `kind` is "order" (POST /order(s)), "cancel" (DELETE /order(s), cancel-all, cancel-market-orders)
    or "other". `post_only` is True when every order in the request is post-only.
    """
    delay = plan.latency_ms
    if plan.latency_jitter_ms:
        delay += rng.randint(0, plan.latency_jitter_ms)
    if plan.rate_429 and rng.random() < plan.rate_429:
        return HttpFault(
            delay_ms=delay, status=429, body={"error": TOO_MANY_REQUESTS},
            headers={"Retry-After": str(plan.retry_after_s)},
        )
    if kind in ("order", "cancel"):
        phase = engine_phase(plan, now_ns, start_ns)
        if phase == "restarting" or (plan.rate_425 and rng.random() < plan.rate_425):
            return HttpFault(delay_ms=delay, status=425, body={"error": RESTART_ERROR})
        if phase == "post_only" and kind == "order" and not post_only:
            return HttpFault(delay_ms=delay, status=400, body={"error": POST_ONLY_MODE_ERROR})
    return HttpFault(delay_ms=delay)


def order_gate(
    plan: FaultPlan, *, now_ns: int, start_ns: int, post_only: bool
) -> tuple[int, dict[str, str]] | None:
    """Restart rules for one order (a batch leg): None = accept, else (status, body)."""
    phase = engine_phase(plan, now_ns, start_ns)
    if phase == "restarting":
        return 425, {"error": RESTART_ERROR}
    if phase == "post_only" and not post_only:
        return 400, {"error": POST_ONLY_MODE_ERROR}
    return None


def ws_drop_due(plan: FaultPlan, *, opened_ns: int, now_ns: int) -> bool:
    """True when a socket opened at `opened_ns` should be dropped (closed without a close frame)."""
    return plan.ws_drop_interval_s > 0 and now_ns - opened_ns >= plan.ws_drop_interval_s * NS


def feed_frozen(plan: FaultPlan, *, now_ns: int, start_ns: int) -> bool:
    """True while the market feed is silently frozen (no book/price_change; PING/PONG still works)."""
    if plan.freeze_interval_s <= 0 or plan.freeze_duration_s <= 0:
        return False
    interval = int(plan.freeze_interval_s * NS)
    elapsed = now_ns - start_ns
    if elapsed < interval:
        return False
    return (elapsed - interval) % interval < plan.freeze_duration_s * NS


def trade_fails(plan: FaultPlan, rng: random.Random) -> bool:
    """Whether a new trade is destined to go RETRYING -> FAILED (and be rolled back)."""
    return plan.failed_trade_rate > 0 and rng.random() < plan.failed_trade_rate
