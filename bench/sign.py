"""Microseconds per signed limit order: clob/ vs the official SDK (polymarket-client 0.14.0).

Run: ``.venv/bin/python bench/sign.py [N]`` (default N = 2,000 orders). Prints a table and returns
(from :func:`main`) a dict of µs per order. Both sides build the amounts from price/size and sign
an EIP-712 V2 order for the same key; the SDK goes through ``SecureClient.create_limit_order``
with a stub context (no network), i.e. its real validation + typed-data + eth_account path.

Every signature type is measured (0 EOA, 1 proxy, 2 Safe, 3 deposit wallet: its ERC-7739 envelope
costs two more keccak calls), each with our two-step path (``build_order`` + ``sign_order``), the
executor's one-step ``AccountSigner`` and the SDK (on at most 500 orders: it is slow). The top-level
``ours_build_sign_us`` / ``sdk_build_sign_us`` / ``speedup`` are type 0's (bench/run.py reports them);
``by_type`` holds all four. Targets: ours <= 150 µs and >= 8x faster than the SDK, for every type.
"""

from __future__ import annotations

import random
import sys
import time
import types
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from eth_account import Account
from polymarket._internal.actions.orders.market_data import MarketInfo
from polymarket._internal.environment import PRODUCTION_CONFIG
from polymarket.clients import secure as sdk_secure

from clob.order_json import order_body
from clob.orders import TICK_SIZES, AccountSigner, SignedOrder, build_order, sign_order, tick_units
from clob.signer import Signer
from clob.wallets import WALLET_TYPES, WalletType, signature_type_of, wallet_address
from schemas.units import MICRO

KEY = "0x" + "3e" * 32
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
SDK_ORDERS_MAX = 500


def make_inputs(n: int, seed: int = 1) -> list[tuple[str, str, int, int, bool]]:
    """(tick, side, price_u, size_u, neg_risk) tuples on the grid."""
    rng = random.Random(seed)
    inputs = []
    for _ in range(n):
        tick = rng.choice(TICK_SIZES)
        tick_u = tick_units(tick)
        price_u = tick_u * rng.randint(1, MICRO // tick_u - 1)
        inputs.append(
            (tick, rng.choice(["BUY", "SELL"]), price_u, rng.randint(5, 5_000) * 10_000, rng.random() < 0.5)
        )
    return inputs


def sdk_client(wallet_type: WalletType = "EOA") -> tuple[sdk_secure.SecureClient, types.SimpleNamespace]:
    account = Account.from_key(KEY)
    state = types.SimpleNamespace(market=None)
    ctx = types.SimpleNamespace(
        wallet=wallet_address(wallet_type, account.address),
        wallet_type=wallet_type,
        signer=account,
        signer_type="OWNER",
        environment_config=PRODUCTION_CONFIG,
        order_metadata=types.SimpleNamespace(resolve_market=lambda _ctx, token_id: state.market),
    )
    return sdk_secure.SecureClient(ctx=ctx, _create_token=sdk_secure._CREATE_TOKEN), state  # type: ignore[arg-type]


def best_us_per_call(run: Callable[[], None], n: int, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter_ns()
        run()
        best = min(best, (time.perf_counter_ns() - started) / 1_000 / n)
    return best


def measure_type(wallet_type: WalletType, inputs: list[tuple[str, str, int, int, bool]],
                 signed_orders: list[SignedOrder]) -> dict[str, float]:
    signer = Signer(KEY)
    signature_type = signature_type_of(wallet_type)
    maker = None if wallet_type == "EOA" else wallet_address(wallet_type, signer.address)
    order_signer = maker if signature_type == 3 and maker else signer.address
    one_step = AccountSigner(signer, maker=maker, signature_type=signature_type)
    ticks = {tick: tick_units(tick) for tick in TICK_SIZES}
    markets = {
        (tick, neg): MarketInfo(fee_info=None, neg_risk=neg, tick_size=Decimal(tick), token_ids=frozenset())  # type: ignore[arg-type]
        for tick in TICK_SIZES
        for neg in (False, True)
    }
    client, state = sdk_client(wallet_type)
    sdk_inputs = inputs[:SDK_ORDERS_MAX]

    def ours_build_and_sign() -> None:
        signed_orders.clear()
        for i, (tick, side, price_u, size_u, neg_risk) in enumerate(inputs):
            order = build_order(
                signer=order_signer,
                maker=maker,
                signature_type=signature_type,
                token_id=TOKEN,
                side=side,  # type: ignore[arg-type]
                price_u=price_u,
                size_u=size_u,
                tick_u=ticks[tick],
                salt=i,
                timestamp_ms=1_750_000_000_000 + i,
            )
            signed_orders.append(sign_order(signer, order, neg_risk=neg_risk))

    def ours_one_step() -> None:
        for i, (tick, side, price_u, size_u, neg_risk) in enumerate(inputs):
            one_step.sign(token_id=TOKEN, side=side, price_u=price_u, size_u=size_u,  # type: ignore[arg-type]
                          tick_u=ticks[tick], salt=i, timestamp_ms=1_750_000_000_000 + i, neg_risk=neg_risk)

    def sdk_build_and_sign() -> None:
        for tick, side, price_u, size_u, neg_risk in sdk_inputs:
            state.market = markets[(tick, neg_risk)]
            client.create_limit_order(
                asset_id=TOKEN,
                price=Decimal(price_u).scaleb(-6),
                size=Decimal(size_u).scaleb(-6),
                side=side,  # type: ignore[arg-type]
                post_only=True,
            )

    figures = {
        "ours_build_sign_us": best_us_per_call(ours_build_and_sign, len(inputs)),
        "ours_one_step_us": best_us_per_call(ours_one_step, len(inputs)),
        "sdk_build_sign_us": best_us_per_call(sdk_build_and_sign, len(sdk_inputs), repeats=1),
    }
    figures["speedup"] = figures["sdk_build_sign_us"] / figures["ours_build_sign_us"]
    return figures


def main(n: int = 2_000) -> dict[str, Any]:
    inputs = make_inputs(n)
    signed_orders: list[SignedOrder] = []
    by_type = {signature_type_of(t): measure_type(t, inputs, signed_orders) for t in reversed(WALLET_TYPES)}

    def ours_body() -> None:  # on the EOA orders (measured last)
        for one in signed_orders:
            order_body(one, owner_api_key="00000000-0000-0000-0000-000000000000")

    results: dict[str, Any] = {**by_type[0], "ours_body_us": best_us_per_call(ours_body, n)}
    results["by_type"] = {str(k): {name: round(v, 1) for name, v in figures.items()}
                          for k, figures in sorted(by_type.items())}
    print(f"{'orders (SDK: at most 500)':<28}{n:>12,}")
    print(f"{'type':<28}{'0 EOA':>12}{'1 proxy':>12}{'2 Safe':>12}{'3 deposit':>12}")
    for label, name in (("ours: build + sign (µs)", "ours_build_sign_us"),
                        ("ours: one step (µs)", "ours_one_step_us"),
                        ("SDK: build + sign (µs)", "sdk_build_sign_us"), ("speed-up (x)", "speedup")):
        print(f"{label:<28}" + "".join(f"{by_type[k][name]:>12.1f}" for k in range(4)))
    print(f"{'ours: POST body (µs)':<28}{results['ours_body_us']:>12.1f}")
    return results


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)
