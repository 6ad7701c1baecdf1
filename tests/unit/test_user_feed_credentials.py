"""Where the user-feed's credentials and addresses come from: environment first, else the executor's file."""

from __future__ import annotations

from pathlib import Path

from actors.user_feed.credentials import find
from venue_client.credentials import ApiCredentials, write_creds
from venue_client.endpoints import LOCAL_TEST_ADDRESS

FUNDER = "0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"
SIGNER = "0x1111111111111111111111111111111111111111"
ENV = ApiCredentials(api_key="env-key", secret="c2VjcmV0", passphrase="pp", address=FUNDER)
FILE = ApiCredentials(api_key="file-key", secret="c2VjcmV0Mg==", passphrase="pp2")


def test_environment_credentials_win(tmp_path: Path) -> None:
    write_creds(str(tmp_path), FILE)
    account = find(ENV, str(tmp_path), signer="", local=True)
    assert account is not None and account.source == "env"
    assert (account.creds.api_key, account.me.api_key, account.me.address, account.signer) == (
        "env-key", "env-key", FUNDER, FUNDER)


def test_the_executors_file_is_used_when_the_environment_has_none(tmp_path: Path) -> None:
    address_only = ApiCredentials(address=FUNDER)
    assert find(address_only, str(tmp_path), signer="", local=False) is None  # nothing yet: keep waiting
    write_creds(str(tmp_path), FILE)
    account = find(address_only, str(tmp_path), signer=SIGNER, local=False)
    assert account is not None and account.source == "file" and account.creds.passphrase == "pp2"
    assert (account.me.address, account.signer) == (FUNDER, SIGNER)  # funder from the env, signer override


def test_on_the_local_venue_the_executors_default_account_is_assumed(tmp_path: Path) -> None:
    write_creds(str(tmp_path), FILE)
    local = find(ApiCredentials(), str(tmp_path), signer="", local=True)
    remote = find(ApiCredentials(), str(tmp_path), signer="", local=False)
    assert local is not None and (local.me.address, local.signer) == (LOCAL_TEST_ADDRESS, LOCAL_TEST_ADDRESS)
    assert remote is not None and (remote.me.address, remote.signer) == ("", "")


def test_an_unreadable_or_partial_file_means_keep_waiting(tmp_path: Path) -> None:
    (tmp_path / "api-creds.json").write_text('{"api_key": "k"}')
    assert find(ApiCredentials(), str(tmp_path), signer="", local=True) is None
    (tmp_path / "api-creds.json").write_text("{half")
    assert find(ApiCredentials(), str(tmp_path), signer="", local=True) is None


def test_a_wallet_account_is_known_by_its_wallet_and_asks_rest_as_its_key(tmp_path: Path) -> None:
    """Proxy, Safe, deposit wallet: our fills carry the wallet as maker address, while L2 requests (the
    REST back-fill) name the key's own address, which the executor writes beside it."""
    wallet_file = ApiCredentials(api_key="file-key", secret="c2VjcmV0Mg==", passphrase="pp2", address=FUNDER,
                                 signer=SIGNER)
    write_creds(str(tmp_path), wallet_file)
    account = find(ApiCredentials(), str(tmp_path), signer="", local=True)
    assert account is not None and (account.me.address, account.signer) == (FUNDER, SIGNER)
    assert account.me.owns("someone-else", FUNDER.lower()) and not account.me.owns("x", SIGNER)
    override = find(ApiCredentials(), str(tmp_path), signer=LOCAL_TEST_ADDRESS, local=True)
    assert override is not None and override.signer == LOCAL_TEST_ADDRESS  # PM_USER_SIGNER_ADDRESS wins
