"""The I/O floor: tick to order in ONE process that does the engine's work and its I/O, and nothing else.

``bench.floor`` (the CPU-only floor) stops before any I/O. This one reads the same venue WebSocket,
runs the same pure code and POSTs on the same kind of connection as the whole system, driven by the same
``/_venue/bench/requote`` run (same moves, expectations, pacing and arrival stamps), so
``tick_to_order / io_floor`` says what the engine's process split costs over doing the same work with
the same sockets in one loop:

    venue price_change frame -> non-blocking WebSocket read (``venue_client.ws``) -> ``MarketFeed`` ->
    ``Book`` (msgpack round trip, as the bus would) -> the coordinator's pure core (``on_book`` with the
    frame marks, ``decide``) -> the executor's signer and ``POST /order(s)`` on a keep-alive connection
    (``actors.executor.wire.http1``), the replaced orders' ``DELETE /orders`` right behind it on a second
    one; replies read after both were written (the executor's pipelined replace).

The venue is its own process (``bench.system.System`` with only the venue); the requote run is driven
from a thread, the floor's loop runs on the main thread.
"""

from __future__ import annotations

import select
import threading
import time
from typing import Any

import msgspec

from actors.coordinator.model import MarketSpec
from actors.executor.wire.http1 import Connection
from actors.executor.wire.signing import OrderSigner, post_body
from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import mark_frames
from bench import latency
from bench.floor import _keep_alive, ready_coordinator
from bench.system import SLUG, System
from bus import codec
from bus.effects import Effects
from clob.auth import ApiCreds, l1_headers, l2_headers
from clob.signer import Signer
from schemas import Book, OrderPlaced, PlaceOrder
from schemas.units import MS, NS
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY
from venue_client.ws import WebSocket, handshake

_json = msgspec.json.Encoder()


def derive(system: System, signer: Signer) -> ApiCreds:
    conn = Connection("127.0.0.1", system.port, timeout=5)
    try:
        conn.send("GET", "/auth/derive-api-key", l1_headers(signer, timestamp_s=int(time.time())), None, 5)
        reply = msgspec.json.decode(conn.receive(5).body)
    finally:
        conn.close()
    return ApiCreds(api_key=reply["apiKey"], secret=reply["secret"], passphrase=reply["passphrase"])


class Floor:
    """The loop: one WebSocket, two keep-alive connections, the pure cores."""

    def __init__(self, system: System, spec: MarketSpec) -> None:
        self.spec = spec
        self.signer = Signer(LOCAL_TEST_PRIVATE_KEY)
        self.creds = derive(system, self.signer)
        self.orders = OrderSigner(self.signer)
        self.post = Connection("127.0.0.1", system.port, timeout=5)
        self.cancel = Connection("127.0.0.1", system.port, timeout=5)
        raw = handshake(f"ws://127.0.0.1:{system.port}/ws/market", 5)
        self.ws = WebSocket(raw)
        self.ws.send(_json.encode({"type": "market", "assets_ids": [spec.yes_asset, spec.no_asset]}).decode())
        self.feed = MarketFeed(depth=50, default_tick=spec.tick)
        now = time.time_ns()
        for asset in (spec.yes_asset, spec.no_asset):
            self.feed.track(asset, now)
        self.coord = ready_coordinator(spec, now)
        self.live: dict[str, str] = {}  # slot -> order id resting at the venue
        self.stop = False
        self.events = 0

    def run(self) -> None:
        poller = select.poll()
        poller.register(self.ws.sock, select.POLLIN)
        fx = Effects()
        last_keep = 0
        while not self.stop:
            if not poller.poll(50):
                continue
            frames, closed = self.ws.read()
            if closed:
                raise RuntimeError(f"venue WebSocket closed: {closed}")
            now = time.time_ns()
            if now - last_keep > NS // 2:  # the inputs a coordinator keeps fresh (heartbeats, states)
                _keep_alive(self.coord, self.spec, now)
                last_keep = now
            publishes = []
            for frame in frames:
                publishes += self.feed.on_frame(frame, now).publishes
            mark_frames(publishes)
            for topic, msg in publishes:
                if type(msg) is Book:  # what crossing the bus costs in CPU: one encode and decode
                    book = codec.decode([topic, codec.encode_header("market-feed", 1, 1, now),
                                         codec.encode_body(msg)])[2]
                    self.coord.on_book(book)  # type: ignore[arg-type]
            self.coord.decide(time.time_ns(), fx)
            commands = [msg for _, _, msg in fx.pushes]
            fx.pushes.clear()
            fx.notes.clear()
            places = [c for c in commands if isinstance(c, PlaceOrder)]
            if places:
                self.place(places, now)

    def place(self, places: list[PlaceOrder], now: int) -> None:
        address, creds = self.signer.address, self.creds
        signed = [self.orders.sign(c, now // MS) for c in places]
        path, body = post_body(places, signed, creds.api_key)
        self.post.send("POST", path, l2_headers(creds, address=address, timestamp_s=now // NS, method="POST",
                                                path=path, body=body), body, 1.0)
        replaced = [self.live[c.slot] for c in places if c.slot in self.live]
        if replaced:
            gone = _json.encode(replaced)
            self.cancel.send("DELETE", "/orders", l2_headers(creds, address=address, timestamp_s=now // NS,
                                                             method="DELETE", path="/orders", body=gone),
                             gone, 1.0)
        reply = msgspec.json.decode(self.post.receive(1.0, "POST").body)
        answers = reply if isinstance(reply, list) else [reply]
        for cmd, one, answer in zip(places, signed, answers, strict=False):
            if answer.get("success", True) and not answer.get("errorMsg"):
                self.live[cmd.slot] = one.order_id
                self.coord.on_placed(OrderPlaced(cmd_id=cmd.cmd_id, holder=cmd.holder, order_id=one.order_id,
                                                 market=cmd.market, asset=cmd.asset, side=cmd.side,
                                                 price=cmd.price, size=cmd.size, slot=cmd.slot, status="live",
                                                 ts=now))
        if replaced:
            self.cancel.receive(1.0, "DELETE")
        self.events += 1

    def close(self) -> None:
        self.ws.close()
        self.post.close()
        self.cancel.close()


def run(events: int, warmup: int = 100, settle_ms: int = latency.SETTLE_MS) -> dict[str, Any]:
    """``io_floor_us``: the tick-to-order percentiles of the one-process loop (same stamps as the system)."""
    system = System()
    try:
        system.start_venue()
        system.wait_venue()
        condition, yes, no = system.tokens(SLUG)
        spec = MarketSpec(market=condition, yes_asset=yes, no_asset=no, tick=10_000, min_size=5_000_000)
        floor = Floor(system, spec)
        thread = threading.Thread(target=floor.run, name="io-floor", daemon=True)
        thread.start()
        try:
            latency.start_quoting(system, yes, no)
            result = latency.summary(latency.run(system, None, yes, no, events, warmup, settle_ms=settle_ms))
        finally:
            floor.stop = True
            thread.join(2)
            floor.close()
        return {"io_floor_us": result["tick_to_order_us"],
                "io_floor_both_orders_us": result["tick_to_both_orders_us"], "events": result["events"],
                "timed_out": result["timed_out"], "arrival_stamp": result["arrival_stamp"]}
    except Exception:
        print(system.logs())
        raise
    finally:
        system.stop()
        system.cleanup()


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)))
