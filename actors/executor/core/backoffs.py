"""Back-off windows after venue rejections (pure; time in ns is passed in).

While a window is in force, a new ``PlaceOrder`` it covers is refused at once with reason
``backoff`` (``retry_after_ms`` set) instead of being queued: a stale quote is worse than none.
Only orders that are not post-only are refused with ``post_only_mode`` during the post-only window.

| window | key | set by | length |
|---|---|---|---|
| side | holder+asset+side | 400 crosses book | ``cross_ms`` (1 s) |
| block | asset+side | not enough balance / allowance | ``balance_ms`` |
| orders | account | 429 on an order request, 503 trading disabled | Retry-After, else ``rate_ms`` (10 s) |
| cancels | account | 429 / timeout / error on a cancel request | Retry-After, else 1 s |
| restart | account | 425 | 1 s, 2 s, 4 s ... (cap 30 s), at least Retry-After |
| post-only | account | 400 post-only mode, or the first success after 425s | ``post_only_ms`` (2 min) |
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from actors.executor.core.rejections import Rejection
from schemas import FailReason, PlaceOrder
from schemas.units import MS

RESTART_BASE_MS = 1_000
RESTART_CAP_MS = 30_000
CANCEL_RETRY_MS = 1_000

Refusal = tuple[FailReason, int, str]  # (reason, retry_after_ms, message)


@dataclass(slots=True)
class Backoffs:
    cross_ms: int = 1_000
    balance_ms: int = 30_000
    rate_ms: int = 10_000
    post_only_ms: int = 120_000
    sides: dict[tuple[str, str, str], int] = field(default_factory=dict)
    blocked: dict[tuple[str, str], int] = field(default_factory=dict)
    orders_until: int = 0
    cancels_until: int = 0
    restart_until: int = 0
    restart_level: int = 0
    post_only_until: int = 0

    def refusal(self, cmd: PlaceOrder, now: int) -> Refusal | None:
        """Why ``cmd`` cannot be sent now, or None."""
        # checked in this order; a per-side window is only looked up when one exists (the hot path's case)
        if self.restart_until > now:
            return _backoff(self.restart_until, now, "matching-engine restart (425)")
        if self.orders_until > now:
            return _backoff(self.orders_until, now, "order requests paused (429 / trading disabled)")
        if self.sides and (until := self.sides.get((cmd.holder, cmd.asset, cmd.side), 0)) > now:
            return _backoff(until, now, "post-only crossed")
        if self.blocked and (until := self.blocked.get((cmd.asset, cmd.side), 0)) > now:
            return _backoff(until, now, "side blocked: balance")
        if not cmd.post_only and self.post_only_until > now:
            return "post_only_mode", _ms(self.post_only_until - now), "venue accepts only post-only orders"
        return None

    def cancels_blocked(self, now: int) -> bool:
        return max(self.cancels_until, self.restart_until) > now

    def apply(self, rej: Rejection, bucket: Literal["orders", "cancels"], now: int,
              cmd: PlaceOrder | None = None) -> int:
        """Open the window a rejection calls for; returns the retry-after to report (ms)."""
        effect = rej.effect
        if effect == "rate_backoff":
            wait = rej.retry_after_ms or (self.rate_ms if bucket == "orders" else CANCEL_RETRY_MS)
            self._extend(bucket, now + wait * MS)
            return wait
        if effect == "restart_backoff":
            self.restart_level += 1
            wait = max(rej.retry_after_ms, min(RESTART_CAP_MS, RESTART_BASE_MS << (self.restart_level - 1)))
            self.restart_until = max(self.restart_until, now + wait * MS)
            return wait
        if effect == "post_only_mode":
            self.post_only_until = max(self.post_only_until, now + self.post_only_ms * MS)
            return self.post_only_ms
        if effect == "order_pause":
            self._extend("orders", now + self.rate_ms * MS)
            return self.rate_ms
        if effect == "side_backoff" and cmd is not None:
            key = (cmd.holder, cmd.asset, cmd.side)
            self.sides[key] = max(self.sides.get(key, 0), now + self.cross_ms * MS)
            return self.cross_ms
        if effect == "balance_block" and cmd is not None:
            self.blocked[(cmd.asset, cmd.side)] = now + self.balance_ms * MS
            return self.balance_ms
        if bucket == "cancels":  # timeouts and other failures of a cancel: retry soon, never drop
            self._extend("cancels", now + CANCEL_RETRY_MS * MS)
            return CANCEL_RETRY_MS
        return 0

    def _extend(self, bucket: str, until: int) -> None:
        if bucket == "orders":
            self.orders_until = max(self.orders_until, until)
        else:
            self.cancels_until = max(self.cancels_until, until)

    def on_answer(self, status: int, now: int) -> None:
        """Any non-425 answer from an order/cancel endpoint ends a restart; post-only mode follows."""
        if status in (0, 425) or self.restart_level == 0:
            return
        self.restart_level = 0
        self.post_only_until = max(self.post_only_until, now + self.post_only_ms * MS)

    def mode(self, now: int) -> Literal["normal", "post_only", "backoff"]:
        if max(self.restart_until, self.orders_until) > now or self.restart_level:
            return "backoff"
        return "post_only" if self.post_only_until > now else "normal"

    def prune(self, now: int) -> None:
        """Forget expired per-side windows (keeps the dicts small)."""
        self.sides = {k: v for k, v in self.sides.items() if v > now}
        self.blocked = {k: v for k, v in self.blocked.items() if v > now}


def _backoff(until: int, now: int, what: str) -> Refusal:
    return "backoff", _ms(until - now), f"back-off in force: {what}"


def _ms(ns: int) -> int:
    return max(1, -(-ns // MS))
