"""Paper accounts of every wallet type, and the exchange's rules for whose orders an API key may post.

An account belongs to an owner key (the address that signs L1 requests, and that every L2 request
names in ``POLY_ADDRESS``, as polymarket-client does for all types). Its *type* (config:
``account_type``, per owner ``account_types``, env ``PM_VENUE_ACCOUNT_TYPE``) fixes its *wallet*, the
funder whose balance its orders use and whose address they carry as ``maker``: the owner itself
(``EOA``), the owner's proxy (``POLY_PROXY``) or Safe (``GNOSIS_SAFE``), or the owner's deposit wallet
(``DEPOSIT_WALLET``, beacon variant), all derived as the SDK derives them (``clob.wallets``). A proxy,
Safe or deposit wallet counts as deployed (relayer ``/deployed``) from the moment its account exists.

The API key is bound to the account. The address "of the API KEY" that an order's ``signer`` must
be is the owner for types 0-2 and the deposit wallet for a deposit-wallet account (its orders are
signed by the wallet through ERC-1271, PROTOCOL.md §3.3). Checks, in order (:func:`order_refusal`),
with the exchange's texts (PROTOCOL.md §3.3, §5):

1. a deposit-wallet account posting a type other than 3: ``maker address not allowed, please use the
   deposit wallet flow`` (what new API users get for EOA / proxy / Safe orders);
2. ``signer`` is not the key's address: ``the order signer address has to be the address of the API
   KEY`` (e.g. a type-3 order from an account that has no deposit wallet, or one signed as the owner);
3. ``maker`` is not the account's wallet: ``maker address not allowed, please use the deposit wallet
   flow`` (a wallet this key has no account for);
4. the signature, checked the exchange's way for its type (``clob.order_json.verify_order_signature``:
   the maker must be the signer's wallet of that type; type 3's envelope must name this order and
   recover to the wallet's owner): ``invalid signature``.
"""

from __future__ import annotations

import msgspec

from clob.order_json import verify_order_signature
from clob.orders import OrderError, SignedOrder
from clob.signer import checksum_address
from clob.wallets import (
    PRODUCTION,
    WalletDerivation,
    WalletType,
    signature_type_of,
    wallet_address,
)

__all__ = [
    "DEPOSIT_WALLET_FLOW",
    "INVALID_SIGNATURE",
    "SIGNER_NOT_API_KEY",
    "Account",
    "Wallets",
    "order_refusal",
]

DEPOSIT_WALLET_FLOW = "maker address not allowed, please use the deposit wallet flow"
SIGNER_NOT_API_KEY = "the order signer address has to be the address of the API KEY"
INVALID_SIGNATURE = "invalid signature"


class Account(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One owner key's paper account (addresses checksummed)."""

    owner: str
    wallet_type: WalletType
    wallet: str

    @property
    def signature_type(self) -> int:
        return signature_type_of(self.wallet_type)

    @property
    def key_address(self) -> str:
        """The address an order's ``signer`` must be: the deposit wallet, else the owner."""
        return self.wallet if self.wallet_type == "DEPOSIT_WALLET" else self.owner


class Wallets:
    """Accounts by owner, opened on first sight with the configured type, and the deployed wallets."""

    def __init__(self, default_type: WalletType, overrides: dict[str, WalletType] | None = None,
                 derivation: WalletDerivation = PRODUCTION) -> None:
        self.default_type = default_type
        self.overrides = {checksum_address(owner): kind for owner, kind in (overrides or {}).items()}
        self.derivation = derivation
        self._accounts: dict[str, Account] = {}
        self._deployed: set[str] = set()

    def account(self, owner: str) -> Account:
        """The owner's account, opened now if new (its wallet then counts as deployed)."""
        owner = checksum_address(owner)
        found = self._accounts.get(owner)
        if found is None:
            kind = self.overrides.get(owner, self.default_type)
            found = self._accounts[owner] = Account(owner=owner, wallet_type=kind,
                                                    wallet=wallet_address(kind, owner, self.derivation))
            if kind != "EOA":
                self.deploy(found.wallet)
        return found

    def deploy(self, wallet: str) -> None:
        self._deployed.add(wallet.lower())

    def is_deployed(self, wallet: str) -> bool:
        return wallet.lower() in self._deployed

    def deployed_wallets(self) -> list[str]:
        """Every deployed wallet (lower case), for the venue's state file."""
        return sorted(self._deployed)


def order_refusal(account: Account, order: SignedOrder,
                  derivation: WalletDerivation = PRODUCTION) -> str | None:
    """The exchange's error text for ``order`` posted with ``account``'s API key, or None (see above)."""
    if account.wallet_type == "DEPOSIT_WALLET" and order.signature_type != 3:
        return DEPOSIT_WALLET_FLOW
    if order.signer.lower() != account.key_address.lower():
        return SIGNER_NOT_API_KEY
    if order.maker.lower() != account.wallet.lower():
        return DEPOSIT_WALLET_FLOW
    try:
        verify_order_signature(order, derivation)
    except OrderError:
        return INVALID_SIGNATURE
    return None
