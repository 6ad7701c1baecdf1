"""``python -m actors.recorder --markets btc-updown-15m,eth-updown-1h --hours 6``: record public market data
without the engine (no bus, no key; read-only: nothing is sent but the subscription and the PINGs).

Each target (a slug, or a rotating prefix such as ``btc-updown-15m``) is resolved through Gamma and the
CLOB (``venue_client.markets``, ``PM_VENUE`` picks the local venue or Polymarket); one market WebSocket
(``venue_client.ws``) subscribes to every current market's tokens and every frame is written with its
receive time to the hourly files (``actors.recorder.main.Sink``); when a rotating window ends, the next
one is resolved and the socket re-subscribed. A dropped socket is reopened after a second.
"""

from __future__ import annotations

import select
import sys
import time
from pathlib import Path

from actors.market_feed.shards import initial_frame
from actors.recorder.core import Files, meta_from_clob
from actors.recorder.sink import Sink
from backtest import recfile
from bus.config import load_or_exit
from bus.logs import Logger
from schemas.units import NS
from venue_client.endpoints import VenueEndpoints
from venue_client.markets.config import MarketsConfig
from venue_client.markets.gamma import HttpError, MarketHttp
from venue_client.markets.resolve import MarketInfo
from venue_client.ws import Closed, WebSocket, handshake

PROGRAM = "recorder"
PING_S, FLUSH_S = 10.0, 5.0


def meta_of(info: MarketInfo, http: MarketHttp, log: Logger) -> recfile.Meta:
    """The metadata from the resolved market, rewards from its CLOB entry when it can be read."""
    try:
        body = http.get(f"{http.clob_url}/markets/{info.condition_id}")
    except HttpError as exc:
        log.warning("record_rewards_unknown", market=info.condition_id, error=str(exc)[:200])
        body = None
    base = meta_from_clob(body, info.condition_id, info.yes_asset, info.no_asset) if body else None
    return recfile.Meta(market=info.condition_id, yes_asset=info.yes_asset, no_asset=info.no_asset,
                        tick=info.tick, min_size=info.min_size, neg_risk=info.neg_risk, slug=info.slug,
                        start_ns=info.window_start_ns, end_ns=info.window_end_ns,
                        fee_rate=info.fee_rate if info.fees_enabled else 0,
                        fee_exponent=info.fee_exponent or 1,
                        rewards=base.rewards if base else recfile.Rewards())


def run(targets: list[str], hours: float, root: Path) -> int:
    log = Logger(PROGRAM)
    venue, mcfg = load_or_exit(VenueEndpoints, PROGRAM), load_or_exit(MarketsConfig, PROGRAM)
    resolvers = [mcfg.resolver(t.strip(), venue) for t in targets if t.strip()]
    http = MarketHttp(venue.gamma_url, venue.rest_url)
    sink = Sink(Files(root), "local" if venue.is_local else "polymarket")
    url = venue.ws_base_url + "/market"
    end = time.time_ns() + int(hours * 3600 * NS)
    frames = 0
    log.info("record_start", markets=targets, hours=hours, dir=str(root), venue=venue.venue)
    try:
        while time.time_ns() < end:
            infos = [r.current() for r in resolvers]
            now = time.time_ns()
            for info in infos:
                if info.condition_id not in sink.files.metas:
                    sink.meta(now, meta_of(info, http, log))
            assets = [a for i in infos for a in (i.yes_asset, i.no_asset)]
            ends = [i.window_end_ns for i in infos if i.window_end_ns > now]
            rotate = min([*ends, end])
            try:
                ws = WebSocket(handshake(url, 10.0))
                ws.send(initial_frame(assets))
            except (OSError, Closed) as exc:
                log.warning("ws_connect_failed", url=url, error=str(exc)[:200])
                time.sleep(1.0)  # the reconnect back-off of a blocking command-line tool
                continue
            log.info("ws_connected", url=url, assets=len(assets))
            frames += record(ws, sink, rotate, log)
            ws.close()
            for cid in [c for c, m in sink.files.metas.items() if m.end_ns and m.end_ns <= time.time_ns()]:
                del sink.files.metas[cid]
    except KeyboardInterrupt:
        pass
    finally:
        sink.close()
        http.close()
    log.info("record_done", frames=frames, dir=str(root))
    sys.stdout.flush()
    return 0


def record(ws: WebSocket, sink: Sink, until_ns: int, log: Logger) -> int:
    """Write every frame until ``until_ns`` or until the socket closes; returns how many."""
    frames = 0
    next_ping = next_flush = time.monotonic()
    while time.time_ns() < until_ns:
        if not ws.more:
            select.select([ws.fd], [], [], 0.5)
        got, closed = ws.read()
        if got:
            now = time.time_ns()
            w = sink.at(now)
            for frame in got:
                w.frame(now, frame)
            frames += len(got)
        if closed:
            log.warning("ws_closed", why=closed)
            return frames
        t = time.monotonic()
        if t >= next_ping:
            next_ping = t + PING_S
            try:
                ws.send("PING")
            except Closed as exc:
                log.warning("ws_closed", why=str(exc))
                return frames
        if t >= next_flush:
            next_flush = t + FLUSH_S
            sink.flush()
    return frames
