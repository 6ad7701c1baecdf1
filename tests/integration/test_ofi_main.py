"""The OFI program over real sockets: trades on the bus -> OfiState toxic above the configured threshold
(|score| 60 is toxic at 50, 40 is not), then cleared by time alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Lease, OfiSide, OfiState, Trade
from tests.support.procs import Listener, Program, program_env
from tests.support.quiet import Quiet

M = 1_000_000
CID, YES, NO = "0xc1d", "1001", "1002"
THRESHOLD = 50  # shares: PM_OFI_TOXICITY_THRESHOLD; the flows below sit either side of it (40 and 60)


def repeat_until(listener: Listener, act: Callable[[], None], predicate: Callable[[OfiState], bool],
                 timeout: float = 10.0) -> OfiState:
    """Repeat ``act`` until a matching OfiState arrives (new subscriptions propagate asynchronously)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        act()
        try:
            _, _, msg = listener.wait_for(lambda t, h, m: isinstance(m, OfiState) and predicate(m), 0.2)
        except TimeoutError:
            continue
        assert isinstance(msg, OfiState)
        return msg
    raise AssertionError("expected OfiState not seen")


def wait_state(listener: Listener, predicate: Callable[[OfiState], bool], timeout: float = 5.0) -> OfiState:
    _, _, msg = listener.wait_for(lambda t, h, m: isinstance(m, OfiState) and predicate(m), timeout)
    assert isinstance(msg, OfiState)
    return msg


def quiet_window(state: OfiState) -> bool:
    return flow(state, YES) == flow(state, NO) == 0


def test_taker_flow_above_the_threshold_is_toxic_below_it_is_not(bus: BusConfig, run_dir: Path) -> None:
    listener = Listener(bus, topics.ofi_state(CID))
    coordinator = Node("market:btc", bus, log=Quiet("c"))
    feed = Node("market-feed", bus, md_bind=True, log=Quiet("f"))
    program = Program(["-m", "actors.ofi"], program_env(run_dir, PM_OFI_WINDOW_MS="500",
                                                        PM_OFI_TOXICITY_THRESHOLD=str(THRESHOLD)))
    try:
        program.read_until(lambda line: '"event":"ready"' in line)

        def lease() -> None:
            coordinator.publish(topics.coord_lease("btc"), Lease(holder="btc", market=CID, yes_asset=YES,
                                                                 no_asset=NO,
                                                                 ttl_ms=10_000, ts=time.time_ns()))

        def taker(asset: str, side: str, shares: int) -> None:
            now = time.time_ns()
            trade = Trade(asset=asset, market=CID, price=500_000, size=shares * M, side=side,  # type: ignore[arg-type]
                          fee_rate_bps=0, ts_event=now, ts_recv=now)
            feed.publish(topics.md_trade(asset), trade)

        first = repeat_until(listener, lease, lambda s: s.market == CID)
        assert (first.toxic, first.window_ms, first.yes.threshold) == (False, 500, THRESHOLD * M)

        # one-share probes on both tokens until the program counts them (its subscriptions have reached
        # us), then let the window empty: from here on, each trade published is counted exactly once
        def probe() -> None:
            taker(YES, "BUY", 1)
            taker(NO, "BUY", 1)

        repeat_until(listener, probe, lambda s: s.yes.buy_volume > 0 and s.no.buy_volume > 0)
        wait_state(listener, quiet_window)

        for asset, side, sign in ((YES, "BUY", 1), (NO, "SELL", -1)):
            taker(asset, side, 40)
            below = wait_state(listener, lambda s, a=asset: flow(s, a) == 40 * M)  # the state that counts it
            assert side_of(below, asset).score == sign * 40 * M
            assert not below.toxic and not side_of(below, asset).toxic  # |40| <= 50: not toxic
            wait_state(listener, quiet_window)  # the window empties by time alone

            taker(asset, side, 60)
            above = wait_state(listener, lambda s, a=asset: flow(s, a) == 60 * M)
            assert side_of(above, asset).score == sign * 60 * M
            assert above.toxic and side_of(above, asset).toxic  # |60| > 50: toxic
            assert not side_of(above, NO if asset == YES else YES).toxic
            cleared = wait_state(listener, lambda s: not s.toxic)  # no new trades: the window empties
            assert quiet_window(cleared) and (cleared.yes.score, cleared.no.score) == (0, 0)

        elapsed = program.terminate_and_time()
        assert program.proc.returncode == 0
        assert elapsed < 1.0
    finally:
        program.kill()
        for node in (coordinator, feed):
            node.close()
        listener.close()


def side_of(state: OfiState, asset: str) -> OfiSide:
    return state.yes if asset == YES else state.no


def flow(state: OfiState, asset: str) -> int:
    return side_of(state, asset).buy_volume + side_of(state, asset).sell_volume
