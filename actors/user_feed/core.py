"""The user-feed's pure logic: user-channel events in, bus messages out. No sockets, clocks or logs.

- ``trade_fills``: one ``Fill`` per (trade id, our order id): our maker orders found in
  ``maker_orders[]`` by owner API key or maker address, each with its *own* asset, price and side
  (cross-asset matches, gotcha 8), plus our taker order when ``trader_side`` is TAKER. Every status
  (MATCHED, MINED, CONFIRMED, RETRYING, FAILED) is emitted again; inventory dedupes and applies.
- ``order_update``: an ``order`` event as an ``OrderUpdate`` (status split from its reason), published on
  ``user.order.<market>``, except the PLACEMENT of an order that rests untouched (``resting``), which
  goes to ``user.placed.<market>``: the executor knows those from its POST replies and the coordinator
  acts only on an order's end, so the two hot-path subscribers are not woken for them (2 of the 4 order
  events per re-quote); the recorder (the backtest's own-order levels) and ``ctl livetest`` read both.
- ``Watermark``: what back-fill must cover: the last trade seen, trades not yet final, fills inventory
  has not acknowledged (``outbox``), and a back-fill owed since a (re)connect that has not succeeded
  yet. Persisted by the shell.
- ``Feed``: the above wired together (with the ``Outbox`` of unacknowledged fills), shared by the live
  program and ``--replay``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from actors.user_feed import venue
from actors.user_feed.outbox import Outbox
from actors.user_feed.venue import MakerOrder, UserEvent, UserOrder, UserTrade
from bus import topics
from schemas import Fill, OrderUpdate
from schemas.units import NS

FINAL = ("CONFIRMED", "FAILED")
FILLS_PIPE = "fills"
Side = Literal["BUY", "SELL"]


class Identity(NamedTuple):
    """Who "we" are on the venue: our API key and our maker (funder) address."""

    api_key: str
    address: str = ""

    def owns(self, owner: str, address: str) -> bool:
        if self.api_key and owner == self.api_key:
            return True
        return bool(self.address) and address.lower() == self.address.lower()


class Out(NamedTuple):
    """A message for the bus: ``pipe`` "" = publish, else the PUSH pipe's name."""

    pipe: str
    topic: bytes
    msg: Fill | OrderUpdate


def _side(text: str) -> Side:
    upper = text.upper()
    if upper == "BUY":
        return "BUY"
    if upper == "SELL":
        return "SELL"
    raise ValueError(f"bad side {text!r}")


def maker_side(entry: MakerOrder, trade: UserTrade) -> Side:
    """The maker's own side: given, or derived from the tokens (never just "opposite of the taker").

    Same token: a match is always BUY vs SELL. Complementary token: BUY vs BUY (mint) or
    SELL vs SELL (merge), so the maker's side equals the taker's.
    """
    if entry.side:
        return _side(entry.side)
    taker = _side(trade.side)
    if entry.asset_id == trade.asset_id:
        return "SELL" if taker == "BUY" else "BUY"
    return taker


def trade_time(trade: UserTrade) -> int:
    """When this status was reported: ``timestamp`` (ms or s), else ``last_update``, else match time."""
    return venue.to_ns(trade.timestamp) or venue.to_ns(trade.last_update) or venue.to_ns(trade.match_time)


def match_time(trade: UserTrade) -> int:
    """When the trade matched (what REST ``after`` filters on); a bad one falls back to ``trade_time``."""
    try:
        match_ns = venue.to_ns(trade.match_time)
    except ValueError:  # a bad match time must not cost the fills: use the event's own time
        match_ns = 0
    return match_ns or trade_time(trade)


def trade_fills(trade: UserTrade, me: Identity, source: Literal["ws", "rest"], now: int) -> list[Fill]:
    """Our fills in one trade message; raises ``ValueError`` on a malformed trade."""
    status = venue.trade_status(trade.status)
    if status is None:
        raise ValueError(f"unknown trade status {trade.status!r}")
    ts_event = trade_time(trade)
    fills: list[Fill] = []
    for entry in trade.maker_orders or ():
        if me.owns(entry.owner, entry.maker_address):
            fills.append(Fill(trade_id=trade.id, order_id=entry.order_id, market=trade.market,
                              asset=entry.asset_id, side=maker_side(entry, trade),
                              price=venue.price(entry.price), size=venue.size(entry.matched_amount),
                              status=status, role="MAKER", fee=0, source=source, ts_event=ts_event,
                              ts_recv=now))
    if trade.trader_side.upper() == "TAKER" and me.owns(trade.owner, trade.maker_address):
        fills.append(Fill(trade_id=trade.id, order_id=trade.taker_order_id, market=trade.market,
                          asset=trade.asset_id, side=_side(trade.side), price=venue.price(trade.price),
                          size=venue.size(trade.size), status=status, role="TAKER", fee=0,
                          source=source, ts_event=ts_event, ts_recv=now))
    return fills


_KINDS = ("PLACEMENT", "UPDATE", "CANCELLATION")


def order_update(order: UserOrder, now: int) -> OrderUpdate:
    """An ``order`` event on the bus; raises ``ValueError`` on a malformed one."""
    found = venue.order_status(order.status)
    if found is None:
        raise ValueError(f"unknown order status {order.status!r}")
    kind = order.type.upper()
    if kind not in _KINDS:
        raise ValueError(f"unknown order event type {order.type!r}")
    status, reason = found
    return OrderUpdate(order_id=order.id, market=order.market, asset=order.asset_id, side=_side(order.side),
                       price=venue.order_price(order.price), original_size=venue.size(order.original_size),
                       size_matched=venue.size(order.size_matched), status=status, reason=reason,
                       kind=kind, ts_event=venue.to_ns(order.timestamp), ts_recv=now)  # type: ignore[arg-type]


def resting(update: OrderUpdate) -> bool:
    """A PLACEMENT that says only "this order rests, nothing matched" (``user.placed``)."""
    return update.kind == "PLACEMENT" and update.size_matched == 0 and update.status in ("LIVE", "DELAYED")


@dataclass(slots=True)
class Watermark:
    """How far back a REST back-fill must reach (unix seconds for ``/data/trades?after=``).

    ``after = min(last trade seen, oldest trade not yet CONFIRMED/FAILED, oldest fill inventory has not
    acknowledged) - margin``; before any trade:
    the last time we were known caught up (``synced_ns``), or ``now - lookback``. A back-fill owed
    (``owed_s``) is kept until one succeeds, however far live trades move the last-trade mark.
    """

    last_trade_ns: int = 0
    open_trades: dict[str, int] = field(default_factory=dict)  # trade id -> match time (ns)
    synced_ns: int = 0
    owed_s: int | None = None
    running_s: int | None = None
    pinned_ns: int = 0  # match time of the oldest fill inventory has not acknowledged (0: none)

    def observe(self, trade: UserTrade, status: str) -> None:
        match_ns = match_time(trade)
        self.last_trade_ns = max(self.last_trade_ns, match_ns)
        if status in FINAL:
            self.open_trades.pop(trade.id, None)
        elif trade.id not in self.open_trades:
            self.open_trades[trade.id] = match_ns

    def prune(self, now: int, max_open_s: int) -> None:
        """Forget trades that never became final within ``max_open_s`` (they would pin back-fill)."""
        horizon = now - max_open_s * NS
        for trade_id in [t for t, ts in self.open_trades.items() if ts < horizon]:
            del self.open_trades[trade_id]

    def after_s(self, now: int, margin_s: int, lookback_s: int) -> int:
        marks = [ts for ts in (self.last_trade_ns, self.pinned_ns, *self.open_trades.values()) if ts > 0]
        if marks:
            return max(0, min(marks) // NS - margin_s)
        if self.synced_ns:
            return max(0, self.synced_ns // NS - margin_s)
        return max(0, now // NS - lookback_s)

    def owe_pinned(self, margin_s: int) -> None:
        """At start: fills the last run pushed and never saw acknowledged must be fetched again."""
        if self.pinned_ns:
            self.owe(max(0, self.pinned_ns // NS - margin_s))

    def owe(self, after_s: int) -> None:
        """A back-fill from ``after_s`` is needed (a connect happened); merges with one already owed."""
        self.owed_s = after_s if self.owed_s is None else min(self.owed_s, after_s)

    def start(self) -> int | None:
        """The ``after`` of the back-fill to run now, or None (nothing owed, or one is running)."""
        if self.running_s is not None or self.owed_s is None:
            return None
        self.running_s, self.owed_s = self.owed_s, None
        return self.running_s

    def finish(self, ok: bool, started_ns: int) -> None:
        if self.running_s is not None and not ok:
            self.owe(self.running_s)
        elif ok and self.owed_s is None:
            self.synced_ns = max(self.synced_ns, started_ns)
        self.running_s = None

    def caught_up(self, now: int) -> None:
        """Connected, nothing owed or running: everything up to ``now`` has been seen."""
        if self.owed_s is None and self.running_s is None:
            self.synced_ns = max(self.synced_ns, now)

    def to_json(self) -> dict[str, Any]:
        owed = [s for s in (self.owed_s, self.running_s) if s is not None]
        return {"last_trade_ns": self.last_trade_ns, "open_trades": dict(self.open_trades),
                "synced_ns": self.synced_ns, "owed_s": min(owed) if owed else None,
                "unacked_ns": self.pinned_ns}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Watermark:
        owed = data.get("owed_s")
        return cls(last_trade_ns=int(data.get("last_trade_ns", 0)),
                   open_trades={str(k): int(v) for k, v in dict(data.get("open_trades", {})).items()},
                   synced_ns=int(data.get("synced_ns", 0)), owed_s=None if owed is None else int(owed),
                   pinned_ns=int(data.get("unacked_ns", 0)))


@dataclass(slots=True)
class Feed:
    """Events -> bus messages, with the watermark and counters. Shared by live and replay."""

    me: Identity
    mark: Watermark = field(default_factory=Watermark)
    outbox: Outbox = field(default_factory=Outbox)
    skipped: int = 0  # events that could not be turned into messages
    unmatched_trades: int = 0  # trades reported to us in which none of our orders was found
    errors: list[str] = field(default_factory=list)  # the latest few skip reasons, for logs

    def take_errors(self) -> list[str]:
        """The skip reasons since the last call (for a log line), then none."""
        errors, self.errors = self.errors, []
        return errors

    def on_event(self, event: UserEvent, source: Literal["ws", "rest"], now: int) -> list[Out]:
        try:
            if isinstance(event, UserTrade):
                return self._trade(event, source, now)
            update = order_update(event, now)
            topic = topics.user_placed(update.market) if resting(update) else topics.user_order(update.market)
            return [Out("", topic, update)]
        except (ValueError, ArithmeticError) as exc:  # topics.TopicError is a ValueError too
            self.skipped += 1
            self.errors = [*self.errors[-4:], f"{type(event).__name__} {event.id}: {exc}"]
            return []

    def _trade(self, trade: UserTrade, source: Literal["ws", "rest"], now: int) -> list[Out]:
        fills = trade_fills(trade, self.me, source, now)
        outs = [Out(FILLS_PIPE, topics.inv_fill(f.market), f) for f in fills]
        self.mark.observe(trade, fills[0].status if fills else venue.trade_status(trade.status) or "")
        if not fills:
            self.unmatched_trades += 1
        match_ns = match_time(trade)
        for fill in fills:
            self.outbox.pushed(fill, match_ns, now)
        self._pin()
        return outs

    # -- acknowledgements (see ``outbox``) --------------------------------------------------------

    def on_applied(self, fill: Fill) -> bool:
        """Inventory echoed this fill after committing it; True if it was waiting for that."""
        acked = self.outbox.ack(fill)
        self._pin()
        return acked

    def on_inventory_heartbeat(self, run: int, now: int) -> list[Out]:
        return _pushes(self.outbox.on_heartbeat(run, now))

    def resend_due(self, now: int, resend_ns: int, alive_ns: int) -> list[Out]:
        return _pushes(self.outbox.due(now, resend_ns, alive_ns))

    def prune(self, now: int, max_open_s: int) -> list[Fill]:
        self.mark.prune(now, max_open_s)
        dropped = self.outbox.prune(now, max_open_s * NS)
        self._pin()
        return dropped

    def _pin(self) -> None:
        self.mark.pinned_ns = self.outbox.oldest_ns()


def _pushes(fills: list[Fill]) -> list[Out]:
    return [Out(FILLS_PIPE, topics.inv_fill(f.market), f) for f in fills]


def backoff_ms(attempt: int, base_ms: int, cap_ms: int, rand01: float) -> int:
    """Capped exponential back-off with jitter: uniform in [half, full] of ``min(cap, base * 2^n)``."""
    full = min(cap_ms, base_ms * (1 << min(attempt, 30)))
    return max(1, math.ceil(full * (0.5 + 0.5 * rand01)))
