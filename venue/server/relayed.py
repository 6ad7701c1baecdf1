"""What a relayer ``POST /submit`` of a call batch carries, checked as the wallet contracts check it, and the
calls it makes (polymarket-client 0.14.0's ``_internal/actions/relayer``: ``gasless.py``, ``signing/``).

- ``WALLET``: the wallet is ``depositWalletParams.depositWallet``, the beacon deposit wallet of ``from``,
  deployed; signed by ``from`` (the owner): EIP-712 ``Batch(wallet, nonce, deadline, Call[] calls)``,
  domain ``DepositWallet`` / ``1`` / 137 / the wallet; the calls are ``depositWalletParams.calls``.
- ``PROXY``: the wallet is ``proxyWallet``, the proxy of ``from``; signed: personal-sign of
  ``keccak("rlx:" from to data relayerFee gasPrice gasLimit nonce relayHub relay)``; the calls are
  ``data`` = ``proxy((uint8,address,uint256,bytes)[])`` to the proxy factory.
- ``SAFE``: the wallet is ``proxyWallet``, the Safe of ``from``; signed: personal-sign of the EIP-712
  ``SafeTx`` digest (domain: chain id, the Safe), ``v`` + 4; the call is ``to`` / ``data`` (operation
  0), or the calls packed in ``multiSend(bytes)`` (operation 1).

The nonce must be the wallet's next one (a deposit wallet's mismatch says so in the words the SDK parses:
``batch nonce N does not match on-chain nonce M``). Every refusal raises ``Refused`` with the text the
relayer answers (400).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from clob.eip712 import keccak256
from clob.signer import checksum_address
from clob.wallets import (
    WalletDerivation,
    beacon_deposit_wallet_address,
    proxy_wallet_address,
    safe_wallet_address,
)
from venue.server.chain import Call
from venue.server.evm import (
    Args,
    EvmError,
    address_word,
    eip712_digest,
    hex_bytes,
    personal_digest,
    recover,
    word,
)

CHAIN_ID = 137
SAFE_MULTISEND = "0xA238CBeb142c10Ef7Ad8442C6D1f9E89e07e7761"  # polymarket-client's PRODUCTION_CONFIG
_CALL_TYPE = keccak256(b"Call(address target,uint256 value,bytes data)")
_BATCH_TYPE = keccak256(b"Batch(address wallet,uint256 nonce,uint256 deadline,Call[] calls)"
                        b"Call(address target,uint256 value,bytes data)")
_DOMAIN_TYPE = keccak256(b"EIP712Domain(string name,string version,uint256 chainId,"
                         b"address verifyingContract)")
_SAFE_DOMAIN_TYPE = keccak256(b"EIP712Domain(uint256 chainId,address verifyingContract)")
_SAFE_TX_TYPE = keccak256(b"SafeTx(address to,uint256 value,bytes data,uint8 operation,uint256 safeTxGas,"
                          b"uint256 baseGas,uint256 gasPrice,address gasToken,address refundReceiver,"
                          b"uint256 nonce)")


class Refused(Exception):
    pass


class Batch(NamedTuple):
    kind: str  # WALLET | PROXY | SAFE
    owner: str
    wallet: str
    nonce: int
    calls: list[Call]


def wallet_of(kind: str, owner: str, derivation: WalletDerivation) -> str:
    """The wallet whose nonce ``/v1/account/transactions/params`` and ``/relay-payload`` answer for."""
    if kind == "WALLET":
        return beacon_deposit_wallet_address(owner, derivation)
    if kind == "SAFE":
        return safe_wallet_address(owner, derivation)
    if kind == "PROXY":
        return proxy_wallet_address(owner, derivation)
    raise Refused(f"unsupported transaction type: {kind}")


def read_batch(body: dict[str, Any], derivation: WalletDerivation, expected_nonce: Any, now_s: int) -> Batch:
    """The signed batch ``body`` submits; ``expected_nonce(wallet)`` is the wallet's next nonce."""
    kind = body.get("type")
    try:
        owner = checksum_address(str(body.get("from", "")))
        wallet = wallet_of(str(kind), owner, derivation)
        nonce = int(str(body.get("nonce", "")))
        if kind == "WALLET":
            calls = _deposit_wallet(body, owner, wallet, nonce, now_s)
        elif kind == "PROXY":
            calls = _proxy(body, owner, wallet, nonce, derivation)
        else:
            calls = _safe(body, owner, wallet, nonce)
    except (EvmError, ValueError, TypeError, KeyError) as error:
        raise Refused(f"invalid {kind} request: {error}") from None
    on_chain = expected_nonce(wallet)
    if nonce != on_chain:
        raise Refused(f"batch nonce {nonce} does not match on-chain nonce {on_chain}" if kind == "WALLET"
                      else f"invalid nonce: expected {on_chain}")
    return Batch(str(kind), owner, wallet, nonce, calls)


def _same(a: str, b: str) -> bool:
    return a.lower() == b.lower()


def _deposit_wallet(body: dict[str, Any], owner: str, wallet: str, nonce: int, now_s: int) -> list[Call]:
    params = body["depositWalletParams"]
    if not _same(str(params["depositWallet"]), wallet):
        raise Refused("invalid deposit wallet for this signer")
    deadline = int(str(params["deadline"]))
    if deadline < now_s:
        raise Refused("deadline expired")
    calls = [Call(checksum_address(str(c["target"])), int(str(c["value"])), hex_bytes(c["data"]))
             for c in params["calls"]]
    hashes = b"".join(keccak256(_CALL_TYPE + address_word(c.to) + word(c.value) + keccak256(c.data))
                      for c in calls)
    struct = keccak256(_BATCH_TYPE + address_word(wallet) + word(nonce) + word(deadline) + keccak256(hashes))
    domain = keccak256(_DOMAIN_TYPE + keccak256(b"DepositWallet") + keccak256(b"1") + word(CHAIN_ID)
                       + address_word(wallet))
    _signed_by(owner, eip712_digest(domain, struct), str(body["signature"]))
    return calls


def _proxy(body: dict[str, Any], owner: str, wallet: str, nonce: int,
           derivation: WalletDerivation) -> list[Call]:
    if not _same(str(body["proxyWallet"]), wallet) or not _same(str(body["to"]), derivation.proxy_factory):
        raise Refused("invalid proxy wallet for this signer")
    sp = body["signatureParams"]
    data = hex_bytes(body["data"])
    digest = keccak256(b"rlx:" + address_word(owner)[12:] + address_word(str(body["to"]))[12:] + data
                       + word(int(str(sp["relayerFee"]))) + word(int(str(sp["gasPrice"])))
                       + word(int(str(sp["gasLimit"]))) + word(nonce) + address_word(str(sp["relayHub"]))[12:]
                       + address_word(str(sp["relay"]))[12:])
    _signed_by(owner, personal_digest(digest), str(body["signature"]))
    args = Args(data[4:])
    calls = []
    for start in args.tuples(0):
        if args.uint(0, start) != 1:  # the proxy's CALL type code
            raise Refused("unsupported proxy call type")
        calls.append(Call(args.address(1, start), args.uint(2, start), args.blob(3, start)))
    return calls


def _safe(body: dict[str, Any], owner: str, wallet: str, nonce: int) -> list[Call]:
    if not _same(str(body["proxyWallet"]), wallet):
        raise Refused("invalid safe for this signer")
    sp = body["signatureParams"]
    to, data = checksum_address(str(body["to"])), hex_bytes(body["data"])
    value = int(str(body.get("value", 0)))
    operation = int(str(sp["operation"]))
    struct = keccak256(_SAFE_TX_TYPE + address_word(to) + word(value) + keccak256(data) + word(operation)
                       + word(int(str(sp["safeTxnGas"]))) + word(int(str(sp["baseGas"])))
                       + word(int(str(sp["gasPrice"]))) + address_word(str(sp["gasToken"]))
                       + address_word(str(sp["refundReceiver"])) + word(nonce))
    domain = keccak256(_SAFE_DOMAIN_TYPE + word(CHAIN_ID) + address_word(wallet))
    signature = str(body["signature"])
    v = int(signature[-2:], 16)
    if v not in (31, 32):
        raise Refused("invalid signature")
    _signed_by(owner, personal_digest(eip712_digest(domain, struct)), signature[:-2] + f"{v - 4:02x}")
    if operation == 0:
        return [Call(to, value, data)]
    if operation != 1 or not _same(to, SAFE_MULTISEND):
        raise Refused("unsupported safe operation")
    return _multisend(Args(data[4:]).blob(0))


def _multisend(packed: bytes) -> list[Call]:
    calls, at = [], 0
    while at < len(packed):
        if packed[at] != 0 or at + 85 > len(packed):
            raise Refused("unsupported multisend operation")
        to = checksum_address("0x" + packed[at + 1:at + 21].hex())
        value = int.from_bytes(packed[at + 21:at + 53], "big")
        n = int.from_bytes(packed[at + 53:at + 85], "big")
        calls.append(Call(to, value, packed[at + 85:at + 85 + n]))
        at += 85 + n
    return calls


def _signed_by(owner: str, digest: bytes, signature: str) -> None:
    if not _same(recover(digest, signature), owner):
        raise Refused("invalid signature")
