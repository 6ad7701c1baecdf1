"""Paper balances: pUSD and outcome tokens per address, with reservations for open orders.

`balance` is what the address owns; `reserved` is what its open orders have set aside (pUSD for
BUYs, shares for SELLs); `available = balance - reserved` is what a new order may use. Trades move
balances at MATCHED (as the venue's own balance view does); a FAILED trade applies the inverse
deltas, which restores every balance the trade touched. Balances may dip below zero after such a
rollback if the tokens were already spent; that is the paper equivalent of an on-chain failure.

Every account created and every balance moved (``apply``) is marked in ``changes``, so the venue's store
writes it (``venue.persist``): a new way of moving balances goes through ``apply`` (or marks the address).
Reservations are not stored: they are the open orders' (``Order.reserved``), restored with the orders.
"""

from __future__ import annotations

from collections.abc import Iterable

from venue.changes import Changes
from venue.matching import COLLATERAL, Delta


class Account:
    __slots__ = ("balances", "reserved")

    def __init__(self) -> None:
        self.balances: dict[str, int] = {}  # asset ("" = pUSD, else token id) -> units
        self.reserved: dict[str, int] = {}


class Ledger:
    def __init__(self, *, start_balance: int, changes: Changes | None = None) -> None:
        self._start_balance = start_balance
        self._accounts: dict[str, Account] = {}
        self.changes = changes if changes is not None else Changes()

    def _account(self, address: str) -> Account:
        account = self._accounts.get(address)
        if account is None:
            account = self._accounts[address] = Account()
            account.balances[COLLATERAL] = self._start_balance
            self.changes.balance(address)
        return account

    def open(self, address: str, *, balance: int | None = None) -> None:
        """Create an account (start balance unless given); existing accounts are left alone."""
        if address not in self._accounts:
            self._account(address)
            if balance is not None:
                self._accounts[address].balances[COLLATERAL] = balance

    def balance(self, address: str, asset: str = COLLATERAL) -> int:
        return self._account(address).balances.get(asset, 0)

    def reserved(self, address: str, asset: str = COLLATERAL) -> int:
        return self._account(address).reserved.get(asset, 0)

    def available(self, address: str, asset: str = COLLATERAL) -> int:
        account = self._account(address)
        return account.balances.get(asset, 0) - account.reserved.get(asset, 0)

    def reserve(self, address: str, asset: str, amount: int) -> None:
        reserved = self._account(address).reserved
        reserved[asset] = reserved.get(asset, 0) + amount

    def release(self, address: str, asset: str, amount: int) -> None:
        if amount <= 0:
            return
        reserved = self._account(address).reserved
        left = reserved.get(asset, 0) - amount
        if left > 0:
            reserved[asset] = left
        else:
            reserved.pop(asset, None)

    def apply(self, deltas: Iterable[Delta]) -> None:
        for address, asset, delta in deltas:
            if delta == 0:
                continue
            self.changes.balance(address)
            balances = self._account(address).balances
            value = balances.get(asset, 0) + delta
            if value == 0 and asset != COLLATERAL:
                balances.pop(asset, None)
            else:
                balances[asset] = value

    def rollback(self, deltas: Iterable[Delta]) -> None:
        self.apply((address, asset, -delta) for address, asset, delta in deltas)

    def positions(self, address: str) -> dict[str, int]:
        """Token id -> shares (1e-6 units), non-zero only."""
        account = self._accounts.get(address)
        if account is None:
            return {}
        return {asset: units for asset, units in account.balances.items() if asset != COLLATERAL and units}

    def holders(self, token_ids: tuple[str, ...]) -> list[tuple[str, str, int]]:
        """(address, token, shares) for every non-zero holding of these tokens."""
        wanted = set(token_ids)
        return [
            (address, asset, units)
            for address, account in self._accounts.items()
            for asset, units in account.balances.items()
            if asset in wanted and units
        ]

    # the store's view ----------------------------------------------------------------------------
    def balances_of(self, address: str) -> dict[str, int] | None:
        """Every balance of the address (pUSD under ""), or None when it has no account."""
        account = self._accounts.get(address)
        return None if account is None else account.balances

    def restore(self, address: str, balances: dict[str, int]) -> None:
        """Put back a stored account's balances (nothing reserved: the restored orders reserve)."""
        account = self._accounts[address] = Account()
        account.balances.update(balances)
