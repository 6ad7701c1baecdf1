"""The dashboard's view-model (``actors.dash.core``), keys (``actors.dash.keys``) and screen
(``actors.dash.render``), pure: messages in, rows out; the same inputs give the same screen."""

from __future__ import annotations

import pytest
from rich.console import Console

from actors.dash.core import Dash, queue_ahead, sparkline
from actors.dash.keys import Ui
from actors.dash.render import screen
from bus.codec import Header
from schemas import (
    Book,
    CoordinatorState,
    ExecutorState,
    Heartbeat,
    InventoryState,
    Lease,
    OfiSide,
    OfiState,
    OpenOrder,
    OpenOrders,
    OrderFailed,
    RewardMarket,
    RiskEvent,
    StrategyAdjust,
)

S = 1_000_000_000
SEQ = iter(range(1, 1_000_000))


def feed(dash: Dash, msg: object, now: int = 0, src: str = "x") -> None:
    dash.on_message(b"t.t.k.", Header(v=3, src=src, run=1, seq=next(SEQ), ts_ns=now), msg, now)


def book(asset: str, bids: list[tuple[int, int]], asks: list[tuple[int, int]]) -> Book:
    return Book(asset=asset, market="0xm", bids=bids, asks=asks, tick=10_000, epoch=1, ts_event=0, ts_recv=0)


def side(score: int, toxic: bool = False) -> OfiSide:
    return OfiSide(buy_volume=0, sell_volume=0, score=score, threshold=40, toxic=toxic)


def engine() -> Dash:
    dash = Dash()
    feed(dash, Lease(holder="btc", market="0xm", yes_asset="Y", no_asset="N", ttl_ms=3000, ts=0))
    feed(dash, CoordinatorState(holder="btc", market="0xm", strategy="pair_ofi", mode="balanced",
                                reason="net 0", quotes={"yes_bid": 440_000, "no_bid": 500_000}, ts=0))
    feed(dash, book("Y", [(450_000, 10_000_000), (440_000, 7_000_000)], [(470_000, 3_000_000)]))
    feed(dash, book("N", [(520_000, 4_000_000)], [(550_000, 9_000_000)]))
    feed(dash, OpenOrders(orders=[OpenOrder(order_id="o1", holder="btc", market="0xm", asset="Y", side="BUY",
                                            price=440_000, size=5_000_000, size_matched=0, slot="yes_bid",
                                            post_only=True)], ts=0))
    for pnl in (0, 1_000_000, 500_000):
        feed(dash, InventoryState(market="0xm", yes_asset="Y", no_asset="N", yes_qty=5_000_000, no_qty=0,
                                  yes_avg_cost=440_000, no_avg_cost=0, net_diff=5_000_000, portfolio_cost=0,
                                  can_open=True, realized_pnl=pnl, unrealized_pnl=0, fills=1, ts=0))
    feed(dash, OfiState(market="0xm", yes=side(12_000_000), no=side(-50_000_000, True), toxic=True,
                        window_ms=5000, ts=0))
    return dash


def test_a_market_row_joins_every_stream_of_its_coordinator() -> None:
    view = engine().view(2 * S)
    (row,) = view.markets
    assert (row.name, row.condition, row.strategy) == ("btc", "0xm", "pair_ofi")
    assert (row.mode, row.reason) == ("balanced", "net 0")
    assert row.yes is not None and (row.yes.bid, row.yes.ask) == (450_000, 470_000)
    quotes = {q.slot: q for q in row.quotes}
    # 10 shares at better prices, 7 at ours of which 5 are ours
    assert (quotes["yes_bid"].size, quotes["yes_bid"].ahead) == (5_000_000, 12_000_000)
    assert (quotes["no_bid"].size, quotes["no_bid"].ahead) == (0, None)  # wanted, not resting
    assert (row.yes_qty, row.net, row.realized) == (5_000_000, 5_000_000, 500_000)
    assert (row.ofi_no, row.toxic) == (-50_000_000, True)
    assert row.spark == "▁█▄" and row.state_age_s == 2.0


@pytest.mark.parametrize(("side", "price", "ours", "expected"), [
    ("BUY", 440_000, 5_000_000, 12_000_000),
    ("BUY", 450_000, 5_000_000, 5_000_000),  # best bid: only the rest of its level
    ("BUY", 430_000, 5_000_000, 17_000_000),  # below every level: all of them
    ("SELL", 470_000, 1_000_000, 2_000_000),
    ("BUY", 440_000, 0, None),  # nothing resting
])
def test_queue_position_estimate(side: str, price: int, ours: int, expected: int | None) -> None:
    b = book("Y", [(450_000, 10_000_000), (440_000, 7_000_000)], [(470_000, 3_000_000)])
    assert queue_ahead(b, side, price, ours) == expected


def test_risk_halts_events_programs_and_the_executor() -> None:
    dash = engine()
    feed(dash, RiskEvent(program="market:btc", market="0xm", kind="stop_loss", severity="halt",
                         message="-5 USD", ts=1))
    assert dash.view(0).markets[0].halted
    feed(dash, StrategyAdjust(holder="btc", market="0xm", field="spread", old=1, new=2, reason="rejections",
                              ts=2))
    feed(dash, RiskEvent(program="market:btc", market="0xm", kind="resume", severity="info", message="c: ok",
                         ts=3))
    view = dash.view(0)
    assert not view.markets[0].halted and view.markets[0].risk == "resume (info)"
    assert [e.kind for e in view.events] == ["resume", "adjust", "stop_loss"]  # newest first
    feed(dash, Heartbeat(program="executor", pid=1, ready=True, gaps=0, ts=0), now=1 * S)
    feed(dash, Heartbeat(program="executor", pid=2, ready=True, gaps=3, ts=0), now=2 * S)  # restarted
    feed(dash, ExecutorState(mode="normal", heartbeat_armed=True, order_tokens=55, cancel_tokens=120, ts=0))
    for reason in ("crosses_book", "crosses_book", "rate_limited"):
        feed(dash, OrderFailed(cmd_id="c", holder="btc", market="0xm", asset="Y", side="BUY", price=1, size=1,
                               slot="yes_bid", reason=reason, message="", retry_after_ms=0, ts=0))  # type: ignore[arg-type]
    view = dash.view(3 * S)
    assert [(p.program, p.age_s, p.restarts, p.gaps) for p in view.programs] == [("executor", 1.0, 1, 3)]
    assert view.rejections == (("crosses_book", 2), ("rate_limited", 1))
    assert "order budget 55" in view.executor


def test_rewards_scoring_and_the_filter() -> None:
    dash = engine()
    feed(dash, RewardMarket(market="0xm", slug="s", assets=["Y", "N"], min_size=5_000_000, max_spread=45_000,
                            daily_rate=20_000_000, volume_24h=0, end_ts=0, score=0, ts=0))
    assert dash.view(0).markets[0].rewards == "$20/day not scoring"  # the NO bid is not resting
    assert dash.view(0, "BT").markets and not dash.view(0, "eth").markets


def test_sparkline() -> None:
    assert sparkline([]) == "" and sparkline([5, 5]) == "▄▄" and sparkline([0, 7]) == "▁█"


def test_keys() -> None:
    ui = Ui()
    ui.feed("/bt\x7fc")
    assert (ui.typing, ui.filter) == (True, "bc")
    ui.feed("\r")
    assert (ui.typing, ui.filter) == (False, "bc")
    ui.feed("jjk\x1b[A?")  # scroll, an arrow key (ignored), help
    assert (ui.scroll, ui.help, ui.filter) == (1, True, "bc")
    ui.feed("\x1b")
    assert ui.filter == ""
    ui.feed("qj")
    assert ui.quit and ui.scroll == 1  # nothing after q


def test_the_screen_shows_the_market_mode_and_quotes() -> None:
    console = Console(width=200, height=60, record=True, color_system=None)
    console.print(screen(engine().view(0), Ui(), "12:00:00", 60))
    text = console.export_text()
    assert "pm-maker dash · 12:00:00" in text and "balanced" in text
    assert "yes_bid 0.440 x5.0 ahead 12.0" in text
    assert "q quit" in text


def test_text_from_the_bus_is_never_read_as_markup_and_commands_are_not_programs() -> None:
    dash = engine()
    feed(dash, RiskEvent(program="market:btc", market="0xm", kind="manual_halt", severity="halt",
                         message="[bold]operator[/bold]", ts=1))
    feed(dash, Heartbeat(program="ctl", pid=9, ready=True, gaps=0, ts=0))
    view = dash.view(0)
    assert not view.programs
    console = Console(width=200, height=60, record=True, color_system=None)
    console.print(screen(view, Ui(), "12:00:00", 60))
    assert "[halt] [bold]operator[/bold]" in console.export_text()


def test_the_dashboard_cannot_publish() -> None:
    """Like the tap: its shell opens a SUB socket and nothing else that could send on the bus."""
    from pathlib import Path

    import actors.dash.main as shell

    source = Path(shell.__file__).read_text()
    assert "zmq.SUB" in source and not any(s in source for s in ("zmq.PUB", "zmq.PUSH", "Node(", ".send("))
