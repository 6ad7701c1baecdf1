"""The paper chain: the Conditional Tokens calls a wallet makes to merge and redeem, executed on the
exchange's ledger, and the views the SDK reads first. Used by the relayer routes (a proxy, Safe or deposit
wallet's batch) and the RPC routes (an EOA's own transaction).

polymarket-client 0.14.0 sends, for a market of Gamma ``version: "v1"`` that is not neg-risk:
- ``mergePositions(pUSD, 0, conditionId, [1, 2], amount)`` to the collateral adapter (merge_positions),
  after an ``eth_call`` of ``balanceOfBatch([wallet, wallet], [yes, no])`` on the Conditional Tokens;
- ``redeemPositions(pUSD, 0, conditionId, [1, 2])`` to the collateral adapter (redeem_positions).
Both go to ``venue.settlement`` with the wallet as the holder; a refusal is the contract's revert reason.
A batch is all or nothing: a call that reverts undoes the ones before it. Every other call reverts.

Receipts (``eth_getTransactionReceipt``) and the EOA transaction counts live here too.
"""

from __future__ import annotations

from typing import NamedTuple

from clob.signer import checksum_address
from venue.exchange import Exchange
from venue.server.evm import Args, EvmError, encode_uints, selector, word
from venue.settlement import Revert, Settled

# polymarket-client's PRODUCTION_CONFIG addresses (the SDK, pointed at the venue, sends to these)
COLLATERAL_TOKEN = "0xC011a7E12a19f7B1f670d46F03B03f3342E82DFB"  # pUSD
COLLATERAL_ADAPTERS = frozenset(a.lower() for a in (
    "0xAdA100Db00Ca00073811820692005400218FcE1f",  # collateral adapter
    "0xadA2005600Dec949baf300f4C6120000bDB6eAab",  # neg-risk collateral adapter
    "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"))  # the Conditional Tokens themselves
CONDITIONAL_TOKENS = "0x4D97DCd97eC945f40cF65F87097ACe5EA0476045"

MERGE = selector("mergePositions(address,bytes32,bytes32,uint256[],uint256)")
REDEEM = selector("redeemPositions(address,bytes32,bytes32,uint256[])")
BALANCE_OF = selector("balanceOf(address,uint256)")
BALANCE_OF_BATCH = selector("balanceOfBatch(address[],uint256[])")
BINARY = [1, 2]  # the partition / index sets of a binary market
UNSUPPORTED = "call not supported on the paper chain"


class Call(NamedTuple):
    to: str
    value: int
    data: bytes


class Receipt(NamedTuple):
    tx_hash: str
    sender: str
    status: int  # 1 success, 0 reverted
    block: int
    reason: str  # the revert reason ("" on success)


class Chain:
    def __init__(self, exchange: Exchange) -> None:
        self.exchange = exchange
        self.receipts: dict[str, Receipt] = {}  # tx hash (lower) -> receipt
        self.nonces: dict[str, int] = {}  # address (lower) -> transactions / batches it has sent

    # -- state changes ----------------------------------------------------------------------------

    def execute(self, wallet: str, calls: list[Call]) -> str:
        """Run ``calls`` as ``wallet``, all or nothing; the revert reason, or "" on success."""
        done: list[Settled] = []
        try:
            for call in calls:
                done.append(self._call(wallet, call))
        except Revert as revert:
            for settled in reversed(done):
                self.exchange.undo(settled)
            return revert.reason
        return ""

    def simulate(self, wallet: str, calls: list[Call]) -> str:
        """The revert reason ``execute`` would give, leaving nothing changed (``eth_estimateGas``)."""
        done: list[Settled] = []
        try:
            for call in calls:
                done.append(self._call(wallet, call))
        except Revert as revert:
            return revert.reason
        finally:
            for settled in reversed(done):
                self.exchange.undo(settled)
        return ""

    def record(self, tx_hash: str, sender: str, reason: str, block: int) -> Receipt:
        receipt = Receipt(tx_hash, sender, 0 if reason else 1, block, reason)
        self.receipts[tx_hash.lower()] = receipt
        return receipt

    def next_nonce(self, address: str) -> int:
        return self.nonces.get(address.lower(), 0)

    def use_nonce(self, address: str) -> None:
        self.nonces[address.lower()] = self.next_nonce(address) + 1

    def _call(self, wallet: str, call: Call) -> Settled:
        if call.value or call.to.lower() not in COLLATERAL_ADAPTERS or len(call.data) < 4:
            raise Revert(UNSUPPORTED)
        args = Args(call.data[4:])
        try:
            if call.data[:4] == MERGE and args.uints(3) == BINARY and args.uint(1) == 0:
                return self.exchange.merge(address=wallet, condition_id=args.bytes32(2), amount=args.uint(4))
            if call.data[:4] == REDEEM and args.uints(3) == BINARY and args.uint(1) == 0:
                return self.exchange.redeem(address=wallet, condition_id=args.bytes32(2))
        except EvmError:
            raise Revert(UNSUPPORTED) from None
        raise Revert(UNSUPPORTED)

    # -- views (eth_call) -------------------------------------------------------------------------

    def view(self, to: str, data: bytes) -> str | None:
        """The Conditional Tokens' ``balanceOf`` / ``balanceOfBatch`` (the ledger); None for other calls."""
        if to.lower() != CONDITIONAL_TOKENS.lower():
            return None
        args = Args(data[4:])
        try:
            if data[:4] == BALANCE_OF:
                return "0x" + word(self._balance(args.address(0), args.uint(1))).hex()
            if data[:4] == BALANCE_OF_BATCH:
                owners, ids = args.addresses(0), args.uints(1)
                if len(owners) != len(ids):
                    return None
                return encode_uints([self._balance(o, t) for o, t in zip(owners, ids, strict=True)])
        except EvmError:
            return None
        return None

    def _balance(self, owner: str, token: int) -> int:
        return max(0, self.exchange.token_balance(checksum_address(owner), str(token)))
