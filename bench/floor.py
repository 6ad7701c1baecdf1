"""The in-process floor: the same pipeline as tick to order, in one process, with no I/O at all.

Per event: the very frame the venue sends (built by an in-process ``Exchange`` from the same bench-maker
move) -> ``MarketFeed.on_frame`` -> each ``Book`` msgpack-encoded and decoded (what the bus costs in
CPU, minus the sockets) -> the coordinator's pure core (``on_book`` + ``evaluate`` after each Book,
as the shell does) -> each command encoded and decoded -> the executor's work up to the bytes it would
write: ``DELETE /orders`` body + L2 headers, then each ``PlaceOrder`` signed (``clob``), the
``POST /order(s)`` body and its L2 headers. Timed from the frame in hand to the POST bytes ready.
"""

from __future__ import annotations

import time

import msgspec

from actors.coordinator.core import DEPENDENCIES, Coordinator
from actors.coordinator.model import MarketSpec
from actors.coordinator.reconcile import RequoteRules
from actors.coordinator.strategies.pair_ofi import PairOfi, PairParams
from actors.executor.wire.signing import OrderSigner, post_body
from actors.market_feed.core import MarketFeed
from bench.latency import HALF_SPREAD, PARAMS, mids
from bench.stats import pct
from bus import codec
from bus.effects import Effects
from clob.auth import ApiCreds, l2_headers
from clob.signer import Signer
from schemas import Book, CancelOrders, InventoryState, OfiSide, OfiState, OrderPlaced, PlaceOrder
from schemas.units import MS, NS
from venue.config import config_from_dict
from venue.exchange import Exchange

KEY = "0x" + "3e" * 32
CREDS = ApiCreds(api_key="00000000-0000-0000-0000-000000000000", secret="c2VjcmV0c2VjcmV0c2VjcmV0",
                 passphrase="pass")
_json = msgspec.json.Encoder()


def venue_frames(n: int) -> tuple[list[bytes], MarketSpec]:
    """The venue's own ``price_change`` frames for ``n`` bench-maker moves (plus the first quote)."""
    config = config_from_dict({"flow": False, "assets": ["btc"], "intervals": ["1h"], "windows_ahead": 1,
                               "reward_markets": 1, "reward_specs": []})
    exchange = Exchange(config, seed=7, now_ns=time.time_ns())
    market = exchange.catalogue.slug("venue-reward-market-1")
    assert market is not None
    yes, no = market.token_ids
    frames = []
    for mid in [500_000, *mids(n)]:
        exchange.bench_quote(yes, mid - HALF_SPREAD, mid + HALF_SPREAD, 100_000_000, time.time_ns())
        payloads = [e.payload for e in exchange.drain_events()
                    if getattr(e, "payload", {}).get("event_type") == "price_change"]
        frames.append(_json.encode(payloads[0]))
    spec = MarketSpec(market=market.condition_id, yes_asset=yes, no_asset=no, tick=market.tick,
                      min_size=market.min_size)
    return frames, spec


def ready_coordinator(spec: MarketSpec, now: int) -> Coordinator:
    params = PairParams(pair_target=PARAMS.pair_target, bid_size=PARAMS.bid_size)
    rules = RequoteRules(reprice_threshold=30_000, debounce_ns=0)
    core = Coordinator(holder="bench", strategy=PairOfi(params), rules=rules, run=1)
    core.set_market(spec)
    _keep_alive(core, spec, now)
    return core


def _keep_alive(core: Coordinator, spec: MarketSpec, now: int) -> None:
    for program in DEPENDENCIES:
        core.on_heartbeat(program, now)
    core.on_inventory(InventoryState(market=spec.market, yes_asset=spec.yes_asset, no_asset=spec.no_asset,
                                     yes_qty=0, no_qty=0, yes_avg_cost=0, no_avg_cost=0, net_diff=0,
                                     portfolio_cost=0, can_open=True, realized_pnl=0, unrealized_pnl=0,
                                     fills=0, ts=now, max_net_diff=10_000_000, max_position_value=5_000_000),
                      now)
    side = OfiSide(buy_volume=0, sell_volume=0, score=0, threshold=1, toxic=False)
    core.on_ofi(OfiState(market=spec.market, yes=side, no=side, toxic=False, window_ms=3000, ts=now), now)


def run(events: int, warmup: int = 200) -> dict[str, object]:
    frames, spec = venue_frames(warmup + events)
    feed = MarketFeed(depth=50, default_tick=10_000)
    for asset in (spec.yes_asset, spec.no_asset):
        feed.track(asset, time.time_ns())
        feed.on_frame(_json.encode([{"event_type": "book", "asset_id": asset, "market": spec.market,
                                     "bids": [], "asks": [], "timestamp": "0", "tick_size": "0.01"}]),
                      time.time_ns())
    coord = ready_coordinator(spec, time.time_ns())
    signer = OrderSigner(Signer(KEY))
    address = signer.address
    took: list[float] = []
    orders = 0
    fx = Effects()  # what evaluate notes besides the commands (nothing, for pair_ofi)
    for i, frame in enumerate(frames):
        now = time.time_ns()
        _keep_alive(coord, spec, now)
        started = time.perf_counter_ns()
        commands = []
        for topic, msg in feed.on_frame(frame, time.time_ns()).publishes:
            frames = [topic, codec.encode_header("market-feed", 1, i, now), codec.encode_body(msg)]
            _, _, book = codec.decode(frames)
            if type(book) is Book:
                coord.on_book(book)
                for cmd in coord.evaluate(time.time_ns(), fx):
                    commands.append(codec.decode([b"exec.cmd.bench.", codec.encode_header("b", 1, i, now),
                                                  codec.encode_body(cmd)])[2])
        cancels = [oid for c in commands if isinstance(c, CancelOrders) for oid in c.order_ids]
        if cancels:
            body = _json.encode(cancels)
            l2_headers(CREDS, address=address, timestamp_s=now // NS, method="DELETE", path="/orders",
                       body=body)
        places = [c for c in commands if isinstance(c, PlaceOrder)]
        if places:
            signed = [signer.sign(c, now // MS) for c in places]
            path, body = post_body(places, signed, CREDS.api_key)
            l2_headers(CREDS, address=address, timestamp_s=now // NS, method="POST", path=path, body=body)
        elapsed = time.perf_counter_ns() - started
        for cmd, one in zip(places, signed if places else [], strict=True):
            coord.on_placed(OrderPlaced(cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=one.order_id,
                                        market=cmd.market, asset=cmd.asset, side=cmd.side, price=cmd.price,
                                        size=cmd.size, slot=cmd.slot, status="live", ts=now))
        if i > warmup:
            took.append(elapsed / 1000)
            orders += len(places)
    return {"floor_in_process_us": pct(took), "orders_per_event": orders / max(1, len(took))}
