"""Rejection classes: every PROTOCOL.md §5 error string (and the venue's wording) -> FailReason + effect."""

from __future__ import annotations

import pytest

from actors.executor.core.rejections import classify, error_text, retry_after_ms

OID = "0x" + "ab" * 32

# (status, message, reason, effect): every row of PROTOCOL.md §5, in its order, plus statuses without text.
TABLE = [
    (400, "invalid post-only order: order crosses book", "crosses_book", "side_backoff"),
    (400, f"order {OID} is invalid. Price (0.555) breaks minimum tick size rule: 0.01", "invalid", "none"),
    (400, f"order {OID} is invalid. Size (1) lower than the minimum: 5", "invalid", "none"),
    (400, f"order {OID} is invalid. Duplicated.", "invalid", "none"),
    (400, f"order {OID} crosses the book", "crosses_book", "side_backoff"),
    (400, "not enough balance / allowance", "balance", "balance_block"),
    (400, "not enough balance / allowance: the balance is not enough", "balance", "balance_block"),
    (400, "not enough balance / allowance: allowance is not enough", "balance", "balance_block"),
    (400, "invalid nonce", "invalid", "none"),
    (400, "invalid expiration", "invalid", "none"),
    (400, "order couldn't be fully filled. FOK orders are fully filled or killed.", "rejected", "none"),
    (400, "no orders found to match with FAK order. FAK orders are partially filled or killed if no match is "
          "found.", "rejected", "none"),
    (400, "the market is not yet ready to process new orders", "rejected", "none"),
    (400, "order match delayed due to market conditions", "rejected", "none"),
    (400, "the order owner has to be the owner of the API KEY", "rejected", "account"),
    (400, "the order signer address has to be the address of the API KEY", "rejected", "wallet"),
    (400, "'0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' address banned", "rejected", "account"),
    (400, "'0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266' address in closed only mode", "rejected", "account"),
    (400, "order_version_mismatch", "invalid", "none"),
    (400, "invalid order version, please use the latest clob-client", "invalid", "none"),
    (400, "maker address not allowed, please use the deposit wallet flow", "invalid", "wallet"),
    (400, "post-only mode: only post-only orders and cancels are allowed", "post_only_mode",
     "post_only_mode"),
    (401, "Unauthorized/Invalid api key", "rejected", "account"),
    (401, "Invalid L1 Request headers", "rejected", "account"),
    (425, "the matching engine is restarting, please retry later", "engine_restart", "restart_backoff"),
    (429, "Too Many Requests", "rate_limited", "rate_backoff"),
    (500, "there are no matching orders", "rejected", "none"),
    (500, "FOK orders are filled or killed", "rejected", "none"),
    (500, "the trade contains rounding issues", "rejected", "none"),
    (500, "the price of the taker's order has a discrepancy greater than allowed with the worst maker order",
     "rejected", "none"),
    (503, "Trading is currently disabled. Check status.polymarket.com", "rejected", "order_pause"),
    (503, "Trading is currently cancel-only. New orders are not accepted, but cancels are allowed.",
     "rejected", "order_pause"),
    # the venue's own wording (venue/DESIGN.md) and shapes §5 leaves open
    (400, "invalid post-only order: only GTC and GTD orders can be post-only", "invalid", "none"),
    (400, "Invalid order payload", "invalid", "none"),
    (400, "invalid signature", "invalid", "none"),
    (400, "Too many orders in payload: 16, max allowed: 15", "invalid", "none"),
    (400, "invalid amount for a marketable BUY order ($0.5), min size: $1", "invalid", "none"),
    (400, "Insufficient balance", "balance", "balance_block"),  # fixture http_order_response_failed.json
    # unknown outcomes: no answer, an unexplained 5xx, a server-side cancel rewritten to 400 (gotcha 24)
    (0, "ReadTimeout", "unknown_outcome", "reconcile"),
    (0, "", "unknown_outcome", "reconcile"),
    (500, "Internal server error", "unknown_outcome", "reconcile"),
    (502, "", "unknown_outcome", "reconcile"),
    (504, "upstream timed out", "unknown_outcome", "reconcile"),
    (400, "context canceled", "unknown_outcome", "reconcile"),
    # no message to go by
    (401, "", "rejected", "account"),
    (404, "404 page not found", "rejected", "none"),
    (400, "something new", "rejected", "none"),
]


@pytest.mark.parametrize(("status", "message", "reason", "effect"), TABLE)
def test_every_error_string_has_its_class(status: int, message: str, reason: str, effect: str) -> None:
    rej = classify(status, message)
    assert (rej.reason, rej.effect) == (reason, effect)


def test_message_is_kept_for_the_coordinator() -> None:
    assert classify(400, "invalid post-only order: order crosses book").message == (
        "invalid post-only order: order crosses book")
    assert classify(0, "").message == "no response"


def test_routing_reads_the_message_not_the_status() -> None:
    # gotcha 24: "not found" is rewritten to 404, "unauthorized" to 401: the text decides
    assert classify(404, "not enough balance / allowance").reason == "balance"
    assert classify(500, "invalid post-only order: order crosses book").reason == "crosses_book"


@pytest.mark.parametrize(("headers", "ms"), [
    ({"retry-after": "3"}, 3000),
    ({"retry-after": "0.5"}, 500),
    ({"retry-after": "Wed, 21 Oct 2026 07:28:00 GMT"}, 0),
    ({}, 0),
])
def test_retry_after_header(headers: dict[str, str], ms: int) -> None:
    assert retry_after_ms(headers) == ms


def test_429_and_425_carry_retry_after() -> None:
    assert classify(429, "", 2000).retry_after_ms == 2000
    assert classify(425, "", 1000).retry_after_ms == 1000


@pytest.mark.parametrize(("body", "text"), [
    ({"error": "boom"}, "boom"),
    ({"errorMsg": "leg failed", "success": True}, "leg failed"),
    ({"error_msg": "Invalid Heartbeat ID", "heartbeat_id": "x"}, "Invalid Heartbeat ID"),
    ("404 page not found", "404 page not found"),
    (None, ""),
    ({"errorMsg": None}, ""),
])
def test_error_text_of_every_shape(body: object, text: str) -> None:
    assert error_text(body) == text
