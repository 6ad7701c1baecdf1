"""Fuzzing the REST edge: the executor's reply parsers and rejection classes (and its core fed hostile
replies), the user-feed's ``/data/trades`` back-fill, and market resolution from Gamma / CLOB JSON.

For every input: nothing but the documented error escapes (the executor never raises: "nothing
recognised"; back-fill raises only ``BackfillError``; resolution only ``NotReady`` / ``MarketError`` /
``HttpError``), and whatever is produced fits the bus (int64).
"""

from __future__ import annotations

from typing import Any, get_args

import msgspec
from hypothesis import example, given
from hypothesis import strategies as st

from actors.executor.core import reply_bodies as replies
from actors.executor.core.rejections import MAX_RETRY_AFTER_MS, classify, error_text, retry_after_ms
from actors.executor.core.venue_requests import (
    CancelEverything,
    CancelIds,
    HttpResult,
    ListOrders,
    ListTrades,
    LookupOrder,
    PostOrders,
)
from actors.executor.wire.rest import _decode
from actors.user_feed.backfill import BackfillError, fetch_trades
from actors.user_feed.venue import UserTrade
from bus import codec
from clob.auth import ApiCreds
from schemas import FailReason
from tests.support.executor_core_harness import NO, T0, YES, Venue, place, started
from tests.support.fixtures import NT_CRATES, NT_HTTP, NT_WS
from tests.support.fuzz import (
    DEEP,
    FEW,
    FUZZ,
    byte_mutated,
    dumps,
    json_bytes,
    json_values,
    load,
    mutated,
)
from venue_client.markets.gamma import HttpError, MarketHttp
from venue_client.markets.resolver import resolve_slug
from venue_client.markets.slugs import MarketError, NotReady

INT64 = 1 << 63
HTTP_SEEDS = [load(p) for p in sorted(NT_CRATES.glob("http_*.json"))]
hostile_body = st.one_of(json_values, st.sampled_from(HTTP_SEEDS).flatmap(mutated),
                         st.binary(max_size=60).map(_decode), st.just(_decode(DEEP)))


def fits(value: int) -> bool:
    return -INT64 <= value < INT64


# -- the executor ---------------------------------------------------------------------------------


@FUZZ
@given(st.one_of(json_bytes(), st.sampled_from(HTTP_SEEDS).map(dumps).flatmap(byte_mutated)))
def test_the_executor_decodes_any_response_body(raw: bytes) -> None:
    body = _decode(raw)
    assert body is None or isinstance(body, str | int | float | bool | list | dict)


@FUZZ
@given(hostile_body)
def test_reply_parsers_never_raise_and_return_clean_types(body: Any) -> None:
    for leg in replies.parse_legs(body):
        assert isinstance(leg.order_id, str) and isinstance(leg.error, str)
        assert not leg.ok or (leg.order_id and not leg.error)
    canceled, not_canceled = replies.parse_cancel(body)
    assert all(isinstance(i, str) for i in canceled)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in not_canceled.items())
    orders = replies.parse_orders(body)
    single = replies.parse_order(body)
    for order in [*orders, *([single] if single else [])]:
        assert all(fits(v) for v in (order.price, order.size, order.size_matched, order.expiration))
        assert replies.is_open(order.status) or order is single
    assert isinstance(replies.next_cursor(body), str)
    assert all(isinstance(i, str) and i for i in replies.trade_order_ids(body))
    assert all(fits(parse(body)) for parse in (replies.price, replies.size, replies.seconds))


@FUZZ
@given(st.integers(min_value=-1, max_value=999), hostile_body,
       st.dictionaries(st.sampled_from(["retry-after", "x"]), st.text(max_size=12) | st.sampled_from(
           ["inf", "-inf", "nan", "1e300", "-5", "3", "Wed, 21 Oct 2015 07:28:00 GMT"])))
def test_any_failure_is_classified(status: int, body: Any, headers: dict[str, str]) -> None:
    retry = retry_after_ms(headers)
    assert 0 <= retry <= MAX_RETRY_AFTER_MS
    rejection = classify(status, error_text(body), retry)
    assert rejection.reason in get_args(FailReason) and isinstance(rejection.message, str)


STATUSES = st.sampled_from([0, 200, 200, 200, 400, 401, 404, 425, 429, 500, 503])
hostile_reply = st.builds(lambda status, body, retry, sent: HttpResult(
    status=status, body=body, headers={"retry-after": retry}, sent=sent), STATUSES, hostile_body,
    st.sampled_from(["", "1", "inf", "1e300", "x"]), st.booleans())


@FEW
@given(st.lists(hostile_reply, min_size=1, max_size=12))
def test_the_executor_core_survives_any_venue_reply(answers: list[HttpResult]) -> None:
    core = started()
    venue, queue = Venue(), list(answers)
    for kind in (PostOrders, CancelIds, CancelEverything, LookupOrder, ListOrders, ListTrades):
        venue.on[kind] = lambda req: queue.pop(0) if queue else HttpResult(status=200, body=None)
    now = T0
    for i in range(4):
        core.on_command(place(f"c{i}", slot=f"s{i}", asset=YES if i % 2 else NO), now)
        for _ in range(50):  # bounded: a hostile venue may keep the core asking
            req = core.next_request(now)
            if req is None:
                break
            res, ids = venue.answer(req)
            core.on_reply(req, res, now, ids if isinstance(req, PostOrders) else ())
        now += 700_000_000
    out, _ = core.drain()
    for topic, msg in [*out, (b"exec.state.all.", core.executor_state(now, False)),
                       (b"exec.orders.all.", core.open_orders(now))]:
        codec.decode([topic, codec.encode_header("executor", 1, 1, now), codec.encode_body(msg)])


# -- the user-feed's back-fill --------------------------------------------------------------------


class Reply:
    def __init__(self, body: bytes, status: int = 200, retry_after: str = "") -> None:
        self.status_code, self.content = status, body
        self.text = body.decode(errors="replace")
        self.headers = {"Retry-After": retry_after} if retry_after else {}


class Pages:
    """A ``requests.Session`` stand-in answering each ``GET /data/trades`` with the next body."""

    def __init__(self, bodies: list[bytes]) -> None:
        self.bodies = bodies

    def get(self, url: str, **kwargs: Any) -> Reply:
        return Reply(self.bodies.pop(0) if self.bodies else b'{"data": [], "next_cursor": "LTE="}')


TRADE_ROW = load(NT_WS / "trades.json")
PAGE_SEEDS = [load(NT_CRATES / "http_trades_page.json"), {"data": [TRADE_ROW], "next_cursor": "LTE="},
              {"data": [load(NT_WS / "user_trade4.json")], "next_cursor": "MQ=="}]
page_body = st.one_of(json_bytes(), st.sampled_from(PAGE_SEEDS).flatmap(mutated).map(dumps),
                      st.sampled_from(PAGE_SEEDS).map(dumps).flatmap(byte_mutated))


@FUZZ
@given(st.lists(page_body, min_size=1, max_size=3))
def test_backfill_takes_any_trades_page(bodies: list[bytes]) -> None:
    creds = ApiCreds(api_key="k", secret="c2VjcmV0", passphrase="p")
    try:
        result = fetch_trades(Pages(bodies), "http://venue", creds, address="0x" + "1" * 40,  # type: ignore[arg-type]
                              after_s=0, timeout_s=1, max_pages=3, clock_s=lambda: 1_700_000_000.0)
    except BackfillError:
        return
    assert all(isinstance(t, UserTrade) and t.id for t in result.trades) and result.skipped >= 0


# -- market resolution ----------------------------------------------------------------------------

GAMMA = load(NT_CRATES / "gamma_market.json")
SLUG = GAMMA["slug"]
CLOB_FULL = load(NT_CRATES / "clob_market_closed_binary_accepting_true.json")
CLOB_COMPACT = {"c": GAMMA["conditionId"], "t": [{"t": t, "o": o} for t, o in zip(
    msgspec.json.decode(GAMMA["clobTokenIds"]), ["Up", "Down"], strict=True)], "mts": 0.01, "mos": 5,
    "fd": {"r": 0.07, "e": 1, "to": True}}
GAMMA_SEEDS = [GAMMA, [GAMMA], load(NT_CRATES / "gamma_event.json"), load(NT_HTTP / "market_slug.json"),
               load(NT_CRATES / "gamma_market_closed_nonbinary_legacy.json")]
CLOB_SEEDS = [CLOB_COMPACT, CLOB_FULL, load(NT_HTTP / "market.json")]


def body_of(seeds: list[Any]) -> st.SearchStrategy[bytes]:
    return st.one_of(st.sampled_from(seeds).map(dumps), st.sampled_from(seeds).flatmap(mutated).map(dumps),
                     st.sampled_from(seeds).map(dumps).flatmap(byte_mutated), json_bytes())


class Http:
    """A ``requests.Session`` stand-in for Gamma and the CLOB: one body per kind of URL."""

    def __init__(self, gamma: bytes, clob: bytes, tick: bytes, status: int, retry_after: str = "") -> None:
        self.gamma, self.clob, self.tick, self.status = gamma, clob, tick, status
        self.retry_after = retry_after

    def get(self, url: str, params: Any = None, timeout: float = 0) -> Reply:
        body = self.gamma if "/markets/slug/" in url or "/events" in url else (
            self.tick if "/tick-size" in url else self.clob)
        return Reply(body, self.status, self.retry_after)

    def close(self) -> None:
        pass


def sleep(seconds: float) -> None:
    """What ``time.sleep`` accepts (it raises on a negative or NaN delay), without sleeping."""
    assert 0 <= seconds <= 60, seconds


def test_the_unmutated_seeds_resolve() -> None:  # so the fuzzing below starts from working inputs
    http = MarketHttp("http://g", "http://c", session=Http(dumps(GAMMA), dumps(CLOB_COMPACT), b"{}", 200),  # type: ignore[arg-type]
                      retries=0, sleep=lambda s: None)
    assert resolve_slug(http, SLUG).tick == 10_000


@FUZZ
@example(dumps(GAMMA), dumps(CLOB_COMPACT), b"{}", 429, "-5")  # time.sleep(-5) raised ValueError
@example(dumps(GAMMA), dumps(CLOB_COMPACT), b"{}", 429, "nan")
@given(body_of(GAMMA_SEEDS), body_of(CLOB_SEEDS),
       st.sampled_from([b'{"minimum_tick_size": 0.01}', b"[]", b"{", DEEP, b'{"minimum_tick_size": "NaN"}']),
       st.sampled_from([200, 200, 200, 404, 429, 500]), st.sampled_from(["", "2", "-5", "nan", "inf", "x"]))
def test_market_resolution_raises_only_its_own_errors(gamma: bytes, clob: bytes, tick: bytes,
                                                       status: int, retry_after: str) -> None:
    http = MarketHttp("http://g", "http://c", session=Http(gamma, clob, tick, status, retry_after),  # type: ignore[arg-type]
                      retries=1, sleep=sleep)
    try:
        info = resolve_slug(http, SLUG)
    except (NotReady, MarketError, HttpError):
        return
    ints = [v for v in msgspec.structs.astuple(info) if isinstance(v, int) and not isinstance(v, bool)]
    assert all(fits(v) for v in ints) and info.tick > 0 and len(set(info.token_ids)) <= 2
