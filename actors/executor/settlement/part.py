"""The settlement part of the executor's shell (wired in ``main.py``): handlers for ``MergePairs``,
``InventoryState`` and ``SettlementApplied``, a timer (pushes again what inventory has not acknowledged),
and one ``bus.bridge.Bridge`` worker that runs the SDK (``sdk.Chain``) one job at a time; jobs that arrive
while one runs wait in order. A confirmed result is made durable (``store``) before it is pushed to
inventory. In dry run there is no SDK client at all: the rules only note what they would do.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from actors.executor.config import ExecutorConfig
from actors.executor.settlement.config import SettlementConfig
from actors.executor.settlement.rules import INV_PIPE as INV_PIPE
from actors.executor.settlement.rules import Job, Outcome, Settlements
from actors.executor.settlement.sdk import Chain
from actors.executor.settlement.store import SettlementStore
from bus import topics
from bus.bridge import Bridge
from bus.codec import Header
from bus.config import load_or_exit
from bus.effects import Effects
from bus.node import Handler, Node
from clob.auth import ApiCreds
from schemas import InventoryState, MergePairs, SettlementApplied
from schemas.units import MS
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY, VenueEndpoints

SUBSCRIPTIONS = (topics.prefix("inv", "state"), topics.prefix("inv", "settle"))


class SettlementPart:
    def __init__(self, rules: Settlements, chain: Chain | None, store: SettlementStore, *,
                 clock: Callable[[], int], apply: Callable[[Effects], None],
                 ready: Callable[[], bool] = lambda: True) -> None:
        self.rules, self.chain, self.store = rules, chain, store
        self.clock, self.apply, self.ready = clock, apply, ready
        self.bridge = Bridge("settle")
        self.queue: deque[Job] = deque()
        self.handlers: dict[type, Handler] = {MergePairs: self.on_merge, InventoryState: self.on_state,
                                              SettlementApplied: self.on_ack}

    def start(self) -> None:
        """Push again what a previous run confirmed and inventory never acknowledged."""
        fx = Effects()
        self.rules.restore(self.store.load(), self.clock(), fx)
        self.apply(fx)

    def on_merge(self, topic: bytes, header: Header, cmd: MergePairs) -> None:
        fx = Effects()
        self._queue(self.rules.on_merge(cmd, self.clock(), fx))
        self.apply(fx)

    def on_state(self, topic: bytes, header: Header, state: InventoryState) -> None:
        fx = Effects()
        self._queue(self.rules.on_state(state, self.clock(), fx))
        self.apply(fx)

    def on_ack(self, topic: bytes, header: Header, applied: SettlementApplied) -> None:
        fx = Effects()
        if self.rules.on_ack(applied, fx):
            self.store.remove(applied.settlement.key)
        self.apply(fx)

    def tick(self, now: int) -> None:
        fx = Effects()
        self.rules.resend(now, fx)
        self.apply(fx)
        self._next()

    def _queue(self, job: Job | None) -> None:
        if job is not None:
            self.queue.append(job)
            self._next()

    def _next(self) -> None:
        chain = self.chain
        if chain is None or not self.queue or "job" in self.bridge.running or not self.ready():
            return
        job = self.queue.popleft()
        self.bridge.submit("job", lambda: chain.run(job), lambda out, err: self._done(job, out, err))

    def _done(self, job: Job, outcome: Outcome | None, error: BaseException | None) -> None:
        fx = Effects()
        settlement = self.rules.on_done(job, outcome, error, self.clock(), fx)
        if settlement is not None:
            self.store.add(settlement)  # durable before it is pushed
        self.apply(fx)
        self._next()

    def close(self, fx: Effects) -> None:
        if self.chain is not None:
            self.chain.close()
        self.bridge.close()
        self.store.close()
        fx.note("settlements", "info", **self.rules.done, unacknowledged=len(self.rules.unacked))


def build(node: Node, cfg: ExecutorConfig, venue: VenueEndpoints, *, signer: str, wallet: str, db: str,
          creds: Callable[[], ApiCreds | None]) -> SettlementPart:
    """The part for this executor (``PM_SETTLE_*`` read here, exit 2 on a bad value), subscribed,
    attached to ``node`` with its timer, and what a previous run left unacknowledged pushed again. No SDK
    client in dry run."""
    settings = load_or_exit(SettlementConfig, node.program)
    dry_run = not venue.sends_orders
    rules = Settlements(merge=settings.merge, redeem=settings.redeem, retry_ns=settings.retry_ms * MS,
                        resend_ns=settings.resend_ms * MS, dry_run=dry_run)
    chain = None if dry_run else Chain(private_key=cfg.private_key.strip() or LOCAL_TEST_PRIVATE_KEY,
                                       wallet=wallet, signer=signer, venue=venue, cfg=settings, creds=creds)
    part = SettlementPart(rules, chain, SettlementStore(db), clock=node.clock, apply=node.apply,
                          ready=lambda: dry_run or creds() is not None)
    for prefix in SUBSCRIPTIONS:
        node.subscribe(prefix)
    part.bridge.attach(node)
    node.every(settings.resend_ms, part.tick)
    part.start()
    return part


def joined(*tables: dict[type, Handler]) -> dict[type, Handler]:
    """One handler table from several: a type more than one part handles goes to each, in order."""
    out: dict[type, Handler] = {}
    for table in tables:
        for kind, handler in table.items():
            first = out.get(kind)
            out[kind] = handler if first is None else _both(first, handler)
    return out


def _both(a: Handler, b: Handler) -> Handler:
    def both(topic: bytes, header: Header, msg: object) -> None:
        a(topic, header, msg)
        b(topic, header, msg)
    return both
