"""Byte-for-byte parity of clob/ with the official SDK (polymarket-client 0.14.0).

The SDK side goes through its public ``SecureClient.create_limit_order`` (with a stub context: no
network) and its own ``POST /order`` payload builder + transport JSON encoding, with the salt and
timestamp generators patched to the values we feed our own builder.

Every signature type is covered, each account's wallet derived from its key as the SDK derives it:
0 EOA, 1 proxy, 2 Safe, 3 deposit wallet (beacon, and the legacy UUPS variant). ``make test`` signs
``N_FAST`` random orders per type; the slow-marked run (``make test-all``, or
``pytest -m slow tests/unit/test_clob_sdk_parity.py``) signs ``N_FULL`` = 1,000 per type.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import random
import types
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from polymarket._internal.actions.orders import limit as sdk_limit
from polymarket._internal.actions.orders import math as sdk_math
from polymarket._internal.actions.orders import orders as sdk_orders
from polymarket._internal.actions.orders import post as sdk_post
from polymarket._internal.actions.orders.market_data import MarketInfo
from polymarket._internal.environment import PRODUCTION_CONFIG
from polymarket._internal.protocol import is_v2_position_id
from polymarket.clients import secure as sdk_secure

from clob.amounts import _round_notional
from clob.eip712 import EXCHANGE_V3, ZERO_BYTES32, exchange_domain_separator
from clob.order_json import order_body, parse_order_json, verify_order_signature
from clob.orders import (
    ROUNDING,
    TICK_SIZES,
    AccountSigner,
    OrderError,
    Side,
    build_order,
    order_amounts,
    order_amounts_decimal,
    sign_order,
    tick_units,
)
from clob.signer import Signer
from clob.wallets import (
    WALLET_TYPES,
    WalletType,
    signature_type_of,
    uups_deposit_wallet_address,
    wallet_address,
)
from schemas.units import MICRO

N_FAST = 250
N_FULL = 1_000


class SdkHarness:
    """One SDK ``SecureClient`` for one key, with market metadata and clock/salt under our control."""

    def __init__(self, private_key: str, *, wallet_type: str, wallet: str | None) -> None:
        account = Account.from_key(private_key)
        self.market: MarketInfo | None = None
        ctx = types.SimpleNamespace(
            wallet=wallet or account.address,
            wallet_type=wallet_type,
            signer=account,
            signer_type="OWNER",
            environment_config=PRODUCTION_CONFIG,
            order_metadata=types.SimpleNamespace(resolve_market=lambda _ctx, token_id: self.market),
        )
        self.client = sdk_secure.SecureClient(ctx=ctx, _create_token=sdk_secure._CREATE_TOKEN)  # type: ignore[arg-type]

    def post_order_body(self, case: OrderCase, *, owner: str, monkeypatch: pytest.MonkeyPatch) -> bytes:
        self.market = MarketInfo(
            fee_info=None,  # type: ignore[arg-type]
            neg_risk=case.neg_risk,
            tick_size=Decimal(case.tick),
            token_ids=frozenset(),
        )
        monkeypatch.setattr(sdk_orders, "_generate_salt", lambda: case.salt)
        monkeypatch.setattr(sdk_orders, "_current_timestamp_ms", lambda: case.timestamp_ms)
        signed = self.client.create_limit_order(
            asset_id=case.token_id,
            price=Decimal(case.price_u).scaleb(-6),
            size=Decimal(case.size_u).scaleb(-6),
            side=case.side,
            post_only=case.post_only,
            expiration=case.expiration or None,
            builder_code=None if case.builder == ZERO_BYTES32 else case.builder,
        )
        _, payload = sdk_post.build_post_order_request(signed, owner_api_key=owner)
        return json.dumps(payload, separators=(",", ":")).encode()  # what its transport sends


@dataclass(frozen=True)
class OrderCase:
    key_index: int
    tick: str
    price_u: int
    size_u: int
    side: Side
    neg_risk: bool
    salt: int
    timestamp_ms: int
    token_id: str
    post_only: bool
    expiration: int
    builder: str


def random_token_id(rng: random.Random) -> str:
    while True:
        token = str(rng.getrandbits(256))
        if not is_v2_position_id(token):  # those route to ExchangeV3 in the SDK
            return token


def random_cases(seed: int, n: int, n_keys: int) -> Iterator[OrderCase]:
    rng = random.Random(seed)
    for _ in range(n):
        tick = rng.choice(TICK_SIZES)
        tick_u = tick_units(tick)
        yield OrderCase(
            key_index=rng.randrange(n_keys),
            tick=tick,
            price_u=tick_u * rng.randint(1, MICRO // tick_u - 1),
            size_u=rng.choice(
                [rng.randint(10_000, 10**12), rng.randint(1, 10**5) * 10_000, rng.randint(5, 500) * MICRO]
            ),
            side=rng.choice(["BUY", "SELL"]),
            neg_risk=rng.random() < 0.5,
            salt=rng.getrandbits(53) if rng.random() < 0.8 else rng.getrandbits(256),
            timestamp_ms=rng.randint(1_700_000_000_000, 2_000_000_000_000),
            token_id=random_token_id(rng),
            post_only=rng.random() < 0.7,
            expiration=0 if rng.random() < 0.8 else rng.randint(4_000_000_000, 4_100_000_000),
            builder=ZERO_BYTES32 if rng.random() < 0.8 else "0x" + rng.randbytes(32).hex(),
        )


@dataclass
class Party:
    signer: Signer
    sdk: SdkHarness
    wallet_type: WalletType
    maker: str | None
    signature_type: int


def make_party(rng: random.Random, wallet_type: WalletType, *, uups: bool = False) -> Party:
    key = "0x" + rng.randbytes(32).hex()
    owner = Signer(key).address
    maker = None if wallet_type == "EOA" else (
        uups_deposit_wallet_address(owner) if uups else wallet_address(wallet_type, owner))
    return Party(Signer(key), SdkHarness(key, wallet_type=wallet_type, wallet=maker), wallet_type, maker,
                 signature_type_of(wallet_type))


def make_parties(seed: int) -> list[Party]:
    rng = random.Random(seed)
    return [make_party(rng, wallet_type) for wallet_type in WALLET_TYPES]


def assert_sdk_parity(party: Party, cases: list[OrderCase], monkeypatch: pytest.MonkeyPatch) -> set[Any]:
    """Ours (two-step and the executor's one-step signer) == the SDK's body, and the venue-side
    check accepts it; returns the (tick, side, neg_risk) combinations seen."""
    owner = "5d1e1c7b-0d39-4b8c-9e0a-2f4f3b6c8a11"
    one_step = AccountSigner(party.signer, maker=party.maker, signature_type=party.signature_type)
    order_signer = party.maker if party.signature_type == 3 else party.signer.address
    seen = set()
    for case in cases:
        unsigned = build_order(
            signer=order_signer or party.signer.address,
            maker=party.maker,
            signature_type=party.signature_type,
            token_id=case.token_id,
            side=case.side,
            price_u=case.price_u,
            size_u=case.size_u,
            tick_u=tick_units(case.tick),
            salt=case.salt,
            timestamp_ms=case.timestamp_ms,
            expiration=case.expiration,
            builder=case.builder,
        )
        ours = sign_order(party.signer, unsigned, neg_risk=case.neg_risk)
        body = order_body(
            ours,
            owner_api_key=owner,
            order_type="GTD" if case.expiration else "GTC",
            post_only=case.post_only,
            defer_exec=False,
        )

        assert body == party.sdk.post_order_body(case, owner=owner, monkeypatch=monkeypatch), case
        if case.builder == ZERO_BYTES32:
            assert one_step.sign(token_id=case.token_id, side=case.side, price_u=case.price_u,
                                 size_u=case.size_u, tick_u=tick_units(case.tick), salt=case.salt,
                                 timestamp_ms=case.timestamp_ms, neg_risk=case.neg_risk,
                                 expiration=case.expiration) == ours
        parsed = parse_order_json(json.loads(body)["order"], neg_risk=case.neg_risk)
        assert parsed == ours
        assert verify_order_signature(parsed) == party.signer.address
        seen.add((case.tick, case.side, case.neg_risk))
    return seen


def run_parity(n: int, seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    parties = [*make_parties(seed), make_party(rng, "DEPOSIT_WALLET", uups=True)]
    for index, party in enumerate(parties):
        count = n if index < 4 else n // 10  # the UUPS deposit wallet: the same code path as the beacon one
        seen = assert_sdk_parity(party, list(random_cases(seed + index, count, 1)), monkeypatch)
        assert {tick for tick, _, _ in seen} == set(TICK_SIZES), party.wallet_type
        assert {(s, neg) for _, s, neg in seen} == set(itertools.product(("BUY", "SELL"), (True, False)))


def test_signed_order_bodies_are_identical_to_the_sdk_for_every_signature_type(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_parity(N_FAST, seed=42, monkeypatch=monkeypatch)


@pytest.mark.slow
def test_a_thousand_random_orders_per_signature_type_are_identical_to_the_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run_parity(N_FULL, seed=4242, monkeypatch=monkeypatch)


@pytest.mark.parametrize("index", range(4), ids=WALLET_TYPES)
def test_protocol_v2_position_ids_sign_for_exchange_v3_like_the_sdk(
    index: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    party = make_parties(seed=8)[index]
    position_id = str((1 << 248) | (0xABCDEF << 8) | 1)  # module 1, bits 40..103 zero, outcome 1
    case = next(random_cases(seed=9, n=1, n_keys=1))
    case = dataclasses.replace(case, token_id=position_id, expiration=0, builder=ZERO_BYTES32)
    unsigned = build_order(
        signer=party.maker if party.signature_type == 3 else party.signer.address,  # type: ignore[arg-type]
        maker=party.maker,
        signature_type=party.signature_type,
        token_id=position_id,
        side=case.side,
        price_u=case.price_u,
        size_u=case.size_u,
        tick_u=tick_units(case.tick),
        salt=case.salt,
        timestamp_ms=case.timestamp_ms,
    )
    with pytest.raises(OrderError):
        sign_order(party.signer, unsigned, neg_risk=case.neg_risk)
    domain = exchange_domain_separator(contract=EXCHANGE_V3, version="3")
    ours = sign_order(party.signer, unsigned, neg_risk=case.neg_risk, domain_separator=domain)
    body = order_body(ours, owner_api_key="k", post_only=case.post_only)
    assert body == party.sdk.post_order_body(case, owner="k", monkeypatch=monkeypatch)


def sdk_amounts(side: Side, price: Decimal, size: Decimal, tick: str) -> tuple[int, int]:
    return sdk_limit._compute_limit_order_amounts(price=price, size=size, side=side, tick_size=Decimal(tick))


@pytest.mark.parametrize("tick", TICK_SIZES)
def test_amounts_match_the_sdk_at_every_grid_price(tick: str) -> None:
    rng = random.Random(tick)
    tick_u = tick_units(tick)
    for price_u in range(tick_u, MICRO - tick_u + 1, tick_u):
        size_u = rng.randint(10_000, 10**11)
        for side in ("BUY", "SELL"):
            price, size = Decimal(price_u).scaleb(-6), Decimal(size_u).scaleb(-6)
            expected = sdk_amounts(side, price, size, tick)
            assert order_amounts(side, price_u, size_u, tick_u) == expected
            assert order_amounts_decimal(side, price, size, tick) == expected


def test_amounts_match_the_sdk_for_sizes_with_many_decimals() -> None:
    rng = random.Random(3)
    for _ in range(2_000):
        tick = rng.choice(TICK_SIZES)
        tick_u = tick_units(tick)
        price = Decimal(tick_u * rng.randint(1, MICRO // tick_u - 1)).scaleb(-6)
        size = Decimal(rng.randint(10**6, 10**15)).scaleb(-rng.randint(6, 12))
        side: Side = rng.choice(["BUY", "SELL"])
        assert order_amounts_decimal(side, price, size, tick) == sdk_amounts(side, price, size, tick)


def test_off_grid_notional_rounding_matches_the_sdk_round_amount() -> None:
    rng = random.Random(5)
    for _ in range(5_000):
        amount = rng.choice([c.amount for c in ROUNDING.values()])
        value_e12 = rng.randint(1, 10**16)
        expected = sdk_math.parse_amount(sdk_limit._round_amount(Decimal(value_e12).scaleb(-12), amount))
        assert _round_notional(value_e12, amount) == expected
