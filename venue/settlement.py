"""Merging and redeeming outcome tokens: what the Conditional Tokens contract does, on the paper ledger.

- ``merge(address, market, amount)`` (``mergePositions`` with the binary partition): burns ``amount`` of
  each of the market's two tokens from ``address`` and credits ``amount`` pUSD (one pair is worth 1).
  Refused, as the contract's token transfer refuses, when either token's free balance (owned, less
  what open SELL orders reserve) is short.
- ``redeem(address, market)`` (``redeemPositions``, index sets [1, 2]): once the market is resolved,
  burns everything ``address`` holds of both tokens and credits 1 pUSD per winning share (the losing
  ones pay 0). Before the resolution it is refused. Holding nothing is not an error: the contract pays 0.

A refusal raises ``Revert`` with the contract's own revert reason; nothing has moved then. Each success
returns the ``Delta``s it applied (what a reverted batch rolls back). Pure: no clock, no I/O.
"""

from __future__ import annotations

from typing import NamedTuple

from venue.ledger import Ledger
from venue.markets import Market
from venue.matching import COLLATERAL, Delta

NOT_PREPARED = "condition not prepared yet"  # no such condition (ConditionalTokens)
NOT_RESOLVED = "result for condition not received yet"  # redeem before the resolution
SHORT = "SafeMath: subtraction overflow"  # the ERC-1155 balance would go below zero


class Revert(Exception):
    """A call the chain would revert; ``reason`` is the contract's revert string."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Settled(NamedTuple):
    deltas: list[Delta]
    burned: tuple[int, int]  # shares of (token 0, token 1) burned
    paid: int  # pUSD credited


def free(ledger: Ledger, address: str, token: str) -> int:
    """Shares of ``token`` at ``address`` not reserved by open orders (never opens an account)."""
    held = ledger.positions(address).get(token, 0)
    return held - ledger.reserved(address, token) if held else 0


def merge(ledger: Ledger, market: Market | None, address: str, amount: int) -> Settled:
    if market is None:
        raise Revert(NOT_PREPARED)
    if amount < 0 or any(free(ledger, address, token) < amount for token in market.token_ids):
        raise Revert(SHORT)
    if amount == 0:
        return Settled([], (0, 0), 0)
    deltas = [(address, token, -amount) for token in market.token_ids]
    deltas.append((address, COLLATERAL, amount))
    ledger.apply(deltas)
    return Settled(deltas, (amount, amount), amount)


def redeem(ledger: Ledger, market: Market | None, address: str) -> Settled:
    if market is None:
        raise Revert(NOT_PREPARED)
    if market.winner < 0:
        raise Revert(NOT_RESOLVED)
    held = ledger.positions(address)
    burned = (max(0, held.get(market.token_ids[0], 0)), max(0, held.get(market.token_ids[1], 0)))
    paid = burned[market.winner]
    deltas = [(address, token, -n) for token, n in zip(market.token_ids, burned, strict=True) if n]
    if paid:
        deltas.append((address, COLLATERAL, paid))
    ledger.apply(deltas)
    return Settled(deltas, burned, paid)
