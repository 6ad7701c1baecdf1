"""A Polygon JSON-RPC stub under `/rpc` (the SDK's `rpc_url` pointed here): what a client asks the chain
about a wallet.

`eth_chainId` (137), `eth_blockNumber`, `eth_getBlockByNumber` (the time), `eth_getCode` (a
non-empty code for a deployed wallet), and `eth_call` of the deposit-wallet factory's `beacon()` (the
beacon: the factory is a beacon factory, as the SDK's `derive_current_deposit_wallet_address`
expects), of ERC-20 `allowance` (unlimited) and ERC-1155 `isApprovedForAll` (true), of the Conditional
Tokens' `balanceOf` / `balanceOfBatch` (the ledger's token balances); any other call reverts. Batches
(JSON arrays) are answered element by element.

An EOA's own transactions (what `merge_positions` / `redeem_positions` broadcast for an EOA account,
`_internal/eoa`): `eth_getTransactionCount` (the account's count, pending), `eth_gasPrice`,
`eth_estimateGas` (a call to the collateral adapter is run and undone first: a revert is the node's
error, code 3, "execution reverted: <reason>"), `eth_sendRawTransaction` (a signed EIP-155 legacy
transaction for chain 137 with the sender's next nonce, else -32000 "nonce too low" / "nonce too
high" / "invalid chain id"; executed at once on the paper chain, `venue.server.chain`; a reverted one
is mined with status 0 and nothing moved) and `eth_getTransactionReceipt`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clob.signer import checksum_address
from clob.wallets import FACTORY_BEACON_SELECTOR
from venue.server.chain import COLLATERAL_ADAPTERS, Call, Chain
from venue.server.evm import EvmError, hex_bytes, legacy_transaction
from venue.server.http import Request, Response, Router
from venue.server.relayer import is_address, json_body
from venue.wallets import Wallets

CHAIN_ID = 137
_ALLOWANCE = "0xdd62ed3e"  # allowance(address,address)
_IS_APPROVED_FOR_ALL = "0xe985e9c5"  # isApprovedForAll(address,address)
_WORD_MAX = "0x" + "ff" * 32
_WORD_TRUE = "0x" + "00" * 31 + "01"
_WALLET_CODE = "0x363d3d373d3d3d363d"  # any non-empty code: "a contract lives here"
GAS_PRICE = 30_000_000_000  # wei (30 gwei): paper gas costs nothing
GAS = 200_000


class RpcApi:
    def __init__(self, wallets: Wallets, clock_ns: Callable[[], int] = time.time_ns,
                 chain: Chain | None = None) -> None:
        self.wallets = wallets
        self.clock_ns = clock_ns
        self.chain = chain

    def install(self, router: Router) -> None:
        router.add("POST", "/rpc", self._rpc)

    def _rpc(self, req: Request) -> Response:
        body = json_body(req)
        if isinstance(body, list):
            return Response.json([self._rpc_one(one) for one in body])
        return Response.json(self._rpc_one(body))

    def _rpc_one(self, call: object) -> dict[str, Any]:
        if not isinstance(call, dict) or not isinstance(call.get("method"), str):
            return {"jsonrpc": "2.0", "id": None, "error": {"code": -32600, "message": "invalid request"}}
        method, params = call["method"], call.get("params")
        params = params if isinstance(params, list) else []
        reply: dict[str, Any] = {"jsonrpc": "2.0", "id": call.get("id")}
        now_s = self.clock_ns() // 1_000_000_000
        if method == "eth_chainId":
            reply["result"] = hex(CHAIN_ID)
        elif method == "eth_blockNumber":
            reply["result"] = hex(_block(now_s))
        elif method == "eth_getBlockByNumber":
            reply["result"] = {"number": hex(_block(now_s)), "timestamp": hex(now_s)}
        elif method == "eth_getCode":
            address = params[0] if params and isinstance(params[0], str) else ""
            deployed = is_address(address) and self.wallets.is_deployed(address)
            reply["result"] = _WALLET_CODE if deployed else "0x"
        elif method == "eth_call":
            result = self._eth_call(params[0] if params and isinstance(params[0], dict) else {})
            if result is None:
                reply["error"] = {"code": 3, "message": "execution reverted"}
            else:
                reply["result"] = result
        elif self.chain is not None and method in _CHAIN_METHODS:
            answer = getattr(self, "_" + method)(params, now_s)
            reply.update(answer)
        else:
            reply["error"] = {"code": -32601,
                              "message": f"the method {method} does not exist/is not available"}
        return reply

    # -- an EOA's transactions (the paper chain) --------------------------------------------------------

    def _eth_getTransactionCount(self, params: list[Any], now_s: int) -> dict[str, Any]:
        assert self.chain is not None
        address = str(params[0]) if params else ""
        return {"result": hex(self.chain.next_nonce(address))}

    def _eth_gasPrice(self, params: list[Any], now_s: int) -> dict[str, Any]:
        return {"result": hex(GAS_PRICE)}

    def _eth_estimateGas(self, params: list[Any], now_s: int) -> dict[str, Any]:
        assert self.chain is not None
        tx = params[0] if params and isinstance(params[0], dict) else {}
        to = str(tx.get("to", ""))
        if to.lower() in COLLATERAL_ADAPTERS and is_address(str(tx.get("from", ""))):
            try:
                call = Call(to, int(str(tx.get("value") or "0x0"), 16), hex_bytes(tx.get("data") or "0x"))
            except (EvmError, ValueError):
                return {"error": {"code": -32602, "message": "invalid argument"}}
            reason = self.chain.simulate(checksum_address(str(tx["from"])), [call])
            if reason:
                return {"error": _revert(reason)}
        return {"result": hex(GAS)}

    def _eth_sendRawTransaction(self, params: list[Any], now_s: int) -> dict[str, Any]:
        assert self.chain is not None
        try:
            tx = legacy_transaction(hex_bytes(params[0] if params else ""))
        except EvmError as error:
            return {"error": {"code": -32000, "message": f"invalid transaction: {error}"}}
        if tx.chain_id != CHAIN_ID:
            return {"error": {"code": -32000, "message": "invalid chain id"}}
        expected = self.chain.next_nonce(tx.sender)
        if tx.nonce != expected:
            message = "nonce too low" if tx.nonce < expected else "nonce too high"
            return {"error": {"code": -32000, "message": message}}
        self.chain.use_nonce(tx.sender)
        reason = self.chain.execute(tx.sender, [Call(tx.to, tx.value, tx.data)])
        self.chain.record(tx.hash, tx.sender, reason, _block(now_s))
        return {"result": tx.hash}

    def _eth_getTransactionReceipt(self, params: list[Any], now_s: int) -> dict[str, Any]:
        assert self.chain is not None
        found = self.chain.receipts.get(str(params[0]).lower()) if params else None
        if found is None:
            return {"result": None}
        return {"result": {"transactionHash": found.tx_hash, "from": found.sender,
                           "status": hex(found.status), "blockNumber": hex(found.block), "gasUsed": hex(GAS),
                           "logs": []}}

    def _eth_call(self, tx: dict[str, Any]) -> str | None:
        to, data = str(tx.get("to", "")).lower(), str(tx.get("data") or tx.get("input") or "").lower()
        if self.chain is not None:
            try:
                viewed = self.chain.view(to, hex_bytes(data))
            except EvmError:
                viewed = None
            if viewed is not None:
                return viewed
        derivation = self.wallets.derivation
        if to == derivation.deposit_wallet_factory.lower() and data == FACTORY_BEACON_SELECTOR:
            return "0x" + "00" * 12 + derivation.deposit_wallet_beacon[2:].lower()
        if data.startswith(_ALLOWANCE):
            return _WORD_MAX
        if data.startswith(_IS_APPROVED_FOR_ALL):
            return _WORD_TRUE
        return None


_CHAIN_METHODS = frozenset({"eth_getTransactionCount", "eth_gasPrice", "eth_estimateGas",
                            "eth_sendRawTransaction", "eth_getTransactionReceipt"})


def _revert(reason: str) -> dict[str, Any]:
    """A node's answer to a call that reverts with ``Error(reason)``."""
    encoded = reason.encode()
    data = ("0x08c379a0" + (32).to_bytes(32, "big").hex() + len(encoded).to_bytes(32, "big").hex()
            + encoded.ljust((len(encoded) + 31) // 32 * 32, b"\0").hex())
    return {"code": 3, "message": f"execution reverted: {reason}", "data": data}


def _block(now_s: int) -> int:
    return (now_s - 1_590_000_000) // 2  # about Polygon's: one block per 2 s
