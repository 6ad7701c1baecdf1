"""``Holding``: the market a coordinator holds and what it tells the bus each second (lease, state), the
switch to the next window (withdraw, release, resubscribe), failed resolutions (noted, throttled) and a
clean stop. Pure: resolutions run inline, time is passed in, the effects are read back."""

from __future__ import annotations

from actors.coordinator.config import CoordinatorConfig
from actors.coordinator.core import DEPENDENCIES, EXEC_PIPE, Coordinator
from actors.coordinator.holding import Holding, Resubscribe, market_topics
from actors.coordinator.model import MarketSpec
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.rotation import Rotation, Window
from actors.coordinator.strategies.pair_ofi import PairOfi, PairParams
from bus import topics
from bus.effects import Effects
from schemas import (
    Book,
    CancelMarket,
    CoordinatorState,
    InventoryState,
    Lease,
    LeaseRelease,
    OfiSide,
    OfiState,
    PlaceOrder,
)
from tests.support.inline import inline

S = 1_000_000_000
T0 = 1_700_000_000 * S
END = T0 + 60 * S
M1 = MarketSpec(market="0xm1", yes_asset="Y1", no_asset="N1", tick=10_000, min_size=5_000_000)
M2 = MarketSpec(market="0xm2", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=5_000_000)
W1, W2 = Window(M1, "btc-1", END), Window(M2, "btc-2", END + 60 * S)
CFG = CoordinatorConfig(name="btc", market_slug="btc-updown-15m", lease_ttl_ms=5000)
SIDE = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=1, toxic=False)


def holding(*answers: Window | Exception) -> Holding:
    queue = list(answers)

    def resolve(slug: str, at_ns: int) -> Window:
        answer = queue.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    core = Coordinator(holder="btc", strategy=PairOfi(PairParams()), rules=RequoteRules(), run=1)
    return Holding(CFG, core, Rotation(CFG.market_slug, resolve, submit=inline))


def quote(h: Holding, spec: MarketSpec, now: int) -> list[PlaceOrder]:
    c = h.core
    for p in DEPENDENCIES:
        c.on_heartbeat(p, now)
    c.on_book(Book(asset=spec.yes_asset, market=spec.market, bids=[(400_000, 10_000_000)],
                   asks=[(440_000, 10_000_000)], tick=10_000, epoch=1, ts_event=0, ts_recv=0))
    c.on_book(Book(asset=spec.no_asset, market=spec.market, bids=[(520_000, 10_000_000)],
                   asks=[(560_000, 10_000_000)], tick=10_000, epoch=1, ts_event=0, ts_recv=0))
    c.on_inventory(InventoryState(market=spec.market, yes_asset=spec.yes_asset, no_asset=spec.no_asset,
                                  yes_qty=0, no_qty=0, yes_avg_cost=0, no_avg_cost=0, net_diff=0,
                                  portfolio_cost=0, can_open=True, realized_pnl=0, unrealized_pnl=0, fills=0,
                                  ts=now), now)
    c.on_ofi(OfiState(market=spec.market, yes=SIDE, no=SIDE, toxic=False, window_ms=3000, ts=now), now)
    fx = Effects()
    c.act(now, fx)
    return [cmd for _, _, cmd in fx.pushes if isinstance(cmd, PlaceOrder)]


def test_each_second_renews_the_lease_and_publishes_the_state() -> None:
    h = holding(W1)
    fx = Effects()
    assert h.every_second(T0, fx) is None  # resolves the first window (inline)...
    assert [(topic, type(msg)) for topic, msg in fx.publishes] == [
        (topics.coord_state("btc"), CoordinatorState)]
    fx.clear()
    assert h.every_second(T0 + S, fx) == Resubscribe(drop=[], add=market_topics(W1))  # ...and takes it up
    assert [n for _, n, _ in fx.notes] == ["market_selected"] and not fx.pushes
    lease = Lease(holder="btc", market="0xm1", yes_asset="Y1", no_asset="N1", ttl_ms=5000, ts=T0 + S)
    assert fx.publishes[-3:-1] == [(topics.coord_lease("btc"), lease)] * 2  # at the switch, then the renewal
    assert h.core.market == M1 and h.core.end_ns == END
    placed = quote(h, M1, T0 + 2 * S)
    fx.clear()
    h.every_second(T0 + 2 * S, fx)
    topic, state = fx.publishes[-1]
    assert topic == topics.coord_state("btc") and isinstance(state, CoordinatorState)
    assert (state.market, state.strategy, state.mode) == ("0xm1", "pair_ofi", "balanced")
    assert state.quotes == {p.slot: p.price for p in placed}


def test_the_switch_withdraws_releases_and_resubscribes_to_the_next_window() -> None:
    h = holding(W1, W2)
    h.every_second(T0, Effects())
    h.every_second(T0 + S, Effects())
    quote(h, M1, END - 31 * S)
    fx = Effects()
    h.every_second(END - 30 * S, fx)  # the next window is resolved ahead...
    assert h.window == W1 and not fx.pushes
    fx.clear()
    resubscribe = h.every_second(END, fx)  # ...and switched to at the end
    assert resubscribe == Resubscribe(drop=market_topics(W1), add=market_topics(W2))
    [(pipe, topic, cancel)] = fx.pushes
    assert (pipe, topic) == (EXEC_PIPE, topics.exec_cmd("btc")) and isinstance(cancel, CancelMarket)
    assert (cancel.market, cancel.reason) == ("0xm1", "window over")  # the window ended before the switch
    lease = topics.coord_lease("btc")
    assert [(t, type(m), m.market) for t, m in fx.publishes if t == lease] == [
        (lease, LeaseRelease, "0xm1"), (lease, Lease, "0xm2"), (lease, Lease, "0xm2")]
    assert h.window == W2 and h.core.market == M2 and h.core.end_ns == W2.end_ns and not h.core.orders.slots


def test_a_failed_resolution_is_noted_each_time_it_fails_and_then_throttled() -> None:
    h = holding(*[TimeoutError("gamma down")] * 1000)
    fx = Effects()
    for i in range(1000):  # a market that cannot be resolved, asked every second
        h.every_second(T0 + i * S, fx)
    failed = [f for _, event, f in fx.notes if event == "resolve_failed"]
    assert [f["count"] for f in failed] == [*range(1, 11), 1000]
    assert {(f["slug"], f["error"]) for f in failed} == {("btc-updown-15m", "TimeoutError: gamma down")}


def test_a_clean_stop_withdraws_and_releases() -> None:
    h = holding(W1)
    h.every_second(T0, Effects())
    h.every_second(T0 + S, Effects())
    quote(h, M1, T0 + 2 * S)
    fx = Effects()
    h.stop(T0 + 3 * S, fx)
    [(_, _, cancel)] = fx.pushes
    assert isinstance(cancel, CancelMarket) and cancel.reason == "coordinator stopping"
    release = LeaseRelease(holder="btc", market="0xm1", ts=T0 + 3 * S)
    assert fx.publishes == [(topics.coord_lease("btc"), release)]


def test_the_state_carries_the_strategys_spread_and_the_volatility() -> None:
    h = holding(W1)
    h.every_second(T0, Effects())
    h.every_second(T0 + S, Effects())
    quote(h, M1, T0 + S)  # balanced: 0.42 + 0.54 -> 1 - 0.96 = 0.04 of spread, in YES terms
    fx = Effects()
    h.every_second(T0 + 2 * S, fx)
    [state] = [m for _, m in fx.publishes if isinstance(m, CoordinatorState)]
    assert (state.spread, state.volatility) == (40_000, 0)
    h.core.mids.observe(T0 + 2 * S, 420_000)  # the YES mid (as the core sees it at decisions): 0.42 ...
    h.core.mids.observe(T0 + 2 * S, 440_000)  # ... then 0.44
    h.every_second(T0 + 3 * S, fx)
    state = [m for _, m in fx.publishes if isinstance(m, CoordinatorState)][-1]
    assert state.volatility == 47_619  # 0.02 / 0.42
