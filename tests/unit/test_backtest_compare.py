"""What ``backtest.compare`` reads from a live run's own stream (docs/backtest.md, "Backtest against live"):
the latencies the backtest replays (decision -> the venue's event), when the engine started trading, and
when our live orders leave the recorded levels (``backtest.own_orders``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from backtest import compare, engine, own_orders, recfile
from backtest.result import FillRow
from schemas import CancelOrders, OrderUpdate, PlaceOrder
from schemas.units import MS
from venue import generate
from venue.config import FlowConfig, VenueConfig

CID, YES, NO = "0xcid", "yes-token", "no-token"
T = 1_800_000_000_000_000_000  # a whole ms
META = recfile.Meta(market=CID, yes_asset=YES, no_asset=NO, tick=10_000, min_size=5_000_000, slug="t")


def place(cmd: str, slot: str, price: int, ts: int, origin: int = 0) -> PlaceOrder:
    return PlaceOrder(cmd_id=cmd, holder="h", market=CID, asset=YES, side="BUY", price=price, size=5_000_000,
                      tick=10_000, neg_risk=False, slot=slot, ts=ts, origin_ts=origin)


def update(oid: str, price: int, kind: str, status: str, ts_event: int, matched: int = 0) -> OrderUpdate:
    return OrderUpdate(order_id=oid, market=CID, asset=YES, side="BUY", price=price, original_size=5_000_000,
                       size_matched=matched, status=status, reason="", kind=kind, ts_event=ts_event,
                       ts_recv=ts_event)


def rec(own: list[tuple[int, object]]) -> recfile.Recording:
    return recfile.Recording(metas={CID: META}, meta_seen=[(T, META)], frames=[(T, b"{}")],
                             own=[(ts, b"t", m) for ts, m in own], sources=["local"])  # type: ignore[misc]


def test_latencies_are_decision_to_the_venues_event() -> None:
    """Entry: ``PlaceOrder.ts`` -> its PLACEMENT (ms stamp + 0.5 ms); cancel: the decision that replaced or
    cancelled the order -> its CANCELLATION; not the echo's receive time - ``origin_ts`` (the book last
    seen, up to hundreds of ms before a timer's decision)."""
    r = rec([
        (T + 9 * MS, place("c1", "yes_bid", 480_000, T + 1 * MS, origin=T - 300 * MS)),
        (T + 4 * MS, update("o1", 480_000, "PLACEMENT", "LIVE", T + 3 * MS)),       # 2.5 ms
        (T + 20 * MS, place("c2", "yes_bid", 490_000, T + 10 * MS)),                 # replaces o1
        (T + 15 * MS, update("o2", 490_000, "PLACEMENT", "LIVE", T + 14 * MS)),     # 4.5 ms
        (T + 18 * MS, update("o1", 480_000, "CANCELLATION", "CANCELED", T + 16 * MS)),  # 6.5 ms
        (T + 31 * MS, CancelOrders(cmd_id="c3", holder="h", market=CID, order_ids=[], slots=["yes_bid"],
                                   reason="x", ts=T + 30 * MS)),
        (T + 40 * MS, update("o2", 490_000, "CANCELLATION", "CANCELED", T + 38 * MS)),  # 8.5 ms
    ])
    entry, cancel = compare.venue_latencies_ns(r)
    assert entry == [2_500_000, 4_500_000]
    assert cancel == [6_500_000, 8_500_000]
    sim = compare.measured_sim(r)
    assert sim.entry_samples == (2_500_000, 4_500_000) and sim.cancel_samples == (6_500_000, 8_500_000)
    assert sim.start_ns == T + 1 * MS and sim.opens == ((CID, T + 1 * MS),)  # the first live decision
    assert not sim.cross_fills  # a local venue's recording: its makers are post-only


def test_a_live_fill_leaves_the_level_when_it_is_received() -> None:
    """Placements and cancels count from the venue's stamp (the book frame showing them often comes
    first); a fill from its receive time, after the print that took the order (``touch_takers``)."""
    r = rec([
        (T + 5 * MS, update("o1", 480_000, "PLACEMENT", "LIVE", T + 2 * MS)),
        (T + 50 * MS, update("o1", 480_000, "UPDATE", "MATCHED", T + 40 * MS, matched=5_000_000)),
    ])
    assert own_orders.own_levels(r) == [(T + 2 * MS, YES, "BUY", 480_000, 5_000_000),
                                        (T + 50 * MS, YES, "BUY", 480_000, -5_000_000)]


def _result(fills: int, seed: int) -> engine.Result:
    rows = [FillRow(ts=i, market="m", leg="yes", side="BUY", price=500_000, size=5 * 10**6, reason="",
                    slot="") for i in range(fills)]
    return engine.Result(params={}, sim=engine.SimParams(seed=seed), markets={}, fills=rows)


def test_the_compared_run_is_the_one_with_the_median_fill_count() -> None:
    """One latency draw can move a short run's fills by a third: the comparison takes the median of the
    seeds' runs (an odd count: the middle one; even: the lower middle), and shows every run's count."""
    runs = [_result(n, seed) for seed, n in enumerate([65, 51, 70, 69, 69], start=1)]
    assert compare.median_run(runs).sim.seed in (4, 5)  # 69, the middle of 51 65 69 69 70
    assert len(compare.median_run(runs).fills) == 69
    assert len(compare.median_run(runs[:4]).fills) == 65  # 51 65 69 70: the lower middle
    assert compare.median_run(runs[:1]) is runs[0]


def test_each_run_has_its_own_seed_and_the_same_seed_is_the_same_run() -> None:
    cfg = VenueConfig(assets=("btc",), intervals=("15m",), reward_markets=0, windows_ahead=1,
                      flow_params=FlowConfig(noise_rate_per_min=300))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pmrec.zst"
        generate.generate(path, hours=0.02, seed=3, prefixes=("btc-updown-15m",), config=cfg)
        recording = recfile.load([path])
    sim = engine.SimParams(entry_samples=(1 * MS, 2 * MS, 200 * MS), cancel_samples=(1 * MS, 300 * MS))
    a = compare.runs(recording, {"PM_BID_SIZE": "5"}, sim, seeds=3)
    b = compare.runs(recording, {"PM_BID_SIZE": "5"}, sim, seeds=3)
    assert [r.sim.seed for r in a] == [1, 2, 3]
    assert [[(f.ts, f.price) for f in r.fills] for r in a] == [[(f.ts, f.price) for f in r.fills] for r in b]
    assert [[(t, c.cmd_id) for t, c in r.commands] for r in a] == [[(t, c.cmd_id) for t, c in r.commands]
                                                                   for r in b]
