"""The hot path's shortcuts (one-step signer, template bodies, HMAC states, salt pool) change no byte."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import random
from typing import Any

import pytest

from clob.auth import hmac_signature
from clob.order_json import order_body, order_payload, orders_body
from clob.orders import AccountSigner, OrderError, build_order, new_salt, sign_order
from clob.signer import Signer
from clob.wallets import beacon_deposit_wallet_address

SIGNER = Signer("0x" + "11" * 32)
FUNDER = "0x" + "Ab" * 20
DEPOSIT_WALLET = beacon_deposit_wallet_address(SIGNER.address)
YES = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
NO = "52114319501245915516055106046884209969926127482827954674443846427813813222426"
CASES = list(itertools.product(
    (YES, NO), ("BUY", "SELL"),
    ((480_000, 10_000_000, 10_000), (123_000, 5_555_555, 1_000), (2_500, 7_770_000, 100)),
    (False, True), (0, 1_800_000_000)))
SALT, TS = 12345, 1_700_000_000_123


def two_step(maker: str | None, signature_type: int, token: str, side: Any, amounts: tuple[int, int, int],
             neg_risk: bool, expiration: int, salt: int = SALT, timestamp_ms: int = TS) -> Any:
    price, size, tick = amounts
    signer = maker if signature_type == 3 and maker else SIGNER.address  # type 3: the wallet signs
    order = build_order(signer=signer, token_id=token, side=side, price_u=price, size_u=size,
                        tick_u=tick, salt=salt, timestamp_ms=timestamp_ms, maker=maker,
                        signature_type=signature_type, expiration=expiration)
    return sign_order(SIGNER, order, neg_risk=neg_risk)


def one_step(maker: str | None, signature_type: int, token: str, side: Any, amounts: tuple[int, int, int],
             neg_risk: bool, expiration: int, salt: int = SALT, timestamp_ms: int = TS) -> Any:
    price, size, tick = amounts
    return AccountSigner(SIGNER, maker=maker, signature_type=signature_type).sign(
        token_id=token, side=side, price_u=price, size_u=size, tick_u=tick, salt=salt,
        timestamp_ms=timestamp_ms, neg_risk=neg_risk, expiration=expiration)


@pytest.mark.parametrize(("token", "side", "amounts", "neg_risk", "expiration"), CASES)
@pytest.mark.parametrize(("maker", "signature_type"),
                         [(None, 0), (FUNDER, 1), (FUNDER, 2), (DEPOSIT_WALLET, 3)])
def test_account_signer_equals_build_then_sign(maker: str | None, signature_type: int, token: str,
                                               side: str, amounts: tuple[int, int, int], neg_risk: bool,
                                               expiration: int) -> None:
    args = (maker, signature_type, token, side, amounts, neg_risk, expiration)
    assert one_step(*args) == two_step(*args)


@pytest.mark.parametrize("change", [
    {"token": "12a"}, {"token": " 1"}, {"token": str(1 << 256)}, {"token": "1"}, {"side": "buy"},
    {"amounts": (480_001, 10_000_000, 10_000)}, {"amounts": (480_000, 1, 10_000)}, {"salt": -1},
    {"expiration": -1}, {"timestamp_ms": 1 << 256},
    {"signature_type": 3},  # a deposit-wallet order whose wallet is the key's own address
])
def test_account_signer_refuses_what_the_two_step_path_refuses(change: dict[str, Any]) -> None:
    args: dict[str, Any] = {"maker": None, "signature_type": 0, "token": YES, "side": "BUY",
                            "amounts": (480_000, 10_000_000, 10_000), "neg_risk": False, "expiration": 0,
                            **change}
    with pytest.raises(OrderError) as slow:
        two_step(**args)
    with pytest.raises(OrderError) as fast:
        one_step(**args)
    assert str(fast.value) == str(slow.value)


def general_body(signed: Any, *, owner_api_key: str, order_type: str, post_only: bool) -> bytes:
    payload = order_payload(signed, owner_api_key=owner_api_key, order_type=order_type, post_only=post_only,
                            defer_exec=False)
    return json.dumps(payload, separators=(",", ":")).encode()


@pytest.mark.parametrize("owner", ["00000000-1111-2222-3333-444444444444", 'a"b\\c\u00e9\u2028\n', ""])
@pytest.mark.parametrize(("order_type", "post_only", "expiration"), [
    ("GTC", True, 0), ("GTC", False, 0), ("GTD", True, 1_800_000_000), ("FAK", False, 0)])
def test_template_bodies_equal_json_dumps(owner: str, order_type: str, post_only: bool,
                                          expiration: int) -> None:
    signed = [one_step(FUNDER, 1, token, "BUY", (480_000, 10_000_000, 10_000), False, expiration)
              for token in (YES, NO)]
    kw: dict[str, Any] = {"owner_api_key": owner, "order_type": order_type, "post_only": post_only}
    assert order_body(signed[0], **kw) == general_body(signed[0], **kw)
    assert orders_body(signed, **kw) == b"[" + b",".join(general_body(s, **kw) for s in signed) + b"]"


@pytest.mark.parametrize("key_len", [0, 16, 32, 64, 65, 100])
@pytest.mark.parametrize(("path", "body"), [("/orders", b'["0x1"]'), ("/data/orders?next_cursor=MA==", None),
                                            ("/order", "text"), ("/cancel-all", b"")])
def test_hmac_signature_equals_the_hmac_module(key_len: int, path: str, body: bytes | str | None) -> None:
    key = bytes(range(key_len))
    secret = base64.urlsafe_b64encode(key).decode().rstrip("=")
    signed = f"1700000000DELETE{path.split('?')[0]}".encode()
    signed += body.encode() if isinstance(body, str) else body or b""
    expected = base64.urlsafe_b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert hmac_signature(secret, 1_700_000_000, "DELETE", path, body) == expected


def test_salts_are_53_bit_and_distinct_across_draws() -> None:
    salts = [new_salt() for _ in range(300)]  # several draws of the pool
    assert all(0 <= s < 2**53 for s in salts)
    assert len(set(salts)) == len(salts)


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

def test_the_allocation_free_signer_gives_coincurve_s_signatures() -> None:
    from coincurve import PrivateKey

    from clob import signer as signer_module
    from clob.signer import Signer

    assert signer_module._lib is not None  # the fast path is in use
    rng = random.Random(11)
    for _ in range(300):
        key = rng.randbytes(32)
        if not 0 < int.from_bytes(key, "big") < SECP256K1_N:
            continue
        digest = rng.randbytes(32)
        expected = PrivateKey(key).sign_recoverable(digest, hasher=None)
        got = Signer(key.hex()).sign_digest(digest)
        assert got == "0x" + expected[:64].hex() + ("1b" if expected[64] == 0 else "1c")
