"""The executor's shell: configuration -> Node -> core -> handler table -> timers -> run, then close.

Requests go out once the loop drained what arrived together (``on_drained``). The loop never waits for a
reply: each connection's socket is a reader of the Node, a reply goes to the core once in (``wire.flight``).
Announced after the registry is durable (``publishing``). Credentials, the wallet check, order heartbeat:
``wire.account``; the inventory check (``balance_check``), merges and redemptions (``settlement``) are
wired here. See docs/architecture.md.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import get_args

from actors.executor.balance_check.check import build_check
from actors.executor.config import ExecutorConfig, core_params
from actors.executor.core.executor_core import ExecutorCore
from actors.executor.core.silence import holder_of
from actors.executor.order_store import OrderStore
from actors.executor.publishing import Publisher
from actors.executor.settlement import part as settlement
from actors.executor.wire.account import Account
from actors.executor.wire.flight import Pump
from actors.executor.wire.http1 import Connection
from actors.executor.wire.rest import RestClient
from actors.executor.wire.signing import OrderSigner
from actors.executor.wire.transport import DryRunTransport, LiveTransport, cancel_on_exit
from bus import topics
from bus.bridge import Bridge
from bus.codec import Header
from bus.effects import Effects
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Dispatcher, Handler, Node
from schemas import Command, Heartbeat, Lease, LeaseRelease, OrderUpdate
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints

PROGRAM = "executor"
PUMP_MS = 100  # credentials, requests due, and how soon a reply's deadline is noticed
MAX_IN_FLIGHT = 4  # requests written before their replies are in (one connection each)
SPARE_CONNECTIONS = 2  # idle keep-alive connections kept open (a pipelined replace writes two at once)
EXIT_SETTLE_S = 1.0  # replies in flight waited for at exit (supervisord waits 5 s for the whole stop)


class Executor:
    def __init__(self, cfg: ExecutorConfig, venue: VenueEndpoints, bus: BusConfig, signer: OrderSigner,
                 given: ApiCredentials, log: Logger) -> None:
        self.cfg, self.log, self.dry_run, self.signer = cfg, log, not venue.sends_orders, signer
        follows = [topics.prefix(d, k) for d, k in (("sys", "hb"), ("user", "order"), ("coord", "lease"))]
        self.node = node = Node(PROGRAM, bus, subscriptions=follows, pull_bind=bus.command_endpoint, log=log,
                                push_connect={settlement.INV_PIPE: bus.fill_endpoint})
        default_db = str(Path(bus.run_dir).parent / "executor.sqlite")  # beside var/run, kept by `make clean`
        db = ":memory:" if self.dry_run else cfg.db_path or default_db
        self.store = OrderStore(db)  # the registry
        self.core = ExecutorCore(core_params(cfg, dry_run=self.dry_run, heartbeat_ms=bus.heartbeat_ms),
                                 node.clock(), stored=self.store.load())
        self.fx = Effects()  # what the core announces in this step
        self.bridge = Bridge(PROGRAM).attach(node)  # credentials, order-heartbeat reports
        self.rest = RestClient(venue.rest_url, signer.address, timeout_ms=cfg.http_timeout_ms,
                               watch=lambda c: node.add_reader(c.fileno(), partial(self.readable, c)),
                               unwatch=lambda c: node.remove_reader(c.fileno()))
        transport = DryRunTransport(signer, log) if self.dry_run else LiveTransport(self.rest, signer)
        self.account = Account(cfg, venue, bus, signer, given, log, self.bridge)
        self.pump = Pump(self.core, transport, clock=node.clock, landed=self.account.pet,
                         max_in_flight=MAX_IN_FLIGHT)  # at most 200 requests per call
        self.publisher = Publisher(node, self.core, self.store, self.account, log)
        self.commanded = self.replied = False  # a command or a reply came in: flush in ``on_drained``
        self.updated = False  # an order update came in: its outcome is announced in ``on_drained``
        self.handlers: dict[type, Handler] = {  # every command type, then the rest
            **dict.fromkeys(get_args(Command), self.on_command), Heartbeat: self.on_heartbeat,
            OrderUpdate: self.on_order_update, Lease: self.on_lease, LeaseRelease: self.on_lease_release}
        creds = lambda: self.rest.creds  # noqa: E731 - the credentials as the account obtains them
        self.check = build_check(node, cfg, venue, signer.address, creds,  # never in dry run
                                 signature_type=signer.signature_type)
        self.settle = settlement.build(node, cfg, venue, signer=signer.address, wallet=signer.funder, db=db,
                                       creds=creds)  # merges, redemptions (a timer of its own)
        self.handlers = settlement.joined(self.handlers, self.check.handlers if self.check else {},
                                          self.settle.handlers)

    def readable(self, conn: Connection) -> None:
        self.rest.readable(conn)
        self.replied = True

    def on_command(self, topic: bytes, header: Header, cmd: Command) -> None:
        if self.publisher.echo(cmd):
            self.core.on_command(cmd, self.node.clock(), self.fx)
            self.commanded = True  # sent once everything that arrived with it is in (``on_drained``)

    def on_drained(self) -> None:
        """Once per wake-up: send what is due and announce the step (one durable write, one publication
        batch for every command, reply and order update that arrived together)."""
        self.announce_updates(self.flush() if self.commanded or self.replied else False)

    def announce_updates(self, emitted: bool) -> None:
        """Order updates handled since the last announcement: announced with the step's (``emitted``),
        else now."""
        if self.updated:
            self.updated = False
            if not emitted:
                self.publisher.emit(self.fx)

    def on_heartbeat(self, topic: bytes, header: Header, msg: Heartbeat) -> None:
        if (holder := holder_of(msg.program)) is not None:
            self.core.on_coordinator_heartbeat(holder, self.node.clock())

    def on_lease(self, topic: bytes, header: Header, msg: Lease) -> None:
        self.core.on_lease(msg, self.node.clock(), self.fx)  # a foreign order's cancel: with the next pump
        if self.check is not None:
            self.check.on_lease(msg)

    def on_lease_release(self, topic: bytes, header: Header, msg: LeaseRelease) -> None:
        self.core.on_lease_release(msg)
        if self.check is not None:
            self.check.on_release(msg)

    def on_order_update(self, topic: bytes, header: Header, msg: OrderUpdate) -> None:
        self.core.on_order_update(msg, self.node.clock(), self.fx)
        self.updated = True  # announced once the wake-up's messages are all in (``on_drained``)

    def flush(self) -> bool:
        """Pump, then announce unless a burst is half in; True if it announced."""
        self.commanded = self.replied = False
        if self.dry_run or self.rest.creds is not None:
            self.pump(self.fx)
        if not self.pump.siblings_out:  # else announced with the rest of their burst
            self.publisher.emit(self.fx)
            return True
        return False

    def tick(self, now: int) -> None:
        if not self.account.tick(self.rest, self.core.wallet_refusal):
            self.node.stop()  # live trading without credentials, or a wallet the venue refuses: exit 2
        self.announce_updates(self.flush())  # (updates only if a handler ran outside the loop's wake-up)
        self.publisher.publish_changed(now)
        self.store.checkpoint()  # the journal into SQLite: in idle time, not once per re-quote
        if not self.dry_run and self.rest.creds is not None:
            self.rest.keep_spares(self.bridge, SPARE_CONNECTIONS)  # in idle time: never on the hot path

    def presign(self) -> bool:
        """One idle slice: sign one order of the pre-signing plan, when nothing is in flight (a reply is
        due soon and is read first). Never on the hot path: the loop calls it only when nothing is ready."""
        if self.pump.flight or self.pump.stashed is not None:
            return False
        return self.signer.presign_one(self.node.clock() // 1_000_000)

    def check_silence(self, now: int) -> None:  # and report foreign orders left alone
        self.core.check_silence(now, self.fx)
        self.core.check_foreign(now, self.fx)
        self.publisher.emit(self.fx)

    def run(self) -> int:
        node, cfg, publisher = self.node, self.cfg, self.publisher
        node.every(PUMP_MS, self.tick)
        node.every(cfg.state_publish_ms, publisher.publish_state)
        node.every(cfg.orders_publish_ms, publisher.publish_orders)
        node.every(max(50, node.bus.heartbeat_ms // 2), self.check_silence)
        if cfg.sync_ms and not self.dry_run:
            node.every(cfg.sync_ms, lambda now: self.core.request_sync())
        idle = self.presign if self.signer.presigned is not None else None  # PM_EXEC_PRESIGN_MAX_AGE_MS
        code = node.run(Dispatcher(self.handlers, self.log), on_drained=self.on_drained, on_idle=idle)
        return self.account.exit_code or code

    def close(self) -> None:
        self.pump.settle(self.fx, EXIT_SETTLE_S)  # what was placed is known (and cancelled below)
        self.publisher.emit(self.fx)
        self.account.close()
        if self.check is not None:
            self.check.close(self.fx)
        self.settle.close(self.fx)
        if self.cfg.startup == "cancel" and self.rest.creds is not None and not self.dry_run:
            cancel_on_exit(self.rest, self.core.exit_cancels(), self.fx)
        self.node.apply(self.fx)
        self.log.info("rest_calls", **self.rest.calls)
        if self.signer.presigned is not None:
            self.log.info("presigned", **self.signer.presigned.counts.as_dict())
        for closeable in (self.rest, self.store, self.bridge, self.node):
            closeable.close()
