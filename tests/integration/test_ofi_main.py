"""The OFI program over real sockets: trades on the bus -> OfiState toxic, then cleared by time alone."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from bus import topics
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Node
from schemas import Lease, OfiState, Trade
from tests.support.procs import Listener, Program, program_env

M = 1_000_000
CID, YES, NO = "0xc1d", "1001", "1002"


class Quiet(Logger):
    def _write(self, level: str, event: str, fields: dict[str, object]) -> None:
        pass


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


def test_taker_flow_makes_the_market_toxic_and_time_clears_it(bus: BusConfig, run_dir: Path) -> None:
    listener = Listener(bus, topics.ofi_state(CID))
    coordinator = Node("market:btc", bus, log=Quiet("c"))
    feed = Node("market-feed", bus, log=Quiet("f"))
    program = Program(["-m", "actors.ofi"], program_env(run_dir, PM_OFI_WINDOW_MS="500",
                                                        PM_OFI_TOXICITY_THRESHOLD="50"))
    try:
        program.read_until(lambda line: '"event":"ready"' in line)

        def lease() -> None:
            coordinator.publish(topics.coord_lease("btc"), Lease(holder="btc", market=CID, assets=[YES, NO],
                                                                 ttl_ms=10_000, ts=time.time_ns()))

        first = repeat_until(listener, lease, lambda s: s.market == CID)
        assert (first.toxic, first.window_ms, first.yes.threshold) == (False, 500, 50 * M)

        def taker(asset: str, side: str, shares: int) -> Callable[[], None]:
            def publish() -> None:
                now = time.time_ns()
                feed.publish(topics.md_trade(asset), Trade(asset=asset, market=CID, price=500_000,
                                                           size=shares * M, side=side,  # type: ignore[arg-type]
                                                           fee_rate_bps=0, ts_event=now, ts_recv=now))
            return publish

        toxic = repeat_until(listener, taker(YES, "BUY", 60), lambda s: s.toxic)
        assert toxic.yes.toxic and not toxic.no.toxic and toxic.yes.score >= 60 * M
        cleared = wait_state(listener, lambda s: not s.toxic)  # no new trades: the window empties
        assert (cleared.yes.buy_volume, cleared.yes.score) == (0, 0)

        toxic = repeat_until(listener, taker(NO, "SELL", 51), lambda s: s.toxic)
        assert toxic.no.toxic and toxic.no.score <= -51 * M and not toxic.yes.toxic
        wait_state(listener, lambda s: not s.toxic)

        elapsed = program.terminate_and_time()
        assert program.proc.returncode == 0
        assert elapsed < 1.0
    finally:
        program.kill()
        for node in (coordinator, feed):
            node.close()
        listener.close()
