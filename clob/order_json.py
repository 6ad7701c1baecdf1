"""The ``POST /order`` / ``POST /orders`` JSON bodies: building (engine) and parsing (venue).

:func:`order_body` returns exactly the bytes polymarket-client 0.14.0 sends: keys in its order
(``deferExec, order{builder, expiration, maker, makerAmount, metadata, salt, side, signature,
signatureType, signer, takerAmount, timestamp, tokenId}, orderType, owner[, postOnly]``), compact
``json.dumps`` separators, ``salt`` and ``signatureType`` as JSON ints, every other number a
string, ``postOnly`` present only when true. Sign the L2 HMAC over these same bytes. The bodies are
filled into a template (strings escaped by ``json``'s own C escaper, as ``json.dumps`` does), not built
as dicts and dumped: the same bytes for a fraction of the work (tests/unit/test_clob_fast_paths.py).

:func:`parse_order_json` is strict about that shape, so a venue using it catches engine bugs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

import msgspec

from clob.eip712 import ORDER_TYPE, exchange_domain_separator
from clob.orders import OrderError, Side, SignedOrder, order_id_of
from clob.poly1271 import SIGNATURE_TYPE as POLY_1271
from clob.poly1271 import open_envelope, typed_data_sign_digest, typed_data_sign_tail
from clob.signer import SignatureError, recover_address
from clob.wallets import (
    PRODUCTION,
    WalletDerivation,
    deposit_wallet_addresses,
    proxy_wallet_address,
    safe_wallet_address,
)

__all__ = [
    "MAX_BATCH",
    "ORDER_TYPES",
    "PostOrder",
    "order_body",
    "order_payload",
    "orders_body",
    "parse_order_json",
    "parse_post_order",
    "verify_order_signature",
]

ORDER_TYPES = frozenset({"GTC", "GTD", "FOK", "FAK"})
MAX_BATCH = 15
_HEX = frozenset("0123456789abcdefABCDEF")
_UINT256_LIMIT = 1 << 256


class PostOrder(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One parsed ``POST /order`` request (or one element of a ``POST /orders`` array)."""

    order: SignedOrder
    owner: str
    order_type: str
    post_only: bool
    defer_exec: bool


def _check_flags(order_type: str, post_only: bool) -> None:
    if order_type not in ORDER_TYPES:
        raise OrderError(f"unknown order type {order_type!r}")
    if post_only and order_type not in ("GTC", "GTD"):
        raise OrderError("post-only orders are only supported for GTC and GTD order types")


def _check_expiration(signed: SignedOrder, order_type: str) -> None:
    if (order_type == "GTD") != (signed.expiration > 0):
        raise OrderError("GTD orders need an expiration; other types must have expiration 0")


def order_payload(
    signed: SignedOrder, *, owner_api_key: str, order_type: str, post_only: bool, defer_exec: bool
) -> dict[str, Any]:
    """The JSON object (as a dict, keys in the SDK's order) for one signed order."""
    _check_flags(order_type, post_only)
    _check_expiration(signed, order_type)
    payload: dict[str, Any] = {
        "deferExec": defer_exec,
        "order": {
            "builder": signed.builder,
            "expiration": str(signed.expiration),
            "maker": signed.maker,
            "makerAmount": str(signed.maker_amount),
            "metadata": signed.metadata,
            "salt": signed.salt,
            "side": signed.side,
            "signature": signed.signature,
            "signatureType": signed.signature_type,
            "signer": signed.signer,
            "takerAmount": str(signed.taker_amount),
            "timestamp": str(signed.timestamp_ms),
            "tokenId": signed.token_id,
        },
        "orderType": order_type,
        "owner": owner_api_key,
    }
    if post_only:
        payload["postOnly"] = True
    return payload


# ``json.dumps(order_payload(...), separators=(",", ":"))`` as a template: what follows the order
# object (type, owner, flag) is the same for every order of a body and is filled in once.
_ORDER = ('{"deferExec":%s,"order":{"builder":%s,"expiration":"%d","maker":%s,"makerAmount":"%d",'
          '"metadata":%s,"salt":%d,"side":%s,"signature":%s,"signatureType":%d,"signer":%s,'
          '"takerAmount":"%d","timestamp":"%d","tokenId":%s},%s')


def _tail(owner_api_key: str, order_type: str, post_only: bool) -> str:
    flag = ',"postOnly":true}' if post_only else "}"
    return f'"orderType":{_quote(order_type)},"owner":{_quote(owner_api_key)}{flag}'


def _order_json(signed: SignedOrder, defer: str, tail: str) -> str:
    return _ORDER % (defer, _quote(signed.builder), signed.expiration, _quote(signed.maker),
                     signed.maker_amount, _quote(signed.metadata), signed.salt, _quote(signed.side),
                     _quote(signed.signature), signed.signature_type, _quote(signed.signer),
                     signed.taker_amount, signed.timestamp_ms, _quote(signed.token_id), tail)


def order_body(
    signed: SignedOrder,
    *,
    owner_api_key: str,
    order_type: str = "GTC",
    post_only: bool = True,
    defer_exec: bool = False,
) -> bytes:
    """The exact ``POST /order`` body bytes (the SDK always sends ``deferExec: false``)."""
    _check_flags(order_type, post_only)
    _check_expiration(signed, order_type)
    tail = _tail(owner_api_key, order_type, post_only)
    return _order_json(signed, "true" if defer_exec else "false", tail).encode()


def orders_body(
    signed: Sequence[SignedOrder],
    *,
    owner_api_key: str,
    order_type: str = "GTC",
    post_only: bool = True,
    defer_exec: bool = False,
) -> bytes:
    """The ``POST /orders`` body: a JSON array of 1..15 order objects sharing the flags."""
    if not 1 <= len(signed) <= MAX_BATCH:
        raise OrderError(f"a batch holds 1..{MAX_BATCH} orders, got {len(signed)}")
    _check_flags(order_type, post_only)
    tail = _tail(owner_api_key, order_type, post_only)
    defer = "true" if defer_exec else "false"
    parts = []
    for one in signed:
        _check_expiration(one, order_type)
        parts.append(_order_json(one, defer, tail))
    return f"[{','.join(parts)}]".encode()


def _str_uint(obj: dict[str, Any], key: str) -> int:
    value = obj.get(key)
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise OrderError(f"order.{key} must be a decimal string")
    number = int(value)
    if number >= _UINT256_LIMIT:
        raise OrderError(f"order.{key} is out of range")
    return number


def _int_field(obj: dict[str, Any], key: str, limit: int) -> int:
    value = obj.get(key)
    if type(value) is not int or not 0 <= value < limit:
        raise OrderError(f"order.{key} must be a JSON integer in [0, {limit})")
    return value


def _hex_field(obj: dict[str, Any], key: str, n_bytes: int, *, at_least: bool = False) -> str:
    value = obj.get(key)
    n_hex = len(value) - 2 if isinstance(value, str) else -1
    if (
        not isinstance(value, str)
        or not (n_hex >= 2 * n_bytes and n_hex % 2 == 0 if at_least else n_hex == 2 * n_bytes)
        or value[:2] != "0x"
        or not _HEX.issuperset(value[2:])
    ):
        size = f"at least {n_bytes}" if at_least else str(n_bytes)
        raise OrderError(f"order.{key} must be 0x + hex of {size} bytes")
    return value


def parse_order_json(obj: object, *, neg_risk: bool, domain_separator: bytes | None = None) -> SignedOrder:
    """Validate the ``order`` object of a ``POST /order`` body and compute its ``order_id``.

    ``neg_risk`` picks the exchange domain (the venue knows it per token); ``domain_separator``
    overrides it. The signature is checked for shape only (hex, at least 65 bytes: deposit-wallet
    signatures are longer): see :func:`verify_order_signature`.
    """
    if not isinstance(obj, dict):
        raise OrderError("order must be a JSON object")
    side = obj.get("side")
    if side not in ("BUY", "SELL"):
        raise OrderError("order.side must be 'BUY' or 'SELL'")
    side_t: Side = "BUY" if side == "BUY" else "SELL"
    token_id = _str_uint(obj, "tokenId")
    fields = SignedOrder(
        order_id="",
        salt=_int_field(obj, "salt", _UINT256_LIMIT),
        maker=_hex_field(obj, "maker", 20),
        signer=_hex_field(obj, "signer", 20),
        token_id=str(token_id),
        maker_amount=_str_uint(obj, "makerAmount"),
        taker_amount=_str_uint(obj, "takerAmount"),
        side=side_t,
        expiration=_str_uint(obj, "expiration"),
        signature_type=_int_field(obj, "signatureType", 256),
        timestamp_ms=_str_uint(obj, "timestamp"),
        metadata=_hex_field(obj, "metadata", 32),
        builder=_hex_field(obj, "builder", 32),
        signature=_hex_field(obj, "signature", 65, at_least=True),
    )
    domain = domain_separator or exchange_domain_separator(neg_risk=neg_risk)
    return msgspec.structs.replace(fields, order_id="0x" + order_id_of(fields, domain).hex())


def parse_post_order(obj: object, *, neg_risk_of: Callable[[str], bool]) -> PostOrder:
    """Parse one ``POST /order`` body object; ``neg_risk_of(token_id)`` gives the exchange."""
    if not isinstance(obj, dict):
        raise OrderError("body must be a JSON object")
    order = obj.get("order")
    token_id = order.get("tokenId") if isinstance(order, dict) else None
    if not isinstance(token_id, str):
        raise OrderError("order.tokenId must be a decimal string")
    owner, order_type = obj.get("owner"), obj.get("orderType")
    post_only, defer_exec = obj.get("postOnly", False), obj.get("deferExec", False)
    if not isinstance(owner, str) or not owner:
        raise OrderError("owner must be the API key")
    if order_type not in ORDER_TYPES:
        raise OrderError(f"orderType must be one of {sorted(ORDER_TYPES)}")
    if type(post_only) is not bool or type(defer_exec) is not bool:
        raise OrderError("postOnly and deferExec must be booleans")
    return PostOrder(
        order=parse_order_json(order, neg_risk=neg_risk_of(token_id)),
        owner=owner,
        order_type=order_type,
        post_only=post_only,
        defer_exec=defer_exec,
    )


def verify_order_signature(signed: SignedOrder, derivation: WalletDerivation = PRODUCTION) -> str:
    """Check the order's signature the way the exchange does for its type; returns the owner's address.

    The owner is the key that signed (checksummed). Per type (PROTOCOL.md §3.3; the exchange's
    signature validation, with wallet addresses as ``clob.wallets`` derives them under ``derivation``):

    - 0 EOA: it recovers to ``signer`` and ``maker == signer``;
    - 1 POLY_PROXY / 2 GNOSIS_SAFE: it recovers to ``signer`` and ``maker`` is that signer's proxy /
      Safe;
    - 3 POLY_1271: ``signer == maker`` (the deposit wallet); the signature is the ERC-7739 envelope of
      ``clob.poly1271`` whose trailer names this very order (its ``Order`` type, struct hash and
      exchange domain: ``order_id`` must follow from them), and whose ECDSA part, over the
      ``TypedDataSign`` digest for this wallet, recovers to an owner the wallet belongs to (beacon or
      UUPS deposit wallet of that owner).

    Anything else raises :class:`OrderError`.
    """
    order_hash = bytes.fromhex(signed.order_id[2:])
    kind = signed.signature_type
    try:
        if kind == POLY_1271:
            return _verify_deposit_wallet(signed, order_hash, derivation)
        recovered = recover_address(order_hash, signed.signature)
    except (SignatureError, ValueError) as error:
        raise OrderError(f"invalid order signature: {error}") from error
    if recovered.lower() != signed.signer.lower():
        raise OrderError("invalid order signature: it does not recover to order.signer")
    if kind == 0:
        wallet = recovered
    elif kind == 1:
        wallet = proxy_wallet_address(recovered, derivation)
    elif kind == 2:
        wallet = safe_wallet_address(recovered, derivation)
    else:
        raise OrderError(f"invalid order signature: unknown signature type {kind}")
    if wallet.lower() != signed.maker.lower():
        raise OrderError(f"invalid order signature: maker is not the signer's wallet for type {kind}")
    return recovered


def _verify_deposit_wallet(signed: SignedOrder, order_hash: bytes, derivation: WalletDerivation) -> str:
    if signed.signer.lower() != signed.maker.lower():
        raise OrderError("invalid order signature: a deposit-wallet order needs signer == maker")
    envelope = open_envelope(signed.signature)
    if envelope.contents_type != ORDER_TYPE:
        raise OrderError("invalid order signature: the envelope does not hold an Order")
    if envelope.order_hash() != order_hash:
        raise OrderError("invalid order signature: the envelope is for another order or exchange")
    digest = typed_data_sign_digest(envelope.app_domain_separator, envelope.contents_hash,
                                    typed_data_sign_tail(signed.signer))
    owner = recover_address(digest, envelope.signature)
    if signed.signer.lower() not in {w.lower() for w in deposit_wallet_addresses(owner, derivation)}:
        raise OrderError("invalid order signature: the signing key does not own this deposit wallet")
    return owner
