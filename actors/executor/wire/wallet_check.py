"""The start-up check of the account's wallet: is a wallet of the configured type deployed for this key?

Asked of the relayer (``GET /deployed?address=&type=``, a read), as polymarket-client does before it
trades as a proxy, Safe or deposit wallet: a type the account does not have is a ``ConfigError`` with
the fix (``wallet.not_deployed``) before any order is sent, not a refused order per quote. For a
deposit wallet whose address is not configured, the legacy (UUPS) one is asked about first, then the
current (beacon) one, and the first deployed one is the wallet. An EOA is not asked about.

Runs with the credentials' try (``credentials.Session.fetch``, off the loop, within the start-up
deadline): live trading and paper trading, never a dry run (which sends nothing but the L1 derive).
"""

from __future__ import annotations

from typing import NamedTuple

from actors.executor.core.venue_requests import HttpResult
from actors.executor.wallet import RELAYER_TYPES, AccountWallet, not_deployed
from actors.executor.wire.rest import RestClient
from bus.config import ConfigError


class Verdict(NamedTuple):
    """The wallet to trade with; or ``refused`` (a configuration error: exit 2); or ``error`` (try again)."""

    wallet: AccountWallet | None
    refused: ConfigError | None = None
    error: str = ""


def deployed(res: HttpResult) -> bool | None:
    """The relayer's answer: True / False, or None when there is no usable answer."""
    body = res.body
    if not res.ok or not isinstance(body, dict) or not isinstance(body.get("deployed"), bool):
        return None
    return bool(body["deployed"])


class WalletCheck:
    """Asks ``relayer`` (a client of its own) about ``wallet``; ``run`` blocks (a ``Bridge`` worker's)."""

    def __init__(self, relayer: RestClient, wallet: AccountWallet, relayer_url: str) -> None:
        self.relayer, self.wallet, self.url = relayer, wallet, relayer_url

    @property
    def needed(self) -> bool:
        return self.wallet.wallet_type != "EOA"

    def run(self, timeout_ms: int = 0) -> Verdict:
        wallet = self.wallet
        if not self.needed:
            return Verdict(wallet)
        kind = RELAYER_TYPES[wallet.wallet_type]
        for address in wallet.candidates():
            query = f"?address={address}&type={kind}"
            res = self.relayer.request("GET", "/deployed", query=query, auth=False, timeout_ms=timeout_ms)
            answer = deployed(res)
            if answer is None:
                why = f"HTTP {res.status} {res.error}".strip() if res.status == 0 else f"HTTP {res.status}"
                return Verdict(None, error=f"relayer {self.url}/deployed: {why}")
            if answer:
                return Verdict(wallet.at(address))
        return Verdict(None, refused=not_deployed(wallet, self.url))

    def close(self) -> None:
        self.relayer.close()
