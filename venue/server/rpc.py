"""A Polygon JSON-RPC stub under `/rpc` (the SDK's `rpc_url` pointed here): what a client asks the chain
about a wallet.

`eth_chainId` (137), `eth_blockNumber`, `eth_getBlockByNumber` (the time), `eth_getCode` (a
non-empty code for a deployed wallet), and `eth_call` of the deposit-wallet factory's `beacon()` (the
beacon: the factory is a beacon factory, as the SDK's `derive_current_deposit_wallet_address`
expects), of ERC-20 `allowance` (unlimited) and ERC-1155 `isApprovedForAll` (true); any other call
reverts. Batches (JSON arrays) are answered element by element.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from clob.wallets import FACTORY_BEACON_SELECTOR
from venue.server.http import Request, Response, Router
from venue.server.relayer import is_address, json_body
from venue.wallets import Wallets

CHAIN_ID = 137
_ALLOWANCE = "0xdd62ed3e"  # allowance(address,address)
_IS_APPROVED_FOR_ALL = "0xe985e9c5"  # isApprovedForAll(address,address)
_WORD_MAX = "0x" + "ff" * 32
_WORD_TRUE = "0x" + "00" * 31 + "01"
_WALLET_CODE = "0x363d3d373d3d3d363d"  # any non-empty code: "a contract lives here"


class RpcApi:
    def __init__(self, wallets: Wallets, clock_ns: Callable[[], int] = time.time_ns) -> None:
        self.wallets = wallets
        self.clock_ns = clock_ns

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
        else:
            reply["error"] = {"code": -32601,
                              "message": f"the method {method} does not exist/is not available"}
        return reply

    def _eth_call(self, tx: dict[str, Any]) -> str | None:
        to, data = str(tx.get("to", "")).lower(), str(tx.get("data") or tx.get("input") or "").lower()
        derivation = self.wallets.derivation
        if to == derivation.deposit_wallet_factory.lower() and data == FACTORY_BEACON_SELECTOR:
            return "0x" + "00" * 12 + derivation.deposit_wallet_beacon[2:].lower()
        if data.startswith(_ALLOWANCE):
            return _WORD_MAX
        if data.startswith(_IS_APPROVED_FOR_ALL):
            return _WORD_TRUE
        return None


def _block(now_s: int) -> int:
    return (now_s - 1_590_000_000) // 2  # about Polygon's: one block per 2 s
