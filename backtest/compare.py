"""Backtest against live (pure): what the engine did, read from a recording's own stream, next to what the
backtest of the same recording did. ``python -m backtest compare --data FILE... --set ...`` prints it.

Live fills are inventory's ``FillApplied`` echoes (``inv.fill``, action ``applied``). The live entry
latency is the decision (``PlaceOrder.ts``, from the ``exec.cmd`` echo) to the venue's ``PLACEMENT``
event of that order (``user.order``; the venue stamps it in ms, so + 0.5 ms), the cancel latency the
decision (a ``CancelOrders`` / ``CancelMarket`` / ``CancelAll``, or a ``PlaceOrder`` replacing the slot's
order) to the order's ``CANCELLATION`` event. (The first version measured the echo's receive time -
``origin_ts``, the book the decision last saw: decisions made on a timer or after a fill then counted the
time since that book too, a median of 13 ms and a tail of 200 ms against 2-3 ms decision-to-venue.)
Both sides' PnL is computed the same way from their fills: cash paid and received plus what is held,
valued at each market's last recorded YES mid (1 / 0 after a resolution).

Each decision of the backtest takes the latency of the live decision nearest in time (``latency_at``, the
``timeline`` model, the default): a live run's slow moments stay where they were. (Until stop 26 each
decision drew a latency from the recorded distribution, and the median of ``SEEDS`` seeded runs was compared,
since one unlucky draw, a window-opening order placed late, moved a 45-second comparison by 30 % on its own;
``latency="draw"`` still does that, and the figures are then those of the run with the median fill count,
beside every run's count, ``fills_by_seed``.) Merges take the live run's merge latency (``MergePairs`` ->
inventory's ``inv.settle`` echo), 13-37 ms against the local venue: with the 1 s default a pair bought just
after another completed was costed with the unmerged one, and the hedge price differed from live.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass, replace
from typing import Any

import msgspec

from backtest import recfile
from backtest.engine import Backtest, FillRow, Result, SimParams
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    FillApplied,
    MarketResolved,
    MergePairs,
    OrderUpdate,
    PlaceOrder,
    SettlementApplied,
)
from schemas.units import MS, NS, ONE

SEEDS = 9  # backtest runs per comparison (odd: the median is one of them)


@dataclass(frozen=True)
class Side:
    fills: int
    shares: float
    volume_usd: float
    final_net: float  # YES - NO shares, all markets
    max_abs_net: float
    pnl_usd: float


def fills_live(rec: recfile.Recording) -> list[FillRow]:
    out: list[FillRow] = []
    for ts, _topic, msg in rec.own:
        if not isinstance(msg, FillApplied) or msg.action != "applied":
            continue
        f = msg.fill
        meta = rec.metas.get(f.market)
        if meta is None:
            continue
        out.append(FillRow(ts=ts, market=f.market, leg="yes" if f.asset == meta.yes_asset else "no",
                           side=f.side, price=f.price, size=f.size, reason="live", slot=""))
    return out


HALF_MS = MS // 2  # the venue stamps its events in ms: the mean of what the truncation drops


Timeline = list[tuple[int, int]]  # (decision time, its latency), in decision order


def venue_latencies_ns(rec: recfile.Recording) -> tuple[list[int], list[int]]:
    """(entry, cancel) latencies of the live run, decision -> the venue's event (see the module's doc)."""
    entry, cancel = _venue_latencies(rec)
    return [lat for _, lat in entry], [lat for _, lat in cancel]


def venue_timelines(rec: recfile.Recording) -> tuple[Timeline, Timeline]:
    """The same with their decisions' times, sorted by decision time."""
    entry, cancel = _venue_latencies(rec)
    return sorted(entry), sorted(cancel)


def _venue_latencies(rec: recfile.Recording) -> tuple[Timeline, Timeline]:
    """(entry, cancel) (decision time, latency) pairs in the order of the venue's events.
    A ``PLACEMENT`` is matched to the latest ``PlaceOrder`` of the same asset, side, price and size not
    after it (within 5 s; a refused order has none, and so has an order placed before the user-feed had
    subscribed to its market); its order then stands in its slot until a command cancels or replaces it."""
    commands = sorted((m for _ts, _t, m in rec.own
                       if isinstance(m, PlaceOrder | CancelOrders | CancelMarket | CancelAll)),
                      key=lambda m: m.ts)
    updates = sorted((m for _ts, _t, m in rec.own if isinstance(m, OrderUpdate)), key=lambda m: m.ts_event)
    waiting: dict[tuple[str, str, int, int], list[PlaceOrder]] = {}  # placed, not yet seen at the venue
    in_slot: dict[tuple[str, str], str] = {}  # (market, slot) -> order id
    asked: dict[str, int] = {}  # order id -> when a decision cancelled it
    entry: Timeline = []
    cancel: Timeline = []
    ci = 0
    for u in updates:
        t = u.ts_event + HALF_MS
        while ci < len(commands) and commands[ci].ts <= t:  # the decisions made before this event
            c = commands[ci]
            ci += 1
            if isinstance(c, PlaceOrder):
                if (old := in_slot.get((c.market, c.slot))) is not None:
                    asked.setdefault(old, c.ts)
                waiting.setdefault((c.asset, c.side, c.price, c.size), []).append(c)
            elif isinstance(c, CancelOrders):
                for oid in [*c.order_ids, *(in_slot.get((c.market, s), "") for s in c.slots)]:
                    if oid:
                        asked.setdefault(oid, c.ts)
            else:
                for (market, _slot), oid in in_slot.items():
                    if isinstance(c, CancelAll) or market == c.market:
                        asked.setdefault(oid, c.ts)
        if u.kind == "PLACEMENT":
            queue = waiting.get((u.asset, u.side, u.price, u.original_size), [])
            while queue and t - queue[0].ts > 5 * NS:
                queue.pop(0)
            if queue:  # the latest such decision: an earlier one whose PLACEMENT never came (placed before
                cmd = queue.pop()  # the user-feed subscribed) would otherwise take it (a 1.3 s "latency")
                entry.append((cmd.ts, max(t - cmd.ts, 0)))
                in_slot[(cmd.market, cmd.slot)] = u.order_id
        elif u.kind == "CANCELLATION" and (since := asked.pop(u.order_id, None)) is not None \
                and 0 <= t - since < 5 * NS:
            cancel.append((since, t - since))
    return entry, cancel


def entry_latencies_ns(rec: recfile.Recording) -> list[int]:
    """Decision -> the order rests at the venue, each live placement (``venue_latencies_ns``)."""
    return venue_latencies_ns(rec)[0]


def entry_latency_ns(rec: recfile.Recording) -> int | None:
    """Their median (None: no placement recorded)."""
    lags = entry_latencies_ns(rec)
    return int(statistics.median(lags)) if lags else None


def fill_latency_ns(rec: recfile.Recording) -> int | None:
    """The median of (inventory's echo received - the fill's venue time): our fill reaching inventory (and
    so the coordinator) through the user-feed."""
    lags = [ts - m.fill.ts_event for ts, _t, m in rec.own
            if isinstance(m, FillApplied) and m.action == "applied" and 0 < ts - m.fill.ts_event < 5 * NS]
    return int(statistics.median(lags)) if lags else None


def order_latency_ns(rec: recfile.Recording) -> int | None:
    """The median of (the ``user.order`` update of a fill received - its venue time): the user-feed path
    by which the coordinator learns that its order traded, before inventory has the fill."""
    lags = [ts - m.ts_event for ts, _t, m in rec.own
            if isinstance(m, OrderUpdate) and m.kind == "UPDATE" and m.size_matched > 0
            and 0 < ts - m.ts_event < 5 * NS]
    return int(statistics.median(lags)) - HALF_MS if lags else None


def merge_latency_ns(rec: recfile.Recording) -> int | None:
    """The median of (inventory's echo of an applied merge received - the first ``MergePairs`` of its
    market since that market's previous merge): the coordinator asking -> the executor's chain call
    (mined, confirmed) -> inventory has the pairs as cash. None: no merge recorded (a recording made
    before ``inv.settle`` was recorded, or none happened)."""
    asked: dict[str, int] = {}  # market -> its first MergePairs not yet answered
    lags: list[int] = []
    for ts, _t, m in rec.own:
        if isinstance(m, MergePairs):
            asked.setdefault(m.market, m.ts or ts)
        elif isinstance(m, SettlementApplied) and m.settlement.kind == "merge" and m.action == "applied" \
                and (since := asked.pop(m.settlement.market, None)) is not None and 0 < ts - since < 60 * NS:
            lags.append(ts - since)
    return int(statistics.median(lags)) if lags else None


def md_latency_ns(rec: recfile.Recording, sample: int = 5000) -> int | None:
    """The median of (frame received - the event's venue ``timestamp``, ms) over the first frames: the
    venue-to-us part of market data (the venue's clock is ours in paper mode; ms resolution)."""
    lags: list[int] = []
    for ts, frame in rec.frames[:sample]:
        try:
            doc = msgspec.json.decode(frame)
        except msgspec.DecodeError:
            continue
        for ev in doc if isinstance(doc, list) else [doc]:
            stamp = ev.get("timestamp") if isinstance(ev, dict) else None
            if isinstance(stamp, str) and stamp.isdigit():
                lag = ts - int(stamp) * 1_000_000
                if 0 <= lag < 5 * NS:
                    lags.append(lag)
    return int(statistics.median(lags)) if lags else None


LATENCY_MODELS = ("timeline", "draw", "median")


def measured_sim(rec: recfile.Recording, base: SimParams | None = None, *,
                 latency: str = "timeline") -> SimParams:
    """``base`` (default settings) with every latency the recording measures: entry and cancel (decision ->
    the venue's event; ``latency``: each decision takes the latency of the live decision nearest in time
    (``timeline``), draws one of them (``draw``: a seed per run), or their median (``median``)), market
    data, our fills, merges (medians); and no trading in a market before the live engine's first order in it
    (``opens``; ``start_ns``: the first of them, for markets it never traded); against the local venue, no
    fills by the book crossing our price (``cross_fills``: its makers' post-only quotes are refused)."""
    if latency not in LATENCY_MODELS:
        raise ValueError(f"latency model {latency!r}: one of {', '.join(LATENCY_MODELS)}")
    sim = base or SimParams()
    entries, cancels = venue_latencies_ns(rec)
    md, fill = md_latency_ns(rec), fill_latency_ns(rec)
    if entries:
        entry = int(statistics.median(entries))
        cancel = int(statistics.median(cancels)) if cancels else entry
        sim = replace(sim, entry_ns=entry, cancel_ns=cancel)
        if latency == "draw":
            sim = replace(sim, entry_samples=tuple(entries), cancel_samples=tuple(cancels))
        elif latency == "timeline":
            entry_at, cancel_at = venue_timelines(rec)
            sim = replace(sim, entry_at=tuple(entry_at), cancel_at=tuple(cancel_at))
    if md is not None:
        sim = replace(sim, md_ns=md)
    if fill is not None:
        sim = replace(sim, fill_ns=fill)
    if (order := order_latency_ns(rec)) is not None:
        sim = replace(sim, order_ns=order)
    if (merge := merge_latency_ns(rec)) is not None:
        sim = replace(sim, merge_ns=merge)
    opens: dict[str, int] = {}  # each market's first live order: when it was decided
    for ts, _t, msg in rec.own:
        if isinstance(msg, PlaceOrder) and msg.market not in opens:
            opens[msg.market] = msg.ts or ts
    first = min(opens.values(), default=0)
    sim = replace(sim, start_ns=max(sim.start_ns, first), opens=tuple(sorted(opens.items())))
    if rec.sources and all(src == "local" for src in rec.sources):
        # the local venue's makers quote post-only: one that would cross our order is refused, not a trade
        sim = replace(sim, cross_fills=False)
    return sim


def final_values(rec: recfile.Recording) -> dict[str, int]:
    """Per market the YES value at the end: the winner after a resolution, else the last recorded mid."""
    from actors.market_feed.config import FeedConfig
    from actors.market_feed.effects import FeedEffects
    from bus.config import load

    feed = load(FeedConfig, environ={}).feed(track_all=True)
    value: dict[str, int] = {}
    for ts, frame in rec.frames:
        fx = FeedEffects()
        events, _ = feed.decode([frame], fx)
        feed.apply(events, ts, fx)
        for _, msg in fx.publishes:
            if isinstance(msg, MarketResolved) and msg.market in rec.metas:
                value[msg.market] = ONE if msg.winning_asset == rec.metas[msg.market].yes_asset else 0
    for cid, meta in rec.metas.items():
        if cid in value:
            continue
        st = feed.assets.get(meta.yes_asset)
        if st is not None and st.book is not None:
            bid, ask = st.book.top()
            if 0 < bid < ask < ONE:
                value[cid] = (bid + ask) // 2
    return value


def side(fills: list[FillRow], values: dict[str, int]) -> Side:
    cash = 0
    held: dict[tuple[str, str], int] = {}
    net = max_net = 0
    for f in sorted(fills, key=lambda f: f.ts):
        sign = 1 if f.side == "BUY" else -1
        cash -= sign * f.price * f.size // ONE
        held[(f.market, f.leg)] = held.get((f.market, f.leg), 0) + sign * f.size
        net += sign * f.size * (1 if f.leg == "yes" else -1)
        max_net = max(max_net, abs(net))
    worth = 0
    for (market, leg), qty in held.items():
        yes = values.get(market, ONE // 2)
        worth += qty * (yes if leg == "yes" else ONE - yes) // ONE
    return Side(fills=len(fills), shares=round(sum(f.size for f in fills) / ONE, 2),
                volume_usd=round(sum(f.price * f.size for f in fills) / ONE / ONE, 4),
                final_net=round(net / ONE, 2), max_abs_net=round(max_net / ONE, 2),
                pnl_usd=round((cash + worth) / ONE, 4))


def first_books(rec: recfile.Recording) -> dict[str, int]:
    """Per market (condition id) the receive time of the first recorded frame with a ``book`` of it."""
    first: dict[str, int] = {}
    for ts, frame in rec.frames:
        if b'"book"' not in frame:
            continue
        try:
            doc = msgspec.json.decode(frame)
        except msgspec.DecodeError:
            continue
        for ev in doc if isinstance(doc, list) else [doc]:
            market = ev.get("market") if isinstance(ev, dict) and ev.get("event_type") == "book" else None
            if isinstance(market, str):
                first.setdefault(market, ts)
    return first


def fills_before_data(rec: recfile.Recording) -> int:
    """Live fills that traded before the recording held a book of their market: orders the backtest could
    not have placed (a recorder that joined late; the comparison's start is then not live's)."""
    first = first_books(rec)
    return sum(1 for ts, _t, m in rec.own if isinstance(m, FillApplied) and m.action == "applied"
               and m.fill.ts_event < first.get(m.fill.market, ts + 1))


def compare(rec: recfile.Recording, res: Result) -> dict[str, Any]:
    values = final_values(rec)
    live, sim = side(fills_live(rec), values), side(res.fills, values)
    ratio = sim.fills / live.fills if live.fills else None
    lat = entry_latency_ns(rec)
    return {"live": asdict(live), "backtest": asdict(sim),
            "fill_ratio": round(ratio, 3) if ratio is not None else None,
            "live_fills_before_data": fills_before_data(rec),
            "live_entry_latency_us": lat // 1000 if lat else None,
            "sim": {"entry_us": res.sim.entry_ns // 1000, "cancel_us": res.sim.cancel_ns // 1000,
                    "md_us": res.sim.md_ns // 1000,
                    "fill_us": (res.sim.md_ns if res.sim.fill_ns is None else res.sim.fill_ns) // 1000,
                    "order_us": res.sim.order_ns // 1000 if res.sim.order_ns is not None else None,
                    "merge_us": res.sim.merge_ns // 1000,
                    "latency": "timeline" if res.sim.entry_at else "draw" if res.sim.entry_samples
                    else "fixed",
                    "queue_power": res.sim.queue_power},
            "minutes": round((rec.frames[-1][0] - rec.frames[0][0]) / NS / 60, 2) if rec.frames else 0}



def runs(rec: recfile.Recording, settings: dict[str, str], sim: SimParams,
         seeds: int | None = None) -> list[Result]:
    """The recording backtested once per seed (1..``seeds``), the same settings and latencies otherwise
    (default: ``SEEDS`` when ``sim`` draws latencies, else one run: nothing else is random)."""
    if seeds is None:
        seeds = SEEDS if sim.entry_samples and not sim.entry_at else 1
    return [Backtest(dict(settings), replace(sim, seed=seed)).run(rec) for seed in range(1, seeds + 1)]


def median_run(results: list[Result]) -> Result:
    """The run with the median fill count (the lower median for an even number; ties: the first seed)."""
    ranked = sorted(results, key=lambda r: len(r.fills))
    return ranked[(len(ranked) - 1) // 2]


def compare_runs(rec: recfile.Recording, results: list[Result]) -> dict[str, Any]:
    """``compare`` against the median run, with every run's fill count."""
    out = compare(rec, median_run(results))
    out["fills_by_seed"] = [len(r.fills) for r in results]
    return out
