"""Pre-signed orders (pure): which orders to sign in idle time, and the cache the hot path takes them from.

A re-quote usually moves a slot's price by a few ticks and keeps everything else (token, side, size, tick,
exchange, order type, flags). So each place the executor sends becomes its slot's *template*, and in idle
time the shell signs the template at the prices around it and ``put``s them here: first the slot's last
move repeated (a trend, or a walk in fixed steps, goes on), then ``ticks`` either side, nearest first, then
the template's own price (a re-place after a fill). When a ``PlaceOrder``
matches a ready order (``key_of``: every field that is signed or goes into the body) the shell sends that
order instead of signing on the hot path (``take``).

The rules (the table tests in tests/unit/test_presign.py):
- **Used once.** ``take`` removes the order it returns: a salt sent twice would be a duplicate order.
- **Age bound.** A V2 order signs a millisecond ``timestamp``; how old a timestamp Polymarket accepts is not
  documented, so an order is never handed out once it is older than ``max_age_ms`` (``take`` drops it and
  the shell signs afresh); in idle time expired orders are dropped and those past half their age re-signed.
- **Bounded.** At most ``capacity`` orders (the oldest go first), at most ``capacity`` templates (the
  least recently used go first); orders of no current template's neighbourhood are dropped in idle time.
- **Maker orders only.** Only post-only GTC places become templates (a GTD's expiration changes with every
  command, a taker exit is rare and urgent): anything else is always signed on the hot path.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import NamedTuple

from clob.orders import SignedOrder
from schemas import PlaceOrder
from schemas.units import MICRO


class Key(NamedTuple):
    """What a ready order must share with a command to be sent for it."""

    asset: str
    side: str
    price: int
    size: int
    tick: int
    neg_risk: bool
    order_type: str
    post_only: bool
    expiration: int


def key_of(cmd: PlaceOrder, price: int | None = None) -> Key:
    expiration = cmd.expiration if cmd.order_type == "GTD" else 0
    return Key(cmd.asset, cmd.side, cmd.price if price is None else price, cmd.size, cmd.tick, cmd.neg_risk,
               cmd.order_type, cmd.post_only, expiration)


def wanted(cmd: PlaceOrder) -> bool:
    """May this command's slot be pre-signed? (post-only GTC maker orders only)"""
    return cmd.order_type == "GTC" and cmd.post_only and not cmd.taker_exit and cmd.tick > 0


def offsets(ticks: int) -> list[int]:
    """Price offsets in ticks, nearest first: 1, -1, 2, -2, ..., then 0 (a re-place at the same price)."""
    out = []
    for n in range(1, ticks + 1):
        out += [n, -n]
    return [*out, 0]


class Job(NamedTuple):
    """One order to sign in idle time: ``template`` at ``price``."""

    template: PlaceOrder
    price: int


@dataclass(slots=True)
class Counts:
    hits: int = 0  # places sent pre-signed
    misses: int = 0  # places of a template-able kind signed on the hot path
    expired: int = 0  # ready orders dropped for age (at ``take`` or in idle time)
    signed: int = 0  # orders signed in idle time
    evicted: int = 0  # dropped for room or because no template wants them any more

    def as_dict(self) -> dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "expired": self.expired, "signed": self.signed,
                "evicted": self.evicted}


@dataclass(slots=True)
class PresignCache:
    max_age_ms: int
    ticks: int = 1
    capacity: int = 64
    ready: OrderedDict[Key, SignedOrder] = field(default_factory=OrderedDict)  # oldest signed first
    templates: OrderedDict[tuple[str, str, str], PlaceOrder] = field(default_factory=OrderedDict)
    moves: dict[tuple[str, str, str], int] = field(default_factory=dict)  # slot -> its last price move
    counts: Counts = field(default_factory=Counts)
    _plan: list[Key] | None = None  # the wanted keys, nearest first (None: templates changed)
    _keep: frozenset[Key] = frozenset()  # the same, as a set
    _quiet_until_ms: int = 0  # nothing to do before then unless something changes (0: look)
    _learnt: list[PlaceOrder] = field(default_factory=list)  # sent since the last idle slice

    @property
    def enabled(self) -> bool:
        return self.max_age_ms > 0

    def __len__(self) -> int:
        return len(self.ready)

    # -- the hot path ---------------------------------------------------------------------------

    def take(self, cmd: PlaceOrder, now_ms: int) -> SignedOrder | None:
        """The ready order for ``cmd`` (removed: used once), or None: sign it now. Never one older than
        ``max_age_ms``."""
        order = self.ready.pop(key_of(cmd), None) if self.ready else None
        if order is None:
            self.counts.misses += wanted(cmd)
            return None
        self._quiet_until_ms = 0  # its key is wanted again
        if now_ms - order.timestamp_ms > self.max_age_ms:
            self.counts.expired += 1
            self.counts.misses += 1
            return None
        self.counts.hits += 1
        return order

    def learn(self, cmd: PlaceOrder) -> None:
        """``cmd`` was sent: it becomes its slot's template in idle time (one append here)."""
        self._learnt.append(cmd)
        self._plan, self._quiet_until_ms = None, 0
        if len(self._learnt) > self.capacity:  # no idle time for a long while: bounded all the same
            self._absorb()

    def _absorb(self) -> None:
        """The commands sent since the last idle slice become their slots' templates, in order."""
        learnt, self._learnt = self._learnt, []
        for cmd in learnt:
            if wanted(cmd):
                self._template(cmd)

    def _template(self, cmd: PlaceOrder) -> None:
        slot = (cmd.holder, cmd.slot or f"{cmd.asset}:{cmd.side}", cmd.market)
        last = self.templates.get(slot)
        if last == cmd:
            return
        if last is not None and key_of(last, cmd.price) == key_of(cmd):
            self.moves[slot] = cmd.price - last.price
        else:
            self.moves.pop(slot, None)
        self.templates[slot] = cmd
        self.templates.move_to_end(slot)
        while len(self.templates) > self.capacity:
            self.moves.pop(self.templates.popitem(last=False)[0], None)

    def forget(self) -> None:
        """Drop everything (the signing identity changed)."""
        self.counts.evicted += len(self.ready)
        self.ready.clear()
        self.templates.clear()
        self.moves.clear()
        self._learnt.clear()
        self._plan, self._quiet_until_ms = None, 0

    # -- idle time ------------------------------------------------------------------------------

    def plan(self) -> list[Key]:
        """Every wanted key: each template's neighbourhood, nearest first, templates most recent first,
        at most ``capacity``."""
        if self._learnt:
            self._absorb()
        if self._plan is None:
            keys: dict[Key, None] = {}
            rows = [[key_of(t, p) for p in self._prices(t, self.moves.get(slot, 0))]
                    for slot, t in reversed(self.templates.items())]
            for depth in range(max((len(r) for r in rows), default=0)):  # round-robin: every slot's nearest
                for row in rows:
                    if depth < len(row) and len(keys) < self.capacity:
                        keys.setdefault(row[depth])
            self._plan, self._keep = list(keys), frozenset(keys)
        return self._plan

    def _prices(self, template: PlaceOrder, move: int) -> list[int]:
        tick, price = template.tick, template.price
        prices = dict.fromkeys([price + move] if move else [])
        prices.update(dict.fromkeys(price + n * tick for n in offsets(self.ticks)))
        return [p for p in prices if tick <= p <= MICRO - tick]

    def next_job(self, now_ms: int) -> Job | None:
        """The next order to sign: a wanted key with none ready, else the oldest ready order past half its
        age (re-signed before it expires). Drops expired orders and orders no template wants."""
        if not self.enabled or now_ms < self._quiet_until_ms:
            return None
        plan = self.plan()
        ready, keep, oldest_ok = self.ready, self._keep, now_ms - self.max_age_ms
        for key in [k for k, o in ready.items() if k not in keep or o.timestamp_ms < oldest_ok]:
            order = ready.pop(key)
            if order.timestamp_ms < oldest_ok:
                self.counts.expired += 1
            else:
                self.counts.evicted += 1
        for key in plan:
            if key not in ready:
                return self._job(key)
        half = self.max_age_ms // 2
        oldest = min((o.timestamp_ms for o in ready.values()), default=None)
        if oldest is not None and now_ms - oldest > half:
            return self._job(next(k for k, o in ready.items() if o.timestamp_ms == oldest))
        self._quiet_until_ms = now_ms + half if oldest is None else oldest + half + 1
        return None

    def _job(self, key: Key) -> Job:
        for template in self.templates.values():
            if key_of(template, key.price) == key:
                return Job(template, key.price)
        raise KeyError(key)  # the plan is made of the templates' keys

    def put(self, job: Job, order: SignedOrder) -> None:
        """An order signed in idle time for ``job`` (replacing an older one of the same key)."""
        key = key_of(job.template, job.price)
        self.ready.pop(key, None)
        self.ready[key] = order
        self.counts.signed += 1
        while len(self.ready) > self.capacity:
            self.ready.popitem(last=False)
            self.counts.evicted += 1
