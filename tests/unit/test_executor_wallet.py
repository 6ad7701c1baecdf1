"""The account's wallet from the configuration (``actors/executor/wallet.py``): every wallet type x the
funder derived, given right, given as another of the key's wallets, or not the key's x the mode, and
what the exchange's wallet refusals tell the operator to change."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from actors.executor.wallet import (
    AccountWallet,
    is_wallet_refusal,
    not_deployed,
    refusal_fix,
    resolve_wallet,
)
from bus.config import ConfigError
from clob.signer import Signer
from clob.wallets import WALLET_TYPES, WalletType, deposit_wallet_addresses, wallet_address
from deploy import render

OWNER = Signer("0x" + "42" * 32).address
OTHER = Signer("0x" + "43" * 32).address
BEACON, UUPS = deposit_wallet_addresses(OWNER)
FLOW = "maker address not allowed, please use the deposit wallet flow"
SIGNER_NOT_KEY = "the order signer address has to be the address of the API KEY"


def wallet_of(kind: WalletType) -> str:
    return wallet_address(kind, OWNER)


# -- the type -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("type_text", "venue_type", "local", "expected", "source"), [
    ("", "", True, "EOA", "default"),
    ("", "", False, "EOA", "default"),
    ("", "DEPOSIT_WALLET", True, "DEPOSIT_WALLET", "PM_VENUE_ACCOUNT_TYPE"),  # paper: follows the venue
    ("", "2", True, "GNOSIS_SAFE", "PM_VENUE_ACCOUNT_TYPE"),
    ("", "DEPOSIT_WALLET", False, "EOA", "default"),  # live: the local venue's setting does not count
    ("3", "", True, "DEPOSIT_WALLET", "POLYMARKET_SIGNATURE_TYPE"),
    ("3", "3", True, "DEPOSIT_WALLET", "POLYMARKET_SIGNATURE_TYPE"),
    ("deposit_wallet", "DEPOSIT_WALLET", True, "DEPOSIT_WALLET", "POLYMARKET_SIGNATURE_TYPE"),
    ("1", "EOA", False, "POLY_PROXY", "POLYMARKET_SIGNATURE_TYPE"),  # live: no clash with the venue
    ("GNOSIS_SAFE", "", False, "GNOSIS_SAFE", "POLYMARKET_SIGNATURE_TYPE"),
    ("0", "", False, "EOA", "POLYMARKET_SIGNATURE_TYPE"),
])
def test_which_type(type_text: str, venue_type: str, local: bool, expected: WalletType, source: str) -> None:
    wallet = resolve_wallet(OWNER, type_text, "", venue_type, local=local)
    assert (wallet.wallet_type, wallet.type_from) == (expected, source)
    assert wallet.signature_type == WALLET_TYPES.index(expected)
    assert wallet.address == wallet_of(expected) and not wallet.given


@pytest.mark.parametrize(("type_text", "venue_type"), [("0", "DEPOSIT_WALLET"), ("3", "EOA"), ("1", "2")])
def test_paper_mode_refuses_a_type_the_venue_account_does_not_have(type_text: str, venue_type: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_wallet(OWNER, type_text, "", venue_type, local=True)
    n = WALLET_TYPES.index(resolve_wallet(OWNER, "", "", venue_type, local=True).wallet_type)
    assert err.value.variable == "POLYMARKET_SIGNATURE_TYPE"
    assert f"POLYMARKET_SIGNATURE_TYPE={n}" in err.value.message  # the fix, in one line
    assert "\n" not in err.value.message


@pytest.mark.parametrize(("variable", "type_text", "venue_type"), [
    ("POLYMARKET_SIGNATURE_TYPE", "4", ""), ("POLYMARKET_SIGNATURE_TYPE", "SAFE", ""),
    ("PM_VENUE_ACCOUNT_TYPE", "", "PROXY"),
])
def test_a_bad_type_names_its_variable(variable: str, type_text: str, venue_type: str) -> None:
    with pytest.raises(ConfigError) as err:
        resolve_wallet(OWNER, type_text, "", venue_type, local=True)
    assert err.value.variable == variable and "DEPOSIT_WALLET" in err.value.message


# -- the funder: every type x (derived, right, another of the key's wallets, not the key's) x mode --

FUNDERS = ("derived", "right", "another", "foreign")
CASES = list(itertools.product(WALLET_TYPES, FUNDERS, (True, False)))


@pytest.mark.parametrize(("kind", "funder", "local"), CASES,
                         ids=[f"{k}-{f}-{'paper' if lo else 'live'}" for k, f, lo in CASES])
def test_the_funder_must_be_the_keys_wallet_of_that_type(kind: WalletType, funder: str, local: bool) -> None:
    other_kind = WALLET_TYPES[(WALLET_TYPES.index(kind) + 1) % 4]
    given = {"derived": "", "right": wallet_of(kind).lower(), "another": wallet_of(other_kind),
             "foreign": wallet_address(kind, OTHER) if kind != "EOA" else OTHER}[funder]
    n = str(WALLET_TYPES.index(kind))
    if funder in ("derived", "right"):
        wallet = resolve_wallet(OWNER, n, given, n if local else "", local=local)
        assert wallet == AccountWallet(owner=OWNER, wallet_type=kind, address=wallet_of(kind),
                                       given=funder == "right", type_from="POLYMARKET_SIGNATURE_TYPE")
        return
    with pytest.raises(ConfigError) as err:
        resolve_wallet(OWNER, n, given, n if local else "", local=local)
    if funder == "another":  # one of the key's wallets: the fix names both ways out
        assert err.value.variable == "POLYMARKET_SIGNATURE_TYPE"
        assert f"POLYMARKET_SIGNATURE_TYPE={WALLET_TYPES.index(other_kind)}" in err.value.message
        assert f"POLYMARKET_FUNDER_ADDRESS={wallet_of(kind)}" in err.value.message
    else:
        assert err.value.variable == "POLYMARKET_FUNDER_ADDRESS" and OWNER in err.value.message


def test_both_deposit_wallet_variants_are_the_keys() -> None:
    for address in (BEACON, UUPS):
        wallet = resolve_wallet(OWNER, "3", address, local=False)
        assert (wallet.address, wallet.given, wallet.candidates()) == (address, True, (address,))
    derived = resolve_wallet(OWNER, "3", "", local=False)
    assert derived.address == BEACON and derived.candidates() == (UUPS, BEACON)  # the SDK's order
    assert resolve_wallet(OWNER, "2", "", local=False).candidates() == (wallet_of("GNOSIS_SAFE"),)


def test_a_malformed_funder() -> None:
    with pytest.raises(ConfigError) as err:
        resolve_wallet(OWNER, "1", "0xnope", local=False)
    assert err.value.variable == "POLYMARKET_FUNDER_ADDRESS"


# -- the relayer's verdict and the exchange's refusals ---------------------------------------------

def test_not_deployed_says_what_to_do() -> None:
    deposit = not_deployed(resolve_wallet(OWNER, "3", "", local=False), "https://relayer")
    assert deposit.variable == "POLYMARKET_SIGNATURE_TYPE"
    assert UUPS in deposit.message and BEACON in deposit.message
    assert "polymarket.com" in deposit.message
    safe = not_deployed(resolve_wallet(OWNER, "2", "", local=False), "https://relayer")
    assert wallet_of("GNOSIS_SAFE") in safe.message and "README" in safe.message


@pytest.mark.parametrize(("message", "wallet_refusal"), [
    (FLOW, True), (SIGNER_NOT_KEY, True), (SIGNER_NOT_KEY.upper(), True),
    ("the order owner has to be the owner of the API KEY", False), ("invalid signature", False),
    ("not enough balance / allowance", False),
])
def test_which_refusals_are_about_the_wallet(message: str, wallet_refusal: bool) -> None:
    assert is_wallet_refusal(message) is wallet_refusal


@pytest.mark.parametrize(("kind", "message", "given_creds", "variable", "fix"), [
    ("EOA", FLOW, False, "POLYMARKET_SIGNATURE_TYPE", "POLYMARKET_SIGNATURE_TYPE=3"),
    ("GNOSIS_SAFE", FLOW, False, "POLYMARKET_SIGNATURE_TYPE", "POLYMARKET_SIGNATURE_TYPE=3"),
    ("DEPOSIT_WALLET", FLOW, False, "POLYMARKET_FUNDER_ADDRESS", "not this account's deposit wallet"),
    ("DEPOSIT_WALLET", SIGNER_NOT_KEY, False, "POLYMARKET_SIGNATURE_TYPE", "not bound to the deposit wallet"),
    ("DEPOSIT_WALLET", SIGNER_NOT_KEY, True, "POLYMARKET_SIGNATURE_TYPE", "not bound to the deposit wallet"),
    ("EOA", SIGNER_NOT_KEY, True, "POLYMARKET_API_KEY", "remove POLYMARKET_API_KEY"),
    ("POLY_PROXY", SIGNER_NOT_KEY, False, "POLYMARKET_SIGNATURE_TYPE", "POLYMARKET_SIGNATURE_TYPE=3"),
])
def test_a_refusal_becomes_the_fix(kind: WalletType, message: str, given_creds: bool, variable: str,
                                   fix: str) -> None:
    wallet = resolve_wallet(OWNER, str(WALLET_TYPES.index(kind)), "", local=False)
    error = refusal_fix(message, wallet, given_creds=given_creds)
    assert error.variable == variable and fix in error.message and message in error.message
    assert "\n" not in error.message


# -- make up: deploy/render.py stops on a clash before anything starts ----------------------------------

@pytest.mark.parametrize(("env", "code"), [
    ({"PM_VENUE_ACCOUNT_TYPE": "DEPOSIT_WALLET"}, 0),  # the executor follows the venue
    ({"PM_VENUE_ACCOUNT_TYPE": "3", "POLYMARKET_SIGNATURE_TYPE": "DEPOSIT_WALLET"}, 0),
    ({"PM_VENUE_ACCOUNT_TYPE": "3", "POLYMARKET_SIGNATURE_TYPE": "0"}, 2),
    ({"POLYMARKET_SIGNATURE_TYPE": "5"}, 2),
    ({"PM_VENUE": "polymarket", "PM_VENUE_ACCOUNT_TYPE": "3", "POLYMARKET_SIGNATURE_TYPE": "0"}, 0),
], ids=str)
def test_make_up_refuses_an_executor_type_the_paper_account_does_not_have(
        env: dict[str, str], code: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("PM_VENUE", "PM_VENUE_ACCOUNT_TYPE", "POLYMARKET_SIGNATURE_TYPE", "PM_LOCAL_VENUE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PM_ENV_FILE", "/dev/null")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = tmp_path / "generated.conf"
    assert render.main(["render.py", str(out)]) == code
    assert out.exists() is (code == 0)
    if code:
        assert "render: POLYMARKET_SIGNATURE_TYPE: " in capsys.readouterr().err
