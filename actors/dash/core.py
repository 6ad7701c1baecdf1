"""The dashboard's view-model (pure): bus messages in, a frozen ``View`` out. No sockets, no terminal, no
clock: times are passed in (ns), so the same messages always give the same screen.

What it keeps, per coordinator (the name in deploy/markets.conf, stable across rotations): its lease
(condition id, both tokens), its ``CoordinatorState`` (strategy, mode, reason, quotes), both tokens'
books (top of book, and the size resting ahead of our quote: the queue position estimate, assuming our
order is the last at its price), inventory's state (legs, average costs, PnL, with a history for a
sparkline), OFI per side, the last risk event (a halt until a ``resume``), and the rewards scanner's
entry for the market (scoring: both of our bids within its max spread of the mid and at least its minimum
size). Per program: heartbeat age, restarts (a new pid in its heartbeat), the gaps it reports and the
ones the dashboard sees. The executor's rejections by class and its rate-limit budget. The last risk
events and strategy adjustments.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from bus.codec import Header
from bus.streams import GapCounter
from schemas import (
    Book,
    CoordinatorState,
    ExecutorState,
    Heartbeat,
    InventoryState,
    Lease,
    LeaseRelease,
    OfiState,
    OpenOrder,
    OpenOrders,
    OrderFailed,
    RewardMarket,
    RiskEvent,
    StrategyAdjust,
)
from schemas.units import NS

PNL_HISTORY = 60  # samples for the sparkline (one per inventory state that changed the total)
EVENTS = 200  # risk events and strategy adjustments kept (the pane scrolls through them)
SPARK = "▁▂▃▄▅▆▇█"
COMMANDS = ("ctl", "market:livetest")  # short-lived commands that heartbeat (actors.ctl)


@dataclass(frozen=True, slots=True)
class Top:
    bid: int
    bid_size: int
    ask: int
    ask_size: int


@dataclass(frozen=True, slots=True)
class Quote:
    slot: str
    price: int
    size: int  # our remaining size (0: wanted by the coordinator, not resting yet)
    ahead: int | None  # shares resting ahead of us at the venue (None: book unknown)


@dataclass(frozen=True, slots=True)
class MarketRow:
    name: str
    condition: str
    strategy: str
    mode: str
    reason: str
    yes: Top | None
    no: Top | None
    quotes: tuple[Quote, ...]
    yes_qty: int
    no_qty: int
    yes_avg: int
    no_avg: int
    net: int
    realized: int
    unrealized: int
    spark: str
    ofi_yes: int
    ofi_no: int
    toxic: bool
    risk: str  # "" = none; else "<kind> (<severity>)"
    halted: bool
    rewards: str  # "" = not a rewards market; else rate and whether we score
    state_age_s: float | None


@dataclass(frozen=True, slots=True)
class ProgramRow:
    program: str
    age_s: float
    restarts: int
    gaps: int  # as the program reports them
    ready: bool


@dataclass(frozen=True, slots=True)
class EventRow:
    ts: int
    source: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class View:
    markets: tuple[MarketRow, ...]
    programs: tuple[ProgramRow, ...]
    events: tuple[EventRow, ...]  # newest first
    rejections: tuple[tuple[str, int], ...]
    executor: str  # mode and budget, "" until heard
    messages: int
    gaps: int  # the dashboard's own
    filter: str


@dataclass
class _Market:
    lease: Lease | None = None
    state: CoordinatorState | None = None
    state_at: int = 0
    inventory: InventoryState | None = None
    pnl: deque[int] = field(default_factory=lambda: deque(maxlen=PNL_HISTORY))
    ofi: OfiState | None = None
    risk: RiskEvent | None = None


@dataclass
class _Program:
    beat: Heartbeat
    at: int
    restarts: int = 0


class Dash:
    def __init__(self) -> None:
        self.markets: dict[str, _Market] = {}
        self.books: dict[str, Book] = {}
        self.by_condition: dict[str, set[str]] = {}
        self.programs: dict[str, _Program] = {}
        self.events: deque[EventRow] = deque(maxlen=EVENTS)
        self.rejections: dict[str, int] = {}
        self.executor: ExecutorState | None = None
        self.orders: list[OpenOrder] = []
        self.rewards: dict[str, RewardMarket] = {}
        self.gaps = GapCounter()
        self.messages = 0

    # -- input -----------------------------------------------------------------------------------

    def on_message(self, topic: bytes, header: Header, msg: object, now: int) -> None:
        self.messages += 1
        self.gaps.observe(topic, header)
        if isinstance(msg, Book):
            self.books[msg.asset] = msg
        elif isinstance(msg, CoordinatorState):
            m = self._market(msg.holder)
            m.state, m.state_at = msg, now
        elif isinstance(msg, Lease):
            self._market(msg.holder).lease = msg
            self.by_condition.setdefault(msg.market, set()).add(msg.holder)
        elif isinstance(msg, LeaseRelease):
            self.by_condition.get(msg.market, set()).discard(msg.holder)
        elif isinstance(msg, InventoryState):
            for name in self.by_condition.get(msg.market, ()):
                m = self._market(name)
                m.inventory = msg
                total = msg.realized_pnl + msg.unrealized_pnl
                if not m.pnl or m.pnl[-1] != total:
                    m.pnl.append(total)
        elif isinstance(msg, OfiState):
            for name in self.by_condition.get(msg.market, ()):
                self._market(name).ofi = msg
        elif isinstance(msg, RiskEvent):
            self._on_risk(msg)
        elif isinstance(msg, StrategyAdjust):
            self.events.appendleft(EventRow(msg.ts, msg.holder, "adjust",
                                            f"{msg.field} {msg.old} -> {msg.new}: {msg.reason}"))
        elif isinstance(msg, Heartbeat):
            self._on_heartbeat(msg, now)
        elif isinstance(msg, OrderFailed):
            self.rejections[msg.reason] = self.rejections.get(msg.reason, 0) + 1
        elif isinstance(msg, ExecutorState):
            self.executor = msg
        elif isinstance(msg, OpenOrders):
            self.orders = list(msg.orders)
        elif isinstance(msg, RewardMarket):
            self.rewards[msg.market] = msg

    def _market(self, name: str) -> _Market:
        m = self.markets.get(name)
        if m is None:
            m = self.markets[name] = _Market()
        return m

    def _on_risk(self, msg: RiskEvent) -> None:
        name = msg.program.removeprefix("market:") if msg.program.startswith("market:") else ""
        targets = [name] if name else sorted(self.by_condition.get(msg.market, ()))
        for target in targets:
            self._market(target).risk = msg
        self.events.appendleft(EventRow(msg.ts, msg.program, msg.kind, f"[{msg.severity}] {msg.message}"))

    def _on_heartbeat(self, msg: Heartbeat, now: int) -> None:
        if msg.program in COMMANDS:
            return  # an operator's command heartbeats while it runs; it is not a program of the engine
        known = self.programs.get(msg.program)
        if known is None:
            self.programs[msg.program] = _Program(msg, now)
            return
        if known.beat.pid != msg.pid:
            known.restarts += 1
        known.beat, known.at = msg, now

    # -- output ----------------------------------------------------------------------------------

    def view(self, now: int, text_filter: str = "") -> View:
        names = sorted(n for n in self.markets if text_filter.lower() in n.lower())
        return View(
            markets=tuple(self._row(n, self.markets[n], now) for n in names),
            programs=tuple(ProgramRow(p, round((now - s.at) / NS, 1), s.restarts, s.beat.gaps, s.beat.ready)
                           for p, s in sorted(self.programs.items())),
            events=tuple(self.events),
            rejections=tuple(sorted(self.rejections.items(), key=lambda kv: -kv[1])),
            executor=executor_line(self.executor),
            messages=self.messages, gaps=self.gaps.total, filter=text_filter)

    def _row(self, name: str, m: _Market, now: int) -> MarketRow:
        lease, st, inv, ofi = m.lease, m.state, m.inventory, m.ofi
        yes_asset, no_asset = (lease.yes_asset, lease.no_asset) if lease else ("", "")
        quotes = self._quotes(name, st, yes_asset, no_asset)
        halted = bool(m.risk and m.risk.severity == "halt")
        return MarketRow(
            name=name, condition=lease.market if lease else "", strategy=st.strategy if st else "",
            mode=st.mode if st else "", reason=st.reason if st else "",
            yes=top(self.books.get(yes_asset)), no=top(self.books.get(no_asset)), quotes=quotes,
            yes_qty=inv.yes_qty if inv else 0, no_qty=inv.no_qty if inv else 0,
            yes_avg=inv.yes_avg_cost if inv else 0, no_avg=inv.no_avg_cost if inv else 0,
            net=inv.net_diff if inv else 0, realized=inv.realized_pnl if inv else 0,
            unrealized=inv.unrealized_pnl if inv else 0, spark=sparkline(list(m.pnl)),
            ofi_yes=ofi.yes.score if ofi else 0, ofi_no=ofi.no.score if ofi else 0,
            toxic=bool(ofi and ofi.toxic),
            risk=f"{m.risk.kind} ({m.risk.severity})" if m.risk else "", halted=halted,
            rewards=self._rewards(lease, quotes),
            state_age_s=round((now - m.state_at) / NS, 1) if st else None)

    def _quotes(self, name: str, st: CoordinatorState | None, yes_asset: str,
                no_asset: str) -> tuple[Quote, ...]:
        resting = {o.slot: o for o in self.orders if o.holder == name}
        slots = sorted(set(st.quotes if st else {}) | set(resting))
        out = []
        for slot in slots:
            order = resting.get(slot)
            price = order.price if order else (st.quotes.get(slot, 0) if st else 0)
            size = order.size - order.size_matched if order else 0
            asset = order.asset if order else (yes_asset if slot.startswith("yes") else no_asset)
            side = order.side if order else ("BUY" if slot.endswith("bid") else "SELL")
            out.append(Quote(slot, price, size, queue_ahead(self.books.get(asset), side, price, size)))
        return tuple(out)

    def _rewards(self, lease: Lease | None, quotes: tuple[Quote, ...]) -> str:
        reward = self.rewards.get(lease.market) if lease else None
        if reward is None or lease is None:
            return ""
        book = top(self.books.get(lease.yes_asset))
        mid = (book.bid + book.ask) // 2 if book and book.bid and book.ask else 0
        bids = [q for q in quotes if q.slot.endswith("bid") and q.size >= reward.min_size]
        scoring = bool(mid) and len(bids) >= 2 and all(
            abs((q.price if q.slot.startswith("yes") else 1_000_000 - q.price) - mid) <= reward.max_spread
            for q in bids)
        return f"${reward.daily_rate / 1e6:.0f}/day {'scoring' if scoring else 'not scoring'}"


def executor_line(e: ExecutorState | None) -> str:
    if e is None:
        return ""
    beat = "armed" if e.heartbeat_armed else "off"
    return f"{e.mode} · order budget {e.order_tokens} · cancel budget {e.cancel_tokens} · heartbeat {beat}"


def top(book: Book | None) -> Top | None:
    if book is None:
        return None
    bid = book.bids[0] if book.bids else (0, 0)
    ask = book.asks[0] if book.asks else (0, 0)
    return Top(bid[0], bid[1], ask[0], ask[1])


def queue_ahead(book: Book | None, side: str, price: int, ours: int) -> int | None:
    """Shares resting ahead of our order: better prices on our side, plus those at our price not ours (we
    are assumed last at our level). None when the book is unknown or we rest nothing."""
    if book is None or not price or not ours:
        return None
    levels = book.bids if side == "BUY" else book.asks
    better = (lambda p: p > price) if side == "BUY" else (lambda p: p < price)
    ahead = sum(size for p, size in levels if better(p))
    at = sum(size for p, size in levels if p == price)
    return ahead + max(0, at - ours)


def sparkline(values: list[int], width: int = 16) -> str:
    tail = values[-width:]
    if not tail:
        return ""
    lo, hi = min(tail), max(tail)
    if lo == hi:
        return SPARK[3] * len(tail)
    return "".join(SPARK[(v - lo) * (len(SPARK) - 1) // (hi - lo)] for v in tail)
