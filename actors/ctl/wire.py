"""The blocking I/O of ``actors.ctl``: the venue, read only (token balances, our trades), and the bus
(inventory's heartbeat; an adjustment PUSHed on inventory's pipe and its echo waited for)."""

from __future__ import annotations

import time
from collections.abc import Callable

import requests
import zmq

from actors.executor.balance_check.balances import Fetched, fetch
from actors.executor.wire.rest import RestClient
from actors.user_feed.backfill import fetch_trades
from actors.user_feed.core import Identity, trade_fills
from bus import codec, curve, topics
from bus.endpoints import BusConfig
from clob.auth import ApiCreds
from schemas import Fill, Heartbeat, Settlement, SettlementApplied

MAX_PAGES = 1000


class NotRunning(RuntimeError):
    pass


def balances(rest_url: str, creds: ApiCreds, signer: str, tokens: list[str], signature_type: int,
             timeout_ms: int) -> Fetched:
    rest = RestClient(rest_url, signer, timeout_ms=timeout_ms)
    rest.creds = creds
    try:
        return fetch(rest, tokens, signature_type)
    finally:
        rest.close()


def our_fills(rest_url: str, creds: ApiCreds, signer: str, funder: str, markets: set[str],
              timeout_ms: int) -> list[Fill]:
    """Our fills in these markets, as the venue lists our trades (every page, oldest first)."""
    with requests.Session() as session:
        found = fetch_trades(session, rest_url, creds, address=signer, after_s=0,
                             timeout_s=timeout_ms / 1000, max_pages=MAX_PAGES)
    me, now = Identity(creds.api_key, funder), time.time_ns()
    return [f for trade in found.trades if trade.market in markets
            for f in trade_fills(trade, me, "rest", now)]


def send_adjustment(bus: BusConfig, adjustment: Settlement, timeout_s: float = 5.0) -> SettlementApplied:
    """PUSH the adjustment to the running inventory and wait for its echo; ``NotRunning`` if inventory's
    heartbeat is not heard (it must apply it itself: it is the only writer of its journal)."""
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    push = ctx.socket(zmq.PUSH)
    try:
        sub.setsockopt(zmq.LINGER, 0)
        curve.client_or_exit(sub, bus.keys_dir, "ctl")
        sub.connect(bus.subscribe_endpoint)
        sub.setsockopt(zmq.SUBSCRIBE, topics.sys_hb("inventory"))
        sub.setsockopt(zmq.SUBSCRIBE, topics.inv_settle(adjustment.market))
        if _wait(sub, lambda m: isinstance(m, Heartbeat), 3 * bus.heartbeat_ms / 1000 + 1) is None:
            raise NotRunning("inventory is not running (no heartbeat): start it, then adopt again")
        push.setsockopt(zmq.LINGER, 2000)
        curve.client_or_exit(push, bus.keys_dir, "ctl")
        push.connect(bus.fill_endpoint)
        now = time.time_ns()
        push.send_multipart([topics.inv_settle(adjustment.market), codec.encode_header("ctl", now, 1, now),
                             codec.encode_body(adjustment)])
        echo = _wait(sub, lambda m: isinstance(m, SettlementApplied) and m.settlement.key == adjustment.key,
                     timeout_s)
        if not isinstance(echo, SettlementApplied):
            raise NotRunning(f"inventory did not acknowledge the adjustment within {timeout_s:.0f} s")
        return echo
    finally:
        sub.close()
        push.close()


def _wait(sub: zmq.Socket[bytes], wanted: Callable[[object], bool], timeout_s: float) -> object | None:
    deadline = time.monotonic() + timeout_s
    while (left := deadline - time.monotonic()) > 0:
        if not sub.poll(int(left * 1000) + 1):
            return None
        try:
            _, _, msg = codec.decode(sub.recv_multipart())
        except codec.FrameError:
            continue
        if wanted(msg):
            return msg
    return None
