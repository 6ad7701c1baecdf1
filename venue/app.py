"""Wires the Exchange, the HTTP/WebSocket server, the tick loop and the faults into one venue.

`Venue` runs inside an asyncio loop (`python -m venue`); `VenueThread` runs one in a background
thread for tests and benchmarks. Everything that touches the Exchange runs on the loop's thread.
With `state` (a file), the venue starts from what the file holds and keeps its state there
(`venue.store`): a reply is written after the commit of what it reveals (`HttpServer`'s `commit`), and
so is every WebSocket drain. Without it (tests, `--state :memory:`) nothing is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

import msgspec

from schemas.units import MS
from venue.config import VenueConfig
from venue.exchange import Exchange, MarketEvent, UserEvent
from venue.persist import Collector, Snapshot
from venue.server.accounts import AccountStore
from venue.server.admin import AdminApi, FaultState
from venue.server.bench import BenchApi
from venue.server.chain import Chain
from venue.server.channels import MarketChannel, UserChannel
from venue.server.gamma import GammaApi
from venue.server.http import HttpServer, Router
from venue.server.market_data import MarketDataApi
from venue.server.relayer import RelayerApi
from venue.server.rest import RestApi
from venue.server.rewards_api import RewardsApi
from venue.server.rpc import RpcApi
from venue.store import Durable, Store
from venue.wallets import Wallets

log = logging.getLogger("venue")
T = TypeVar("T")
NO_NEW_ASSETS_EVERY_S = 30.0
DEFAULT_SECRET = b"pm-maker local paper venue: not a real secret"
DEPLOYED = "deployed_wallets"  # the relayer's deployed wallets, kept in the state file's blobs


class Venue:
    def __init__(self, config: VenueConfig | None = None, *, seed: int = 0, host: str = "127.0.0.1",
                 port: int = 8900, flow: bool | None = None, tick_ms: int = 25,
                 no_new_assets_s: float = NO_NEW_ASSETS_EVERY_S,
                 clock_ns: Callable[[], int] = time.time_ns, state: Path | None = None) -> None:
        config = config or VenueConfig()
        if flow is not None:
            config = msgspec.structs.replace(config, flow=flow)
        self.config = config
        self.clock_ns = clock_ns
        self.tick_s = tick_ms / 1000
        self.no_new_assets_s = no_new_assets_s
        self.store = Store(state) if state is not None else None  # raises StateError (locked, version)
        now = clock_ns()
        snapshot = self.store.load(now) if self.store is not None else None
        self.exchange = Exchange(config, seed=seed, now_ns=now, snapshot=snapshot)
        self.faults = FaultState(config.faults, seed=seed, start_ns=now)
        secret = os.environ.get("PM_VENUE_SECRET", "").encode() or DEFAULT_SECRET
        self.wallets = Wallets(config.default_wallet_type, config.wallet_type_overrides)
        self.accounts = AccountStore(secret, self.wallets, lambda wallet, key, owner: (
            self.exchange.register_account(address=wallet, api_key=key, owner=owner)))
        self.durable: Durable | None = None
        if self.store is not None:
            self._restore_server(snapshot)
            collector = Collector(self.exchange, snapshot, extras={DEPLOYED: self.wallets.deployed_wallets})
            self.durable = Durable(self.store, collector, clock_ns)
        self.market = MarketChannel(self.exchange.book, clock_ns, lambda: self.faults.feed_frozen(clock_ns()))
        self.user = UserChannel(self.accounts.check_ws, clock_ns)
        self.rest = RestApi(self.exchange, self.accounts, self.faults, clock_ns, self.kick)
        router = Router()
        self.rest.install(router)
        MarketDataApi(self.exchange, self.faults, clock_ns).install(router)
        RewardsApi(self.exchange, self.accounts, self.faults, clock_ns).install(router)
        GammaApi(self.exchange, clock_ns).install(router)
        self.chain = Chain(self.exchange)  # merges and redemptions (relayer batches, EOA transactions)
        RelayerApi(self.wallets, clock_ns, self.chain).install(router)
        RpcApi(self.wallets, clock_ns, self.chain).install(router)
        AdminApi(exchange=self.exchange, state=self.faults, clock_ns=clock_ns, stats=self.stats,
                 drop_ws=self.drop_ws, tick=self.tick_now, broadcast=self.bench_broadcast).install(router)
        BenchApi(exchange=self.exchange, market=self.market, drain=self.drain,
                 clock_ns=clock_ns).install(router)
        router.websocket("/ws/market", self.market, self.market.on_open)
        router.websocket("/ws/user", self.user, self.user.on_open)
        self.server = HttpServer(router, host, port, commit=self)
        self.events_out = 0
        self.ticks = 0
        self._kicked = False
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # ---- lifecycle ----------------------------------------------------------------------------
    @property
    def urls(self) -> dict[str, str]:
        base = f"http://{self.server.host}:{self.server.port}"
        ws = f"ws://{self.server.host}:{self.server.port}"
        return {"clob": base, "ws_market": f"{ws}/ws/market", "ws_user": f"{ws}/ws/user",
                "gamma": f"{base}/gamma", "relayer": f"{base}/relayer", "rpc": f"{base}/rpc"}

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.server.start()
        self._task = self._loop.create_task(self._tick_loop())
        log.info("venue_ready", extra={**self.urls, "flow": self.config.flow,
                                       "account_type": self.wallets.default_type,
                                       "state": str(self.store.path) if self.store else ":memory:"})

    async def stop(self) -> None:
        self.server.close()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.close_state()
        log.info("venue_stopped", extra={"requests": self.server.requests, "events_out": self.events_out})

    # ---- state --------------------------------------------------------------------------------
    def _restore_server(self, snapshot: Snapshot | None) -> None:
        """The server's side of a restart: keys handed out again (so a user socket may reconnect before
        any REST call), wallets the relayer had deployed."""
        ex = self.exchange
        if snapshot is None:
            log.info("state_fresh", extra={"path": str(self.store.path) if self.store else ""})
            return
        deployed = snapshot.blobs.get(DEPLOYED)
        for wallet in msgspec.msgpack.decode(deployed, type=list[str]) if deployed else []:
            self.wallets.deploy(wallet)
        for owner in sorted(set(ex.owners.values())):
            with contextlib.suppress(ValueError):  # an owner that is not an address (core-only tests)
                self.accounts.register(owner)
        log.info("state_loaded", extra={
            "path": str(self.store.path) if self.store else "", "accounts": len(ex.accounts),
            "open_orders": len(ex.engine.orders), "trades": len(ex.engine.clearing.trades),
            "pending_trades": sum(ex.engine.clearing.pending.values()), "markets": len(ex.catalogue.markets)})

    def dirty(self) -> bool:
        """`HttpServer`'s `commit`: is a change a client will hear of still unwritten?"""
        return self.durable is not None and self.durable.dirty()

    def commit(self) -> None:
        self.persist()

    def persist(self, *, periodic: bool = False) -> None:
        """Write the state (see venue.store.Durable); a venue that cannot write its state stops at once
        (crash-only: it restarts from what the file holds)."""
        if self.durable is None:
            self.exchange.changes.clear()  # nothing is kept: the marks would only pile up
            return
        try:
            self.durable.flush(periodic=periodic)
        except (sqlite3.Error, OSError) as error:
            log.critical("state_write_failed", extra={"path": str(self.durable.store.path),
                                                      "error": str(error)})
            os._exit(70)

    def close_state(self) -> None:
        if self.durable is not None:
            durable, self.durable = self.durable, None
            try:
                durable.close()
            except (sqlite3.Error, OSError) as error:
                log.critical("state_write_failed", extra={"path": str(durable.store.path),
                                                          "error": str(error)})

    # ---- time and events ----------------------------------------------------------------------
    async def _tick_loop(self) -> None:
        next_nna = time.monotonic() + self.no_new_assets_s
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                self.tick_now()
                if self.faults.plan.ws_drop_interval_s > 0:
                    self.market.drop_due(self.faults.ws_drop_due)
                    self.user.drop_due(self.faults.ws_drop_due)
                if time.monotonic() >= next_nna:
                    next_nna = time.monotonic() + self.no_new_assets_s
                    self.market.send_no_new_assets()
            except Exception:
                log.exception("tick_failed")

    def tick_now(self) -> None:
        self.exchange.tick(self.clock_ns())
        self.ticks += 1
        self.persist(periodic=True)
        self.drain()

    def kick(self) -> None:
        """Drain soon (after the current request), coalescing many requests into one drain."""
        if not self._kicked and self._loop is not None:
            self._kicked = True
            self._loop.call_soon(self.drain)

    def drain(self) -> None:
        self._kicked = False
        events = self.exchange.drain_events()
        if not events:
            return
        if self.dirty():
            self.persist()  # nothing goes out before the change it tells of is written
        market = [e for e in events if isinstance(e, MarketEvent)]
        user = [e for e in events if isinstance(e, UserEvent)]
        self.events_out += len(events)
        if market:
            self.market.publish(market)
        if user:
            self.user.publish(user)

    async def bench_broadcast(self, token_id: str, count: int, batch: int) -> dict[str, Any]:
        """Publish `count` synthetic price_change events (real shape) in batches; waits for slow readers."""
        market = self.exchange.catalogue.token(token_id)
        cid = market.condition_id if market is not None else "0x" + "00" * 32
        frames, started = 0, time.perf_counter()
        for first in range(0, count, batch):
            ts = str(self.clock_ns() // MS)
            events = [MarketEvent(asset_ids=(token_id,), custom=False, payload={
                "event_type": "price_change", "market": cid, "price_changes": [{
                    "asset_id": token_id, "price": f"0.{10 + i % 80}", "size": str(5 + i), "side": "BUY",
                    "hash": f"{i:040x}", "best_bid": "0.5", "best_ask": "0.51"}], "timestamp": ts})
                for i in range(first, min(first + batch, count))]
            frames += self.market.publish(events)
            while any(ws.transport is not None and ws.transport.get_write_buffer_size() > 1 << 20
                      for ws in self.market.sockets):
                await asyncio.sleep(0.0005)
            await asyncio.sleep(0)
        seconds = time.perf_counter() - started
        return {"events": count, "frames": frames, "seconds": round(seconds, 4),
                "subscribers": len(self.market.by_asset.get(token_id, ()))}

    def drop_ws(self) -> int:
        return self.market.drop_all() + self.user.drop_all()

    def stats(self) -> dict[str, Any]:
        return {
            "requests": self.server.requests, "connections": len(self.server.connections),
            "orders_accepted": self.rest.orders_accepted, "events_out": self.events_out,
            "ticks": self.ticks, "market_sockets": len(self.market.sockets),
            "user_sockets": len(self.user.sockets), "market_frames_out": self.market.frames_out,
            "user_frames_out": self.user.frames_out, "engine_phase": self.faults.phase(self.clock_ns()),
        }


class VenueThread:
    """A venue on an ephemeral port in a daemon thread: `with VenueThread(...) as v: v.urls`."""

    def __init__(self, config: VenueConfig | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("port", 0)
        self._args = (config, kwargs)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="venue", daemon=True)
        self.venue: Venue | None = None

    def start(self, timeout: float = 10.0) -> VenueThread:
        self._thread.start()
        config, kwargs = self._args
        self.venue = self.call(lambda: Venue(config, **kwargs), timeout)
        asyncio.run_coroutine_threadsafe(self.venue.start(), self._loop).result(timeout)
        return self

    @property
    def urls(self) -> dict[str, str]:
        assert self.venue is not None
        return self.venue.urls

    def call(self, fn: Callable[[], T], timeout: float = 10.0) -> T:
        """Run `fn` on the venue's loop thread (the Exchange is not thread-safe) and return its result."""
        done: Future[T] = Future()

        def run() -> None:
            try:
                done.set_result(fn())
            except BaseException as error:
                done.set_exception(error)

        self._loop.call_soon_threadsafe(run)
        return done.result(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        if self.venue is not None and self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self.venue.stop(), self._loop).result(timeout)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        self._loop.close()

    def __enter__(self) -> VenueThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
