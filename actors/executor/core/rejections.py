"""HTTP status + error body -> a ``schemas.FailReason`` class and what the executor does about it.

Table-driven from PROTOCOL.md §5 (and the venue's wording where §5 leaves it open). Routing reads the
*message*, not only the status, because the server rewrites statuses ("not found" -> 404,
"unauthorized" -> 401, "context canceled" -> 400: gotcha 24). Rules are checked in order, so the
more specific text comes first ("...order crosses book" before "invalid post-only order").

Effects:
- ``side_backoff``: post-only would cross: back off that holder+asset+side (1 s by default);
- ``rate_backoff``: 429: honour ``Retry-After`` (else 10 s) for that bucket;
- ``restart_backoff``: 425: exponential back-off, then the post-only window;
- ``post_only_mode``: the venue accepts only post-only orders for a while;
- ``balance_block``: block that asset+side and raise a RiskEvent;
- ``reconcile``: unknown outcome (no response, timeout, unexplained 5xx): look the order up by its
  locally computed id before placing again on that slot;
- ``order_pause``: trading disabled / cancel-only: pause placing for a while;
- ``account``: the account or API key is refused (auth, ban, closed-only): a RiskEvent;
- ``wallet``: refused for the account's wallet type ("... please use the deposit wallet flow", "the order
  signer address has to be the address of the API KEY"): a RiskEvent, and the shell exits 2 with a
  ``config_error`` (``actors/executor/wallet.py``: the fix), rather than refusing every re-quote.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from schemas import FailReason

Effect = Literal["none", "side_backoff", "rate_backoff", "restart_backoff", "post_only_mode",
                 "balance_block", "reconcile", "order_pause", "account", "wallet"]


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: FailReason
    effect: Effect
    message: str
    retry_after_ms: int = 0  # from Retry-After (429/425), 0 when absent


# (lower-case substring of the error message, reason, effect); first match wins.
RULES: tuple[tuple[str, FailReason, Effect], ...] = (
    ("order crosses book", "crosses_book", "side_backoff"),
    ("crosses the book", "crosses_book", "side_backoff"),
    ("post-only mode", "post_only_mode", "post_only_mode"),
    ("not enough balance", "balance", "balance_block"),
    ("insufficient balance", "balance", "balance_block"),
    ("allowance is not enough", "balance", "balance_block"),
    ("balance is not enough", "balance", "balance_block"),
    ("breaks minimum tick size rule", "invalid", "none"),
    ("lower than the minimum", "invalid", "none"),
    ("duplicated", "invalid", "none"),
    ("invalid nonce", "invalid", "none"),
    ("invalid expiration", "invalid", "none"),
    ("order_version_mismatch", "invalid", "none"),
    ("invalid order version", "invalid", "none"),
    ("invalid post-only order", "invalid", "none"),  # "only GTC and GTD orders can be post-only"
    ("invalid order payload", "invalid", "none"),
    ("invalid signature", "invalid", "none"),
    ("too many orders in payload", "invalid", "none"),
    ("invalid amount for a marketable buy", "invalid", "none"),
    ("maker address not allowed", "invalid", "wallet"),
    ("has to be the owner of the api key", "rejected", "account"),
    ("has to be the address of the api key", "rejected", "wallet"),
    ("address banned", "rejected", "account"),
    ("closed only mode", "rejected", "account"),
    ("invalid api key", "rejected", "account"),
    ("invalid l1 request headers", "rejected", "account"),
    ("unauthorized", "rejected", "account"),
    ("fok orders are fully filled or killed", "rejected", "none"),
    ("fak orders are partially filled or killed", "rejected", "none"),
    ("fok orders are filled or killed", "rejected", "none"),
    ("not yet ready to process new orders", "rejected", "none"),
    ("order match delayed", "rejected", "none"),
    ("there are no matching orders", "rejected", "none"),
    ("rounding issues", "rejected", "none"),
    ("discrepancy greater than allowed", "rejected", "none"),
    ("context canceled", "unknown_outcome", "reconcile"),  # rewritten to 400 by the server
    ("trading is currently disabled", "rejected", "order_pause"),
    ("cancel-only", "rejected", "order_pause"),
)


def error_text(body: Any) -> str:
    """The venue's message from any of its error shapes (``error``, ``errorMsg``, ``error_msg``, text)."""
    if isinstance(body, dict):
        for key in ("error", "errorMsg", "error_msg", "message"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        return ""
    return body if isinstance(body, str) else ""


MAX_RETRY_AFTER_MS = 3_600_000  # a longer (or absurd) Retry-After is taken as one hour


def retry_after_ms(headers: dict[str, str]) -> int:
    """``Retry-After`` in ms (delta-seconds form; an HTTP date or garbage gives 0), at most one hour."""
    raw = headers.get("retry-after", "").strip()
    try:
        return min(MAX_RETRY_AFTER_MS, max(0, int(float(raw) * 1000))) if raw else 0
    except (ValueError, OverflowError):  # garbage, NaN; inf overflows
        return MAX_RETRY_AFTER_MS if raw.lower().lstrip("+") in ("inf", "infinity") else 0


def classify(status: int, message: str, retry_ms: int = 0) -> Rejection:
    """Classify one failed request (``status`` 0 = no response) or one failed batch leg (400)."""
    if status == 0:
        return Rejection("unknown_outcome", "reconcile", message or "no response")
    if status == 429:
        return Rejection("rate_limited", "rate_backoff", message or "Too Many Requests", retry_ms)
    if status == 425:
        return Rejection("engine_restart", "restart_backoff", message or "engine restarting", retry_ms)
    lowered = message.lower()
    for text, reason, effect in RULES:
        if text in lowered:
            return Rejection(reason, effect, message)
    if status >= 500:
        return Rejection("unknown_outcome", "reconcile", message or f"HTTP {status}")
    if status == 401:
        return Rejection("rejected", "account", message or "HTTP 401")
    return Rejection("rejected", "none", message or f"HTTP {status}")
