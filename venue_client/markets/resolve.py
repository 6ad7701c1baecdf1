"""Market resolution, the pure half: Gamma / CLOB JSON into one frozen ``MarketInfo`` (PROTOCOL.md §7).
No I/O (``slugs.py`` does the window arithmetic, ``gamma.py`` the HTTP).

Gamma sends JSON-encoded strings (``clobTokenIds``, ``outcomes``) or real arrays; Protocol-V2 markets
(``version:"v2"``) carry ``positionIds`` instead. Tick size, minimum size and neg-risk come from the
CLOB (``/clob-markets/{cid}`` compact form, or ``/markets/{cid}``), never from Gamma; a market the CLOB
gives no tick size is not ready, unless the caller names a fallback tick (a coordinator's PM_TICK_SIZE).
Numbers (tick, minimum size, fees) are exact 1e-6 units (``schemas.units.parse_exact``): a value with a
finer digit is a ``MarketError``, never truncated into a different tick or fee.
"""

from __future__ import annotations

import calendar
import json
from datetime import datetime
from typing import Any

import msgspec

from schemas.units import MICRO, NS, parse_exact
from venue_client.markets.slugs import MarketError, NotReady, Window

# -- Gamma and CLOB JSON --------------------------------------------------------------------------

Num = str | int | float | None


class GammaEventRef(msgspec.Struct, kw_only=True, rename="camel"):
    slug: str = ""
    start_time: str | None = None


class FeeSchedule(msgspec.Struct, kw_only=True, rename="camel"):
    exponent: Num = None
    rate: Num = None
    taker_only: bool | None = None


class GammaMarket(msgspec.Struct, kw_only=True, rename="camel"):
    id: str | int | None = None
    condition_id: str = ""
    slug: str = ""
    question: str = ""
    version: str | None = None
    clob_token_ids: str | list[str] | None = None
    position_ids: str | list[str] | None = None
    outcomes: str | list[str] | None = None
    end_date: str | None = None
    event_start_time: str | None = None
    events: list[GammaEventRef] | None = None
    neg_risk: bool | None = None
    active: bool | None = None
    closed: bool | None = None
    accepting_orders: bool | None = None
    order_price_min_tick_size: Num = None
    order_min_size: Num = None
    fees_enabled: bool | None = None
    maker_base_fee: Num = None
    taker_base_fee: Num = None
    fee_schedule: FeeSchedule | None = None


class GammaEvent(msgspec.Struct, kw_only=True, rename="camel"):
    slug: str = ""
    start_time: str | None = None
    markets: list[GammaMarket] | None = None


class ClobToken(msgspec.Struct, kw_only=True):
    t: str = ""
    o: str = ""


class ClobFee(msgspec.Struct, kw_only=True):
    r: Num = None
    e: Num = None
    to: bool | None = None


class ClobInfo(msgspec.Struct, kw_only=True):
    """``/clob-markets/{cid}`` (compact) and ``/markets/{cid}`` (full), read into one shape."""

    c: str = ""
    t: list[ClobToken] | None = None
    mts: Num = None  # min tick size
    mos: Num = None  # min order size (shares)
    nr: bool | None = None  # neg risk
    ao: bool | None = None  # accepting orders
    fd: ClobFee | None = None
    mbf: Num = None
    tbf: Num = None


class MarketInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One binary market, ready to quote. Prices and sizes in 1e-6 units, times in ns."""

    slug: str
    condition_id: str
    question: str
    token_ids: tuple[str, str]  # index-aligned with outcomes: [Yes/Up, No/Down]
    outcomes: tuple[str, str]
    tick: int  # from the CLOB (0.01 -> 10_000)
    min_size: int  # shares (5 -> 5_000_000)
    window_start_ns: int  # 0 when the market has no window
    window_end_ns: int
    neg_risk: bool
    fees_enabled: bool
    fee_rate: int  # taker fee rate (0.07 -> 70_000): fee = shares * rate * (p(1-p))^exponent
    fee_exponent: int
    maker_base_fee_bps: int
    taker_base_fee_bps: int
    accepting_orders: bool
    closed: bool
    protocol_v2: bool  # Gamma version "v2": positionIds, ExchangeV3
    gamma_id: str

    @property
    def yes_asset(self) -> str:
        """The token of the first outcome (Yes / Up)."""
        return self.token_ids[0]

    @property
    def no_asset(self) -> str:
        """The token of the second outcome (No / Down)."""
        return self.token_ids[1]


def _units(value: Num, what: str) -> int:
    """Exact 1e-6 units (``parse_exact``); absent -> 0; anything else -> ``MarketError`` naming ``what``."""
    if value is None or value == "":
        return 0
    try:
        return parse_exact(value)
    except ValueError as exc:
        raise MarketError(f"bad {what}: {exc}") from None


def _strings(value: str | list[str] | None, what: str) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            raise MarketError(f"bad {what}: {value[:40]!r}") from None
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise MarketError(f"bad {what}: {value!r}")
    return [str(v) for v in value]


def iso_ns(text: str | None) -> int:
    """Gamma's ISO times (``2026-03-12T09:25:00Z``, ``...09:29:01.328428Z``) -> ns; empty -> 0."""
    if not text:
        return 0
    try:
        moment = datetime.fromisoformat(text)
        return calendar.timegm(moment.utctimetuple()) * NS + moment.microsecond * 1000
    except (ValueError, OverflowError):  # not ISO, or a date out of range (year 1 minus an offset)
        raise MarketError(f"bad time: {text[:40]!r}") from None


def decode_gamma(body: bytes | str, slug: str) -> GammaMarket:
    """A Gamma reply (a market, an event, or a list of either) -> the market for ``slug``."""
    data = _json(body)
    items: list[Any] = data if isinstance(data, list) else [data]
    markets: list[GammaMarket] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if "markets" in item:
            event = msgspec.convert(item, GammaEvent)
            found = [_with_event(m, event) for m in event.markets or []]
            markets += [m for m in found if m.slug == slug] or (found if event.slug == slug else [])
        else:
            markets.append(msgspec.convert(item, GammaMarket))
    exact = [m for m in markets if m.slug == slug] or markets
    if not exact:
        raise NotReady(f"{slug}: not listed")
    if len(exact) > 1:
        raise MarketError(f"{slug}: {len(exact)} markets match; name one market's slug")
    return exact[0]


def _with_event(market: GammaMarket, event: GammaEvent) -> GammaMarket:
    if market.events or not event.start_time:
        return market
    ref = GammaEventRef(slug=event.slug, start_time=event.start_time)
    return msgspec.structs.replace(market, events=[ref])


def token_ids(market: GammaMarket) -> tuple[list[str], list[str]]:
    """(token ids, outcomes); Protocol-V2 markets by ``version``, not by which fields are present."""
    ids = market.position_ids if market.version == "v2" else market.clob_token_ids
    return _strings(ids, "token ids"), _strings(market.outcomes, "outcomes")


def decode_clob(body: bytes | str) -> ClobInfo:
    """``/clob-markets/{cid}`` or ``/markets/{cid}`` -> ``ClobInfo``."""
    data = _json(body)
    if not isinstance(data, dict):
        raise MarketError("CLOB market is not an object")
    if "tokens" in data or "minimum_tick_size" in data:  # the full /markets/{cid} form
        return ClobInfo(c=str(data.get("condition_id", "")), mts=data.get("minimum_tick_size"),
                        mos=data.get("minimum_order_size"), nr=data.get("neg_risk"),
                        ao=data.get("accepting_orders"), mbf=data.get("maker_base_fee"),
                        tbf=data.get("taker_base_fee"),
                        t=[ClobToken(t=str(t.get("token_id", "")), o=str(t.get("outcome", "")))
                           for t in _list(data.get("tokens")) if isinstance(t, dict)])
    return msgspec.convert(data, ClobInfo)


def _json(body: bytes | str) -> Any:
    try:
        return msgspec.json.decode(body)
    except (UnicodeDecodeError, RecursionError) as exc:  # not msgspec.DecodeError: say it here
        raise MarketError(f"unreadable JSON: {type(exc).__name__}") from None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def market_info(gamma: GammaMarket, clob: ClobInfo, *, fallback: Window | None = None,
                default_tick: int = 0) -> MarketInfo:
    """Merge Gamma (ids, outcomes, window, fees) and the CLOB (tick, min size, neg-risk, tokens).

    ``default_tick`` (> 0): the tick when the CLOB gives none (0 = such a market is not ready)."""
    ids, outcomes = token_ids(gamma)
    clob_ids = [t.t for t in clob.t or [] if t.t]
    if not ids or not clob_ids or not gamma.condition_id:
        raise NotReady(f"{gamma.slug}: no token ids yet (CLOB hydration)")
    if len(ids) != 2:
        raise MarketError(f"{gamma.slug}: {len(ids)} tokens; only binary markets are supported")
    if sorted(ids) != sorted(clob_ids):
        raise MarketError(f"{gamma.slug}: Gamma and CLOB disagree on the token ids")
    if clob.c and clob.c.lower() != gamma.condition_id.lower():
        raise MarketError(f"{gamma.slug}: CLOB condition id {clob.c} != Gamma {gamma.condition_id}")
    if len(outcomes) != 2:
        outcomes = [next((t.o for t in clob.t or [] if t.t == i), "") for i in ids]
    tick = _units(clob.mts, "tick size") or default_tick
    if tick <= 0:
        raise NotReady(f"{gamma.slug}: no tick size yet")
    start = iso_ns(gamma.event_start_time) or iso_ns(next((e.start_time for e in gamma.events or []
                                                           if e.start_time), None))
    end = iso_ns(gamma.end_date)
    if fallback is not None:
        start, end = start or fallback.start_s * NS, end or fallback.end_s * NS
    schedule = gamma.fee_schedule or FeeSchedule()
    fee = clob.fd or ClobFee(r=schedule.rate, e=schedule.exponent, to=schedule.taker_only)
    return MarketInfo(
        slug=gamma.slug, condition_id=gamma.condition_id, question=gamma.question,
        token_ids=(ids[0], ids[1]), outcomes=(outcomes[0], outcomes[1]), tick=tick,
        min_size=_units(clob.mos if clob.mos is not None else gamma.order_min_size, "minimum size"),
        window_start_ns=start, window_end_ns=end,
        neg_risk=bool(clob.nr if clob.nr is not None else gamma.neg_risk),
        fees_enabled=bool(gamma.fees_enabled) or bool(clob.fd),
        fee_rate=_units(fee.r, "fee rate"), fee_exponent=int(_units(fee.e, "fee exponent") // MICRO) or 1,
        maker_base_fee_bps=_units(clob.mbf if clob.mbf is not None else gamma.maker_base_fee, "fee") // MICRO,
        taker_base_fee_bps=_units(clob.tbf if clob.tbf is not None else gamma.taker_base_fee, "fee") // MICRO,
        accepting_orders=bool(clob.ao if clob.ao is not None else gamma.accepting_orders),
        closed=bool(gamma.closed), protocol_v2=gamma.version == "v2", gamma_id=str(gamma.id or ""))
