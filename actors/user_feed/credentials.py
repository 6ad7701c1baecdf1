"""Where the user-feed's credentials and addresses come from (read-only; never logged).

- API key / secret / passphrase: ``POLYMARKET_API_*`` in the environment, else
  ``$PM_RUN_DIR/api-creds.json``, written by the executor after it derives them over L1.
- our maker (funder) address, to recognise our orders in ``maker_orders[]``: the file's ``address``,
  else ``POLYMARKET_FUNDER_ADDRESS``; on the local venue, the executor's default test account.
- the L2 ``POLY_ADDRESS`` for REST back-fill (the key's own address, that the API key was derived for):
  ``PM_USER_SIGNER_ADDRESS``, else the file's ``signer``, else the funder address (the same for an EOA
  account; a proxy, Safe or deposit-wallet account with ``POLYMARKET_API_*`` given needs
  ``PM_USER_SIGNER_ADDRESS``).
"""

from __future__ import annotations

from typing import NamedTuple

from actors.user_feed.core import Identity
from clob.auth import ApiCreds
from venue_client.credentials import ApiCredentials, read_creds
from venue_client.endpoints import LOCAL_TEST_ADDRESS


class Account(NamedTuple):
    creds: ApiCreds
    me: Identity
    signer: str
    source: str  # "env" | "file"


def find(env: ApiCredentials, run_dir: str, *, signer: str, local: bool) -> Account | None:
    """Our account, or None while neither the environment nor the file has complete credentials."""
    creds, source = (env, "env") if env.complete else (_read_file(run_dir), "file")
    if creds is None or not creds.complete:
        return None
    funder = creds.address or env.address
    fallback = LOCAL_TEST_ADDRESS if local else ""
    api = ApiCreds(api_key=creds.api_key, secret=creds.secret, passphrase=creds.passphrase)
    me = Identity(creds.api_key, funder or signer or fallback)
    return Account(api, me, signer or creds.signer or funder or fallback, source)


def _read_file(run_dir: str) -> ApiCredentials | None:
    try:
        return read_creds(run_dir)
    except (KeyError, TypeError, OSError):  # a file from another version, or unreadable: keep waiting
        return None
