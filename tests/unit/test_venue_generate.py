"""``python -m venue.generate``: the venue's synthetic market in simulated time, written in the recording
format; the same seed gives the same file, every frame parses through the market-feed core, and the
backtest trades it."""

from __future__ import annotations

from pathlib import Path

from actors.market_feed.effects import FeedEffects
from backtest import engine, recfile
from venue import generate


def test_same_seed_same_file_and_every_frame_parses(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.pmrec.zst", tmp_path / "b.pmrec.zst", tmp_path / "c.pmrec.zst"
    assert generate.main(["--hours", "0.05", "--seed", "3", "--out", str(a)]) == 0
    generate.generate(b, hours=0.05, seed=3, prefixes=("btc-updown-15m",))
    generate.generate(c, hours=0.05, seed=4, prefixes=("btc-updown-15m",))
    assert a.read_bytes() == b.read_bytes() != c.read_bytes()
    rec = recfile.load([a])
    assert rec.sources == ["generate"] and len(rec.metas) == 1
    meta = next(iter(rec.metas.values()))
    assert meta.slug.startswith("btc-updown-15m-") and meta.end_ns - meta.start_ns == 900 * 10**9
    feed = engine.Backtest({}, engine.SimParams()).feed
    kinds: set[str] = set()
    for ts, frame in rec.frames:
        fx = FeedEffects()
        events, _ = feed.decode([frame], fx)
        feed.apply(events, ts, fx)
        assert not [n for n in fx.notes if n[0] == "warning"], fx.notes
        kinds.update(type(e).__name__ for e in events)
    assert {"BookMsg", "PriceChangeMsg", "LastTradeMsg"} <= kinds
    assert [t for t, _ in rec.frames] == sorted(t for t, _ in rec.frames)


def test_the_backtest_trades_a_generated_window(tmp_path: Path) -> None:
    path = tmp_path / "g.pmrec.zst"
    generate.generate(path, hours=0.1, seed=1, prefixes=("btc-updown-15m",))
    res = engine.run([str(path)], {"PM_BID_SIZE": "5"}, engine.SimParams())
    assert res.commands and res.fills and res.events >= res.frames > 0
    assert len(res.pnl) <= 0.1 * 3600 + 3  # the 1 s timer runs once a simulated second (one sample each)
    times = [t for t, *_ in res.pnl]
    assert times == sorted(set(times))


def test_sweep_runs_the_grid_in_parallel_ranked(tmp_path: Path) -> None:
    """``python -m backtest sweep``: every combination once, in worker processes, ranked by PnL per unit of
    inventory risk (best first); the table and its JSON rows are written."""
    import json

    from backtest import cli

    data = tmp_path / "g.pmrec.zst"
    generate.generate(data, hours=0.05, seed=2, prefixes=("btc-updown-15m",))
    out = tmp_path / "sweep.md"
    assert cli.main(["sweep", "--data", str(data), "--grid", "PM_PAIR_TARGET=0.97,0.99",
                     "--grid", "PM_BID_SIZE=5,10", "--processes", "2", "--out", str(out)]) == 0
    rows = json.loads((tmp_path / "sweep.json").read_text())
    assert sorted((r["params"]["PM_PAIR_TARGET"], r["params"]["PM_BID_SIZE"]) for r in rows) == [
        ("0.97", "10"), ("0.97", "5"), ("0.99", "10"), ("0.99", "5")]
    ranks = [r["pnl_per_inventory_risk"] for r in rows]
    assert ranks == sorted(ranks, reverse=True)
    assert out.read_text().count("\n") == 2 + len(rows)
