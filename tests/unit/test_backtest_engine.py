"""The backtest's event loop (backtest/engine.py): the same inputs give the same commands as
``python -m actors.coordinator --decide``; latencies (entry, cancel, market data) decide what fills; the
recording file round-trips; rewards are paid through ``clob.rewards``; the report is complete."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from actors.coordinator import decide_cli
from backtest import engine, recfile, report
from bus.effects import Effects
from schemas import LeaseRelease, PlaceOrder
from schemas.units import MS, NS
from tests.support.market_frames import CID, NO, YES, book

T0 = 1_800_000_000 * NS
YES_BIDS = [("0.48", "30"), ("0.49", "20"), ("0.50", "10")]
YES_ASKS = [("0.53", "30"), ("0.52", "20"), ("0.51", "10")]


def mirror(levels: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(f"{1 - float(p):.2f}", s) for p, s in levels]


def books_frame() -> bytes:
    """Both tokens' books in one array (as a subscription delivers them); NO is the mirror of YES."""
    no_bids, no_asks = mirror(YES_ASKS), mirror(YES_BIDS)
    return ("[" + book(YES, YES_BIDS, YES_ASKS) + "," + book(NO, no_bids, no_asks) + "]").encode()


def print_frame(asset: str, side: str, price: str, size: str = "10", ts_ms: int = 1) -> bytes:
    return json.dumps({"event_type": "last_trade_price", "asset_id": asset, "market": CID, "price": price,
                       "size": size, "side": side, "fee_rate_bps": "0", "timestamp": str(ts_ms)}).encode()


META = recfile.Meta(market=CID, yes_asset=YES, no_asset=NO, tick=10_000, min_size=5_000_000, slug="test")


def recording(frames: list[tuple[int, bytes]], meta: recfile.Meta = META) -> recfile.Recording:
    return recfile.Recording(metas={meta.market: meta}, meta_seen=[(frames[0][0], meta)], frames=frames,
                             own=[], sources=["test"])


def run(frames: list[tuple[int, bytes]], *, entry_ms: float = 0, cancel_ms: float = 0, md_ms: float = 0,
        settings: dict[str, str] | None = None, meta: recfile.Meta = META) -> engine.Result:
    sim = engine.SimParams(entry_ns=int(entry_ms * MS), cancel_ns=int(cancel_ms * MS), md_ns=int(md_ms * MS))
    return engine.Backtest(settings or {}, sim).run(recording(frames, meta))


# -- live == backtest ----------------------------------------------------------------------------------

@pytest.mark.parametrize("settings", [
    {},
    {"PM_PAIR_TARGET": "0.97", "PM_BID_SIZE": "10"},
    {"PM_STRATEGY": "neutral", "PM_NET_MAX": "50"},
], ids=["pair_ofi-default", "pair_ofi-0.97x10", "neutral"])
def test_the_same_inputs_give_the_same_commands_as_decide(settings: dict[str, str]) -> None:
    """ARCHITECTURE's pure cores: ``--decide`` and the backtest build the coordinator with the same
    ``setup.build`` and feed it the same book; the first decision's commands are identical."""
    doc = {"env": settings, "market": {"condition_id": CID, "tick": "0.01", "min_size": "5"},
           "book": {"yes": {"bids": YES_BIDS, "asks": YES_ASKS},
                    "no": {"bids": mirror(YES_ASKS), "asks": mirror(YES_BIDS)}},
           "inventory": {}, "ofi": {}}
    coord = decide_cli.build(doc)
    fx = Effects()
    coord.act(decide_cli.NOW, fx)
    assets = {"YES": YES, "NO": NO}
    live = [(c.slot, assets[c.asset], c.side, c.price, c.size) for _, _, c in fx.pushes
            if isinstance(c, PlaceOrder)]
    res = run([(T0, books_frame())], settings=settings)
    first = res.commands[0][0] if res.commands else None
    sim = [(c.slot, c.asset, c.side, c.price, c.size) for t, c in res.commands
           if t == first and isinstance(c, PlaceOrder)]
    assert live and sim == live


# -- latency -------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("entry_ms", "md_ms", "print_after_ms", "filled"), [
    (10, 0, 5, False),    # the print comes before our order reaches the exchange
    (10, 0, 15, True),    # after: it trades through our resting bid
    (0, 10, 5, False),    # we see the book 10 ms late, so we decide (and rest) 10 ms late
    (0, 10, 15, True),
    (4, 4, 7, False),     # both add up: resting from 8 ms
    (4, 4, 9, True),
], ids=lambda v: str(v))
def test_entry_and_market_data_latency_decide_what_fills(entry_ms: float, md_ms: float,
                                                         print_after_ms: float, filled: bool) -> None:
    frames = [(T0, books_frame()), (T0 + int(print_after_ms * MS), print_frame(YES, "SELL", "0.40"))]
    res = run(frames, entry_ms=entry_ms, md_ms=md_ms)
    yes_fills = [f for f in res.fills if f.leg == "yes"]
    assert bool(yes_fills) is filled


@pytest.mark.parametrize(("cancel_ms", "filled"), [(1, False), (50, True)], ids=lambda v: str(v))
def test_cancel_latency_leaves_the_order_exposed(cancel_ms: float, filled: bool) -> None:
    """The window ends (``end_ns``): the coordinator withdraws; a print through our bid 20 ms after the
    withdrawal fills us only if the cancel had not arrived yet."""
    end = T0 + 2 * NS
    meta = recfile.Meta(market=CID, yes_asset=YES, no_asset=NO, tick=10_000, min_size=5_000_000,
                        end_ns=end)
    frames = [(T0, books_frame()), (end + 20 * MS, print_frame(YES, "SELL", "0.40", ts_ms=3))]
    res = run(frames, cancel_ms=cancel_ms, meta=meta)
    assert bool([f for f in res.fills if f.leg == "yes"]) is filled


# -- post-only, rewards, report, file ------------------------------------------------------------------

def test_a_post_only_reject_goes_back_to_the_coordinator() -> None:
    """The order is decided on a book that has moved by the time it arrives: rejected, counted, and the
    coordinator hears ``crosses_book`` (its slot is freed)."""
    moved = ("[" + book(YES, [("0.49", "5")], [("0.50", "5")]) + "," +
             book(NO, [("0.50", "5")], [("0.51", "5")]) + "]").encode()
    frames = [(T0, books_frame()), (T0 + 1 * MS, moved)]
    res = run(frames, entry_ms=5)
    assert res.rejects >= 1


def test_rewards_are_paid_each_minute_through_the_rewards_score() -> None:
    meta = recfile.Meta(market=CID, yes_asset=YES, no_asset=NO, tick=10_000, min_size=5_000_000,
                        rewards=recfile.Rewards(daily_rate=1440 * 1_000_000, max_spread_cents=4.5,
                                                min_size=5_000_000))
    frames = [(T0, books_frame()), (T0 + 130 * NS, print_frame(YES, "BUY", "0.60", ts_ms=9))]
    res = run(frames, meta=meta, settings={"PM_BID_SIZE": "50"})
    assert 0 < res.rewards_total <= 2 * 1_000_000  # at most the whole pool of two minutes (1 USD each)


def test_the_report_has_every_section(tmp_path: Path) -> None:
    frames = [(T0, books_frame()), (T0 + 5 * NS, print_frame(YES, "SELL", "0.40", ts_ms=5)),
              (T0 + 70 * NS, print_frame(YES, "BUY", "0.52", ts_ms=70))]
    res = run(frames, entry_ms=1, md_ms=1)
    s = report.write(res, str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    for section in ("PnL over time", "Inventory per leg", "Our quotes against the YES mid", "Markouts",
                    "Time in each mode", "Fills", "Risk events", "Parameters"):
        assert section in page
    assert "<svg" in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    summary = json.loads((tmp_path / "r.json").read_text())
    assert summary == json.loads(json.dumps(s))
    assert set(summary["markouts"]) == {"1s", "5s", "30s", "60s"}
    assert summary["fills"] == len(res.fills) >= 1
    assert set(summary["pnl_usd"]) == {"total", "realised", "unrealised", "rewards", "fees"}


def test_the_recording_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "x.pmrec.zst"
    with open(path, "wb") as f:
        w = recfile.Writer(f, "test", T0)
        w.meta(T0, META)
        w.frame(T0, books_frame())
        w.flush()  # a frame boundary: what follows is a second zstandard frame
        w.frame(T0 + 1, print_frame(YES, "SELL", "0.40"))
        w.own(T0 + 2, b"coord.lease.x.", LeaseRelease(holder="x", market=CID, ts=T0))
        w.close()
    rec = recfile.load([path])
    assert rec.sources == ["test"] and rec.metas == {CID: META}
    assert [t for t, _ in rec.frames] == [T0, T0 + 1] and rec.frames[0][1] == books_frame()
    assert rec.own == [(T0 + 2, b"coord.lease.x.", LeaseRelease(holder="x", market=CID, ts=T0))]
    cut = tmp_path / "cut.pmrec.zst"
    cut.write_bytes(path.read_bytes()[:-7])  # a crash in the last frame: the first frame is kept
    assert [t for t, _ in recfile.load([cut]).frames][:1] == [T0]


@pytest.mark.parametrize(("samples", "filled"), [((10 * MS,), False), ((2 * MS,), True)],
                         ids=lambda v: str(v))
def test_a_latency_distribution_is_drawn_per_decision(samples: tuple[int, ...], filled: bool) -> None:
    """``entry_samples``: each decision's commands take one draw (one value: that fixed latency)."""
    frames = [(T0, books_frame()), (T0 + 5 * MS, print_frame(YES, "SELL", "0.40"))]
    sim = engine.SimParams(entry_ns=0, cancel_ns=0, md_ns=0, entry_samples=samples)
    res = engine.Backtest({}, sim).run(recording(frames))
    assert bool([f for f in res.fills if f.leg == "yes"]) is filled
    again = engine.Backtest({}, sim).run(recording(frames))
    assert [(f.ts, f.size) for f in again.fills] == [(f.ts, f.size) for f in res.fills]


def test_pairs_are_merged_as_the_holding_asks() -> None:
    """pair_ofi holds a YES and a NO fill: the once-a-second merge decision (``merging.merge_command``)
    turns the pair into 1 pUSD ``merge_ns`` later, realising the pair's edge; with merging off it stays."""
    late = json.dumps({"event_type": "best_bid_ask", "asset_id": YES, "market": CID, "best_bid": "0.5",
                       "best_ask": "0.51", "spread": "0.01", "timestamp": "9"}).encode()
    frames = [(T0, books_frame()), (T0 + 10 * MS, print_frame(YES, "SELL", "0.40", ts_ms=2)),
              (T0 + 20 * MS, print_frame(NO, "SELL", "0.40", ts_ms=3)), (T0 + 5 * NS, late)]
    merged = run(frames, settings={"PM_BID_SIZE": "5"})
    kept = run(frames, settings={"PM_BID_SIZE": "5", "PM_MERGE_MIN_SHARES": "0"})
    assert {f.leg for f in merged.fills} == {"yes", "no"} == {f.leg for f in kept.fills}
    assert merged.inventory[-1][1:] == (0, 0) and kept.inventory[-1][1:] == (5_000_000, 5_000_000)
    assert merged.pnl[-1][1] > 0 == kept.pnl[-1][1]  # the edge is realised by the merge


@pytest.mark.parametrize(("redeem", "held"), [("true", False), ("false", True)], ids=["redeemed", "kept"])
def test_a_resolved_market_held_is_redeemed_as_the_executor_does(redeem: str, held: bool) -> None:
    """Our YES bid fills, then the market resolves (YES wins): ``merge_ns`` later the simulated executor
    redeems what inventory holds (``PM_SETTLE_REDEEM``, on by default), so the market leaves inventory's
    published states, as live; the realised PnL is the resolution's either way (a redemption realises
    nothing more)."""
    resolved = json.dumps({"event_type": "market_resolved", "market": CID, "winning_asset_id": YES,
                           "winning_outcome": "Yes", "assets_ids": [YES, NO], "timestamp": "4"}).encode()
    late = json.dumps({"event_type": "best_bid_ask", "asset_id": YES, "market": CID, "best_bid": "0.5",
                       "best_ask": "0.51", "spread": "0.01", "timestamp": "9"}).encode()
    frames = [(T0, books_frame()), (T0 + 10 * MS, print_frame(YES, "SELL", "0.40", ts_ms=2)),
              (T0 + 3 * NS, resolved), (T0 + 6 * NS, late)]
    window = msgspec.structs.replace(META, end_ns=T0 + NS)  # its coordinator leaves (and its lease) at 2 s
    bt = engine.Backtest({"PM_BID_SIZE": "5", "PM_SETTLE_REDEEM": redeem}, engine.SimParams())
    res = bt.run(recording(frames, window))
    assert [f.leg for f in res.fills] == ["yes"]
    inv = bt.inventory
    assert CID in inv.resolved and inv.held_market(CID) is held and (CID in inv.active()) is held
    assert inv.position(YES).qty == (5_000_000 if held else 0)
    assert res.pnl[-1][1] == 5_000_000 - 2_500_000  # 5 shares bought at 0.50 (our bid), worth 1 each


def test_the_clock_runs_in_time_then_scheduling_order_and_reselects_after_each_instant() -> None:
    """backtest.clock: timers (heap) and latencies (FIFOs) interleave by (time, order); ``on_instant`` runs
    once per instant; an event it schedules earlier than the one already seen next runs first, once."""
    from backtest.clock import Clock

    ran: list[tuple[str, int]] = []

    def mark(name: str) -> Callable[[int], None]:
        return lambda t: ran.append((name, t))

    def instant(t: int) -> None:
        ran.append(("instant", t))
        if t == 10:
            clock.at(15, mark("scheduled-at-instant-10"))

    clock = Clock(instant)
    clock.at(20, mark("timer-20"))
    clock.later(10, mark("latency-10"))
    clock.at(10, mark("timer-10"))
    clock.later(30, mark("latency-30"))
    clock.advance(25)
    assert ran == [("latency-10", 10), ("timer-10", 10), ("instant", 10), ("scheduled-at-instant-10", 15),
                   ("instant", 15), ("timer-20", 20), ("instant", 20)]
    assert clock.due() == 30 and clock.now == 25


def test_a_market_opened_late_trades_from_then_on_the_books_so_far() -> None:
    """``SimParams.opens`` (a live run: each window's first live order): no command before, then the
    coordinator decides at once on the books received so far (no new frame needed)."""
    opened = T0 + 500 * MS
    frames = [(T0, books_frame()), (T0 + 2 * NS, print_frame(YES, "BUY", "0.90", ts_ms=2))]
    sim = engine.SimParams(entry_ns=0, cancel_ns=0, md_ns=0, opens=((CID, opened),))
    res = engine.Backtest({}, sim).run(recording(frames))
    placed = [t for t, c in res.commands if isinstance(c, PlaceOrder)]
    assert placed and min(placed) == opened
