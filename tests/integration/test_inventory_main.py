"""The inventory program over real sockets: PUSHed fills -> FillApplied + InventoryState on the bus,
book marks, and a kill -9 restart from the real SQLite journal (state identical, duplicates ignored)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import msgspec
import pytest

from actors.inventory.core import Inventory
from actors.inventory.positions import Limits
from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import (
    Book,
    BusMessage,
    Fill,
    FillApplied,
    InventoryState,
    Lease,
    MarketResolved,
    Settlement,
    SettlementApplied,
)
from schemas.user import TradeStatus
from tests.support.procs import Listener, Program, program_env
from tests.support.quiet import Quiet

M = 1_000_000
CID, YES, NO = "0xc1d", "1001", "1002"
LIMITS = Limits(max_net_diff=10 * M, max_portfolio_cost=1_020_000, max_position_value=5 * M)


class Harness:
    """The other programs, as seen by inventory: a user-feed (PUSH), coordinators and a market-feed."""

    def __init__(self, bus: BusConfig, run_dir: Path) -> None:
        self.bus = bus
        self.env = program_env(run_dir, PM_INVENTORY_DB=str(run_dir / "state" / "inv.sqlite"))
        self.listener = Listener(bus, b"inv.")
        self.nodes = {name: Node(name, bus, md_bind=name == "market-feed", log=Quiet(name))
                      for name in ("market:btc", "market:eth", "market-feed")}
        self.feed = self.user_feed()
        self.program: Program | None = None

    def user_feed(self) -> Node:
        return Node("user-feed", self.bus, push_connect={"fill": self.bus.fill_endpoint}, log=Quiet("uf"))

    def start(self) -> Program:
        self.program = Program(["-m", "actors.inventory"], self.env)
        self.program.read_until(lambda line: '"event":"ready"' in line)
        return self.program

    def push(self, fill: Fill) -> None:
        self.feed.push("fill", topics.inv_fill(fill.market), fill)

    def push_settlement(self, settlement: Settlement) -> None:
        """As the executor does: on inventory's one PULL pipe."""
        self.feed.push("fill", topics.inv_settle(settlement.market), settlement)

    def expect(self, predicate: Callable[[BusMessage], bool], timeout: float = 5.0) -> BusMessage:
        _, _, msg = self.listener.wait_for(lambda t, h, m: predicate(m), timeout)  # type: ignore[arg-type]
        return msg  # type: ignore[return-value]

    def expect_action(self, fill: Fill, action: str) -> None:
        self.expect(lambda m: isinstance(m, FillApplied) and m.fill == fill and m.action == action)

    def repeat_until(self, act: Callable[[], None], predicate: Callable[[BusMessage], bool],
                     timeout: float = 10.0) -> BusMessage:
        """Repeat ``act`` until the expected message arrives (new subscriptions propagate asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            act()
            try:
                return self.expect(predicate, timeout=0.2)
            except TimeoutError:
                continue
        raise AssertionError("expected message not seen")

    def lease(self, holder: str = "btc", market: str = CID, assets: tuple[str, str] = (YES, NO)) -> None:
        self.nodes[f"market:{holder}"].publish(topics.coord_lease(holder), Lease(
            holder=holder, market=market, yes_asset=assets[0], no_asset=assets[1],
                ttl_ms=5000, ts=time.time_ns()))

    def state_of(self, market: str, act: Callable[[], None] | None = None,
                 predicate: Callable[[InventoryState], bool] = lambda s: True) -> InventoryState:
        def match(m: BusMessage) -> bool:
            return isinstance(m, InventoryState) and m.market == market and predicate(m)

        msg = self.repeat_until(act, match) if act else self.expect(match)
        assert isinstance(msg, InventoryState)
        return msg

    def close(self) -> None:
        if self.program is not None:
            self.program.kill()
        for node in (*self.nodes.values(), self.feed):
            node.close()
        self.listener.close()


@pytest.fixture
def harness(bus: BusConfig, run_dir: Path) -> Iterator[Harness]:
    h = Harness(bus, run_dir)
    yield h
    h.close()


def fill(trade: str, status: TradeStatus = "MATCHED", *, asset: str = YES, side: str = "BUY",
         price: int = 480_000, size: int = 5 * M, market: str = CID, order: str = "o1") -> Fill:
    return Fill(trade_id=trade, order_id=order, market=market, asset=asset, side=side,  # type: ignore[arg-type]
                price=price, size=size, status=status, role="MAKER", fee=0, source="ws", ts_event=1,
                ts_recv=2)


def expected_state(fills: list[Fill]) -> InventoryState:
    """What the pure core says the program must publish (ts zeroed)."""
    inv = Inventory(LIMITS)
    inv.learn(CID, YES, NO)
    for f in fills:
        inv.apply(f)
    return inv.state(CID, 0)


def same(state: InventoryState, expected: InventoryState) -> bool:
    return msgspec.structs.replace(state, ts=0) == expected


def test_pushed_fills_are_echoed_and_move_the_published_state(harness: Harness) -> None:
    program = harness.start()
    state = harness.state_of(CID, harness.lease)
    assert same(state, expected_state([]))

    fills = [fill("t1", size=6 * M), fill("t2", asset=NO, price=500_000, size=4 * M)]
    for f in fills:
        harness.push(f)
        harness.expect_action(f, "applied")
    state = harness.state_of(CID, predicate=lambda s: s.fills == 2)
    assert same(state, expected_state(fills))
    assert (state.net_diff, state.portfolio_cost, state.can_open) == (2 * M, 980_000, True)

    lifecycle = [(fill("t1", "MINED"), "recorded"), (fill("t1"), "duplicate"), (fill("t3"), "applied"),
                 (fill("t3", "FAILED"), "reversed"), (fill("t4", "FAILED"), "recorded")]
    for f, action in lifecycle:
        harness.push(f)
        harness.expect_action(f, action)
    assert same(harness.state_of(CID, predicate=lambda s: s.fills == 2), expected_state(fills))

    # a fill for a market no coordinator has announced yet: applied to its token, shown once leased
    other = fill("t9", market="0xe7", asset="2001", size=3 * M)
    harness.push(other)
    harness.expect_action(other, "applied")
    state = harness.state_of("0xe7", lambda: harness.lease("eth", "0xe7", ("2001", "2002")))
    assert (state.yes_asset, state.yes_qty, state.yes_avg_cost) == ("2001", 3 * M, 480_000)

    # marking to mid: YES mid 0.50 on 6 shares bought at 0.48
    def book() -> None:
        harness.nodes["market-feed"].publish(topics.md_book(YES), Book(
            asset=YES, market=CID, bids=[(490_000, M)], asks=[(510_000, M)], tick=10_000, epoch=1,
            ts_event=0, ts_recv=0))

    state = harness.state_of(CID, book, lambda s: s.unrealized_pnl != 0)
    assert state.unrealized_pnl == 120_000

    elapsed = program.terminate_and_time()
    assert program.proc.returncode == 0
    assert elapsed < 1.0


def test_state_and_deduplication_survive_kill_9(harness: Harness) -> None:
    harness.start()
    harness.state_of(CID, harness.lease)
    fills = [fill("t1", size=8 * M, price=450_000), fill("t2", asset=NO, price=520_000, size=3 * M),
             fill("t3", side="SELL", price=500_000, size=2 * M), fill("t1", "CONFIRMED"),
             fill("t5", price=400_000, size=1 * M), fill("t5", "FAILED"),
             fill("t6", order="a", size=1 * M), fill("t6", order="b", asset=NO, size=1 * M)]
    for f in fills:
        harness.push(f)
    harness.expect(lambda m: isinstance(m, FillApplied) and m.fill == fills[-1])
    before = harness.state_of(CID, predicate=lambda s: s.fills == 5)
    assert same(before, expected_state(fills))
    assert before.realized_pnl == 100_000

    assert harness.program is not None
    harness.program.kill()  # SIGKILL: no clean shutdown
    harness.feed.close()
    harness.feed = harness.user_feed()
    harness.start()
    after = harness.state_of(CID, harness.lease)
    assert msgspec.structs.replace(after, ts=0) == msgspec.structs.replace(before, ts=0)

    for f in (fills[0], fills[2], fills[5], fills[7]):
        harness.push(f)
        harness.expect_action(f, "duplicate")
    new = fill("t7", asset=NO, price=500_000, size=1 * M)
    harness.push(new)
    harness.expect_action(new, "applied")
    assert same(harness.state_of(CID, predicate=lambda s: s.fills == 6), expected_state([*fills, new]))


def test_settlements_are_applied_echoed_journalled_and_survive_kill_9(harness: Harness) -> None:
    harness.start()
    harness.state_of(CID, harness.lease)
    fills = [fill("t1", size=8 * M, price=400_000), fill("t2", asset=NO, size=6 * M, price=550_000)]
    for f in fills:
        harness.push(f)
    harness.expect(lambda m: isinstance(m, FillApplied) and m.fill == fills[-1])
    merge = Settlement(key="merge:0x1", kind="merge", market=CID, yes_asset=YES, no_asset=NO, yes=6 * M,
                       no=6 * M, usdc=6 * M, tx="0x1", source="executor", ts=1)
    harness.push_settlement(merge)
    harness.expect(lambda m: isinstance(m, SettlementApplied) and m.settlement == merge
                   and m.action == "applied")
    merged = harness.state_of(CID, predicate=lambda s: s.no_qty == 0)
    assert (merged.yes_qty, merged.realized_pnl) == (2 * M, 300_000)  # 6 * (1 - 0.40 - 0.55)

    # the market-feed reports the resolution: inventory settles it itself (journalled, echoed)
    harness.nodes["market-feed"].publish(topics.md_market(CID), MarketResolved(
        market=CID, winning_asset=YES, winning_outcome="Up", ts_event=1))
    harness.expect(lambda m: isinstance(m, SettlementApplied) and m.settlement.kind == "resolution")
    resolved = harness.state_of(CID, predicate=lambda s: s.resolved)
    assert (resolved.winner, resolved.realized_pnl, resolved.can_open) == (YES, 300_000 + 1_200_000, False)

    assert harness.program is not None
    harness.program.kill()  # SIGKILL
    harness.feed.close()
    harness.feed = harness.user_feed()
    harness.start()  # no lease needed: a resolved market still held is published (redeemable)
    after = harness.state_of(CID, predicate=lambda s: s.resolved)
    assert msgspec.structs.replace(after, ts=0) == msgspec.structs.replace(resolved, ts=0)
    harness.push_settlement(merge)
    harness.expect(lambda m: isinstance(m, SettlementApplied) and m.settlement == merge
                   and m.action == "duplicate")
    redeem = Settlement(key="redeem:0x2", kind="redeem", market=CID, yes_asset=YES, no_asset=NO, yes=2 * M,
                        usdc=2 * M, winner=YES, tx="0x2", source="executor", ts=2)
    harness.push_settlement(redeem)
    flat = harness.state_of(CID, predicate=lambda s: s.yes_qty == 0)
    assert (flat.realized_pnl, flat.resolved) == (1_500_000, True)
