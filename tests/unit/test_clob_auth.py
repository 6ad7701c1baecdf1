"""L1 / L2 auth headers: identical to the SDK's, and verification round trips and failures."""

from __future__ import annotations

import base64
import json
import random

import pytest
from eth_account import Account
from polymarket._internal.actions.auth import build_l1_auth_headers
from polymarket._internal.hmac import build_hmac_signature
from polymarket._internal.l1_auth import sign_api_key_auth
from polymarket.clients import secure as sdk_secure
from polymarket.models.clob import ApiKeyCreds

from clob.auth import (
    ApiCreds,
    AuthError,
    hmac_signature,
    l1_headers,
    l2_headers,
    verify_l1_headers,
    verify_l2_headers,
)
from clob.signer import Signer

KEY = "0x" + "4c" * 32
SIGNER = Signer(KEY)
BODY = json.dumps({"orderID": "0x" + "ab" * 32}, separators=(",", ":")).encode()


def make_creds(seed: int, *, unpadded: bool = False, address: str | None = SIGNER.address) -> ApiCreds:
    rng = random.Random(seed)
    secret = base64.urlsafe_b64encode(rng.randbytes(31 if unpadded else 32)).decode()
    return ApiCreds(
        api_key=f"key-{seed}",
        secret=secret.rstrip("=") if unpadded else secret,
        passphrase=rng.randbytes(16).hex(),
        address=address,
    )


@pytest.mark.parametrize(("timestamp", "nonce"), [(1_713_398_400, 0), (1_800_000_000, 3), (0, 2**64)])
def test_l1_headers_are_identical_to_the_sdk(timestamp: int, nonce: int) -> None:
    sdk = build_l1_auth_headers(
        sign_api_key_auth(Account.from_key(KEY), chain_id=137, timestamp=timestamp, nonce=nonce)
    )
    ours = l1_headers(SIGNER, timestamp_s=timestamp, nonce=nonce)
    assert list(ours.items()) == list(sdk.items())


def test_l1_verify_round_trips_and_checks_skew() -> None:
    headers = l1_headers(SIGNER, timestamp_s=1_000, nonce=5)
    assert verify_l1_headers(headers) == (SIGNER.address, 5)
    lower = {name.lower().replace("_", "-"): value for name, value in headers.items()}
    assert verify_l1_headers(lower, now_s=1_030, max_skew_s=60) == (SIGNER.address, 5)
    with pytest.raises(AuthError, match="skew"):
        verify_l1_headers(headers, now_s=2_000, max_skew_s=60)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("POLY_TIMESTAMP", "1001"),
        ("POLY_NONCE", "6"),
        ("POLY_ADDRESS", Signer("0x" + "5d" * 32).address),
        ("POLY_SIGNATURE", "0x" + "11" * 65),
        ("POLY_SIGNATURE", "0x1234"),
        ("POLY_TIMESTAMP", "soon"),
        ("POLY_SIGNATURE", ""),
    ],
)
def test_l1_verify_rejects_tampered_headers(field: str, value: str) -> None:
    headers = l1_headers(SIGNER, timestamp_s=1_000, nonce=5) | {field: value}
    with pytest.raises(AuthError):
        verify_l1_headers(headers)


def test_hmac_is_identical_to_the_sdk() -> None:
    rng = random.Random(9)
    for i in range(200):
        creds = make_creds(i, unpadded=i % 2 == 1)
        method = rng.choice(["GET", "POST", "DELETE"])
        path = rng.choice(["/order", "/orders", "/data/orders", "/cancel-all", "/v1/heartbeats"])
        body = (
            None if method == "GET" else json.dumps({"n": rng.random(), "s": "x" * i}, separators=(",", ":"))
        )
        timestamp = rng.randint(0, 2_000_000_000)
        expected = build_hmac_signature(
            secret=creds.secret, timestamp=timestamp, method=method, path=path, body=body
        )
        assert hmac_signature(creds.secret, timestamp, method, path, body) == expected
        assert (
            hmac_signature(creds.secret, timestamp, method, path, None if body is None else body.encode())
            == expected
        )


def test_l2_headers_are_identical_to_the_sdk_resolver(monkeypatch: pytest.MonkeyPatch) -> None:
    creds = make_creds(1)
    sdk_creds = ApiKeyCreds.model_validate(
        {"apiKey": creds.api_key, "secret": creds.secret, "passphrase": creds.passphrase}
    )
    resolver = sdk_secure._make_l2_header_resolver_sync(Account.from_key(KEY), sdk_creds)
    monkeypatch.setattr(sdk_secure.time, "time", lambda: 1_713_398_400.7)
    expected = resolver("POST", "/order", BODY.decode())
    ours = l2_headers(
        creds, address=SIGNER.address, timestamp_s=1_713_398_400, method="POST", path="/order", body=BODY
    )
    assert list(ours.items()) == list(dict(expected).items())


def test_l2_verify_round_trips_ignoring_the_query_string() -> None:
    creds = make_creds(2, unpadded=True)
    keys = {creds.api_key: creds}
    headers = l2_headers(
        creds, address=SIGNER.address, timestamp_s=500, method="DELETE", path="/order", body=BODY
    )
    assert verify_l2_headers(headers, method="DELETE", path="/order", body=BODY, lookup=keys.get) == creds
    get_headers = l2_headers(
        creds, address=SIGNER.address, timestamp_s=500, method="GET", path="/data/orders"
    )
    lower = {name.lower(): value for name, value in get_headers.items()}
    verified = verify_l2_headers(
        lower,
        method="GET",
        path="/data/orders?market=0xabc",
        body=b"",
        lookup=keys.get,
        now_s=510,
        max_skew_s=30,
    )
    assert verified.api_key == creds.api_key
    assert creds.secret not in repr(verified) and creds.passphrase not in repr(verified)


OTHER_ADDRESS = Signer("0x" + "5d" * 32).address
L2_FAILURES: dict[str, tuple[dict[str, str], dict[str, object]]] = {
    "tampered body": ({}, {"body": BODY.replace(b"ab", b"ac", 1)}),
    "other path": ({}, {"path": "/orders"}),
    "other method": ({}, {"method": "POST"}),
    "wrong secret": ({}, {"secret": make_creds(3).secret}),
    "wrong passphrase": ({"POLY_PASSPHRASE": "nope"}, {}),
    "unknown key": ({"POLY_API_KEY": "key-unknown"}, {}),
    "other address": ({"POLY_ADDRESS": OTHER_ADDRESS}, {}),
    "missing signature": ({"POLY_SIGNATURE": ""}, {}),
    "timestamp tampered": ({"POLY_TIMESTAMP": "501"}, {}),
    "stale": ({}, {"now_s": 1_000}),
}


@pytest.mark.parametrize("name", sorted(L2_FAILURES))
def test_l2_verify_rejects(name: str) -> None:
    header_changes, request_changes = L2_FAILURES[name]
    creds = make_creds(2)
    headers = l2_headers(
        creds, address=SIGNER.address, timestamp_s=500, method="DELETE", path="/order", body=BODY
    )
    headers |= header_changes
    secret = str(request_changes.get("secret", creds.secret))
    keys = {creds.api_key: ApiCreds(creds.api_key, secret, creds.passphrase, creds.address)}
    with pytest.raises(AuthError):
        verify_l2_headers(
            headers,
            method=str(request_changes.get("method", "DELETE")),
            path=str(request_changes.get("path", "/order")),
            body=bytes(request_changes.get("body", BODY)),  # type: ignore[call-overload]
            lookup=keys.get,
            now_s=int(request_changes.get("now_s", 500)),  # type: ignore[call-overload]
            max_skew_s=30,
        )


def test_bad_secret_is_an_auth_error_without_the_secret_in_it() -> None:
    with pytest.raises(AuthError) as info:
        hmac_signature("not base64 !!", 1, "GET", "/x")
    assert "not base64 !!" not in str(info.value)
