"""Our token balances at the venue: ``GET /balance-allowance`` per token, parsed (blocking: runs on the
balance check's worker thread, ``check.BalanceCheck``).

``GET /balance-allowance?asset_type=CONDITIONAL&token_id=<token>&signature_type=<n>`` (L2) answers
``{"balance": "<base units>", "allowances": {...}}``; base units are 1e-6 shares, the bus's own unit.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from actors.executor.wire.rest import RestClient

PATH = "/balance-allowance"
MAX_DIGITS = 18  # below 2**63 base units (int64, as on the bus): anything longer is not a balance


class Fetched(NamedTuple):
    balances: dict[str, int]  # token -> 1e-6 shares
    errors: list[str]  # one line per token that could not be fetched


def parse_balance(body: Any) -> int:
    """The ``balance`` field: a non-negative integer of base units (a string, or a JSON number)."""
    raw = body.get("balance") if isinstance(body, dict) else None
    text = str(raw).strip() if isinstance(raw, str | int) and not isinstance(raw, bool) else ""
    whole, dot, frac = text.partition(".")
    integral = whole.isascii() and whole.isdigit() and len(whole) <= MAX_DIGITS
    whole_units = not dot or (frac.isascii() and frac.isdigit() and not frac.strip("0"))  # "12.000"
    if not (integral and whole_units):
        raise ValueError(f"bad balance in {str(body)[:100]!r}")
    return int(whole)


def fetch(rest: RestClient, tokens: list[str], signature_type: int) -> Fetched:
    balances: dict[str, int] = {}
    errors: list[str] = []
    for token in tokens:
        if not (token.isascii() and token.isdigit()):  # a uint256 in decimal; nothing else goes in a URL
            errors.append(f"{token[:12]!r}: not a token id")
            continue
        res = rest.request("GET", PATH, query=f"?asset_type=CONDITIONAL&token_id={token}"
                                             f"&signature_type={signature_type}")
        try:
            if not res.ok:
                raise ValueError(f"HTTP {res.status} {res.error or str(res.body)[:100]}".strip())
            balances[token] = parse_balance(res.body)
        except ValueError as exc:
            errors.append(f"{token[:12]}: {exc}")
    return Fetched(balances, errors)
