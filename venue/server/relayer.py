"""The relayer (under `/relayer`): what polymarket-client asks it to set up a wallet (its `relayer_url`
pointed here; Polygon RPC: `venue.server.rpc`).

`SecureClient.create` without `wallet=` asks the relayer whether the owner's deposit wallet is
deployed (`GET /deployed`, UUPS variant first, then the beacon one) and, when it is not, deploys it
(`POST /submit` of a `WALLET-CREATE`, with a relayer or builder API key) and polls the transaction
(`GET /v1/account/transactions/{id}`). A paper account's proxy, Safe or deposit wallet is deployed
when the account opens (`venue.wallets`); a `WALLET-CREATE` deploys the sender's beacon deposit
wallet at once and its transaction is `STATE_CONFIRMED` from the first poll.

Call batches (`WALLET`, `PROXY`, `SAFE`: what `merge_positions` / `redeem_positions` submit for those
wallets) are checked as the wallet contracts check them (`venue.server.relayed`: owner, wallet, nonce,
signature; the nonce comes from `GET /v1/account/transactions/params` or, for a proxy, `GET
/relay-payload`), then executed on the paper chain at once (`venue.server.chain`): the transaction is
`STATE_CONFIRMED`, or `STATE_FAILED` with `error_msg` "execution reverted: <reason>" (then nothing
moved). Other calls (approvals, transfers) revert: every allowance is already unlimited.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from clob.eip712 import keccak256
from clob.signer import checksum_address
from clob.wallets import beacon_deposit_wallet_address
from venue.server.chain import Chain
from venue.server.http import Request, Response, Router
from venue.server.relayed import Refused, read_batch, wallet_of
from venue.wallets import Wallets

_RELAYER_AUTH = ("relayer_api_key", "poly_builder_api_key")
RELAY = "0x7db63fe6d62eb73fb01f8009416f4c2bb4fbda6a"  # the relay address /relay-payload names (any will do)


class RelayerApi:
    def __init__(self, wallets: Wallets, clock_ns: Callable[[], int] = time.time_ns,
                 chain: Chain | None = None) -> None:
        self.wallets = wallets
        self.clock_ns = clock_ns
        self.chain = chain
        self.transactions: dict[str, dict[str, Any]] = {}

    def install(self, router: Router) -> None:
        router.add("GET", "/relayer/deployed", self._deployed)
        router.add("POST", "/relayer/submit", self._submit)
        router.add("GET", "/relayer/v1/account/transactions/params", self._params)
        router.add("GET", "/relayer/relay-payload", self._params)
        router.add("GET", "/relayer/v1/account/transactions/{transaction_id}", self._transaction)

    # ---- relayer ------------------------------------------------------------------------------
    def _deployed(self, req: Request) -> Response:
        address = req.arg("address") or ""
        return Response.json({"deployed": is_address(address) and self.wallets.is_deployed(address)})

    def _submit(self, req: Request) -> Response:
        if not any(req.headers.get(name) for name in _RELAYER_AUTH):
            return Response.error(401, "invalid authorization")
        body = json_body(req)
        kind = body.get("type") if isinstance(body, dict) else None
        sender = body.get("from") if isinstance(body, dict) else None
        if kind in ("WALLET", "PROXY", "SAFE") and isinstance(body, dict) and self.chain is not None:
            return self._batch(body)
        if kind != "WALLET-CREATE":
            return Response.error(400, f"unsupported transaction type on the paper venue: {kind}")
        factory = self.wallets.derivation.deposit_wallet_factory
        to = str(body.get("to", "")) if isinstance(body, dict) else ""
        if not isinstance(sender, str) or not is_address(sender) or to.lower() != factory.lower():
            return Response.error(400, "invalid WALLET-CREATE request")
        wallet = beacon_deposit_wallet_address(sender, self.wallets.derivation)
        self.wallets.deploy(wallet)
        seed = f"{wallet}|{len(self.transactions)}|{self.clock_ns()}".encode()
        tx_id = str(uuid.UUID(bytes=keccak256(seed)[:16], version=4))
        tx_hash = "0x" + keccak256(b"tx|" + seed).hex()
        self.transactions[tx_id] = {
            "transaction_id": tx_id, "transaction_hash": tx_hash, "state": "STATE_CONFIRMED", "type": kind,
            "from": checksum_address(sender), "to": factory, "proxyAddress": wallet,
            "created_at": self.clock_ns() // 1_000_000}
        return Response.json({"transactionID": tx_id, "transactionHash": tx_hash, "state": "STATE_NEW"})

    def _params(self, req: Request) -> Response:
        """The wallet's next nonce (``/v1/account/transactions/params``; ``/relay-payload`` also names the
        relay a proxy transaction goes through: this relayer)."""
        address, kind = req.arg("address") or "", req.arg("type") or ""
        if not is_address(address) or self.chain is None:
            return Response.error(400, "invalid address")
        try:
            wallet = wallet_of(kind, checksum_address(address), self.wallets.derivation)
        except Refused as refused:
            return Response.error(400, str(refused))
        return Response.json({"address": RELAY, "nonce": str(self.chain.next_nonce(wallet))})

    def _batch(self, body: dict[str, Any]) -> Response:
        assert self.chain is not None
        now = self.clock_ns()
        try:
            batch = read_batch(body, self.wallets.derivation, self.chain.next_nonce, now // 1_000_000_000)
        except Refused as refused:
            return Response.error(400, str(refused))
        if not self.wallets.is_deployed(batch.wallet):
            return Response.error(400, f"wallet {batch.wallet} is not deployed")
        self.chain.use_nonce(batch.wallet)
        reason = self.chain.execute(batch.wallet, batch.calls)
        seed = f"{batch.wallet}|{batch.nonce}|{len(self.transactions)}|{now}".encode()
        tx_id = str(uuid.UUID(bytes=keccak256(seed)[:16], version=4))
        tx_hash = "0x" + keccak256(b"tx|" + seed).hex()
        self.chain.record(tx_hash, batch.wallet, reason, 0)
        self.transactions[tx_id] = {
            "transaction_id": tx_id, "transaction_hash": tx_hash,
            "state": "STATE_FAILED" if reason else "STATE_CONFIRMED", "type": batch.kind,
            "from": batch.owner, "proxyAddress": batch.wallet, "nonce": str(batch.nonce),
            "error_msg": f"execution reverted: {reason}" if reason else None,
            "metadata": str(body.get("metadata", "")), "created_at": now // 1_000_000}
        return Response.json({"transactionID": tx_id, "transactionHash": tx_hash, "state": "STATE_NEW"})

    def _transaction(self, req: Request) -> Response:
        found = self.transactions.get(req.params["transaction_id"])
        return Response.error(404, "transaction not found") if found is None else Response.json(found)

def is_address(text: str) -> bool:
    try:
        checksum_address(text)
    except ValueError:
        return False
    return True


def json_body(req: Request) -> Any:
    try:
        return req.json() if req.body else None
    except ValueError:
        return None
