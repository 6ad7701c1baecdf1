"""The blocking half of settlement: polymarket-client's own ``merge_positions`` / ``redeem_positions``
(never a hand-rolled transaction), run on the settlement part's worker thread, one job at a time.

The SDK client is created on first use, with the executor's API credentials, for the account's wallet
(``POLYMARKET_FUNDER_ADDRESS``, else the signer: the SDK tells the wallet type from the address): an EOA
sends its own transaction over JSON-RPC, a proxy, Safe or deposit wallet goes through the relayer (with
``PM_RELAYER_API_KEY``). Against the local venue every URL of the SDK's environment is the venue's
(``/relayer``, ``/rpc``, Gamma, the CLOB), so paper mode never leaves the machine.

Before a merge the venue's balances of both tokens are read (``GET /balance-allowance``): the merge is
``min(inventory's pairs, the venue's yes, the venue's no)``, skipped below the command's ``min_size``. A
redemption burns what the venue holds of both tokens and pays the winning ones; the balances read first
are what the settlement reports. A result is a ``Settlement`` only once the transaction is confirmed
(``handle.wait()``); any error leaves nothing reported (the rules retry later).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from actors.executor.settlement.config import PAPER_RELAYER_KEY, SettlementConfig
from actors.executor.settlement.rules import Job, Outcome, Skipped
from clob.auth import ApiCreds
from schemas import Settlement
from schemas.settlement import redemption
from venue_client.endpoints import VenueEndpoints

if TYPE_CHECKING:  # the SDK is imported on first use (a merge or redemption), on the worker thread: it
    # takes ~1.3 s and ~40 MB, which every executor start would otherwise pay
    from polymarket import SecureClient
    from polymarket.environments import Environment

POLL_MS = 100  # how often a local transaction is polled (the venue confirms at once)


def environment(venue: VenueEndpoints) -> Environment:
    """The SDK's environment: Polymarket's, or every URL on the local venue (nothing else is reachable)."""
    from polymarket import PRODUCTION
    from polymarket._internal.environment import PRODUCTION_CONFIG, create_environment

    if not venue.is_local:
        if not (venue.rest_url_override or venue.gamma_url_override):
            return PRODUCTION
        return create_environment(name="custom", config=dataclasses.replace(
            PRODUCTION_CONFIG, clob_url=venue.rest_url, gamma_url=venue.gamma_url))
    local = venue.local_url.rstrip("/")
    urls: dict[str, Any] = {f.name: f"{local}/unused/{f.name}" for f in dataclasses.fields(PRODUCTION_CONFIG)
            if f.name.endswith("_url")}
    urls.update(clob_url=venue.rest_url, gamma_url=venue.gamma_url, relayer_url=f"{local}/relayer",
                rpc_url=f"{local}/rpc", clob_market_ws_url=f"{venue.ws_base_url}/market",
                clob_user_ws_url=f"{venue.ws_base_url}/user")
    return create_environment(name="local", config=dataclasses.replace(
        PRODUCTION_CONFIG, **urls, relayer_poll_frequency_ms=POLL_MS))


class Chain:
    """The SDK for this account; used by one worker thread at a time (never by the loop)."""

    def __init__(self, *, private_key: str, wallet: str, signer: str, venue: VenueEndpoints,
                 cfg: SettlementConfig, creds: Callable[[], ApiCreds | None]) -> None:
        self._key = private_key  # never logged
        self.wallet, self.venue, self.creds = wallet, venue, creds
        self.relayer_key = cfg.relayer_api_key or (PAPER_RELAYER_KEY if venue.is_local else "")  # secret
        self.relayer_address = cfg.relayer_api_key_address or signer
        self._client: SecureClient | None = None

    def run(self, job: Job) -> Outcome:
        try:
            client = self._sdk()
            return self._merge(client, job) if job.kind == "merge" else self._redeem(client, job)
        except BaseException:
            self.close()  # a fresh client (connections, credentials) for the next job
            raise

    def _sdk(self) -> SecureClient:
        if self._client is None:
            from polymarket import SecureClient
            from polymarket.auth import RelayerApiKey
            from polymarket.models.clob.api_key import ApiKeyCreds

            api_key = RelayerApiKey(key=self.relayer_key, address=self.relayer_address) \
                if self.relayer_key else None
            creds = self.creds()
            given = ApiKeyCreds(key=creds.api_key, secret=creds.secret, passphrase=creds.passphrase) \
                if creds is not None else None
            self._client = SecureClient.create(private_key=self._key, wallet=self.wallet,
                                               environment=environment(self.venue), credentials=given,
                                               api_key=api_key)
        return self._client

    def _merge(self, client: SecureClient, job: Job) -> Outcome:
        yes, no = self._balance(client, job.yes_asset), self._balance(client, job.no_asset)
        pairs = min(job.amount, yes, no)
        if pairs <= 0 or pairs < job.min_size:
            return Skipped(f"pairs: inventory {job.amount}, venue {yes}/{no}, min {job.min_size}")
        tx = client.merge_positions(condition_id=job.market, amount=pairs).wait().transaction_hash
        return Settlement(key=f"merge:{tx}", kind="merge", market=job.market, yes_asset=job.yes_asset,
                          no_asset=job.no_asset, yes=pairs, no=pairs, usdc=pairs, tx=str(tx),
                          source="executor", ts=time.time_ns())

    def _redeem(self, client: SecureClient, job: Job) -> Outcome:
        yes, no = self._balance(client, job.yes_asset), self._balance(client, job.no_asset)
        if yes <= 0 and no <= 0:
            return Skipped("the venue holds none of either token")
        tx = client.redeem_positions(condition_id=job.market).wait().transaction_hash
        return redemption(job.market, job.yes_asset, job.no_asset, job.winner, yes, no, str(tx),
                          time.time_ns())

    @staticmethod
    def _balance(client: SecureClient, token: str) -> int:
        return int(client.get_balance_allowance(asset_type="CONDITIONAL", token_id=token).balance)

    def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            client.close()
