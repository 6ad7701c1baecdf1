"""The executor's shell: bus in and out, REST, the order heartbeat, the durable registry, timers.

Commands are PULLed and handed to the core; the flush that sends them runs once the loop has drained
everything that arrived together (``Node.run``'s ``on_drained``), so commands of one wake-up share
batches. Each command is echoed on ``exec.cmd.<holder>.`` right after the requests it caused were
written (the echo is for observers: it must not delay the order). Start-up and crash
recovery are one path: credentials, then the core's start-up sync (cancel or adopt), then ready.
Live trading on Polymarket exits 2 when no credentials could be had within 10 s of start.

Dry run (``PM_VENUE=polymarket``, ``PM_DRY_RUN=true``) sends no mutating request: orders and cancels
are answered locally (``DryRunTransport``); no order heartbeat, no balance checks, no start-up or exit
cancel, no API-key creation. Its only request is ``GET /auth/derive-api-key``, and only when a real key
is given without credentials (``config.derives_in_dry_run``).

Leases (``coord.lease.*``) tell the core which markets running coordinators trade (foreign-orders policy,
``foreign.py``) and feed the inventory check. A clean exit with ``PM_EXEC_STARTUP=cancel`` cancels what
the engine holds, by id; the account's other orders are left alone.
"""

from __future__ import annotations

import sys
from pathlib import Path

from actors.executor.balance_check.balances import InventoryWatch
from actors.executor.config import ExecutorConfig, core_params, derives_in_dry_run
from actors.executor.core.executor_core import ExecutorCore
from actors.executor.order_store import OrderStore
from actors.executor.wire.credentials import START_DEADLINE_S, Session
from actors.executor.wire.flight import Flusher
from actors.executor.wire.heartbeat import HeartbeatThread, start_heartbeat
from actors.executor.wire.rest import RestClient
from actors.executor.wire.signing import OrderSigner
from actors.executor.wire.transport import DryRunTransport, LiveTransport
from bus import codec, topics
from bus.codec import Header
from bus.config import EXIT_CONFIG
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Node
from schemas import (
    CancelAll,
    CancelMarket,
    CancelOrders,
    Command,
    Heartbeat,
    Lease,
    LeaseRelease,
    OrderUpdate,
    PlaceOrder,
    RiskEvent,
)
from venue_client.credentials import ApiCredentials, write_creds
from venue_client.endpoints import VenueEndpoints

PROGRAM = "executor"
PUMP_MS = 100
MAX_REQUESTS_PER_FLUSH = 200
MAX_IN_FLIGHT = 4  # requests written before their replies are read (one connection each)
EXIT_CANCEL_TIMEOUT_MS = 400  # per request of the exit cancel (supervisord waits 5 s for the whole stop)
EXIT_CANCEL_BATCHES = 4
LOG = {"OrderPlaced": ("info", "order_placed"), "OrderFailed": ("warning", "order_failed"),
       "OrderCancelled": ("info", "order_cancelled"), "RiskEvent": ("warning", "risk_event")}


class Executor:
    def __init__(self, cfg: ExecutorConfig, venue: VenueEndpoints, bus: BusConfig, signer: OrderSigner,
                 given: ApiCredentials, log: Logger) -> None:
        self.cfg, self.venue, self.bus, self.signer, self.log = cfg, venue, bus, signer, log
        self.dry_run = not venue.sends_orders
        subscriptions = [topics.prefix(domain, kind) for domain, kind in (
            ("sys", "hb"), ("user", "order"), ("coord", "lease"))]
        self.node = Node(PROGRAM, bus, subscriptions=subscriptions, pull_bind=bus.command_endpoint, log=log)
        # beside the run directory (var/executor.sqlite), like inventory's journal: `make clean` keeps it
        default_db = str(Path(bus.run_dir).parent / "executor.sqlite")
        self.store = OrderStore(":memory:" if self.dry_run else cfg.db_path or default_db)
        self.core = ExecutorCore(core_params(cfg, dry_run=self.dry_run, heartbeat_ms=bus.heartbeat_ms),
                                 self.node.clock(), stored=self.store.load())
        self.rest = RestClient(venue.rest_url, signer.address, timeout_ms=cfg.http_timeout_ms)
        self.transport = DryRunTransport(signer, log) if self.dry_run else LiveTransport(self.rest, signer)
        self.flusher = Flusher(self.core, start=lambda req, now: self.transport.start(req, now // 1_000_000),
                               finish=self.transport.finish, clock=self.node.clock, landed=self._pet,
                               limit=MAX_REQUESTS_PER_FLUSH, max_in_flight=MAX_IN_FLIGHT)
        self.heartbeat: HeartbeatThread | None = None
        self.session: Session | None = None  # dry run: only to derive credentials for the user-feed
        if not self.dry_run or derives_in_dry_run(cfg, venue, given):
            live = not self.dry_run and not venue.is_local  # fails fast; the local venue may start after us
            self.session = Session(self.rest, signer.signer, given=given, funder=signer.funder,
                                   run_dir=bus.run_dir, log=log, create=not self.dry_run,
                                   deadline_s=START_DEADLINE_S if live else None,
                                   timeout_ms=cfg.http_timeout_ms)
        self.has_creds = self.dry_run
        if self.dry_run and given.complete:
            write_creds(bus.run_dir, given)
        self.exit_code = 0
        self.was_ready = False
        self.echoes: list[tuple[bytes, Command]] = []  # commands to echo on exec.cmd.<holder>.
        self._echo_topics: dict[str, bytes] = {}  # holder -> its exec.cmd topic (validated once)
        self.commanded = False
        cmd = self.on_command
        self.dispatch = Dispatcher({PlaceOrder: cmd, CancelOrders: cmd, CancelMarket: cmd, CancelAll: cmd,
                                    Heartbeat: self.on_heartbeat, OrderUpdate: self.on_order_update,
                                    Lease: self.on_lease, LeaseRelease: self.on_lease_release}, log)
        self.watch: InventoryWatch | None = None  # inventory vs the venue's balances; never in dry run
        if not self.dry_run and cfg.inventory_check_ms:
            self.watch = InventoryWatch(self.node, self.dispatch, RestClient(
                venue.rest_url, signer.address, timeout_ms=cfg.http_timeout_ms), lambda: self.rest.creds,
                confirm=cfg.inventory_check_confirm, signature_type=cfg.sig_type, log=log)

    def on_command(self, topic: bytes, header: Header, cmd: Command) -> None:
        echo = self._echo_topics.get(cmd.holder)
        if echo is None:
            try:
                echo = self._echo_topics[cmd.holder] = topics.exec_cmd(cmd.holder)
            except topics.TopicError:
                self.log.warning("bad_command", holder=cmd.holder, cmd_id=cmd.cmd_id, type=codec.tag(cmd))
                return
        if self.core.conflicts(cmd):
            self.flush()
        self.echoes.append((echo, cmd))
        self.core.on_command(cmd, self.node.clock())
        self.commanded = True  # sent once everything that arrived with it is in (``on_drained``)

    def on_drained(self) -> None:
        if self.commanded:
            self.flush()

    def on_heartbeat(self, topic: bytes, header: Header, msg: Heartbeat) -> None:
        if msg.program.startswith("market:"):
            self.core.on_coordinator_heartbeat(msg.program.removeprefix("market:"), self.node.clock())

    def on_lease(self, topic: bytes, header: Header, msg: Lease) -> None:
        self.core.on_lease(msg, self.node.clock())  # a foreign order's cancel goes with the next pump
        if self.watch is not None:
            self.watch.on_lease(msg)

    def on_lease_release(self, topic: bytes, header: Header, msg: LeaseRelease) -> None:
        self.core.on_lease_release(msg)
        if self.watch is not None:
            self.watch.on_release(msg)

    def on_order_update(self, topic: bytes, header: Header, msg: OrderUpdate) -> None:
        self.core.on_order_update(msg, self.node.clock())
        self.emit()

    def flush(self) -> None:
        self.commanded = False
        if self.has_creds:
            self.flusher()
        self.emit()

    def _pet(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.pet()

    def emit(self) -> None:
        echoes, self.echoes = self.echoes, []
        for topic, cmd in echoes:  # after the requests they caused were written: off the hot path
            self.node.publish(topic, cmd)
        out, notes = self.core.drain()
        self.store.apply(*self.core.registry.drain_changes())  # durable before announced
        for topic, msg in out:
            self.node.publish(topic, msg)
            level, event = LOG.get(codec.tag(msg), ("info", "bus_event"))
            if isinstance(msg, RiskEvent) and msg.severity == "info":  # e.g. a foreign order left alone
                level = "info"
            getattr(self.log, level)(event, **codec.to_builtins(msg))
        for event, fields in notes:
            self.log.info(event, **fields)
        became_ready, self.was_ready = self.core.ready and not self.was_ready, self.core.ready
        if became_ready:
            self.log.info("executor_ready", open_orders=len(self.core.registry), dry_run=self.dry_run)
        if self.core.ready and (self.core.registry.dirty or became_ready):
            self.node.publish(topics.exec_orders(), self.core.open_orders(self.node.clock()))
        if self.core.heartbeat_wanted and self.heartbeat is not None:
            self.heartbeat.arm()

    def pump(self, now: int) -> None:
        session = self.session
        if session is not None and not session.ready:
            self.credentials(session)
        self.flush()

    def credentials(self, session: Session) -> None:
        if session.try_obtain():
            if not self.dry_run and self.rest.creds is not None:
                cfg = self.cfg
                self.heartbeat = start_heartbeat(self.venue.rest_url, self.signer.address, self.rest.creds,
                                                 path=cfg.heartbeat_path, interval_ms=cfg.heartbeat_ms,
                                                 timeout_ms=cfg.http_timeout_ms, log=self.log)
                self.has_creds = True
        elif session.gave_up:  # live trading: fail fast (nothing but the L1 calls was sent)
            sys.stderr.write(session.give_up(self.venue.rest_url))
            self.exit_code = EXIT_CONFIG
            self.node.stop()

    def publish_state(self, now: int) -> None:
        hb = self.heartbeat
        if hb is not None:
            hb.pet()
            if hb.take_lapse():
                self.log.warning("heartbeat_lapsed", note="the venue may have cancelled every order: syncing")
                self.core.request_sync()
        self.core.backoffs.prune(now)
        self.node.publish(topics.exec_state(), self.core.state(now, hb is not None and hb.armed))

    def publish_orders(self, now: int) -> None:
        if self.core.ready:
            self.node.publish(topics.exec_orders(), self.core.open_orders(now))

    def check_silence(self, now: int) -> None:
        self.core.check_silence(now)
        self.core.check_foreign(now)
        self.emit()

    def run(self) -> int:
        self.node.every(PUMP_MS, self.pump)
        self.node.every(self.cfg.state_publish_ms, self.publish_state)
        self.node.every(self.cfg.orders_publish_ms, self.publish_orders)
        self.node.every(max(50, self.bus.heartbeat_ms // 2), self.check_silence)
        if self.cfg.sync_ms and not self.dry_run:
            self.node.every(self.cfg.sync_ms, lambda now: self.core.request_sync())
        if self.watch is not None:
            self.node.every(self.cfg.inventory_check_ms, self.watch.tick)
        code = self.node.run(self.dispatch, on_drained=self.on_drained)
        return self.exit_code or code

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.watch is not None:
            self.watch.close()
        if self.cfg.startup == "cancel" and self.has_creds and not self.dry_run:
            self.exit_cancel()
        self.log.info("rest_calls", **self.rest.calls)
        for closeable in (self.rest, self.store, self.node):
            closeable.close()

    def exit_cancel(self) -> None:
        """Cancel what the engine holds, by id (best effort: the next start cancels it anyway)."""
        batches = self.core.exit_cancels()
        if not batches:
            return
        canceled, statuses = 0, []
        for req in batches[:EXIT_CANCEL_BATCHES]:
            res = self.rest.cancel_ids(list(req.ids), timeout_ms=EXIT_CANCEL_TIMEOUT_MS)
            statuses.append(res.status)
            canceled += len(res.body.get("canceled") or []) if res.ok and isinstance(res.body, dict) else 0
        self.log.info("exit_cancel", orders=sum(len(b.ids) for b in batches), canceled=canceled,
                      statuses=statuses)

