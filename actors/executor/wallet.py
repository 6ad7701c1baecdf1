"""The account's wallet: its type and address from the configuration, and what the exchange's wallet
refusals mean (pure: no I/O; the relayer is asked by ``wire/wallet_check.py``).

Four kinds of account trade on Polymarket (PROTOCOL.md §3.3, ``clob.wallets``): the key's own address
(``EOA``, signature type 0), its proxy (``POLY_PROXY``, 1), its Safe (``GNOSIS_SAFE``, 2) or its deposit
wallet (``DEPOSIT_WALLET``, 3: every account created since 2026-05-04). The wallet is the orders'
``maker`` (for type 3 also their ``signer``) and holds the balances; L1 and L2 requests always name the
key's own address (``POLY_ADDRESS``), as polymarket-client does.

Rules (each broken one is a ``ConfigError`` naming the variable, with the fix in one line):

- the type is ``POLYMARKET_SIGNATURE_TYPE`` (a name or 0..3); empty: in paper mode the local venue's
  ``PM_VENUE_ACCOUNT_TYPE``, else ``EOA``. In paper mode both given and different is an error (the venue
  would refuse every order);
- ``POLYMARKET_FUNDER_ADDRESS``, when given, must be the key's wallet *of that type*
  (``clob.wallets.classify_wallet``); the error names the type it is, if it is one of the key's wallets;
- not given, it is derived from the key (type 3: the current, beacon deposit wallet; trading asks the
  relayer first whether the key's legacy UUPS one is deployed, as polymarket-client does).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from bus.config import ConfigError, Env
from clob.signer import checksum_address
from clob.wallets import (
    WALLET_TYPES,
    WalletType,
    classify_wallet,
    deposit_wallet_addresses,
    signature_type_of,
    wallet_address,
    wallet_type_of,
)

TYPE_VAR = "POLYMARKET_SIGNATURE_TYPE"
FUNDER_VAR = "POLYMARKET_FUNDER_ADDRESS"
VENUE_TYPE_VAR = "PM_VENUE_ACCOUNT_TYPE"
DEPOSIT_WALLET_FLOW = "maker address not allowed"  # "..., please use the deposit wallet flow"
SIGNER_NOT_API_KEY = "has to be the address of the api key"  # "the order signer address has to be ..."
RELAYER_TYPES: dict[WalletType, str] = {"POLY_PROXY": "PROXY", "GNOSIS_SAFE": "SAFE",
                                        "DEPOSIT_WALLET": "WALLET"}
"""The relayer's ``/deployed?type=`` for each kind of wallet (an EOA is never deployed)."""


class AccountWallet(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """Who trades: the key's address (``owner``), the wallet type and the wallet (``address``)."""

    owner: str
    wallet_type: WalletType
    address: str
    given: bool  # POLYMARKET_FUNDER_ADDRESS was set (else derived from the key)
    type_from: str  # the variable the type came from, or "default"

    @property
    def signature_type(self) -> int:
        return signature_type_of(self.wallet_type)

    @property
    def label(self) -> str:
        return f"{self.wallet_type} (type {self.signature_type})"

    def candidates(self) -> tuple[str, ...]:
        """The addresses the relayer is asked about, in order: for a derived deposit wallet the legacy
        (UUPS) one first, then the current (beacon) one, as polymarket-client does; else the wallet."""
        if self.wallet_type == "DEPOSIT_WALLET" and not self.given:
            beacon, uups = deposit_wallet_addresses(self.owner)
            return uups, beacon
        return (self.address,)

    def at(self, address: str) -> AccountWallet:
        return msgspec.structs.replace(self, address=checksum_address(address))


class WalletTypeSettings(msgspec.Struct, frozen=True, kw_only=True):
    """Only the two type settings (``ExecutorConfig`` has them too), for ``deploy/render.py``: ``make up``
    stops on a clash before starting anything, without reading the private key."""

    sig_type: Annotated[str, Env(TYPE_VAR)] = ""
    venue_account_type: Annotated[str, Env(VENUE_TYPE_VAR)] = ""


def parse_type(variable: str, text: str) -> WalletType | None:
    """A wallet type from its name or signature type; None when empty; else ``ConfigError``."""
    if not text.strip():
        return None
    try:
        return wallet_type_of(text)
    except ValueError:
        raise ConfigError(variable, f"{text.strip()!r} is not a wallet type: one of "
                                    f"{', '.join(f'{n} {name}' for n, name in enumerate(WALLET_TYPES))} "
                                    "(the number or the name)") from None


def account_type(type_text: str, venue_type_text: str, *, local: bool) -> tuple[WalletType, str]:
    """``(type, the variable it came from)``: the rules of the table above, without the funder."""
    wanted = parse_type(TYPE_VAR, type_text)
    venue_type = parse_type(VENUE_TYPE_VAR, venue_type_text) if local else None
    if wanted is not None and venue_type is not None and wanted != venue_type:
        n = signature_type_of(venue_type)
        raise ConfigError(TYPE_VAR, f"the local venue's paper account is {venue_type} ({VENUE_TYPE_VAR}="
                                    f"{venue_type_text.strip()}), which refuses {wanted} orders: set "
                                    f"{TYPE_VAR}={n}, or leave it empty (it then follows {VENUE_TYPE_VAR})")
    if wanted is not None:
        return wanted, TYPE_VAR
    if venue_type is not None:
        return venue_type, VENUE_TYPE_VAR
    return "EOA", "default"


def resolve_wallet(owner: str, type_text: str, funder_text: str, venue_type_text: str = "", *,
                   local: bool) -> AccountWallet:
    """The account's wallet from the configuration, or ``ConfigError`` with the fix in one line."""
    owner = checksum_address(owner)
    kind, type_from = account_type(type_text, venue_type_text, local=local)
    n = signature_type_of(kind)
    funder = funder_text.strip()
    if not funder:
        return AccountWallet(owner=owner, wallet_type=kind, address=wallet_address(kind, owner), given=False,
                             type_from=type_from)
    try:
        funder = checksum_address(funder)
    except ValueError:
        raise ConfigError(FUNDER_VAR, "not a 0x + 40-hex address") from None
    found = classify_wallet(owner, funder)
    if found is None:
        raise ConfigError(FUNDER_VAR, f"{funder} is not a wallet of the key's address {owner} (neither it "
                                      "nor its proxy, Safe or deposit wallet): set it to the address "
                                      "polymarket.com shows for this account, or leave it empty to derive "
                                      "it, or check the private key")
    if found != kind:
        expected = wallet_address(kind, owner)
        raise ConfigError(TYPE_VAR, f"{funder} is the key's {found} wallet, not its {kind} ({type_from}): "
                                    f"set {TYPE_VAR}={signature_type_of(found)} to trade as {found}, or "
                                    f"{FUNDER_VAR}={expected} (or empty) to trade as {kind} (type {n})")
    return AccountWallet(owner=owner, wallet_type=kind, address=funder, given=True, type_from=type_from)


def not_deployed(wallet: AccountWallet, relayer_url: str) -> ConfigError:
    """The start-up check's verdict when the relayer knows no deployed wallet of the configured type."""
    where = " or ".join(wallet.candidates())
    if wallet.wallet_type == "DEPOSIT_WALLET":
        return ConfigError(TYPE_VAR, f"the key has no deployed deposit wallet ({where}, relayer "
                                     f"{relayer_url}): log in once on polymarket.com (or run "
                                     "polymarket-client's SecureClient.create) to deploy it, or set "
                                     f"{TYPE_VAR} to the "
                                     "account's own type (README, 'Wallet types')")
    return ConfigError(TYPE_VAR, f"the key's {wallet.wallet_type} wallet {where} is not deployed (relayer "
                                 f"{relayer_url}): this account is of another type: set {TYPE_VAR} and "
                                 f"{FUNDER_VAR} as README 'Wallet types' shows")


def is_wallet_refusal(message: str) -> bool:
    """The exchange refused an order for the account's wallet type (not for the order itself)."""
    lowered = message.lower()
    return DEPOSIT_WALLET_FLOW in lowered or SIGNER_NOT_API_KEY in lowered


def refusal_fix(message: str, wallet: AccountWallet, *, given_creds: bool) -> ConfigError:
    """What a wallet refusal of the exchange means for this configuration, as a ``ConfigError``."""
    said = f"the exchange refused a {wallet.label} order ({message.strip()!r})"
    if DEPOSIT_WALLET_FLOW in message.lower():
        if wallet.wallet_type != "DEPOSIT_WALLET":
            return ConfigError(TYPE_VAR, f"{said}: this account trades through its deposit wallet: set "
                                         f"{TYPE_VAR}=3 and {FUNDER_VAR} to the deposit wallet (or empty)")
        return ConfigError(FUNDER_VAR, f"{said}: {wallet.address} is not this account's deposit wallet: set "
                                       f"{FUNDER_VAR} to the address polymarket.com shows (or empty)")
    if wallet.wallet_type == "DEPOSIT_WALLET":
        return ConfigError(TYPE_VAR, f"{said}: the API key is not bound to the deposit wallet "
                                     f"{wallet.address}: if the account is not a deposit-wallet account, set "
                                     f"{TYPE_VAR} to its type; if it is, set it up once with "
                                     "polymarket-client (SecureClient.create) and start again")
    if given_creds:
        return ConfigError("POLYMARKET_API_KEY", f"{said}: the API key belongs to another address than "
                                                 f"{wallet.owner}: remove POLYMARKET_API_KEY, _SECRET and "
                                                 "_PASSPHRASE (they are then derived from the private key)")
    return ConfigError(TYPE_VAR, f"{said}: the API key is bound to a deposit wallet: set {TYPE_VAR}=3 "
                                 f"(and {FUNDER_VAR} to the deposit wallet, or empty)")
