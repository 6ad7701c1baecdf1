"""Digest signing and recovery against eth_account (the SDK's signer)."""

from __future__ import annotations

import random

import pytest
from eth_account import Account
from eth_utils import to_checksum_address

from clob.signer import SignatureError, Signer, checksum_address, recover_address

N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def random_keys(seed: int, n: int) -> list[str]:
    rng = random.Random(seed)
    return ["0x" + rng.randbytes(32).hex() for _ in range(n)]


def test_address_and_signatures_are_identical_to_eth_account() -> None:
    rng = random.Random(2)
    for key in random_keys(seed=1, n=20):
        signer = Signer(key)
        account = Account.from_key(key)
        assert signer.address == account.address
        for _ in range(10):
            digest = rng.randbytes(32)
            expected = account.unsafe_sign_hash(digest).signature
            assert signer.sign_digest(digest) == "0x" + bytes(expected).hex()


def test_recover_address_round_trips_and_matches_eth_account() -> None:
    rng = random.Random(3)
    for key in random_keys(seed=4, n=20):
        signer = Signer(key)
        digest = rng.randbytes(32)
        signature = signer.sign_digest(digest)
        assert recover_address(digest, signature) == signer.address
        assert Account._recover_hash(digest, signature=signature) == signer.address
        assert recover_address(rng.randbytes(32), signature) != signer.address


def test_recover_accepts_v_0_1_and_no_prefix() -> None:
    signer = Signer(random_keys(seed=5, n=1)[0])
    digest = bytes(range(32))
    signature = signer.sign_digest(digest)
    v01 = signature[:-2] + ("00" if signature.endswith("1b") else "01")
    assert recover_address(digest, v01) == signer.address
    assert recover_address(digest, signature[2:].upper()) == signer.address


def test_recover_rejects_malleable_and_malformed_signatures() -> None:
    signer = Signer(random_keys(seed=6, n=1)[0])
    digest = bytes(32)
    signature = bytes.fromhex(signer.sign_digest(digest)[2:])
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    high_s = "0x" + (r + (N - s).to_bytes(32, "big") + bytes((55 - v,))).hex()
    bad = [
        high_s,
        "0x" + signature[:64].hex() + "1d",
        "0x" + signature.hex()[:-4],
        "0xzz" + signature.hex()[2:],
        "0x" + (bytes(32) + signature[32:]).hex(),
    ]
    for candidate in bad:
        with pytest.raises(SignatureError):
            recover_address(digest, candidate)
    with pytest.raises(ValueError):
        recover_address(b"short", "0x" + signature.hex())


def test_signer_rejects_bad_keys_and_never_shows_the_key() -> None:
    key = random_keys(seed=7, n=1)[0]
    signer = Signer(key)
    assert key[2:] not in repr(signer) and key[2:] not in str(signer)
    assert Signer(key[2:]).address == signer.address
    for bad in ("0x1234", "nothex" * 11, "0x" + "00" * 32):
        with pytest.raises(ValueError):
            Signer(bad)
    with pytest.raises(ValueError):
        signer.sign_digest(b"\x00" * 31)


def test_checksum_address_matches_eth_utils() -> None:
    rng = random.Random(8)
    for _ in range(50):
        raw = "0x" + rng.randbytes(20).hex()
        assert checksum_address(raw) == to_checksum_address(raw)
        assert checksum_address(raw.upper().replace("0X", "0x")) == to_checksum_address(raw)
    with pytest.raises(ValueError):
        checksum_address("0x12")
