"""``python -m venue.generate --hours H --seed S --out FILE``: a recording (``backtest.recfile``) of the
venue's synthetic market in simulated time, without a server.

The same ``Exchange`` the venue serves (its synthetic makers, noise and informed takers, mint/merge
matching, tick changes, windows that open and resolve) is stepped every ``--tick-ms`` of simulated time,
and every market-channel event it would send for the recorded markets is written as one ``F`` frame with
the simulated time as its receive time. A market is recorded from when its window starts (a rotating
series' current window; a long-lived market at once): its metadata (``M``) first, then the ``book`` of
each token, as a subscription would deliver them. Fast: hours of market in seconds to minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import msgspec

from backtest import recfile
from schemas.units import NS, ONE, parse_exact
from venue.clob_shapes import rewards_max_spread_units
from venue.config import VenueConfig
from venue.contract import MarketEvent
from venue.exchange import Exchange
from venue.markets import Market

START_NS = 1_767_225_600 * NS  # 2026-01-01T00:00:00Z: a fixed start, so a seed gives the same file
_encode = msgspec.json.Encoder().encode


def meta_of(m: Market) -> recfile.Meta:
    """The recording metadata of one venue market."""
    rewards = recfile.Rewards(daily_rate=m.rewards_daily_rate * ONE,
                              max_spread_cents=rewards_max_spread_units(m) / 10_000,
                              min_size=m.rewards_min_size * ONE) if m.is_reward else recfile.Rewards()
    return recfile.Meta(market=m.condition_id, yes_asset=m.token_ids[0], no_asset=m.token_ids[1], tick=m.tick,
                        min_size=m.min_size, slug=m.slug,
                        start_ns=m.window_start_s * NS if m.kind == "updown" else 0,
                        end_ns=m.window_end_s * NS if m.kind == "updown" else 0,
                        fee_rate=m.fee_rate if m.fees_enabled else 0, fee_exponent=m.fee_exponent,
                        rebate_rate=parse_exact(m.rebate_rate), rewards=rewards)


def wanted(m: Market, prefixes: tuple[str, ...]) -> bool:
    return any(m.slug.startswith(p) for p in prefixes)


def generate(out: Path, *, hours: float, seed: int, prefixes: tuple[str, ...], tick_ms: int = 50,
             config: VenueConfig | None = None, start_ns: int = START_NS) -> dict[str, int]:
    """Write the recording; returns counts (frames, markets, ticks)."""
    assets = tuple(sorted({p.split("-")[0] for p in prefixes if "-updown-" in p})) or ("btc",)
    intervals = tuple(sorted({p.split("-updown-")[1].split("-")[0] for p in prefixes if "-updown-" in p}))
    reward = any(p.startswith("venue-reward") for p in prefixes)
    cfg = config or VenueConfig(assets=assets, intervals=intervals or ("15m",),
                                reward_markets=1 if reward else 0, windows_ahead=1)
    ex = Exchange(cfg, seed=seed, now_ns=start_ns)
    ex.drain_events()
    recorded: dict[str, Market] = {}  # condition id -> market being recorded
    tokens: dict[str, str] = {}  # token -> condition id
    frames = ticks = 0
    end_ns = start_ns + int(hours * 3600 * NS)
    step = tick_ms * 1_000_000
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        w = recfile.Writer(f, "generate", start_ns)
        now = start_ns
        while now < end_ns:
            ex.tick(now)
            ticks += 1
            for m in ex.catalogue.open_markets():
                if m.condition_id in recorded or not wanted(m, prefixes):
                    continue
                if m.kind == "updown" and now < m.window_start_s * NS:
                    continue
                recorded[m.condition_id] = m
                tokens.update(dict.fromkeys(m.token_ids, m.condition_id))
                w.meta(now, meta_of(m))
                books = [b for t in m.token_ids if (b := ex.book_event(t)) is not None]
                w.frame(now, _encode(books))
                frames += 1
            for ev in ex.drain_events():
                if not isinstance(ev, MarketEvent):
                    continue
                ids = ev.asset_ids
                cid = ev.payload.get("market")
                if (ids and any(t in tokens for t in ids)) or (not ids and cid in recorded):
                    w.frame(now, _encode(ev.payload))
                    frames += 1
            for cid, m in list(recorded.items()):
                if m.closed:
                    del recorded[cid]
                    for t in m.token_ids:
                        tokens.pop(t, None)
            if ticks % 20_000 == 0:
                w.flush()
            now += step
        w.close()
    return {"frames": frames, "ticks": ticks, "records": w.records}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m venue.generate", description=__doc__.split("\n")[0])
    p.add_argument("--hours", type=float, required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", required=True)
    p.add_argument("--markets", default="btc-updown-15m",
                   help="comma-separated slug prefixes (default btc-updown-15m; venue-reward-market for the "
                        "long-lived reward market)")
    p.add_argument("--tick-ms", type=int, default=50, help="simulated time between venue steps (default 50)")
    args = p.parse_args(argv)
    if args.hours <= 0 or args.tick_ms <= 0:
        p.error("--hours and --tick-ms must be > 0")
    started = time.monotonic()
    counts = generate(Path(args.out), hours=args.hours, seed=args.seed,
                      prefixes=tuple(x.strip() for x in args.markets.split(",") if x.strip()),
                      tick_ms=args.tick_ms)
    sys.stdout.write(f"{args.out}: {counts['frames']} frames, {counts['ticks']} venue steps, "
                     f"{time.monotonic() - started:.1f} s\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
