"""Seed-000 §2.2 OFI: sliding windows of taker volume per side, toxicity, timer-driven expiry."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.ofi.config import OfiConfig
from actors.ofi.core import Ofi, Window
from bus.config import ConfigError, load
from bus.effects import Effects
from schemas import Lease, LeaseRelease, OfiState, Trade
from tests.support.ofi_effects import on_lease, on_timer, on_trade, snapshot

M = 1_000_000
MS = 1_000_000  # ns
CID, YES, NO = "0xc1d", "1001", "1002"
T0 = 1_700_000_000_000_000_000
W = 3000 * MS
THRESHOLD = 50 * M


def trade(side: str, size: float, t: int, asset: str = YES, ts_recv: int | None = None) -> Trade:
    return Trade(asset=asset, market=CID, price=500_000, size=round(size * M), side=side,  # type: ignore[arg-type]
                 fee_rate_bps=0, ts_event=t, ts_recv=t if ts_recv is None else ts_recv)


def engine(window_ms: int = 3000, threshold: int = THRESHOLD) -> Ofi:
    ofi = Ofi(window_ms, threshold)
    on_lease(ofi, Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO,
                       ttl_ms=3_600_000, ts=0), T0 - 10 * W)
    return ofi


def feed(ofi: Ofi, trades: list[Trade], now: int) -> OfiState:
    for tr in trades:
        on_trade(ofi, tr, tr.ts_event or tr.ts_recv)
    on_timer(ofi, now)
    return ofi.state(CID, now)


# (name, trades, evaluated at, YES (buy, sell, score, toxic))
WINDOW_CASES = [
    ("empty", [], T0, (0, 0, 0, False)),
    ("buys add up", [trade("BUY", 20, T0), trade("BUY", 25, T0 + 1)], T0 + 1, (45, 0, 45, False)),
    ("buy/sell mix nets out", [trade("BUY", 60, T0), trade("SELL", 30, T0 + 1)], T0 + 2, (60, 30, 30, False)),
    ("sells make a negative score", [trade("SELL", 51, T0)], T0, (0, 51, -51, True)),
    ("score exactly the threshold is not toxic", [trade("BUY", 50, T0)], T0, (50, 0, 50, False)),
    ("score -threshold is not toxic", [trade("SELL", 50, T0)], T0, (0, 50, -50, False)),
    ("one micro-share over the threshold is toxic", [trade("BUY", 50.000001, T0)], T0,
     (50_000_001 / M, 0, 50_000_001 / M, True)),
    ("a trade one ns inside the window counts", [trade("BUY", 60, T0)], T0 + W - 1, (60, 0, 60, True)),
    ("a trade exactly at the window edge has expired", [trade("BUY", 60, T0)], T0 + W, (0, 0, 0, False)),
    ("only the old trade expires", [trade("BUY", 60, T0), trade("SELL", 10, T0 + 1)], T0 + W,
     (0, 10, -10, False)),
    ("out-of-order event times expire in time order",
     [trade("BUY", 30, T0 + 2 * MS), trade("BUY", 40, T0), trade("BUY", 5, T0 + 1 * MS)], T0 + W + 1 * MS,
     (30, 0, 30, False)),
    ("ts_recv is used when ts_event is missing", [trade("BUY", 60, 0, ts_recv=T0)], T0 + W - 1,
     (60, 0, 60, True)),
]


@pytest.mark.parametrize(("name", "trades", "now", "yes"), WINDOW_CASES, ids=[c[0] for c in WINDOW_CASES])
def test_window_math(name: str, trades: list[Trade], now: int, yes: tuple[float, float, float, bool]) -> None:
    state = feed(engine(), trades, now)
    buy, sell, score, toxic = yes
    assert (state.yes.buy_volume, state.yes.sell_volume, state.yes.score) == (
        round(buy * M), round(sell * M), round(score * M))
    assert state.yes.toxic is toxic and state.toxic is toxic
    assert state.yes.threshold == THRESHOLD and state.window_ms == 3000


@pytest.mark.parametrize(
    ("yes_trades", "no_trades", "yes_toxic", "no_toxic"),
    [
        ([trade("BUY", 60, T0)], [], True, False),
        ([], [trade("SELL", 60, T0, asset=NO)], False, True),
        ([trade("BUY", 60, T0)], [trade("BUY", 60, T0, asset=NO)], True, True),
        ([trade("BUY", 40, T0)], [trade("BUY", 40, T0, asset=NO)], False, False),  # 80 in total: per side
    ],
)
def test_sides_are_independent_and_either_toxic_side_makes_the_market_toxic(
        yes_trades: list[Trade], no_trades: list[Trade], yes_toxic: bool, no_toxic: bool) -> None:
    state = feed(engine(), yes_trades + no_trades, T0)
    assert (state.yes.toxic, state.no.toxic) == (yes_toxic, no_toxic)
    assert state.toxic is (yes_toxic or no_toxic)


def test_the_timer_clears_toxicity_when_the_window_empties_without_new_trades() -> None:
    ofi = engine()
    changed = on_trade(ofi, trade("BUY", 60, T0), T0)
    assert [s.toxic for s in changed] == [True]
    assert on_timer(ofi, T0 + W - 1) == []  # nothing changed yet: nothing to publish
    cleared = on_timer(ofi, T0 + W)
    assert [(s.toxic, s.yes.buy_volume) for s in cleared] == [(False, 0)]
    assert ofi.windows == {}  # empty windows are dropped


def test_a_trade_already_outside_the_window_is_ignored() -> None:
    ofi = engine()
    assert on_trade(ofi, trade("BUY", 60, T0), T0 + W) == []
    assert ofi.state(CID, T0 + W).yes.buy_volume == 0


def test_a_venue_clock_ahead_of_ours_does_not_stretch_the_window() -> None:
    ofi = engine()
    on_trade(ofi, trade("BUY", 60, T0 + 500 * MS), T0)  # stamped 0.5 s in our future: counted as now
    on_timer(ofi, T0 + W)
    assert ofi.state(CID, T0 + W).yes.buy_volume == 0


def test_unchanged_states_are_not_returned_again() -> None:
    ofi = engine()
    assert len(on_trade(ofi, trade("BUY", 10, T0), T0)) == 1
    assert on_timer(ofi, T0 + 1) == []
    assert [s.market for s in snapshot(ofi, T0 + 2)] == [CID]  # the periodic publication always has it


def test_trades_of_tokens_outside_any_leased_market_change_nothing_published() -> None:
    ofi = engine()
    assert on_trade(ofi, trade("BUY", 60, T0, asset="999"), T0) == []


def test_a_new_lease_publishes_at_once_and_renewals_do_not() -> None:
    ofi = Ofi(3000, THRESHOLD)
    lease = Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=0)
    assert [s.market for s in on_lease(ofi, lease, T0)] == [CID]
    assert on_lease(ofi, lease, T0 + 1) == []
    assert on_lease(ofi, Lease(holder="btc", market=CID, yes_asset=YES, no_asset="",
                              ttl_ms=5000, ts=0), T0) == []


def test_trades_before_the_lease_are_in_the_first_state() -> None:
    ofi = Ofi(3000, THRESHOLD)
    on_trade(ofi, trade("BUY", 60, T0), T0)
    [state] = on_lease(ofi, Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO,
                                 ttl_ms=5000, ts=0), T0 + 1)
    assert state.toxic and state.yes.buy_volume == 60 * M


def test_leases_expire_and_releases_forget_the_market() -> None:
    ofi = Ofi(3000, THRESHOLD)
    on_lease(ofi, Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=0), T0)
    on_timer(ofi, T0 + 5000 * MS - 1)
    assert list(ofi.markets) == [CID]
    on_timer(ofi, T0 + 5000 * MS)
    assert ofi.markets == {} and snapshot(ofi, T0 + 5000 * MS) == []
    on_lease(ofi, Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=0), T0)
    assert ofi.on_release(LeaseRelease(holder="btc", market=CID, ts=0), Effects()) is True
    assert ofi.markets == {}


def test_window_keeps_running_totals() -> None:
    w = Window(span=10)
    assert w.add(5, "BUY", 3, now=5) and w.add(6, "SELL", 1, now=6)
    assert not w.add(7, "BUY", 0, now=7)  # no volume, no entry
    assert (w.buy, w.sell, len(w.entries)) == (3, 1, 2)
    assert w.expire(15) and (w.buy, w.sell) == (0, 1)


def test_config_defaults_are_the_seeds(tmp_path: Path) -> None:
    assert load(OfiConfig, environ={}, dotenv=tmp_path / "x") == OfiConfig(window_ms=3000,
                                                                           toxicity_threshold=50 * M)
    cfg = load(OfiConfig, environ={"PM_OFI_WINDOW_MS": "500", "PM_OFI_TOXICITY_THRESHOLD": "12.5"},
               dotenv=tmp_path / "x")
    assert (cfg.window_ms, cfg.toxicity_threshold) == (500, 12_500_000)


@pytest.mark.parametrize(("variable", "value"), [("PM_OFI_WINDOW_MS", "0"), ("PM_OFI_WINDOW_MS", "1.5"),
                                                 ("PM_OFI_TOXICITY_THRESHOLD", "-1"),
                                                 ("PM_OFI_TOXICITY_THRESHOLD", "x")])
def test_bad_config_names_the_variable(variable: str, value: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(OfiConfig, environ={variable: value}, dotenv=tmp_path / "x")
    assert err.value.variable == variable


def test_a_market_two_coordinators_hold_is_scored_until_the_last_lets_go() -> None:
    """Keyed by holder and market: one of two coordinators releasing must not drop the market."""
    ofi = Ofi(3000, THRESHOLD)
    on_lease(ofi, Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=0), T0)
    on_lease(ofi, Lease(holder="rewards", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=9000, ts=0), T0)
    assert ofi.on_release(LeaseRelease(holder="btc", market=CID, ts=0), Effects()) is False
    assert list(ofi.markets) == [CID]
    on_timer(ofi, T0 + 5000 * MS)
    assert [s.market for s in snapshot(ofi, T0 + 5000 * MS)] == [CID]
    on_timer(ofi, T0 + 9000 * MS)
    assert ofi.markets == {}


def test_a_market_turning_toxic_and_clear_is_noted_once_each() -> None:
    ofi = engine()
    fx = Effects()
    ofi.on_trade(trade("BUY", 60, T0), T0, fx)
    ofi.on_trade(trade("BUY", 1, T0 + 1), T0 + 1, fx)  # still toxic: published, not noted again
    ofi.snapshot(T0 + 2, fx)
    ofi.on_timer(T0 + W + 1, fx)  # the window emptied
    assert [s.toxic for _, s in fx.publishes if isinstance(s, OfiState)] == [True, True, True, False]
    assert [(level, event, f["yes_score"]) for level, event, f in fx.notes] == [
        ("info", "ofi_toxic", 60 * M), ("info", "ofi_clear", 0)]


def test_markets_becoming_active_and_inactive_are_noted() -> None:
    ofi = Ofi(3000, THRESHOLD)
    fx = Effects()
    held = Lease(holder="btc", market=CID, yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=0)
    assert ofi.on_lease(held, T0, fx) and not ofi.on_lease(held, T0 + 1, fx)
    ofi.on_lease(Lease(holder="eth", market="0xe", yes_asset="3", no_asset="4", ttl_ms=1000, ts=0), T0, fx)
    ofi.on_timer(T0 + 1000 * MS, fx)
    assert ofi.on_release(LeaseRelease(holder="btc", market=CID, ts=0), fx)
    assert [(event, f["market"], f.get("reason", "")) for _, event, f in fx.notes] == [
        ("market_active", CID, ""), ("market_active", "0xe", ""), ("market_inactive", "0xe", "lease_expired"),
        ("market_inactive", CID, "released")]


def test_a_market_no_topic_can_carry_is_scored_but_never_published() -> None:
    ofi = Ofi(3000, THRESHOLD)
    fx = Effects()
    ofi.on_lease(Lease(holder="x", market="0x.bad", yes_asset=YES, no_asset=NO, ttl_ms=5000, ts=0), T0, fx)
    ofi.on_trade(trade("BUY", 60, T0), T0, fx)
    assert not fx.publishes and ofi.state("0x.bad", T0).toxic


class _Rechecking(Ofi):
    """``on_timer`` as it was before it checked only the aged tokens' markets: every market's sides on
    every tick (the reference the narrower check must agree with)."""

    def on_timer(self, now: int, fx: Effects) -> None:
        for market in self.leases.expire(now):
            if self._forget(market):
                fx.note("market_inactive", market=market, reason="lease_expired")
        for asset, window in list(self.windows.items()):
            window.expire(now)
            if not window.entries:
                del self.windows[asset]
        self.changed(now, fx)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["trade", "tick", "lease", "release"]),
                          st.sampled_from([YES, NO, "2001", "2002"]), st.sampled_from(["BUY", "SELL"]),
                          st.integers(1, 80), st.integers(0, 2000)), max_size=60))
def test_the_timer_checks_only_aged_tokens_markets_yet_publishes_what_checking_every_market_would(
        steps: list[tuple[str, str, str, int, int]]) -> None:
    """Trades (late ones too), leases of two markets, releases and ticks in any order: the timer's
    publications are those of comparing every market's sides on every tick."""
    fast, slow = Ofi(3000, THRESHOLD), _Rechecking(3000, THRESHOLD)
    now = T0
    for kind, asset, side, size, ms in steps:
        outs = []
        for ofi in (fast, slow):
            fx = Effects()
            if kind == "trade":
                ofi.on_trade(trade(side, size, now - ms * MS, asset), now, fx)
            elif kind == "tick":
                ofi.on_timer(now, fx)
            elif kind == "lease":
                market, yes, no = (CID, YES, NO) if asset in (YES, NO) else ("0xc2d", "2001", "2002")
                ofi.on_lease(Lease(holder="h", market=market, yes_asset=yes, no_asset=no, ttl_ms=ms + 100,
                                   ts=0), now, fx)
            else:
                ofi.on_release(LeaseRelease(holder="h", market=CID if asset in (YES, NO) else "0xc2d",
                                            ts=0), fx)
            outs.append((fx.publishes, fx.notes))
        if kind == "tick":
            now += ms * MS
        assert outs[0] == outs[1], kind
