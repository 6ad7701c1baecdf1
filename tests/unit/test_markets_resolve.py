"""Gamma and CLOB market JSON (the recorded fixtures) through the real parsers into ``MarketInfo``."""

from __future__ import annotations

import json
from typing import Any

import pytest

from schemas.units import NS
from tests.support.fixtures import FIXTURES, NT_CRATES, NT_HTTP
from venue_client.markets.resolve import (
    ClobInfo,
    ClobToken,
    decode_clob,
    decode_gamma,
    iso_ns,
    market_info,
    token_ids,
)
from venue_client.markets.slugs import MarketError, NotReady, Window

NAUTILUS = FIXTURES / "nautilus_trader"
CRATES = NT_CRATES
PY_HTTP = NT_HTTP
UP = "104239898038807136052399800151408521467737075933964991162589336683346093173875"
DOWN = "71183960810705820955071415844881728181970340514894896943812046065452395013351"
CID = "0x78443f961b9a65869dcb39359de9960165c7e5cbad0904eac7f29cd77872a63b"


def compact(cid: str, tokens: list[tuple[str, str]], **extra: Any) -> bytes:
    """A ``/clob-markets/{cid}`` reply in the compact V2 form (as the SDKs read it)."""
    return json.dumps({"c": cid, "t": [{"t": t, "o": o} for t, o in tokens], "mos": 5, "mts": 0.01,
                       "ao": True, "mbf": 1000, "tbf": 1000, **extra}).encode()


def test_the_real_btc_5m_market_with_its_clob_details() -> None:
    gamma = decode_gamma((CRATES / "gamma_market.json").read_bytes(), "btc-updown-5m-1773307200")
    clob = decode_clob(compact(CID, [(UP, "Up"), (DOWN, "Down")], fd={"r": 0.07, "e": 1, "to": True}))
    info = market_info(gamma, clob)
    assert info.slug == "btc-updown-5m-1773307200" and info.condition_id == CID
    assert (info.token_ids, info.outcomes) == ((UP, DOWN), ("Up", "Down"))
    assert (info.tick, info.min_size) == (10_000, 5_000_000)
    assert (info.window_start_ns, info.window_end_ns) == (1_773_307_200 * NS, 1_773_307_500 * NS)
    assert (info.fees_enabled, info.fee_rate, info.fee_exponent, info.taker_base_fee_bps) == (True, 70_000, 1,
                                                                                            1000)
    assert not info.neg_risk and info.accepting_orders and not info.closed and not info.protocol_v2
    assert info.gamma_id == "1557558" and info.question.startswith("Bitcoin Up or Down")


def test_tick_size_comes_from_the_clob_not_gamma() -> None:
    gamma = decode_gamma((CRATES / "gamma_market.json").read_bytes(), "btc-updown-5m-1773307200")
    clob = decode_clob(compact(CID, [(UP, "Up"), (DOWN, "Down")], mts=0.001, mos=10, nr=True))
    info = market_info(gamma, clob)
    assert (info.tick, info.min_size, info.neg_risk) == (1_000, 10_000_000, True)  # Gamma says 0.01 / 5


def test_fees_fall_back_to_gammas_fee_schedule_when_the_clob_has_none() -> None:
    raw = json.loads((CRATES / "gamma_market.json").read_text())
    raw["feeSchedule"] = {"exponent": 1, "rate": 0.07, "takerOnly": True, "rebateRate": 0.2}
    gamma = decode_gamma(json.dumps(raw), raw["slug"])
    info = market_info(gamma, decode_clob(compact(CID, [(UP, "Up"), (DOWN, "Down")])))
    assert (info.fee_rate, info.fee_exponent) == (70_000, 1)


@pytest.mark.parametrize(("name", "closed", "accepting", "outcomes"), [
    ("gamma_market_closed_binary_accepting_false.json", True, False, ["Yes", "No"]),
    ("gamma_market_closed_binary_accepting_true.json", True, True, ["Yes", "No"]),
    ("gamma_market_closed_nonbinary_legacy.json", True, None, ["Long", "Short"]),
    ("gamma_market_closed_zero_zero_legacy.json", True, None, ["Yes", "No"]),
    ("gamma_market_sports_market_money_line.json", None, None, None),
    ("gamma_market_sports_market_map_handicap.json", None, None, None),
])
def test_closed_and_other_real_gamma_markets_parse(name: str, closed: bool | None, accepting: bool | None,
                                                   outcomes: list[str] | None) -> None:
    raw = json.loads((CRATES / name).read_text())
    gamma = decode_gamma((CRATES / name).read_bytes(), raw["slug"])
    ids, outs = token_ids(gamma)
    assert gamma.condition_id == raw["conditionId"] and ids == json.loads(raw["clobTokenIds"])
    if closed is not None:
        assert gamma.closed is closed and gamma.accepting_orders is accepting and outs == outcomes
    clob = ClobInfo(c=gamma.condition_id, t=[ClobToken(t=i, o=o) for i, o in zip(ids, outs, strict=True)],
                    mts=0.01, mos=5)
    info = market_info(gamma, clob)
    assert info.token_ids == tuple(ids) and info.closed is bool(gamma.closed)
    assert info.window_end_ns == iso_ns(raw.get("endDate"))


def test_plain_token_arrays_and_outcomes_from_the_clob() -> None:
    gamma = decode_gamma((PY_HTTP / "market_slug.json").read_bytes(), "kamala-harris-divorce-in-2025")
    ids, outcomes = token_ids(gamma)
    assert len(ids) == 2 and outcomes == []  # a real array, and no outcomes in this reply
    info = market_info(gamma, ClobInfo(t=[ClobToken(t=ids[1], o="No"), ClobToken(t=ids[0], o="Yes")],
                                       mts=0.001, mos=5))
    assert info.outcomes == ("Yes", "No") and info.tick == 1_000


def test_a_list_of_markets_is_searched_by_slug() -> None:
    gamma = decode_gamma((PY_HTTP / "markets_list.json").read_bytes(), "btc-price-above-100k")
    assert gamma.condition_id == "0xabc123"
    with pytest.raises(NotReady):
        decode_gamma(b"[]", "btc-updown-5m-1")


def test_events_pick_their_one_market_or_refuse_several() -> None:
    events = decode_gamma((PY_HTTP / "events_list.json").read_bytes(), "nfl-falcons-vs-panthers")
    assert events.condition_id.startswith("0x8e0c6567")
    with pytest.raises(NotReady):  # listed, but no token ids: not tradable yet
        market_info(events, ClobInfo(mts=0.01))
    event = (PY_HTTP / "event.json").read_bytes()
    with pytest.raises(MarketError, match="3 markets"):
        decode_gamma(event, "highest-temperature-in-nyc-on-january-26")
    one = decode_gamma(event, "highest-temperature-in-nyc-on-january-26-26-27f")
    assert one.condition_id.startswith("0x35c268a9")
    nominee = (CRATES / "gamma_event.json").read_bytes()
    with pytest.raises(MarketError, match="2 markets"):
        decode_gamma(nominee, "democratic-presidential-nominee-2028")
    slug = "will-gretchen-whitmer-win-the-2028-democratic-presidential-nomination-676"
    whitmer = decode_gamma(nominee, slug)
    ids, _ = token_ids(whitmer)
    info = market_info(whitmer, ClobInfo(t=[ClobToken(t=i) for i in ids], mts=0.001, mos=5))
    assert info.neg_risk and info.outcomes == ("Yes", "No")  # neg-risk from Gamma when the CLOB omits it
    assert info.window_start_ns == iso_ns("2028-11-07T12:00:00Z")  # the event's startTime


@pytest.mark.parametrize(("name", "tick", "neg_risk", "accepting"), [
    ("crates_test_data/clob_market_closed_binary_accepting_true.json", 0.01, False, True),
    ("crates_test_data/clob_market_closed_binary_accepting_false.json", None, None, False),
    ("py_http_responses/market.json", 0.001, True, True),
])
def test_real_clob_markets_parse(name: str, tick: float | None, neg_risk: bool | None,
                                 accepting: bool) -> None:
    raw = json.loads((NAUTILUS / name).read_text())
    info = decode_clob((NAUTILUS / name).read_bytes())
    assert info.c == raw["condition_id"]
    assert [t.t for t in info.t or []] == [t["token_id"] for t in raw["tokens"]]
    assert [t.o for t in info.t or []] == [t["outcome"] for t in raw["tokens"]]
    assert info.mts == raw.get("minimum_tick_size") and info.nr == raw.get("neg_risk")
    assert info.ao is raw["accepting_orders"] and info.mos == raw.get("minimum_order_size")
    if tick is not None:
        assert (info.mts, info.nr, info.ao) == (tick, neg_risk, accepting)


def gamma_json(**fields: Any) -> bytes:
    base = {"id": "1", "conditionId": "0xc1", "slug": "s", "question": "q", "outcomes": '["Up", "Down"]',
            "clobTokenIds": '["1", "2"]', "endDate": "2026-03-12T09:25:00Z"}
    return json.dumps({**base, **fields}).encode()


def clob(*tokens: str) -> ClobInfo:
    return ClobInfo(c="0xc1", t=[ClobToken(t=t) for t in tokens], mts=0.01, mos=5)


def test_protocol_v2_markets_use_position_ids_chosen_by_version() -> None:
    v2 = decode_gamma(gamma_json(version="v2", positionIds=["11", "12"]), "s")
    info = market_info(v2, clob("11", "12"))
    assert info.token_ids == ("11", "12") and info.protocol_v2
    v1 = decode_gamma(gamma_json(version="v1", positionIds=["11", "12"]), "s")
    assert token_ids(v1)[0] == ["1", "2"]


@pytest.mark.parametrize(("fields", "tokens", "error"), [
    ({"clobTokenIds": "[]"}, ("1", "2"), NotReady),  # hydration: Gamma has no token ids yet
    ({"clobTokenIds": None}, ("1", "2"), NotReady),
    ({}, (), NotReady),  # hydration: the CLOB has no tokens yet
    ({"clobTokenIds": '["1", "2", "3"]'}, ("1", "2", "3"), MarketError),  # not binary
    ({}, ("1", "9"), MarketError),  # Gamma and CLOB disagree
    ({"conditionId": "0xother"}, ("1", "2"), MarketError),
    ({"clobTokenIds": "not json"}, ("1", "2"), MarketError),
    ({"endDate": "someday"}, ("1", "2"), MarketError),
])
def test_not_ready_versus_bad_data(fields: dict[str, Any], tokens: tuple[str, ...],
                                   error: type[Exception]) -> None:
    with pytest.raises(error):
        market_info(decode_gamma(gamma_json(**fields), "s"), clob(*tokens))


def test_a_missing_tick_is_not_ready_and_window_times_fall_back_to_the_slug() -> None:
    gamma = decode_gamma(gamma_json(endDate=None), "s")
    with pytest.raises(NotReady):
        market_info(gamma, ClobInfo(c="0xc1", t=[ClobToken(t="1"), ClobToken(t="2")]))
    info = market_info(gamma, clob("1", "2"), fallback=Window(("s",), 100, 400))
    assert (info.window_start_ns, info.window_end_ns) == (100 * NS, 400 * NS)


@pytest.mark.parametrize(("mts", "default_tick", "tick"), [
    (0.01, 0, 10_000),  # the CLOB's tick
    (0.01, 1_000, 10_000),  # the CLOB's tick wins over the fallback
    (0.0025, 5_000, 2_500),
    (None, 0, None),  # no tick, no fallback: not ready (resolution waits)
    ("", 0, None),
    (0, 0, None),
    (None, 1_000, 1_000),  # no tick: the fallback (a coordinator's PM_TICK_SIZE)
    ("", 5_000, 5_000),
    (0, 1_000, 1_000),
    (-0.01, 1_000, None),  # a negative tick is not replaced: not ready
])
def test_the_fallback_tick_is_used_only_when_the_clob_gives_none(mts: float | str | None, default_tick: int,
                                                                 tick: int | None) -> None:
    gamma = decode_gamma(gamma_json(), "s")
    entry = ClobInfo(c="0xc1", t=[ClobToken(t="1"), ClobToken(t="2")], mts=mts, mos=5)
    if tick is None:
        with pytest.raises(NotReady, match="no tick size"):
            market_info(gamma, entry, default_tick=default_tick)
    else:
        assert market_info(gamma, entry, default_tick=default_tick).tick == tick


@pytest.mark.parametrize(("field", "value"), [
    ("mts", "0.0100001"), ("mts", 1e-7), ("mos", "5.0000001"), ("mbf", "NaN"), ("tbf", "1e30"),
])
def test_market_numbers_finer_than_1e6_or_unreadable_refuse_the_market(field: str, value: Any) -> None:
    gamma = decode_gamma(gamma_json(), "s")
    fields: dict[str, Any] = {"c": "0xc1", "t": [ClobToken(t="1"), ClobToken(t="2")], "mts": 0.01, "mos": 5,
                              field: value}
    with pytest.raises(MarketError, match="bad"):
        market_info(gamma, ClobInfo(**fields))


@pytest.mark.parametrize(("mts", "mos", "tick", "min_size"), [
    ("0.01", "5", 10_000, 5_000_000), (0.001, 15.0, 1_000, 15_000_000),
    ("0.0100000", "5.00", 10_000, 5_000_000), ("1e-2", 5, 10_000, 5_000_000),
])
def test_market_numbers_are_read_exactly(mts: Any, mos: Any, tick: int, min_size: int) -> None:
    info = market_info(decode_gamma(gamma_json(), "s"),
                       ClobInfo(c="0xc1", t=[ClobToken(t="1"), ClobToken(t="2")], mts=mts, mos=mos))
    assert (info.tick, info.min_size) == (tick, min_size)
