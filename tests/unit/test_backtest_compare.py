"""What ``backtest.compare`` reads from a live run's own stream (docs/backtest.md, "Backtest against live"):
the latencies the backtest replays (decision -> the venue's event), when the engine started trading, and
when our live orders leave the recorded levels (``backtest.own_orders``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from backtest import compare, engine, own_orders, recfile
from backtest.params import latency_at
from backtest.result import FillRow
from schemas import CancelOrders, MergePairs, OrderUpdate, PlaceOrder, Settlement, SettlementApplied
from schemas.units import MS, NS
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


def generated() -> recfile.Recording:
    """A 72-second recording of the venue's synthetic flow (one market, busy takers)."""
    cfg = VenueConfig(assets=("btc",), intervals=("15m",), reward_markets=0, windows_ahead=1,
                      flow_params=FlowConfig(noise_rate_per_min=300))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "r.pmrec.zst"
        generate.generate(path, hours=0.02, seed=3, prefixes=("btc-updown-15m",), config=cfg)
        return recfile.load([path])


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
    assert sim.entry_at == ((T + 1 * MS, 2_500_000), (T + 10 * MS, 4_500_000))
    assert sim.cancel_at == ((T + 10 * MS, 6_500_000), (T + 30 * MS, 8_500_000))
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
    recording = generated()
    sim = engine.SimParams(entry_samples=(1 * MS, 2 * MS, 200 * MS), cancel_samples=(1 * MS, 300 * MS))
    a = compare.runs(recording, {"PM_BID_SIZE": "5"}, sim, seeds=3)
    b = compare.runs(recording, {"PM_BID_SIZE": "5"}, sim, seeds=3)
    assert [r.sim.seed for r in a] == [1, 2, 3]
    assert [[(f.ts, f.price) for f in r.fills] for r in a] == [[(f.ts, f.price) for f in r.fills] for r in b]
    assert [[(t, c.cmd_id) for t, c in r.commands] for r in a] == [[(t, c.cmd_id) for t, c in r.commands]
                                                                   for r in b]
    # by default: SEEDS runs when latencies are drawn, one otherwise (nothing else is random)
    assert [r.sim.seed for r in compare.runs(recording, {"PM_BID_SIZE": "5"}, sim)] == list(range(1, 10))
    timeline = engine.SimParams(entry_at=((T, 1 * MS),), entry_samples=(1 * MS, 2 * MS))
    assert len(compare.runs(recording, {"PM_BID_SIZE": "5"}, timeline)) == 1


def test_the_timeline_gives_a_decision_the_latency_of_the_live_decision_nearest_in_time() -> None:
    """``latency=timeline`` (the default): a slow moment of the live run (a stall) stays where it was,
    instead of landing on random decisions; on a tie the earlier decision's latency."""
    timeline = ((T, 2 * MS), (T + 100 * MS, 250 * MS), (T + 300 * MS, 3 * MS))
    for now, want in [
        (T - 5 * MS, 2 * MS),                 # before the first: the first
        (T, 2 * MS),
        (T + 49 * MS, 2 * MS),
        (T + 50 * MS, 2 * MS),                # a tie: the earlier
        (T + 51 * MS, 250 * MS),
        (T + 100 * MS, 250 * MS),
        (T + 201 * MS, 3 * MS),
        (T + 900 * MS, 3 * MS),               # after the last: the last
    ]:
        assert latency_at(timeline, now) == want, (now - T) // MS
    assert latency_at(((T, 7),), T + 5 * NS) == 7


def test_measured_latency_models() -> None:
    """``timeline``: (decision time, latency) sorted by decision time; ``draw``: the samples (a seed per
    run); ``median``: neither, the medians only. An unknown model is an error."""
    r = rec([
        (T + 30 * MS, place("c2", "no_bid", 490_000, T + 20 * MS)),
        (T + 25 * MS, update("o2", 490_000, "PLACEMENT", "LIVE", T + 24 * MS)),      # 4.5 ms, decided 2nd
        (T + 9 * MS, place("c1", "yes_bid", 480_000, T + 1 * MS)),
        (T + 40 * MS, update("o1", 480_000, "PLACEMENT", "LIVE", T + 38 * MS)),      # 37.5 ms, decided 1st
    ])
    timeline = compare.measured_sim(r)
    assert timeline.entry_at == ((T + 1 * MS, 37_500_000), (T + 20 * MS, 4_500_000))
    assert timeline.entry_samples == () and timeline.entry_ns == (37_500_000 + 4_500_000) // 2
    drawn = compare.measured_sim(r, latency="draw")
    assert drawn.entry_samples == (4_500_000, 37_500_000) and drawn.entry_at == ()
    median = compare.measured_sim(r, latency="median")
    assert median.entry_samples == () and median.entry_at == () and median.entry_ns == timeline.entry_ns
    with pytest.raises(ValueError, match="latency model"):
        compare.measured_sim(r, latency="mean")


def test_merge_latency_is_the_first_request_to_inventorys_echo() -> None:
    """Repeated ``MergePairs`` while the executor's chain call runs (the coordinator asks every second)
    count from the first; a merge inventory refused or a redemption is not a merge."""
    def merge(ts: int) -> MergePairs:
        return MergePairs(cmd_id=f"m{ts}", holder="h", market=CID, yes_asset=YES, no_asset=NO,
                          min_size=5_000_000, ts=ts)

    def applied(kind: str, action: str = "applied") -> SettlementApplied:
        s = Settlement(key=f"{kind}:x", kind=kind, market=CID,  # type: ignore[arg-type]
                       yes_asset=YES, no_asset=NO, yes=5_000_000, no=5_000_000, usdc=5_000_000, tx="0x1",
                       source="executor")
        return SettlementApplied(settlement=s, action=action, ts=0)  # type: ignore[arg-type]

    assert compare.merge_latency_ns(rec([])) is None
    r = rec([
        (T + 1 * NS, merge(T + 1 * NS)), (T + 2 * NS, merge(T + 2 * NS)),
        (T + 1 * NS + 700 * MS, applied("merge")),         # 0.7 s from the first request
        (T + 5 * NS, merge(T + 5 * NS)),
        (T + 5 * NS + 900 * MS, applied("merge", "refused")),
        (T + 6 * NS, applied("redeem")),
        (T + 5 * NS + 950 * MS, applied("merge")),         # 0.95 s
        (T + 9 * NS, merge(T + 9 * NS)),
        (T + 9 * NS + 800 * MS, applied("merge")),         # 0.8 s
    ])
    assert compare.merge_latency_ns(r) == 800 * MS
    assert compare.measured_sim(r).merge_ns == 800 * MS


def test_a_timeline_of_one_latency_is_that_fixed_latency() -> None:
    """The backtest takes each decision's entry and cancel latency from the timelines (a one-point timeline
    is a constant: the same run as those fixed latencies, and not the run of other ones)."""
    recording = generated()

    def run(sim: engine.SimParams) -> list[tuple[int, int]]:
        res = compare.runs(recording, {"PM_BID_SIZE": "5"}, sim, seeds=1)[0]
        assert res.fills
        return [(f.ts, f.price) for f in res.fills]

    timeline = run(engine.SimParams(entry_at=((T, 40 * MS),), cancel_at=((T, 90 * MS),)))
    assert timeline == run(engine.SimParams(entry_ns=40 * MS, cancel_ns=90 * MS))
    assert timeline != run(engine.SimParams(entry_ns=1 * MS, cancel_ns=1 * MS))


def test_the_compare_command_runs_one_backtest_unless_latencies_are_drawn(tmp_path: Path) -> None:
    """``python -m backtest compare``: one run with the timeline (nothing is random), nine seeded runs with
    ``--latency draw`` when the recording has latencies to draw, ``--seeds N`` as given, 0 refused."""
    r = rec([
        (T + 9 * MS, place("c1", "yes_bid", 480_000, T + 1 * MS)),
        (T + 4 * MS, update("o1", 480_000, "PLACEMENT", "LIVE", T + 3 * MS)),
    ])
    calls: list[tuple[engine.SimParams, int | None]] = []

    def runs(_rec: object, _settings: object, sim: engine.SimParams, seeds: int | None = None) -> list:
        calls.append((sim, seeds))
        return [_result(3, 1)]

    import backtest.cli as cli
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(recfile, "load", lambda _paths: r)
        mp.setattr(compare, "runs", runs)
        mp.setattr(compare, "compare_runs", lambda _rec, results: {"fills": len(results[0].fills)})
        for argv, model, seeds in [([], "timeline", None), (["--latency", "draw"], "draw", None),
                                   (["--latency-median"], "median", None), (["--seeds", "3"], "timeline", 3)]:
            assert cli.main(["compare", "--data", str(tmp_path / "x.pmrec.zst"), *argv]) == 0
            sim, got = calls.pop()
            assert got == seeds
            assert bool(sim.entry_at) == (model == "timeline")
            assert bool(sim.entry_samples) == (model == "draw")
        assert cli.main(["compare", "--data", "x", "--seeds", "0"]) == 1
    assert compare.runs.__defaults__ == (None,)


def test_live_fills_before_the_recordings_first_book_are_counted() -> None:
    """A recorder that joined late: live traded on books the recording does not hold, so the backtest starts
    flat where live held a leg; ``compare`` reports such fills (the live test refuses the comparison)."""
    from schemas import Fill, FillApplied

    book = b'[{"event_type":"book","market":"%s","asset_id":"%s","bids":[],"asks":[],"timestamp":"1"}]' % (
        CID.encode(), YES.encode())

    def fill(ts_event: int) -> FillApplied:
        f = Fill(trade_id=f"t{ts_event}", order_id="o", market=CID, asset=YES, side="BUY", price=500_000,
                 size=5_000_000, status="MATCHED", role="MAKER", fee=0, source="ws", ts_event=ts_event,
                 ts_recv=ts_event)
        return FillApplied(fill=f, action="applied", ts=ts_event)

    r = recfile.Recording(metas={CID: META}, meta_seen=[(T, META)],
                          frames=[(T, b'{"event_type":"price_change"}'), (T + 10 * MS, book)],
                          own=[(T + 5 * MS, b"t", fill(T + 2 * MS)), (T + 30 * MS, b"t", fill(T + 20 * MS))],
                          sources=["local"])
    assert compare.first_books(r) == {CID: T + 10 * MS}
    assert compare.fills_before_data(r) == 1
    assert compare.fills_before_data(rec([])) == 0


def test_an_order_placed_before_the_user_feed_subscribed_still_leaves_the_level() -> None:
    """A window's first orders can rest before the user-feed subscribed to the market: no PLACEMENT comes,
    only their fill or cancellation. The order then counts from its ``PlaceOrder`` decision + the entry
    latency (not as someone else's queue ahead of the simulated order); without a decision, as before."""
    r = rec([
        (T + 1 * MS, place("c1", "yes_bid", 480_000, T + 1 * MS)),
        (T + 900 * MS, update("o1", 480_000, "UPDATE", "MATCHED", T + 899 * MS, matched=5_000_000)),
        (T + 950 * MS, update("o9", 470_000, "CANCELLATION", "CANCELED", T + 949 * MS)),  # no decision
    ])
    assert own_orders.own_levels(r, entry_ns=2 * MS) == [(T + 3 * MS, YES, "BUY", 480_000, 5_000_000),
                                                         (T + 900 * MS, YES, "BUY", 480_000, -5_000_000)]


def test_a_placement_is_matched_to_the_latest_decision_of_its_shape() -> None:
    """The same order decided twice (the first one rested before the user-feed subscribed, so its PLACEMENT
    never came): the PLACEMENT belongs to the second decision, not a 1.3 s latency of the first."""
    r = rec([
        (T + 1 * MS, place("c1", "yes_bid", 480_000, T + 1 * MS)),
        (T + 1_300 * MS, place("c2", "yes_bid", 480_000, T + 1_300 * MS)),
        (T + 1_303 * MS, update("o2", 480_000, "PLACEMENT", "LIVE", T + 1_302 * MS)),
    ])
    assert compare.venue_latencies_ns(r) == ([2_500_000], [])
