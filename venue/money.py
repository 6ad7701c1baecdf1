"""Exact money as the venue prints it: integer 1e-6 units -> short decimal strings, fees, ids.

USDC (pUSD) and outcome-token shares both have 6 decimals, so one integer unit is 1e-6 of either.
Prices are also held in 1e-6 units (0.52 -> 520_000). The venue prints numbers as short decimal
strings without trailing zeros: "0.5", "0.518", "12848.17", "5", "0". The constants and the parsing
of decimal text (exact: ``parse_exact``) are the bus's own, in ``schemas.units``.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from schemas.units import MICRO, NS

_FMT_CACHE: dict[int, str] = {}


def fmt(units: int) -> str:
    """Format 1e-6 units as the venue does: shortest decimal, no trailing zeros."""
    cached = _FMT_CACHE.get(units)
    if cached is not None:
        return cached
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), MICRO)
    text = f"{sign}{whole}" if frac == 0 else f"{sign}{whole}.{frac:06d}".rstrip("0")
    if 0 <= units <= MICRO and units % 100 == 0:  # prices on any tick grid: a small, bounded set
        _FMT_CACHE[units] = text
    return text


def to_float(units: int) -> float:
    """Gamma serves some numbers as JSON numbers; only for rendering, never for arithmetic."""
    return float(Decimal(units) / MICRO)


def notional(price: int, shares: int) -> int:
    """pUSD units for `shares` at `price` (both 1e-6 units), rounded down."""
    return price * shares // MICRO


def taker_fee(shares: int, price: int, rate: int, exponent: int = 1) -> int:
    """Crypto taker fee `shares * rate * (p * (1 - p)) ** exponent` in pUSD units, rounded to 5 dp."""
    if rate <= 0 or shares <= 0:
        return 0
    curve = price * (MICRO - price)  # p(1-p) scaled by 1e12
    value = shares * rate * curve**exponent
    denominator = MICRO * MICRO ** (2 * exponent)
    fee = value // denominator
    return (fee + 5) // 10 * 10  # round half up to 5 decimals (10 units)


def iso_seconds(seconds: int) -> str:
    """2026-03-12T09:25:00Z"""
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_micro(ns: int) -> str:
    """2026-03-11T09:27:51.140253Z"""
    stamp = datetime.fromtimestamp(ns // NS, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ns % NS // 1_000:06d}Z"


def iso_date(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%d")


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID string drawn from `rng` (deterministic under a seed)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def new_hex(rng: random.Random, nbytes: int = 32) -> str:
    """0x-prefixed random hex of `nbytes` bytes drawn from `rng`."""
    return "0x" + rng.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()
