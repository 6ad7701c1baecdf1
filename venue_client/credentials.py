"""API credentials: given in the environment, or derived by the executor, then handed to the user-feed.

Only the executor holds ``POLYMARKET_PRIVATE_KEY``. API credentials (``POLYMARKET_API_KEY`` /
``_SECRET`` / ``_PASSPHRASE``) are given, or derived by the executor over L1 and written to
``$PM_RUN_DIR/api-creds.json`` (mode 0600, in the 0700 run directory), where the user-feed reads them.
They never travel on the bus and are never logged. The file also names the account's two addresses:
``address``, the wallet the orders' ``maker`` is (the user-feed recognises our fills by it), and
``signer``, the key's own address that the API key was derived for (``POLY_ADDRESS`` of L2 requests);
they differ for a proxy, Safe or deposit-wallet account.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated

import msgspec

from bus.config import Env


class ApiCredentials(msgspec.Struct, frozen=True, kw_only=True):
    api_key: Annotated[str, Env("POLYMARKET_API_KEY")] = ""
    secret: Annotated[str, Env("POLYMARKET_API_SECRET", secret=True)] = ""
    passphrase: Annotated[str, Env("POLYMARKET_API_PASSPHRASE", secret=True)] = ""
    address: Annotated[str, Env("POLYMARKET_FUNDER_ADDRESS")] = ""
    signer: str = ""  # the key's own address (written by the executor; not read from the environment)

    def __repr__(self) -> str:
        return (f"ApiCredentials(api_key={self.api_key!r}, address={self.address!r}, signer={self.signer!r}, "
                "secret=***)")

    @property
    def complete(self) -> bool:
        return bool(self.api_key and self.secret and self.passphrase)


def creds_path(run_dir: str) -> Path:
    return Path(run_dir) / "api-creds.json"


def write_creds(run_dir: str, creds: ApiCredentials) -> None:
    """Atomically write derived credentials for the user-feed (mode 0600)."""
    path = creds_path(run_dir)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"api_key": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase,
                   "address": creds.address, "signer": creds.signer}, f)
    os.replace(tmp, path)


def read_creds(run_dir: str) -> ApiCredentials | None:
    path = creds_path(run_dir)
    try:
        data = json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return ApiCredentials(api_key=data["api_key"], secret=data["secret"], passphrase=data["passphrase"],
                          address=data.get("address", ""), signer=data.get("signer", ""))
