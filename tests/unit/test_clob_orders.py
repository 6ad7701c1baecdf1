"""Order amounts, building, signing, JSON bodies and parsing: table-driven behaviour and goldens."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from clob.eip712 import CTF_EXCHANGE_V2, exchange_domain_separator
from clob.order_json import (
    PostOrder,
    order_body,
    orders_body,
    parse_order_json,
    parse_post_order,
    verify_order_signature,
)
from clob.orders import (
    TICK_SIZES,
    OrderError,
    SignedOrder,
    UnsignedOrder,
    build_order,
    new_salt,
    order_amounts,
    order_amounts_decimal,
    sign_order,
    tick_units,
)
from clob.signer import Signer
from tests.support.fixtures import NT_CRATES

SIGNER = Signer("0x" + "11" * 32)
OTHER = Signer("0x" + "22" * 32)
TOKEN = "71321045679252212594626385532706912750332728571942532289631379312455583992563"
FIXTURE = NT_CRATES / "http_signed_order.json"
# Produced by polymarket-client 0.14.0 (create_limit_order + its POST /order payload + transport JSON).
GOLDEN_BODY = (
    b'{"deferExec":false,"order":{"builder":"0x0000000000000000000000000000000000000000000000000000000000000000",'
    b'"expiration":"0","maker":"0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A","makerAmount":"6540200",'
    b'"metadata":"0x0000000000000000000000000000000000000000000000000000000000000000","salt":123456789,'
    b'"side":"BUY","signature":"0xc2d4496fdad519bcd5081b4ac6706ff1812fcfa6372c298a2caf693534ce3242'
    b'0eff04442d75f68c78b42467bb41e31e5ea923e87a479750148c5f1ef5a432bf1c","signatureType":0,'
    b'"signer":"0x19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A","takerAmount":"12340000",'
    b'"timestamp":"1713398400000","tokenId":"' + TOKEN.encode() + b'"},"orderType":"GTC",'
    b'"owner":"abc-uuid","postOnly":true}'
)
GOLDEN_ORDER_ID = "0x5e2ceab85d44c35ffbcdef38dfd5333fb0d861489326d6b550dc69757c2a2564"


def make_order(**overrides: Any) -> UnsignedOrder:
    fields: dict[str, Any] = {
        "signer": SIGNER.address,
        "token_id": TOKEN,
        "side": "BUY",
        "price_u": 530_000,
        "size_u": 12_345_000,
        "tick_u": 10_000,
        "salt": 123456789,
        "timestamp_ms": 1_713_398_400_000,
    }
    return build_order(**(fields | overrides))


def signed(neg_risk: bool = True, **overrides: Any) -> SignedOrder:
    return sign_order(SIGNER, make_order(**overrides), neg_risk=neg_risk)


def test_golden_order_body_and_order_id() -> None:
    order = signed()
    assert order.order_id == GOLDEN_ORDER_ID
    assert order_body(order, owner_api_key="abc-uuid") == GOLDEN_BODY
    assert signed(neg_risk=False).order_id != GOLDEN_ORDER_ID


@pytest.mark.parametrize(
    ("tick", "units"),
    [
        ("0.1", 100_000),
        ("0.01", 10_000),
        ("0.005", 5_000),
        ("0.0025", 2_500),
        ("0.001", 1_000),
        ("0.0001", 100),
    ],
)
def test_tick_units(tick: str, units: int) -> None:
    assert tick_units(tick) == tick_units(Decimal(tick)) == units
    assert tick in TICK_SIZES


@pytest.mark.parametrize("tick", ["0.02", "0.00001", "abc", "1", "0.0125"])
def test_unsupported_ticks_are_rejected(tick: str) -> None:
    with pytest.raises(OrderError):
        tick_units(tick)


@pytest.mark.parametrize(
    ("side", "price_u", "size_u", "tick_u", "expected"),
    [
        ("BUY", 530_000, 12_345_000, 10_000, (6_540_200, 12_340_000)),
        ("SELL", 530_000, 12_345_000, 10_000, (12_340_000, 6_540_200)),
        ("BUY", 100_000, 5_000_000, 100_000, (500_000, 5_000_000)),
        ("BUY", 2_500, 10_010_000, 2_500, (25_025, 10_010_000)),
        ("SELL", 997_500, 1_019_999, 2_500, (1_010_000, 1_007_475)),
        ("BUY", 9_999 * 100, 10_000, 100, (9_999, 10_000)),
        ("SELL", 5_000, 999_999_999_999, 5_000, (999_999_990_000, 4_999_999_950)),
    ],
)
def test_order_amounts_table(
    side: str, price_u: int, size_u: int, tick_u: int, expected: tuple[int, int]
) -> None:
    assert order_amounts(side, price_u, size_u, tick_u) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("price_u", "size_u", "tick_u"),
    [
        (535_000, 10_000_000, 10_000),  # off grid
        (0, 10_000_000, 10_000),  # below tick
        (1_000_000, 10_000_000, 10_000),  # above 1 - tick
        (5_000, 10_000_000, 10_000),  # below tick
        (500_000, 9_999, 10_000),  # rounds to zero shares
        (500_000, 10_000_000, 20_000),  # unsupported tick
    ],
)
def test_order_amounts_rejects(price_u: int, size_u: int, tick_u: int) -> None:
    with pytest.raises(OrderError):
        order_amounts("BUY", price_u, size_u, tick_u)


def test_order_amounts_rejects_bad_side() -> None:
    with pytest.raises(OrderError):
        order_amounts("buy", 500_000, 10_000_000, 10_000)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("price", "size"), [("0.535", "10"), ("NaN", "10"), ("0.5", "abc"), ("0.5", "Infinity")]
)
def test_order_amounts_decimal_rejects(price: str, size: str) -> None:
    with pytest.raises(OrderError):
        order_amounts_decimal("BUY", price, size, "0.01")


def test_build_order_defaults_and_validation() -> None:
    order = make_order()
    assert order.maker == order.signer == SIGNER.address
    assert (order.expiration, order.signature_type) == (0, 0)
    assert 0 <= new_salt() < 2**53
    for bad in ({"token_id": "0xabc"}, {"token_id": str(2**256)}, {"salt": -1}, {"timestamp_ms": -5}):
        with pytest.raises(OrderError):
            make_order(**bad)


def test_sign_order_refuses_foreign_signer_and_deposit_wallets() -> None:
    with pytest.raises(OrderError):
        sign_order(OTHER, make_order(), neg_risk=False)
    with pytest.raises(OrderError):
        sign_order(SIGNER, make_order(signature_type=3), neg_risk=False)


def test_domain_override_changes_the_order_id() -> None:
    domain = exchange_domain_separator(chain_id=80002, contract=CTF_EXCHANGE_V2)
    other = sign_order(SIGNER, make_order(), neg_risk=False, domain_separator=domain)
    assert other.order_id != signed(neg_risk=False).order_id
    parsed = parse_order_json(
        json.loads(order_body(other, owner_api_key="k"))["order"], neg_risk=False, domain_separator=domain
    )
    assert parsed == other


@pytest.mark.parametrize(
    ("kwargs", "present", "absent"),
    [
        ({"post_only": True, "defer_exec": False}, [b'"deferExec":false', b'"postOnly":true'], []),
        ({"post_only": False, "defer_exec": True}, [b'"deferExec":true'], [b"postOnly"]),
        ({"order_type": "FOK", "post_only": False}, [b'"orderType":"FOK"'], [b"postOnly"]),
    ],
)
def test_order_body_flags(kwargs: dict[str, Any], present: list[bytes], absent: list[bytes]) -> None:
    body = order_body(signed(), owner_api_key="k", **kwargs)
    assert all(part in body for part in present)
    assert not any(part in body for part in absent)
    assert b" " not in body


@pytest.mark.parametrize(
    ("expiration", "order_type", "post_only"),
    [(0, "FOK", True), (0, "FAK", True), (0, "GTD", True), (1_900_000_000, "GTC", True), (0, "LIMIT", False)],
)
def test_order_body_rejects_bad_combinations(expiration: int, order_type: str, post_only: bool) -> None:
    with pytest.raises(OrderError):
        order_body(
            signed(expiration=expiration), owner_api_key="k", order_type=order_type, post_only=post_only
        )


def test_gtd_body_carries_the_expiration() -> None:
    body = order_body(signed(expiration=1_900_000_000), owner_api_key="k", order_type="GTD")
    assert b'"expiration":"1900000000"' in body


def test_orders_body_batches_up_to_15() -> None:
    orders = [signed(salt=i) for i in range(16)]
    batch = json.loads(orders_body(orders[:15], owner_api_key="k"))
    assert [item["order"]["salt"] for item in batch] == list(range(15))
    assert batch[0] == json.loads(order_body(orders[0], owner_api_key="k"))
    for bad in (orders, []):
        with pytest.raises(OrderError):
            orders_body(bad, owner_api_key="k")


def test_parse_post_order_round_trip_and_signature_check() -> None:
    order = signed(neg_risk=True)
    body = json.loads(order_body(order, owner_api_key="abc-uuid", post_only=True, defer_exec=True))
    parsed = parse_post_order(body, neg_risk_of=lambda token: token == TOKEN)
    assert parsed == PostOrder(
        order=order, owner="abc-uuid", order_type="GTC", post_only=True, defer_exec=True
    )
    assert verify_order_signature(parsed.order) == SIGNER.address


def tampered(**changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = json.loads(order_body(signed(), owner_api_key="k"))["order"]
    for key, value in changes.items():
        if value is None:
            del obj[key]
        else:
            obj[key] = value
    return obj


@pytest.mark.parametrize(
    "changes",
    [
        {"salt": "123456789"},
        {"salt": True},
        {"makerAmount": 6540200},
        {"makerAmount": "-1"},
        {"takerAmount": "1e6"},
        {"side": "buy"},
        {"signatureType": "0"},
        {"signatureType": 256},
        {"maker": "19E7E376E7C213B7E7e7e46cc70A5dD086DAff2A"},
        {"signer": "0x1234"},
        {"signature": "0x1234"},
        {"metadata": "0x00"},
        {"tokenId": "0xabc"},
        {"tokenId": str(2**256)},
        {"timestamp": None},
        {"expiration": 0},
    ],
)
def test_parse_order_json_is_strict(changes: dict[str, Any]) -> None:
    with pytest.raises(OrderError):
        parse_order_json(tampered(**changes), neg_risk=True)


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"order": [], "owner": "k", "orderType": "GTC"},
        {"order": tampered(), "owner": "", "orderType": "GTC"},
        {"order": tampered(), "owner": "k", "orderType": "IOC"},
        {"order": tampered(), "owner": "k", "orderType": "GTC", "postOnly": "true"},
    ],
)
def test_parse_post_order_rejects(body: object) -> None:
    with pytest.raises(OrderError):
        parse_post_order(body, neg_risk_of=lambda _token: True)


@pytest.mark.parametrize(
    "changes",
    [{"makerAmount": "6540201"}, {"timestamp": "1713398400001"}, {"signer": OTHER.address}, {"side": "SELL"}],
)
def test_verify_order_signature_rejects_tampered_orders(changes: dict[str, Any]) -> None:
    with pytest.raises(OrderError):
        verify_order_signature(parse_order_json(tampered(**changes), neg_risk=True))


def test_verify_order_signature_rejects_the_wrong_exchange_and_foreign_signatures() -> None:
    with pytest.raises(OrderError):
        verify_order_signature(parse_order_json(tampered(), neg_risk=False))
    foreign = sign_order(OTHER, make_order(signer=OTHER.address), neg_risk=True)
    forged = msgspec.structs.replace(signed(), signature=foreign.signature)
    with pytest.raises(OrderError):
        verify_order_signature(forged)


def test_recorded_signed_order_fixture_parses() -> None:
    order = parse_order_json(json.loads(FIXTURE.read_text()), neg_risk=False)
    assert (order.salt, order.maker_amount, order.taker_amount, order.side) == (
        123456789,
        100_000_000,
        50_000_000,
        "BUY",
    )
    assert order.order_id.startswith("0x") and len(order.order_id) == 66
    with pytest.raises(OrderError):  # its signature is a placeholder
        verify_order_signature(order)
