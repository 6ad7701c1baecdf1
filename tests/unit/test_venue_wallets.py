"""venue.wallets: paper accounts of every type and which orders an account's API key may post,
refused with the exchange's own texts (PROTOCOL.md §3.3, §5)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from clob.orders import SignedOrder, build_order, sign_order
from clob.signer import Signer
from clob.wallets import (
    WALLET_TYPES,
    WalletType,
    beacon_deposit_wallet_address,
    proxy_wallet_address,
    safe_wallet_address,
    uups_deposit_wallet_address,
)
from venue.config import VenueConfig, VenueEnv
from venue.wallets import (
    DEPOSIT_WALLET_FLOW,
    INVALID_SIGNATURE,
    SIGNER_NOT_API_KEY,
    Account,
    Wallets,
    order_refusal,
)

KEY = Signer("0x" + "11" * 32)
OTHER = Signer("0x" + "22" * 32)
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"


def order(signature_type: int, maker: str, *, by: Signer = KEY, signer: str | None = None) -> SignedOrder:
    unsigned = build_order(signer=signer or (maker if signature_type == 3 else by.address), maker=maker,
                           signature_type=signature_type, token_id=TOKEN, side="BUY", price_u=450_000,
                           size_u=10_000_000, tick_u=10_000, salt=5, timestamp_ms=1_760_000_000_000)
    return sign_order(by, unsigned, neg_risk=False)


OWNER = KEY.address
DEPOSIT = beacon_deposit_wallet_address(OWNER)
ORDERS: dict[str, Callable[[], SignedOrder]] = {
    "EOA order": lambda: order(0, OWNER),
    "proxy order": lambda: order(1, proxy_wallet_address(OWNER)),
    "Safe order": lambda: order(2, safe_wallet_address(OWNER)),
    "deposit-wallet order": lambda: order(3, DEPOSIT),
    "deposit-wallet order with the owner as signer": lambda: msgspec.structs.replace(
        order(3, DEPOSIT), signer=OWNER),
    "legacy UUPS deposit-wallet order": lambda: order(3, uups_deposit_wallet_address(OWNER)),
    "another key's EOA order": lambda: order(0, OTHER.address, by=OTHER),
    "EOA order with another key's signature": lambda: msgspec.structs.replace(
        order(0, OWNER), signature=order(0, OTHER.address, by=OTHER).signature),
    "proxy order labelled type 2": lambda: order(2, proxy_wallet_address(OWNER)),
    "deposit-wallet order signed by another key": lambda: order(3, DEPOSIT, by=OTHER),
}
OK = None
EXPECTED: dict[WalletType, dict[str, str | None]] = {
    "EOA": {
        "EOA order": OK,
        "proxy order": DEPOSIT_WALLET_FLOW,
        "Safe order": DEPOSIT_WALLET_FLOW,
        "deposit-wallet order": SIGNER_NOT_API_KEY,  # the key's address is the owner; no deposit wallet
        "deposit-wallet order with the owner as signer": DEPOSIT_WALLET_FLOW,
        "another key's EOA order": SIGNER_NOT_API_KEY,
        "EOA order with another key's signature": INVALID_SIGNATURE,
    },
    "POLY_PROXY": {
        "EOA order": DEPOSIT_WALLET_FLOW,
        "proxy order": OK,
        "Safe order": DEPOSIT_WALLET_FLOW,
        "deposit-wallet order": SIGNER_NOT_API_KEY,
        "proxy order labelled type 2": INVALID_SIGNATURE,  # maker is not the signer's Safe
    },
    "GNOSIS_SAFE": {
        "EOA order": DEPOSIT_WALLET_FLOW,
        "proxy order": DEPOSIT_WALLET_FLOW,
        "Safe order": OK,
        "deposit-wallet order": SIGNER_NOT_API_KEY,
    },
    "DEPOSIT_WALLET": {
        "EOA order": DEPOSIT_WALLET_FLOW,  # what new API users get for EOA orders
        "proxy order": DEPOSIT_WALLET_FLOW,
        "Safe order": DEPOSIT_WALLET_FLOW,
        "deposit-wallet order": OK,
        "deposit-wallet order with the owner as signer": SIGNER_NOT_API_KEY,  # py-clob-client-v2 #64
        "legacy UUPS deposit-wallet order": SIGNER_NOT_API_KEY,  # another wallet than the account's
        "another key's EOA order": DEPOSIT_WALLET_FLOW,
        "deposit-wallet order signed by another key": INVALID_SIGNATURE,
    },
}
CASES = [(kind, name, want) for kind, table in EXPECTED.items() for name, want in table.items()]


@pytest.mark.parametrize(("wallet_type", "name", "expected"), CASES, ids=[f"{k}:{n}" for k, n, _ in CASES])
def test_each_account_type_accepts_its_own_orders_and_refuses_the_rest(
    wallet_type: WalletType, name: str, expected: str | None
) -> None:
    account = Wallets(wallet_type).account(OWNER)
    assert order_refusal(account, ORDERS[name]()) == expected


@pytest.mark.parametrize("wallet_type", WALLET_TYPES)
def test_an_account_holds_its_wallet_derived_from_the_owner(wallet_type: WalletType) -> None:
    wallets = Wallets(wallet_type)
    account = wallets.account(OWNER.lower())
    expected = {"EOA": OWNER, "POLY_PROXY": proxy_wallet_address(OWNER),
                "GNOSIS_SAFE": safe_wallet_address(OWNER), "DEPOSIT_WALLET": DEPOSIT}[wallet_type]
    assert account == Account(owner=OWNER, wallet_type=wallet_type, wallet=expected)
    assert account.signature_type == WALLET_TYPES.index(wallet_type)
    assert account.key_address == (DEPOSIT if wallet_type == "DEPOSIT_WALLET" else OWNER)
    assert wallets.is_deployed(expected) == (wallet_type != "EOA")  # a contract wallet exists at once
    assert wallets.account(OWNER) is account


def test_per_owner_types_override_the_default_and_deploy_marks_a_wallet() -> None:
    wallets = Wallets("EOA", {OTHER.address.lower(): "DEPOSIT_WALLET"})
    assert wallets.account(OWNER).wallet_type == "EOA"
    assert wallets.account(OTHER.address).wallet == beacon_deposit_wallet_address(OTHER.address)
    assert not wallets.is_deployed(DEPOSIT)
    wallets.deploy(DEPOSIT.lower())
    assert wallets.is_deployed(DEPOSIT)


def test_config_types_accept_names_and_numbers() -> None:
    config = VenueConfig(account_type="3", account_types={OWNER: "gnosis_safe", OTHER.address: "1"})
    assert config.default_wallet_type == "DEPOSIT_WALLET"
    assert config.wallet_type_overrides == {OWNER: "GNOSIS_SAFE", OTHER.address: "POLY_PROXY"}
    assert VenueConfig().default_wallet_type == "EOA"


@pytest.mark.parametrize("raw", [{"account_type": "SAFE"}, {"account_types": {"0x12": "EOA"}},
                                 {"account_types": {OWNER: "4"}}])
def test_bad_account_types_are_refused(raw: dict[str, object]) -> None:
    with pytest.raises(msgspec.ValidationError, match="account_type"):
        msgspec.convert(raw, VenueConfig)


def test_the_environment_sets_the_account_type_over_the_file() -> None:
    assert VenueEnv().apply(VenueConfig(account_type="POLY_PROXY")).account_type == "POLY_PROXY"
    assert VenueEnv(account_type="deposit_wallet").apply(VenueConfig()).account_type == "DEPOSIT_WALLET"
