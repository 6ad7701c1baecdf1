"""Polymarket wallet addresses derived from their owner's address, as polymarket-client 0.14.0 does.

Four kinds of account trade on the CLOB (PROTOCOL.md §3.3): the owner's own address (``EOA``,
signature type 0), a Polymarket proxy (``POLY_PROXY``, 1), a Gnosis Safe (``GNOSIS_SAFE``, 2) and, for
accounts created since 2026-05-04, a deposit wallet (``DEPOSIT_WALLET``, 3, POLY_1271). Every wallet is
a CREATE2 address, so it follows from the owner and the factory constants alone (the SDK's
``_internal/wallet.py``; tests/unit/test_clob_wallets.py proves the same addresses on random keys).

Deposit wallets come in two variants: the legacy UUPS proxy and the current beacon proxy. Which one a
new wallet gets depends on the factory deployed on chain: the SDK asks RPC (``eth_call`` of
:data:`FACTORY_BEACON_SELECTOR` on the factory; a zero address or a revert means UUPS). Nothing here does
I/O: :func:`deposit_wallet_addresses` gives both, :func:`current_deposit_wallet_address` picks one from
the factory's answer (the caller makes the call), :func:`classify_wallet` recognises any of them.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from clob.eip712 import keccak256
from clob.signer import checksum_address

__all__ = [
    "FACTORY_BEACON_SELECTOR",
    "PRODUCTION",
    "SIGNATURE_TYPES",
    "WALLET_TYPES",
    "WalletDerivation",
    "WalletType",
    "beacon_deposit_wallet_address",
    "classify_wallet",
    "current_deposit_wallet_address",
    "decode_address_result",
    "deposit_wallet_addresses",
    "proxy_wallet_address",
    "safe_wallet_address",
    "signature_type_of",
    "uups_deposit_wallet_address",
    "wallet_address",
    "wallet_type_of",
]

WalletType = Literal["EOA", "POLY_PROXY", "GNOSIS_SAFE", "DEPOSIT_WALLET"]
WALLET_TYPES: tuple[WalletType, ...] = ("EOA", "POLY_PROXY", "GNOSIS_SAFE", "DEPOSIT_WALLET")
"""The SDK's names, in signature-type order (``WALLET_TYPES[n]`` signs with type ``n``)."""
SIGNATURE_TYPES: dict[WalletType, int] = {name: n for n, name in enumerate(WALLET_TYPES)}

FACTORY_BEACON_SELECTOR = "0x49493a4d"
"""``eth_call`` data that asks the deposit-wallet factory for its beacon (zero / revert: UUPS factory)."""
_ZERO_ADDRESS = "0x" + "00" * 20


class WalletDerivation(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The factory constants of one chain (the SDK's ``_WalletDerivation``)."""

    proxy_factory: str
    proxy_implementation: str
    safe_factory: str
    safe_init_code_hash: str
    deposit_wallet_factory: str
    deposit_wallet_implementation: str
    deposit_wallet_beacon: str


PRODUCTION = WalletDerivation(
    proxy_factory="0xaB45c5A4B0c941a2F231C04C3f49182e1A254052",
    proxy_implementation="0x44e999d5c2F66Ef0861317f9A4805AC2e90aEB4f",
    safe_factory="0xaacFeEa03eb1561C4e67d661e40682Bd20E3541b",
    safe_init_code_hash="0x2bce2127ff07fb632d16c8347c4ebf501f4841168bed00d9e6ef715ddb6fcecf",
    deposit_wallet_factory="0x00000000000Fb5C9ADea0298D729A0CB3823Cc07",
    deposit_wallet_implementation="0x58CA52ebe0DadfdF531Cde7062e76746de4Db1eB",
    deposit_wallet_beacon="0x7A18EDfe055488A3128f01F563e5B479D92ffc3a",
)
"""Polygon mainnet (polymarket-client 0.14.0 ``PRODUCTION``)."""

# Creation code of the proxy wallet: head + factory + middle + implementation + tail.
_PROXY_HEAD = bytes.fromhex("3d3d606380380380913d393d73")
_PROXY_MIDDLE = bytes.fromhex("5af4602a57600080fd5b602d8060366000396000f3363d3d373d3d3d363d73")
_PROXY_TAIL = bytes.fromhex("5af43d82803e903d91602b57fd5bf352e831dd") + (32).to_bytes(32, "big") + bytes(32)
# ERC-1967 (UUPS) and ERC-1967 beacon proxies with immutable args (Solady LibClone): creation code
# = 10-byte prefix (args length at bits 56..71) + target + constant tail + args.
_UUPS_PREFIX = 0x61003D3D8160233D3973
_UUPS_TAIL = bytes.fromhex(
    "6009" "5155f3363d3d373d3d363d7f360894a13ba1a3210667c828492db98dca3e2076"
    "cc3735a920a3ca505d382bbc545af43d6000803e6038573d6000fd5b3d6000f3")
_BEACON_PREFIX = 0x6100523D8160233D3973
_BEACON_TAIL = bytes.fromhex(
    "60195155f3363d3d373d3d363d602036600436635c60da"
    "1b60e01b36527fa3f0ad74e5423aebfd80d3ef4346578335a9a72aeaee59ff6c"
    "b3582b35133d50545afa5036515af43d6000803e604d573d6000fd5b3d6000f3")


def _raw(address: str) -> bytes:
    body = address[2:] if address[:2] in ("0x", "0X") else address
    raw = bytes.fromhex(body)
    if len(raw) != 20:
        raise ValueError(f"not a 20-byte address: {address!r}")
    return raw


def _create2(factory: str, salt: bytes, code_hash: bytes) -> str:
    return checksum_address(keccak256(b"\xff" + _raw(factory) + salt + code_hash)[12:].hex())


def proxy_wallet_address(owner: str, derivation: WalletDerivation = PRODUCTION) -> str:
    """The owner's Polymarket proxy wallet (signature type 1)."""
    code = (_PROXY_HEAD + _raw(derivation.proxy_factory) + _PROXY_MIDDLE
            + _raw(derivation.proxy_implementation) + _PROXY_TAIL)
    return _create2(derivation.proxy_factory, keccak256(_raw(owner)), keccak256(code))


def safe_wallet_address(owner: str, derivation: WalletDerivation = PRODUCTION) -> str:
    """The owner's Gnosis Safe (signature type 2)."""
    init_hash = bytes.fromhex(derivation.safe_init_code_hash.removeprefix("0x"))
    return _create2(derivation.safe_factory, keccak256(b"\x00" * 12 + _raw(owner)), init_hash)


def _deposit_args(owner: str, derivation: WalletDerivation) -> bytes:
    """``abi.encode(factory, bytes32(owner))``: the immutable args, whose hash is also the salt."""
    return b"\x00" * 12 + _raw(derivation.deposit_wallet_factory) + b"\x00" * 12 + _raw(owner)


def _deposit_wallet(owner: str, derivation: WalletDerivation, prefix: int, target: str, tail: bytes) -> str:
    args = _deposit_args(owner, derivation)
    code = (prefix + (len(args) << 56)).to_bytes(10, "big") + _raw(target) + tail + args
    return _create2(derivation.deposit_wallet_factory, keccak256(args), keccak256(code))


def uups_deposit_wallet_address(owner: str, derivation: WalletDerivation = PRODUCTION) -> str:
    """The owner's deposit wallet from a UUPS factory (the legacy variant)."""
    return _deposit_wallet(owner, derivation, _UUPS_PREFIX, derivation.deposit_wallet_implementation,
                           _UUPS_TAIL)


def beacon_deposit_wallet_address(owner: str, derivation: WalletDerivation = PRODUCTION) -> str:
    """The owner's deposit wallet from a beacon factory (the current variant; what the SDK deploys)."""
    return _deposit_wallet(owner, derivation, _BEACON_PREFIX, derivation.deposit_wallet_beacon, _BEACON_TAIL)


def deposit_wallet_addresses(owner: str, derivation: WalletDerivation = PRODUCTION) -> tuple[str, str]:
    """``(beacon, uups)``: both addresses the owner's deposit wallet can have."""
    return beacon_deposit_wallet_address(owner, derivation), uups_deposit_wallet_address(owner, derivation)


def decode_address_result(data: str) -> str:
    """An ``eth_call`` result holding one address (the SDK's rule: shorter than a word -> zero address)."""
    if len(data) < 66:
        return _ZERO_ADDRESS
    try:
        return checksum_address("0x" + data[-40:])
    except ValueError:
        return _ZERO_ADDRESS


def current_deposit_wallet_address(owner: str, factory_beacon: str,
                                   derivation: WalletDerivation = PRODUCTION) -> str:
    """The deposit wallet a factory whose beacon is ``factory_beacon`` creates (the SDK's
    ``derive_current_deposit_wallet_address``): beacon variant unless the beacon is the zero address
    (a UUPS factory, or a reverted call). ``factory_beacon`` is :func:`decode_address_result` of the
    ``eth_call(factory, FACTORY_BEACON_SELECTOR)`` answer (the zero address if it reverted)."""
    if int(factory_beacon, 16) == 0:
        return uups_deposit_wallet_address(owner, derivation)
    return beacon_deposit_wallet_address(owner, derivation)


def wallet_address(wallet_type: WalletType, owner: str, derivation: WalletDerivation = PRODUCTION) -> str:
    """The owner's wallet of ``wallet_type`` (the owner itself for ``EOA``; the beacon deposit wallet)."""
    if wallet_type == "EOA":
        return checksum_address(owner)
    if wallet_type == "POLY_PROXY":
        return proxy_wallet_address(owner, derivation)
    if wallet_type == "GNOSIS_SAFE":
        return safe_wallet_address(owner, derivation)
    if wallet_type == "DEPOSIT_WALLET":
        return beacon_deposit_wallet_address(owner, derivation)
    raise ValueError(f"unknown wallet type {wallet_type!r} (one of {', '.join(WALLET_TYPES)})")


def classify_wallet(owner: str, wallet: str, derivation: WalletDerivation = PRODUCTION) -> WalletType | None:
    """What ``wallet`` is to ``owner`` (the SDK's ``try_classify_wallet_type``, same order), or None."""
    if _raw(wallet) == _raw(owner):
        return "EOA"
    wanted = checksum_address(wallet)
    if wanted in deposit_wallet_addresses(owner, derivation):
        return "DEPOSIT_WALLET"
    if wanted == proxy_wallet_address(owner, derivation):
        return "POLY_PROXY"
    if wanted == safe_wallet_address(owner, derivation):
        return "GNOSIS_SAFE"
    return None


def signature_type_of(wallet_type: WalletType) -> int:
    """0 ``EOA``, 1 ``POLY_PROXY``, 2 ``GNOSIS_SAFE``, 3 ``DEPOSIT_WALLET`` (POLY_1271)."""
    return SIGNATURE_TYPES[wallet_type]


def wallet_type_of(text: str) -> WalletType:
    """A wallet type from its SDK name (any case) or its signature type (``"0"`` .. ``"3"``)."""
    value = text.strip().upper()
    if value.isdigit() and int(value) < len(WALLET_TYPES):
        return WALLET_TYPES[int(value)]
    for name in WALLET_TYPES:
        if value == name:
            return name
    raise ValueError(f"unknown wallet type {text!r}: one of {', '.join(WALLET_TYPES)} or 0..3")
