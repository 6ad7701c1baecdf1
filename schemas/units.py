"""Exact numbers on the bus: the unit constants, and the one place decimals become 1e-6 units.

Money, shares and prices are integers in 1e-6 units (USDC and outcome tokens both have 6 decimals on
chain; a price of 0.52 is 520_000); times are integer nanoseconds. Every program, the executor's venue
replies, market resolution, the decide CLI, configuration, ``clob`` and the local venue take the
constants from here, and turn decimal text into units with one of four parsers, each with one rule:

- ``parse_exact``: the value must be a whole number of 1e-6 units; a finer digit is an error;
- ``parse_price``: ``parse_exact``, within (0, 1], and on a tick grid when one is given;
- ``parse_floor``: rounded down (toward minus infinity) to 1e-6;
- ``parse_size``: ``parse_floor``, and never negative;
- ``parse_fill_price``: a price within (0, 1], rounded half-even to 1e-6 if the venue ever prints finer.

All four accept what ``decimal.Decimal`` reads (surrounding whitespace, a sign, exponent notation such
as ``"1e-3"``, and Python's ``_`` between digits), an ``int`` (whole units: ``5`` -> ``5_000_000``), a
``float`` (a JSON number: read through its shortest repr, so ``0.57`` is exactly ``570_000``) or a
``Decimal``. They raise ``UnitsError`` (a ``ValueError``) for anything else: ``""``, ``None``, a bool,
text that is not a number, NaN or Infinity, and a value whose units do not fit the bus (int64). An empty
value that means "none" (``""`` for an empty book side, an absent amount) is the caller's to map.

Which rule where: one rule per quantity (a new call site picks its entry, or adds one here).
Each entry: quantity; where it comes from; parser; why.

Prices (``parse_price``, or ``parse_exact`` where 0 is meaningful): exact, never rounded.
  - book level price, trade price; market channel (market-feed); ``parse_price``. Venue prices sit
    on a tick grid (>= 0.0001), so a seventh decimal means a malformed event: it is counted and
    dropped, never rounded onto a level that does not exist. The *tick* grid is not checked: resting
    levels can be off the current grid around a ``tick_size_change``.
  - ``best_bid`` / ``best_ask``, tick sizes; market channel; ``parse_exact``, >= 0 ("0" / "1" mean
    an empty side; a tick is a price step).
  - fill price (maker entry, taker); user channel and REST ``/data/trades`` (user-feed);
    ``parse_fill_price``: the one price that is never rejected for its digits, because a fill the
    engine drops is a position it no longer knows about (seed-000: inventory changes only from fills,
    and none may be lost). A seventh decimal (never seen: fill prices are order prices on the tick
    grid) is rounded half-even, an error of at most 0.5e-6 USDC per share; a price outside (0, 1] or
    not a number is still rejected (that is not a fill of a binary token).
  - order price of an ``order`` event; user channel; ``parse_exact``, >= 0, ``""`` -> 0 (a limit
    price; "0" / "" occur on orders without one).
  - open order ``price``; REST ``/data/orders`` (executor); ``parse_price``, 0 when rejected (the
    reply parsers never raise: 0 is "unrecognised").
  - limit price given as a decimal; ``clob.orders.order_amounts_decimal``; ``parse_price`` on the
    tick grid (the SDK rejects an off-grid price, and so do we).

Amounts of shares (``parse_size``): floored to 1e-6.
  - level size, trade size; market channel; ``parse_size``.
  - fill size (``matched_amount``, ``size``), ``original_size``, ``size_matched``; user channel and
    REST (user-feed: ``""`` -> 0; executor: 0 when rejected); ``parse_size``.
  - order size given as a decimal; ``clob.orders.order_amounts_decimal``; ``parse_floor``, then
    ``order_amounts`` floors it to the tick's size decimals (2): the SDK's own rule, for byte-for-byte
    parity with the SDK.
  Why floor: the exchange moves whole 1e-6 units and computes fill amounts by integer division
  (rounding down), so a finer digit is never a share anyone holds, and a floored size never shows
  more than exists. Polymarket prints at most 6 decimals ("100.0000"); this only decides the case it
  ever does not, so that it is the same everywhere.

Whole seconds (``parse_floor`` // ``MICRO``): the ``expiration`` of an open order, REST (executor):
  unix seconds; a fraction of a second is dropped.

Parameters (``parse_exact``): what was written, or an error naming it.
  - tick size, minimum size, fee rate, fee exponent, base fees; Gamma and CLOB market info (markets):
    a value finer than 1e-6 is not understood, so the market is refused (``MarketError``) rather
    than quoted with a truncated tick or fee.
  - prices, sizes and quantities in a decide file; a person (coordinator ``--decide``): a typo is an
    error, not silently truncated.
  - ``PM_*`` decimals; the environment (``bus/config.py``): a setting is what its operator wrote, or
    exit 2.
  - venue config decimals and prices in its own books; the local venue (``venue/``): the exchange
    prints exact numbers.

Pure: stdlib only, no I/O.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_EVEN, Context, Decimal, InvalidOperation

MICRO = 1_000_000
"""1e-6 units in one USDC, one share, or a price of 1.0."""
ONE = MICRO
"""A price of 1.0 (also one share, one USDC): the top of the price range."""
NS = 1_000_000_000
"""Nanoseconds in a second."""
MS = 1_000_000
"""Nanoseconds in a millisecond."""
MAX_INT64 = (1 << 63) - 1
"""The largest integer the bus carries (msgpack int64): larger units or times are malformed, not a
crash later."""

Number = str | int | float | Decimal

_QUANTUM = Decimal(1).scaleb(-6)  # 1e-6
_MAX_VALUE = Decimal(MAX_INT64).scaleb(-6)  # the largest decimal whose units fit int64
_CONTEXT = Context(prec=28, rounding=ROUND_FLOOR, traps=[InvalidOperation])
# A context of our own: a caller's thread-local decimal context cannot change a rule. Values within
# _MAX_VALUE have at most 19 digits at 1e-6, so quantize never needs more than prec 28.


class UnitsError(ValueError):
    """A value that is not a number of 1e-6 units under the parser's rule."""


def _show(value: object) -> str:
    return repr(value)[:40]


def _decimal(value: Number) -> Decimal:
    """The value as a finite ``Decimal`` within the bus's range; ``UnitsError`` otherwise."""
    kind = type(value)
    if kind is float:
        value = repr(value)  # the shortest text that reads back as this float: 0.57 -> "0.57"
    elif kind is bool or not isinstance(value, str | int | Decimal):
        raise UnitsError(f"not a number: {_show(value)}")
    try:
        number = value if isinstance(value, Decimal) else Decimal(value)
    except (InvalidOperation, ValueError):
        raise UnitsError(f"not a number: {_show(value)}") from None
    if not number.is_finite():
        raise UnitsError(f"not a finite number: {_show(value)}")
    if number.copy_abs() > _MAX_VALUE:
        raise UnitsError(f"out of range (int64 units): {_show(value)}")
    return number


def _to_units(number: Decimal) -> int:
    """A ``Decimal`` already on the 1e-6 grid -> integer units."""
    return int(number.scaleb(6, _CONTEXT))


def parse_exact(value: Number) -> int:
    """Exactly 1e-6 units: ``"0.5"`` -> ``500_000``, ``"0.5000000"`` -> ``500_000``, ``5`` ->
    ``5_000_000``, ``"-0.25"`` -> ``-250_000``; ``"0.0000001"`` is an error (more than 6 decimal
    places that are not zero). Negative values are kept: the caller checks the range it needs."""
    if type(value) is int:  # whole units: no Decimal needed (bool is not int here)
        if abs(value) > MAX_INT64 // MICRO:
            raise UnitsError(f"out of range (int64 units): {_show(value)}")
        return value * MICRO
    number = _decimal(value)
    on_grid = number.quantize(_QUANTUM, context=_CONTEXT)
    if on_grid != number:
        raise UnitsError(f"more than 6 decimal places: {_show(value)}")
    return _to_units(on_grid)


def parse_price(value: Number, tick: int = 1) -> int:
    """A price: ``parse_exact``, within (0, 1] (``0 < units <= ONE``) and a multiple of ``tick``
    (1e-6 units; the default 1 checks only the 1e-6 grid)."""
    if tick <= 0:
        raise ValueError(f"tick must be positive, got {tick}")
    units = parse_exact(value)
    if not 0 < units <= ONE:
        raise UnitsError(f"price out of range (0, 1]: {_show(value)}")
    if units % tick:
        raise UnitsError(f"price not on the {tick} (1e-6 units) tick grid: {_show(value)}")
    return units


def parse_floor(value: Number) -> int:
    """Rounded down to 1e-6 units: ``"1.2345678"`` -> ``1_234_567``, ``"-0.0000001"`` -> ``-1``."""
    if type(value) is int:
        return parse_exact(value)
    number = _decimal(value)
    return _to_units(number.quantize(_QUANTUM, rounding=ROUND_FLOOR, context=_CONTEXT))


def parse_size(value: Number) -> int:
    """An amount of shares (or USDC): ``parse_floor``, and never negative."""
    units = parse_floor(value)
    if units < 0:
        raise UnitsError(f"negative amount: {_show(value)}")
    return units


def parse_fill_price(value: Number) -> int:
    """A fill's price: within (0, 1], on the 1e-6 grid, a finer digit rounded half-even (a fill is never
    dropped for its digits: ``"0.5000004"`` -> ``500_000``)."""
    if type(value) is int:
        units = parse_exact(value)
    else:
        units = _to_units(_decimal(value).quantize(_QUANTUM, rounding=ROUND_HALF_EVEN, context=_CONTEXT))
    if not 0 < units <= ONE:
        raise UnitsError(f"price out of range (0, 1]: {_show(value)}")
    return units
