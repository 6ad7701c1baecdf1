"""The rules of ``schemas.units``: one table, every parser on every kind of input.

Each row is an input and what each parser makes of it: an integer of 1e-6 units, or ``ERR`` (a
``UnitsError``, which is a ``ValueError``).
"""

from __future__ import annotations

from decimal import Decimal, getcontext, localcontext

import pytest

from schemas.units import (
    MAX_INT64,
    MICRO,
    MS,
    NS,
    ONE,
    Number,
    UnitsError,
    parse_exact,
    parse_fill_price,
    parse_floor,
    parse_price,
    parse_size,
)

ERR = None
MAX_TEXT = "9223372036854.775807"  # MAX_INT64 units
PARSERS = (parse_exact, parse_floor, parse_size, parse_price)

ROWS: list[tuple[str, object, int | None, int | None, int | None, int | None]] = [
    # what, value, parse_exact, parse_floor, parse_size, parse_price
    ("a price as Polymarket prints it", "0.5000", 500_000, 500_000, 500_000, 500_000),
    ("no leading zero", ".48", 480_000, 480_000, 480_000, 480_000),
    ("a size as Polymarket prints it", "100.0000", 100_000_000, 100_000_000, 100_000_000, ERR),
    ("six places", "219.217767", 219_217_767, 219_217_767, 219_217_767, ERR),
    ("the smallest unit", "0.000001", 1, 1, 1, 1),
    ("trailing zeros past six places", "0.48000000000", 480_000, 480_000, 480_000, 480_000),
    ("a seventh place", "0.4820001", ERR, 482_000, 482_000, ERR),
    ("a seventh place below one unit", "0.0000009", ERR, 0, 0, ERR),
    ("29 significant digits (beyond the default decimal precision)", "0.1000000000000000000000000001",
     ERR, 100_000, 100_000, ERR),
    ("zero", "0", 0, 0, 0, ERR),
    ("negative zero", "-0", 0, 0, 0, ERR),
    ("one", "1", ONE, ONE, ONE, ONE),
    ("above one", "1.000001", 1_000_001, 1_000_001, 1_000_001, ERR),
    ("negative", "-0.25", -250_000, -250_000, ERR, ERR),
    ("negative with a seventh place", "-0.0000001", ERR, -1, ERR, ERR),
    ("exponent notation", "1e-3", 1_000, 1_000, 1_000, 1_000),
    ("exponent notation, too fine", "1e-7", ERR, 0, 0, ERR),
    ("a huge exponent", "1e999999999", ERR, ERR, ERR, ERR),
    ("a tiny exponent", "1e-999999999", ERR, 0, 0, ERR),
    ("surrounding whitespace", " 0.5\n", 500_000, 500_000, 500_000, 500_000),
    ("only whitespace", "   ", ERR, ERR, ERR, ERR),
    ("empty", "", ERR, ERR, ERR, ERR),
    ("None", None, ERR, ERR, ERR, ERR),
    ("a bool", True, ERR, ERR, ERR, ERR),
    ("a list", ["0.5"], ERR, ERR, ERR, ERR),
    ("not a number", "abc", ERR, ERR, ERR, ERR),
    ("a comma", "1,5", ERR, ERR, ERR, ERR),
    ("hex", "0x10", ERR, ERR, ERR, ERR),
    ("NaN", "NaN", ERR, ERR, ERR, ERR),
    ("signalling NaN", "sNaN", ERR, ERR, ERR, ERR),
    ("Infinity", "Infinity", ERR, ERR, ERR, ERR),
    ("minus Infinity", "-Infinity", ERR, ERR, ERR, ERR),
    ("the largest that fits the bus", MAX_TEXT, MAX_INT64, MAX_INT64, MAX_INT64, ERR),
    ("one unit more", "9223372036854.775808", ERR, ERR, ERR, ERR),
    ("huge", "1" + "0" * 40, ERR, ERR, ERR, ERR),
    ("an int is whole units", 5, 5 * MICRO, 5 * MICRO, 5 * MICRO, ERR),
    ("a negative int", -5, -5 * MICRO, -5 * MICRO, ERR, ERR),
    ("an int too large for the bus", MAX_INT64 // MICRO + 1, ERR, ERR, ERR, ERR),
    ("a JSON float, read as written", 0.57, 570_000, 570_000, 570_000, 570_000),
    ("a float that is not a short decimal", 0.1 + 0.2, ERR, 300_000, 300_000, ERR),
    ("a float NaN", float("nan"), ERR, ERR, ERR, ERR),
    ("a float Infinity", float("inf"), ERR, ERR, ERR, ERR),
    ("a Decimal", Decimal("0.0025"), 2_500, 2_500, 2_500, 2_500),
]


@pytest.mark.parametrize(("what", "value", "exact", "floor", "size", "price"), ROWS, ids=[r[0] for r in ROWS])
def test_each_parser_applies_its_rule(what: str, value: object, exact: int | None, floor: int | None,
                                      size: int | None, price: int | None) -> None:
    for parse, expected in zip(PARSERS, (exact, floor, size, price), strict=True):
        if expected is ERR:
            with pytest.raises(UnitsError):
                parse(value)  # type: ignore[arg-type]
        else:
            assert parse(value) == expected, parse.__name__  # type: ignore[arg-type]


@pytest.mark.parametrize(("value", "tick", "units"), [
    ("0.55", 10_000, 550_000), ("0.0025", 2_500, 2_500), ("0.9975", 2_500, 997_500), ("1", 100_000, ONE),
    ("0.555", 10_000, ERR), ("0.5551", 1_000, ERR), ("0.5", 3, ERR), ("0.0001", 1_000, ERR),
])
def test_a_price_on_a_tick_grid(value: str, tick: int, units: int | None) -> None:
    if units is ERR:
        with pytest.raises(UnitsError, match="grid"):
            parse_price(value, tick)
    else:
        assert parse_price(value, tick) == units


def test_a_tick_must_be_positive() -> None:
    with pytest.raises(ValueError, match="tick"):
        parse_price("0.5", 0)


def test_errors_are_value_errors_and_name_the_value() -> None:
    with pytest.raises(ValueError, match=r"6 decimal places: '0\.4820001'"):
        parse_exact("0.4820001")
    with pytest.raises(ValueError, match="out of range"):
        parse_exact("1e30")


def test_the_rules_do_not_depend_on_the_callers_decimal_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3  # a caller's narrow context must not round the value before the check
        assert parse_exact("1234.56") == 1_234_560_000
        with pytest.raises(UnitsError):
            parse_exact("0.1234567")
        assert parse_floor("1234.5678919") == 1_234_567_891
    assert getcontext().prec == 28


def test_the_constants() -> None:
    assert (MICRO, ONE, MS, NS, MAX_INT64) == (10**6, 10**6, 10**6, 10**9, 2**63 - 1)
    assert 1_000 * MS == NS


def test_number_covers_what_the_parsers_take() -> None:
    values: list[Number] = ["0.5", 5, 0.5, Decimal("0.5")]
    assert [parse_exact(v) for v in values] == [500_000, 5_000_000, 500_000, 500_000]


@pytest.mark.parametrize(("raw", "expected"), [
    ("0.482", 482_000), ("0.4820004", 482_000), ("0.4820006", 482_001), ("0.4820005", 482_000),
    ("0.4820015", 482_002), (1, 1_000_000), ("1.0000004", 1_000_000), (0.57, 570_000),
])
def test_a_fill_price_is_rounded_half_even_never_refused_for_its_digits(raw: object, expected: int) -> None:
    assert parse_fill_price(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["0", "0.0000004", "1.0000006", "-0.5", "", "nan", True, None])
def test_a_fill_price_outside_0_1_or_not_a_number_is_refused(raw: object) -> None:
    with pytest.raises(UnitsError):
        parse_fill_price(raw)  # type: ignore[arg-type]
