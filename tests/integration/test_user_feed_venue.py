"""user-feed as a real process against the local venue, over real sockets (ipc bus, loopback HTTP/WS).

Two accounts trade so that *our* resting order is filled: the fill must arrive by PULL on the inventory
endpoint and the order updates on the bus; a trade missed while the venue dropped the user socket, or
while the program was stopped, must arrive through the REST back-fill; a socket that stops answering
PING is abandoned and reopened.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zmq

from bus import codec
from bus.endpoints import BusConfig
from bus.node import Node
from clob.auth import ApiCreds
from schemas import Fill, Lease, LeaseRelease, OrderUpdate, UserFeedStatus
from tests.support.procs import Listener, Program, bus_config, program_env, running_proxy, short_tmpdir
from tests.support.venue_client import Client
from tests.support.waits import wait_until
from venue.app import VenueThread
from venue.config import VenueConfig
from venue_client.credentials import ApiCredentials, write_creds

TIMEOUT = 10.0


class SilentWebSocketServer:
    """A loopback WebSocket server that completes the handshake, records text frames, never answers."""

    GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)  # accept() wakes up to notice the server closing
        self.url = f"ws://127.0.0.1:{self.sock.getsockname()[1]}/ws"
        self.connections = 0
        self.texts: list[str] = []
        self.peers: list[socket.socket] = []
        self.closed = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(TIMEOUT)  # every read of a connection is bounded too
            self.peers.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        stream = conn.makefile("rb")
        headers = {}
        try:
            while (line := stream.readline().strip()):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            key = headers["sec-websocket-key"].encode()
            accept = base64.b64encode(hashlib.sha1(key + self.GUID).digest())
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            self.connections += 1
            while (head := stream.read(2)) and len(head) == 2:
                length = head[1] & 0x7F
                if length == 126:
                    length = struct.unpack("!H", stream.read(2))[0]
                mask = stream.read(4)
                payload = bytes(b ^ mask[i % 4] for i, b in enumerate(stream.read(length)))
                if head[0] & 0x0F == 1:
                    self.texts.append(payload.decode())
        except OSError:
            pass

    def __enter__(self) -> SilentWebSocketServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.closed.set()
        self.thread.join(5)
        self.sock.close()
        for conn in self.peers:
            conn.close()


@pytest.fixture(scope="module")
def venue() -> Iterator[VenueThread]:
    with VenueThread(VenueConfig(flow=False, mined_delay_ms=100, confirmed_delay_ms=100)) as v:
        yield v


@dataclass
class Rig:
    venue: VenueThread
    run_dir: Path
    bus: BusConfig
    fills: zmq.Socket[bytes]  # what inventory would PULL
    listener: Listener
    ours: Client
    theirs: Client
    up: str
    down: str
    market: str

    def env(self, *, with_creds: bool = True, **extra: str) -> dict[str, str]:
        creds = self.ours.creds
        assert creds is not None and self.ours.signer is not None
        env = {"PM_VENUE": "local", "PM_LOCAL_VENUE_URL": self.venue.urls["clob"],
               "POLYMARKET_FUNDER_ADDRESS": self.ours.signer.address, "PM_USER_STATUS_MS": "300"}
        if with_creds:
            env.update(POLYMARKET_API_KEY=creds.api_key, POLYMARKET_API_SECRET=creds.secret,
                       POLYMARKET_API_PASSPHRASE=creds.passphrase)
        return program_env(self.run_dir, **{**env, **extra})

    def subscribed(self, market: str) -> bool:
        """The venue's user channel sends ``market``'s events to a socket of our key."""
        creds = self.ours.creds
        assert creds is not None
        user = self.venue.venue.user  # type: ignore[union-attr]
        key = creds.api_key

        def held() -> bool:
            return any(ws.state.wants(market) for ws in user.by_key.get(key, ()))
        return self.venue.call(held)

    def next_fill(self, want: Callable[[Fill], bool], timeout: float = TIMEOUT) -> Fill:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not self.fills.poll(int(left * 1000) + 1):
                break
            topic, header, msg = codec.decode(self.fills.recv_multipart())
            assert header.src == "user-feed" and isinstance(msg, Fill)
            assert topic == f"inv.fill.{msg.market}.".encode()
            if want(msg):
                return msg
        raise AssertionError("expected fill did not arrive")

    def wait(self, kind: type, want: Callable[[Any], bool], timeout: float = TIMEOUT) -> Any:
        _, header, msg = self.listener.wait_for(lambda t, h, m: isinstance(m, kind) and want(m), timeout)
        assert header.src == "user-feed"
        return msg

    def rest_then_cross(self, price: str = "0.40", size: str = "10") -> tuple[str, str]:
        """Our post-only BUY Up rests; their BUY Down at 1 - price crosses it (a mint). -> (order, trade)."""
        status, placed = self.ours.place(self.up, "BUY", price, size)
        assert status == 200 and placed["success"], placed
        complement = f"{1 - float(price):.2f}"
        status, taken = self.theirs.place(self.down, "BUY", complement, size, post_only=False)
        assert status == 200 and taken["tradeIDs"], taken
        return placed["orderID"], taken["tradeIDs"][0]


_accounts = iter(range(0x40, 0xFF))


@pytest.fixture
def rig(venue: VenueThread) -> Iterator[Rig]:
    run_dir = short_tmpdir("pmuf")
    cfg = bus_config(run_dir)
    market = venue.call(lambda: venue.venue.exchange.catalogue.reward_markets()[0])  # type: ignore[union-attr]
    ours, theirs = (Client(venue.urls["clob"], "0x" + f"{next(_accounts):02x}" * 32) for _ in range(2))
    ours.derive()
    theirs.derive()
    ctx = zmq.Context.instance()
    with running_proxy(cfg):
        pull = ctx.socket(zmq.PULL)
        pull.setsockopt(zmq.LINGER, 0)
        pull.bind(cfg.fill_endpoint)
        listener = Listener(cfg, b"user.")
        try:
            yield Rig(venue, run_dir, cfg, pull, listener, ours, theirs, market.token_ids[0],
                      market.token_ids[1], market.condition_id)
        finally:
            listener.close()
            pull.close()
            ours.close()
            theirs.close()
            shutil.rmtree(run_dir, ignore_errors=True)


def start(env: dict[str, str]) -> Program:
    prog = Program(["-m", "actors.user_feed"], env)
    prog.read_until(lambda line: '"event":"ready"' in line)
    return prog


def stop(prog: Program) -> None:
    try:
        prog.terminate_and_time()
        assert prog.proc.returncode == 0, prog.lines[-20:]
    finally:
        prog.kill()


def test_our_filled_order_arrives_by_push_and_its_updates_on_the_bus_in_lease_mode(rig: Rig) -> None:
    prog = start(rig.env(PM_USER_LINGER_S="1"))
    coordinator = Node("market:btc", rig.bus)
    try:
        lease = Lease(holder="btc", market=rig.market, yes_asset=rig.up, no_asset=rig.down, ttl_ms=5000, ts=0)
        deadline = time.monotonic() + TIMEOUT
        while True:  # publish the lease until the feed says it carries the market (slow joiners)
            coordinator.publish(b"coord.lease.btc.", lease)
            try:
                rig.wait(UserFeedStatus, lambda s: s.connected and s.markets == [rig.market], timeout=0.2)
                break
            except TimeoutError:
                assert time.monotonic() < deadline, prog.lines[-20:]
        # the feed's status says it sent the subscription; the trade must come after the venue applied it,
        # or its MATCHED goes by the REST back-fill only (seen under load)
        wait_until(lambda: rig.subscribed(rig.market), "the venue holds the feed's subscription")
        order_id, trade_id = rig.rest_then_cross()

        # a back-fill running meanwhile may repeat a status from REST (inventory dedupes): follow the socket
        fill = rig.next_fill(lambda f: f.trade_id == trade_id and f.source == "ws")
        assert (fill.order_id, fill.market, fill.asset, fill.side) == (order_id, rig.market, rig.up, "BUY")
        assert (fill.price, fill.size, fill.status) == (400_000, 10_000_000, "MATCHED")
        assert (fill.role, fill.source) == ("MAKER", "ws")
        live = [rig.next_fill(lambda f: f.trade_id == trade_id and f.source == "ws") for _ in range(2)]
        later = [f.status for f in live]
        assert later == ["MINED", "CONFIRMED"]  # every status change is re-emitted, in order
        update = rig.wait(OrderUpdate, lambda u: u.order_id == order_id and u.kind == "UPDATE")
        assert (update.status, update.size_matched, update.price) == ("MATCHED", 10_000_000, 400_000)
        status = rig.wait(UserFeedStatus, lambda s: s.last_trade_ts > 0)
        assert status.connected and status.markets == [rig.market]
        assert '"event":"ws_markets"' not in "".join(prog.lines)  # subscribed by the first frame itself

        released = time.monotonic()
        coordinator.publish(b"coord.lease.btc.", LeaseRelease(holder="btc", market=rig.market, ts=0))
        rig.wait(UserFeedStatus, lambda s: s.connected and s.markets == [])  # after the linger (1 s here)
        assert time.monotonic() - released >= 1.0
        line = json.loads(prog.read_until(lambda line: '"event":"ws_markets"' in line))
        assert (line["operation"], line["markets"]) == ("unsubscribe", [rig.market])
        prog.read_until(lambda line: '"event":"backfill_done"' in line)  # what the socket may have missed
    finally:
        coordinator.close()
        stop(prog)


def test_a_trade_missed_while_the_venue_dropped_the_socket_comes_back_by_rest(rig: Rig) -> None:
    prog = start(rig.env(PM_USER_ALL_MARKETS="true", PM_USER_RECONNECT_MIN_MS="2000", PM_USER_STABLE_MS="0"))
    try:
        rig.wait(UserFeedStatus, lambda s: s.connected)
        prog.read_until(lambda line: '"event":"backfill_done"' in line)

        status, dropped, _ = rig.ours.request("POST", "/_venue/ws/drop")
        assert status == 200 and dropped["dropped"] >= 1
        rig.wait(UserFeedStatus, lambda s: not s.connected)
        order_id, trade_id = rig.rest_then_cross()  # while the feed waits to reconnect

        fill = rig.next_fill(lambda f: f.trade_id == trade_id)
        assert fill.source == "rest" and fill.order_id == order_id and fill.role == "MAKER"
        assert (fill.asset, fill.side, fill.price, fill.size) == (rig.up, "BUY", 400_000, 10_000_000)
        assert fill.status in ("MATCHED", "MINED", "CONFIRMED")  # REST has the latest status only
        rig.wait(UserFeedStatus, lambda s: s.connected and s.backfilled >= 1)
        disconnect = json.loads(prog.read_until(lambda line: '"event":"ws_disconnected"' in line))
        assert disconnect["retry_in_ms"] >= 1000
    finally:
        stop(prog)


def test_a_restarted_feed_waits_for_credentials_and_backfills_what_it_missed(rig: Rig) -> None:
    env = rig.env(with_creds=False, PM_USER_ALL_MARKETS="true")
    prog = start(env)
    try:
        prog.read_until(lambda line: '"event":"waiting_for_credentials"' in line)
        creds = rig.ours.creds
        assert isinstance(creds, ApiCreds)
        write_creds(str(rig.run_dir), ApiCredentials(api_key=creds.api_key, secret=creds.secret,
                                                     passphrase=creds.passphrase))
        rig.wait(UserFeedStatus, lambda s: s.connected)
        prog.read_until(lambda line: '"event":"backfill_done"' in line)
        _, first = rig.rest_then_cross()
        assert rig.next_fill(lambda f: f.trade_id == first).source == "ws"
    finally:
        stop(prog)
    saved = msgspec.json.decode((rig.run_dir / "user-feed-state.json").read_bytes())
    assert saved["last_trade_ns"] > 0 and saved["owed_s"] is None

    _, missed = rig.rest_then_cross(price="0.30")  # nobody is listening now

    prog = start(env)
    try:
        fill = rig.next_fill(lambda f: f.trade_id == missed)
        assert fill.source == "rest" and fill.price == 300_000
        line = json.loads(prog.read_until(lambda line: '"event":"backfill_done"' in line))
        marks = [saved["last_trade_ns"], *saved["open_trades"].values()]
        assert line["after"] == min(marks) // 1_000_000_000 - 60  # the saved watermark minus the margin
        assert all(creds.secret not in line and creds.passphrase not in line for line in prog.lines)
    finally:
        stop(prog)


def test_a_socket_that_stops_answering_ping_is_dropped_and_reopened(rig: Rig) -> None:
    with SilentWebSocketServer() as server:
        prog = start(rig.env(PM_USER_ALL_MARKETS="true", POLYMARKET_WS_BASE_URL=server.url,
                             PM_USER_PING_MS="100", PM_USER_PONG_TIMEOUT_MS="500",
                             PM_USER_RECONNECT_MIN_MS="50", PM_USER_STABLE_MS="0"))
        try:
            line = json.loads(prog.read_until(lambda line: '"event":"ws_disconnected"' in line))
            assert line["reason"] == "no PONG for 500 ms"
            wait_until(lambda: server.connections >= 2, "a second connection")
            first = json.loads(server.texts[0])
            creds = rig.ours.creds
            assert creds is not None
            assert first == {"type": "user", "auth": {"apiKey": creds.api_key, "secret": creds.secret,
                                                      "passphrase": creds.passphrase}}  # all markets
            assert "PING" in server.texts
        finally:
            stop(prog)


def test_rejected_credentials_are_reported_clearly_and_never_logged(rig: Rig) -> None:
    env = rig.env(PM_USER_ALL_MARKETS="true", PM_USER_RECONNECT_MIN_MS="50",
                  POLYMARKET_API_PASSPHRASE="not-the-passphrase-42")
    prog = start(env)
    try:
        closed = json.loads(prog.read_until(lambda line: '"event":"ws_disconnected"' in line))
        assert "1008" in closed["reason"]  # the venue closes an unauthenticated user socket
        again = json.loads(prog.read_until(lambda line: '"event":"ws_disconnected"' in line
                                           and '"attempt":3' in line))
        assert again["retry_in_ms"] >= 200  # backing off: 50 ms * 2^3, jittered down to half at most
        failed = json.loads(prog.read_until(lambda line: '"event":"backfill_failed"' in line))
        assert "HTTP 401" in failed["error"]
    finally:
        stop(prog)
    creds = rig.ours.creds
    assert creds is not None
    assert not [line for line in prog.lines if "not-the-passphrase-42" in line or creds.secret in line]
