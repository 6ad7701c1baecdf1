"""The coordinator's shell wiring: which bus messages lead to a decision, and what is pushed.

The shell is driven as the node's loop drives it (``on_message`` for each message of a wake-up, then
``on_drained``), on a fake node that records pushes; the core it wraps is the real one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actors.coordinator import setup
from actors.coordinator.config import CoordinatorConfig, NeutralConfig, RiskConfig
from actors.coordinator.core import DEPENDENCIES
from actors.coordinator.main import Shell
from actors.coordinator.model import MarketSpec
from actors.coordinator.risk.layer import RiskLayer
from actors.coordinator.rotation import Rotation, Window
from bus import topics
from bus.codec import Header
from bus.effects import Effects
from bus.logs import Logger
from schemas import (
    Book,
    BusMessage,
    CancelMarket,
    CancelOrders,
    Halt,
    Heartbeat,
    InventoryState,
    OfiSide,
    OfiState,
    OrderFailed,
    OrderPlaced,
    OrderUpdate,
    PlaceOrder,
    Resume,
)
from tests.support.inline import inline
from tests.support.quiet import Quiet

MS = 1_000_000
T0 = 1_700_000_000_000_000_000
M = MarketSpec(market="0xm", yes_asset="Y", no_asset="N", tick=10_000, min_size=5_000_000)
SIDE = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=1, toxic=False)


@dataclass
class FakeNode:
    """What the shell uses of ``bus.node.Node``."""

    now: int = T0
    run_id: int = 1
    log: Logger = field(default_factory=lambda: Quiet("market:t"))
    pushed: list[tuple[str, bytes, BusMessage]] = field(default_factory=list)

    def clock(self) -> int:
        return self.now

    def push(self, name: str, topic: bytes, msg: BusMessage) -> None:
        self.pushed.append((name, topic, msg))

    def publish(self, topic: bytes, msg: BusMessage) -> None:
        pass

    def subscribe(self, prefix: bytes) -> None:
        pass

    def unsubscribe(self, prefix: bytes) -> None:
        pass

    def apply(self, fx: Effects) -> None:
        """As ``Node.apply``: pushes, then publishes, then the log lines."""
        for pipe, topic, msg in fx.pushes:
            self.push(pipe, topic, msg)
        for topic, msg in fx.publishes:
            self.publish(topic, msg)
        for level, event, fields in fx.notes:
            getattr(self.log, level)(event, **fields)

    def take(self) -> list[BusMessage]:
        out = [m for _, _, m in self.pushed]
        self.pushed.clear()
        return out


@dataclass
class MemoryHalts:
    """``halt_file.HaltFile`` without a file: what the shell saved, and what a restart would read."""

    record: dict[str, Any] | None = None
    saves: int = 0
    path: Path = Path("memory")

    def restore(self, risk: RiskLayer, now: int) -> str:
        risk.restore(self.record, now)
        return ""

    def save(self, record: dict[str, Any] | None) -> None:
        self.record, self.saves = record, self.saves + 1


def wake(shell: Shell, *msgs: BusMessage, src: str = "market-feed") -> None:
    """One wake-up of the loop: these messages, then ``on_drained``."""
    for msg in msgs:
        shell.on_message(b"t.", Header(1, src, 1, 1, shell.node.clock()), msg)
    shell.on_drained()


def book(asset: str, bid: int, ask: int, depth: int = 10_000_000) -> Book:
    return Book(asset=asset, market="0xm", bids=[(bid, 10_000_000), (bid - 10_000, depth)],
                asks=[(ask, 10_000_000), (ask + 10_000, depth)], tick=10_000, epoch=1, ts_event=0, ts_recv=0)


def started(debounce_ms: int = 0) -> tuple[Shell, FakeNode, list[int]]:
    """A shell quoting both legs (placed as 0xy1 and 0xn1); the list counts its core's decisions."""
    node = FakeNode()
    cfg = CoordinatorConfig(name="t", market_slug="t", reprice_threshold=30_000, debounce_ms=debounce_ms)
    shell = Shell(cfg, setup.build(cfg, NeutralConfig(), RiskConfig(), run=1), node,  # type: ignore[arg-type]
                  Rotation("t", lambda slug, at: Window(spec=M, slug="t", end_ns=0), submit=inline),
                  MemoryHalts())  # type: ignore[arg-type]
    shell.flush(shell.holding.switch(Window(spec=M, slug="t", end_ns=0), T0, shell.fx))
    decisions: list[int] = []
    evaluate = shell.core.evaluate

    def counted(now: int, fx: Effects | None = None) -> list:  # type: ignore[type-arg]
        decisions.append(now)
        return evaluate(now, fx)

    shell.core.evaluate = counted  # type: ignore[method-assign]
    for p in DEPENDENCIES:
        wake(shell, Heartbeat(program=p, pid=1, ready=True, gaps=0, ts=T0), src=p)
    wake(shell, InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=0, no_qty=0, yes_avg_cost=0,
                               no_avg_cost=0, net_diff=0, portfolio_cost=0, can_open=True, realized_pnl=0,
                               unrealized_pnl=0, fills=0, ts=T0),
         OfiState(market="0xm", yes=SIDE, no=SIDE, toxic=False, window_ms=3000, ts=T0))
    wake(shell, book("Y", 400_000, 440_000), book("N", 520_000, 560_000))
    first = node.take()
    assert [type(x) for x in first] == [PlaceOrder, PlaceOrder]
    for cmd, order_id in zip(first, ("0xy1", "0xn1"), strict=True):
        assert isinstance(cmd, PlaceOrder)
        wake(shell, OrderPlaced(cmd_id=cmd.cmd_id, holder="t", order_id=order_id, market="0xm",
                                asset=cmd.asset, side="BUY", price=cmd.price, size=cmd.size, slot=cmd.slot,
                                status="live", ts=T0), src="executor")
    decisions.clear()
    return shell, node, decisions


def test_a_moved_book_pushes_one_place_per_slot_and_nothing_else() -> None:
    shell, node, decisions = started()
    wake(shell, book("Y", 440_000, 480_000), book("N", 480_000, 520_000))
    cmds = node.take()
    assert [(type(x), getattr(x, "slot", ""), getattr(x, "price", 0)) for x in cmds] == [
        (PlaceOrder, "yes_bid", 460_000), (PlaceOrder, "no_bid", 500_000)]
    assert {topic for _, topic, _ in shell.node.pushed} <= {topics.exec_cmd("t")}
    assert len(decisions) == 1


def test_depth_only_books_and_order_events_that_free_nothing_do_not_decide() -> None:
    shell, node, decisions = started()
    wake(shell, book("Y", 400_000, 440_000, depth=3_000_000))  # the top did not move
    wake(shell, book("N", 520_000, 560_000, depth=7_000_000))
    wake(shell, OrderUpdate(order_id="0xy1", market="0xm", asset="Y", side="BUY", price=420_000,
                            original_size=5_000_000, size_matched=0, status="LIVE", reason="",
                            kind="PLACEMENT", ts_event=0, ts_recv=0), src="user-feed")
    wake(shell, Heartbeat(program="executor", pid=1, ready=True, gaps=0, ts=T0), src="executor")
    assert decisions == [] and node.take() == []
    node.now += 1 * MS
    wake(shell, book("Y", 410_000, 440_000))  # the top moved: decide (nothing to send: a 0.005 move)
    assert decisions == [node.now] and node.take() == []


def test_a_failed_replacement_is_swept_at_the_next_wake_up() -> None:
    shell, node, _ = started()
    wake(shell, book("Y", 440_000, 480_000), book("N", 480_000, 520_000))
    yes = node.take()[0]
    assert isinstance(yes, PlaceOrder)
    wake(shell, OrderFailed(cmd_id=yes.cmd_id, holder="t", market="0xm", asset="Y", side="BUY",
                            price=yes.price, size=yes.size, slot="yes_bid", reason="backoff", message="",
                            retry_after_ms=1000, ts=T0), src="executor")
    [sweep] = node.take()
    assert isinstance(sweep, CancelOrders) and (sweep.slots, sweep.reason) == (["yes_bid"], "replace_failed")


def test_a_decision_comes_due_without_new_input_when_a_debounce_ends() -> None:
    shell, node, decisions = started(debounce_ms=200)
    node.now += 100 * MS
    wake(shell, book("Y", 440_000, 480_000), book("N", 480_000, 520_000))  # within the debounce: wait
    assert node.take() == [] and len(decisions) == 1
    node.now += 50 * MS
    wake(shell, book("Y", 440_000, 480_000, depth=1_000_000))  # depth only, debounce not over: no decision
    assert len(decisions) == 1
    node.now += 60 * MS
    wake(shell, book("Y", 440_000, 480_000, depth=2_000_000))  # depth only, but the debounce is over
    assert [type(x) for x in node.take()] == [PlaceOrder, PlaceOrder] and len(decisions) == 2


S = 1_000 * MS
END = T0 + 60 * S  # the rotating market's first window ends here
M2 = MarketSpec(market="0xm2", yes_asset="Y2", no_asset="N2", tick=10_000, min_size=5_000_000)


def alive(shell: Shell, spec: MarketSpec) -> None:
    """One wake-up in which every dependency and the market's inventory and OFI states are fresh."""
    now = shell.node.clock()
    for p in DEPENDENCIES:
        beat = Heartbeat(program=p, pid=1, ready=True, gaps=0, ts=now)
        shell.on_message(b"t.", Header(1, p, 1, 1, now), beat)
    wake(shell, InventoryState(market=spec.market, yes_asset=spec.yes_asset, no_asset=spec.no_asset,
                               yes_qty=0, no_qty=0, yes_avg_cost=0, no_avg_cost=0, net_diff=0,
                               portfolio_cost=0, can_open=True, realized_pnl=0, unrealized_pnl=0, fills=0,
                               ts=now),
         OfiState(market=spec.market, yes=SIDE, no=SIDE, toxic=False, window_ms=3000, ts=now))


def second(shell: Shell, node: FakeNode, at: int) -> None:
    """The node's 1 s timer at ``at``, with every input fresh before and after it."""
    node.now = at
    alive(shell, shell.core.market or M)
    shell.every_second(at)
    alive(shell, shell.core.market or M)


def test_an_unresolvable_next_window_withdraws_at_the_end_and_places_nothing_until_it_resolves() -> None:
    answers: list[Window | Exception] = [Window(spec=M, slug="t-1", end_ns=END), TimeoutError("gamma down"),
                                         TimeoutError("gamma down"),
                                         Window(spec=M2, slug="t-2", end_ns=END + 60 * S)]
    asked: list[int] = []

    def resolve(slug: str, at_ns: int) -> Window:
        asked.append(at_ns)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    node = FakeNode(log=Quiet("market:t"))
    cfg = CoordinatorConfig(name="t", market_slug="t")
    shell = Shell(cfg, setup.build(cfg, NeutralConfig(), RiskConfig(), run=1), node,  # type: ignore[arg-type]
                  Rotation("t", resolve, submit=inline), MemoryHalts())  # type: ignore[arg-type]
    second(shell, node, T0)  # resolves the current window...
    second(shell, node, T0 + S)  # ...and switches to it
    assert shell.holding.window is not None and shell.holding.window.spec == M
    wake(shell, book("Y", 400_000, 440_000), book("N", 520_000, 560_000))
    assert [type(x) for x in node.take()] == [PlaceOrder, PlaceOrder]

    second(shell, node, END - 20 * S)  # pre-resolution of the next window fails
    assert node.take() == [] and asked == [T0, END]
    second(shell, node, END)  # the window is over: withdraw; the resolution is retried
    [cancel] = node.take()
    assert isinstance(cancel, CancelMarket) and (cancel.market, cancel.reason) == ("0xm", "window over")
    assert asked == [T0, END, END] and shell.core.mode == "rotating"

    node.now = END + 100 * MS  # every input live and the books moving: still nothing may be placed
    alive(shell, M)
    wake(shell, book("Y", 410_000, 450_000), book("N", 510_000, 550_000))
    shell.act(node.now)
    assert node.take() == [] and shell.core.mode == "rotating"

    second(shell, node, END + S)  # the retry succeeds; the switch comes at the next second
    second(shell, node, END + 2 * S)
    window = shell.holding.window
    assert asked == [T0, END, END, END + S] and window is not None and window.spec == M2
    assert node.take() == []
    assert isinstance(node.log, Quiet) and node.log.events.count("resolve_failed") == 2
    wake(shell, book("Y2", 400_000, 440_000), book("N2", 520_000, 560_000))
    placed = node.take()
    assert [(type(x), getattr(x, "market", "")) for x in placed] == [(PlaceOrder, "0xm2")] * 2


def test_an_operators_halt_is_kept_and_taken_up_again_after_a_restart() -> None:
    shell, node, _ = started()
    halts: MemoryHalts = shell.halts  # type: ignore[assignment]
    wake(shell, Halt(cmd_id="c1", holder="t", reason="news", ts=T0), src="ctl")
    assert [type(x) for x in node.take()] == [CancelMarket]
    assert halts.record is not None and halts.record["kind"] == "manual_halt"

    cfg = CoordinatorConfig(name="t", market_slug="t")
    again = Shell(cfg, setup.build(cfg, NeutralConfig(), RiskConfig(), run=2), FakeNode(),  # type: ignore[arg-type]
                  Rotation("t", lambda slug, at: Window(spec=M, slug="t", end_ns=0), submit=inline),
                  halts)  # type: ignore[arg-type]
    assert again.core.risk.halt is not None and again.core.risk.halt.kind == "manual_halt"

    wake(shell, Resume(cmd_id="c2", holder="t", reason="", ts=T0), src="ctl")
    assert halts.record is None
    assert [type(x) for x in node.take()] == [PlaceOrder, PlaceOrder]  # quoting again at once


def test_a_follow_round_is_kept_in_its_file_and_taken_up_after_a_restart(tmp_path: Path) -> None:
    """Strategy follow: every change of the round is written to its file (``follow_file``); a coordinator
    started again (after a kill -9: nothing but the file survives) cancels what the killed run left in its
    market, takes the round up and posts again."""
    from actors.coordinator.config import FollowConfig
    from actors.coordinator.follow_file import FollowFile
    from actors.coordinator.strategies.follow import Follow
    from schemas import FollowStart

    cfg = CoordinatorConfig(name="t", market_slug="t", strategy="follow", debounce_ms=0)
    rounds = FollowFile(tmp_path / "follow-t.json")

    def shell_at(run: int, node: FakeNode) -> Shell:
        core = setup.build(cfg, NeutralConfig(), RiskConfig(), run=run, follow=FollowConfig(drop_pct=0))
        rotation = Rotation("t", lambda slug, at: Window(spec=M, slug="t", end_ns=0), submit=inline)
        shell = Shell(cfg, core, node, rotation, MemoryHalts(), rounds)  # type: ignore[arg-type]
        shell.flush(shell.holding.switch(Window(spec=M, slug="t", end_ns=0), node.now, shell.fx))
        for p in DEPENDENCIES:
            wake(shell, Heartbeat(program=p, pid=1, ready=True, gaps=0, ts=node.now), src=p)
        wake(shell, InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=0, no_qty=0,
                                   yes_avg_cost=0, no_avg_cost=0, net_diff=0, portfolio_cost=0, can_open=True,
                                   realized_pnl=0, unrealized_pnl=0, fills=0, ts=node.now), src="inventory")
        wake(shell, OfiState(market="0xm", yes=SIDE, no=SIDE, toxic=False, window_ms=3000, ts=node.now),
             src="ofi")
        return shell

    node = FakeNode()
    shell = shell_at(1, node)
    start = FollowStart(cmd_id="c1", holder="t", outcome="NO", shares=20_000_000, usd=0, ts=T0)
    wake(shell, start, src="ctl")
    wake(shell, book("Y", 400_000, 440_000), book("N", 560_000, 600_000))
    [place] = [x for x in node.take() if isinstance(x, PlaceOrder)]
    assert (place.asset, place.side, place.price, place.size) == ("N", "BUY", 560_000, 20_000_000)
    record, problem = rounds.load()
    assert problem == "" and record is not None and record["state"] == "BUYING"
    assert record["round"]["target"] == 20_000_000 and record["round"]["leg"] == "no"

    node2 = FakeNode(now=T0 + 5 * S)
    again = shell_at(2, node2)  # the first one was killed: only its file is left
    assert isinstance(again.core.strategy, Follow) and again.core.strategy.machine.state == "BUYING"
    wake(again, book("Y", 400_000, 440_000), book("N", 560_000, 600_000))
    cmds = node2.take()
    assert isinstance(cmds[0], CancelMarket)  # what the killed run left is cancelled first
    [place] = [x for x in cmds if isinstance(x, PlaceOrder)]
    assert (place.asset, place.side, place.price, place.size) == ("N", "BUY", 560_000, 20_000_000)
    assert again.core.strategy.status().round == 1
