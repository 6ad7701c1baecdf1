"""``python -m actors.executor --preflight``: the executor's own start-up checks, reported instead of
trading, for ``python -m actors.ctl doctor`` (the executor is the only program that reads the key, so the
doctor asks it). One JSON line on stdout: whether the key is set (never the key), its address, the wallet
and its type, whether API credentials are given or derivable (``GET /auth/derive-api-key``, the read a dry
run with a real key also makes; never a create), and in live trading the wallet's pUSD balance
(``GET /balance-allowance``, a read), and the pre-signing age bound in force (``presign_max_age_ms``, 0:
off). Nothing is sent otherwise, and no credential is printed.
"""

from __future__ import annotations

import json
import time
from typing import Any

import requests

from actors.executor.config import ExecutorConfig, derives_in_dry_run
from actors.executor.wallet import AccountWallet
from clob.auth import ApiCreds, l1_headers, l2_headers
from clob.signer import Signer
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints

TIMEOUT_S = 5.0


def report(cfg: ExecutorConfig, venue: VenueEndpoints, key: Signer, wallet: AccountWallet,
           given: ApiCredentials) -> dict[str, Any]:
    out: dict[str, Any] = {"key": "set" if cfg.private_key.strip() else "unset", "address": key.address,
                           "wallet": wallet.address, "wallet_type": wallet.wallet_type,
                           "local": venue.is_local, "live": venue.sends_orders and not venue.is_local,
                           "presign_max_age_ms": cfg.presign_max_age_ms}
    creds: ApiCreds | None = None
    if given.complete:
        out["credentials"] = "given"
        creds = ApiCreds(api_key=given.api_key, secret=given.secret, passphrase=given.passphrase)
    elif venue.sends_orders or derives_in_dry_run(cfg, venue, given):
        creds, out["credentials"] = derive(venue.rest_url, key)
    else:
        out["credentials"] = "skipped: a dry run without a key derives nothing"
    if out["live"]:
        found = balance(venue.rest_url, creds, key.address, wallet.signature_type)
        out["balance"], out["no_allowance"], out["balance_error"] = found
    return out


def derive(rest_url: str, key: Signer) -> tuple[ApiCreds | None, str]:
    try:
        reply = requests.get(f"{rest_url}/auth/derive-api-key", timeout=TIMEOUT_S,
                             headers=l1_headers(key, timestamp_s=int(time.time())))
        if not reply.ok:
            return None, f"error: derive refused (HTTP {reply.status_code})"
        body = reply.json()
        creds = ApiCreds(api_key=body["apiKey"], secret=body["secret"], passphrase=body["passphrase"])
        return creds, "derived"
    except (requests.RequestException, KeyError, ValueError, TypeError) as exc:
        return None, f"error: derive failed ({exc.__class__.__name__})"


def balance(rest_url: str, creds: ApiCreds | None, address: str,
            signature_type: int) -> tuple[int | None, list[str], str]:
    """The wallet's pUSD balance, the spenders (exchange contracts) it has not approved, and an error."""
    if creds is None:
        return None, [], "no API credentials"
    path = "/balance-allowance"
    try:
        headers = l2_headers(creds, address=address, timestamp_s=int(time.time()), method="GET", path=path)
        reply = requests.get(f"{rest_url}{path}", headers=headers, timeout=TIMEOUT_S,
                             params={"asset_type": "COLLATERAL", "signature_type": str(signature_type)})
        if not reply.ok:
            return None, [], f"HTTP {reply.status_code}"
        body = reply.json()
        allowances = body.get("allowances") or {}
        return int(body["balance"]), sorted(s for s, v in allowances.items() if not int(v)), ""
    except (requests.RequestException, KeyError, ValueError, TypeError, AttributeError) as exc:
        return None, [], f"not read ({exc.__class__.__name__})"


def line(report_: dict[str, Any]) -> str:
    return json.dumps(report_, sort_keys=True)
