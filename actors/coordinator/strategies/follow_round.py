"""The ``follow`` strategy's round: seed-002's maker-only state machine, as a pure object (time passed in).

    FLAT --(drop trigger | manual command)--> BUYING --(filled | remainder < min buyable)--> LONG
    LONG --(floor X = avg buy + profit)--> SELLING <--(ask < X / ask >= X again)--> WAIT_FOR_FLOOR
    SELLING --(sold | dust)--> FLAT --> COOLDOWN --(PM_FOLLOW_COOLDOWN_S)--> FLAT
    BUYING with nothing bought, or an abort: --> COOLDOWN

Buying (seed-002 §3, §6): a post-only BUY rests at the best bid for ``max(remaining, min_buyable)``,
``min_buyable = ceil($1 / bid)`` on the 2-decimal size grid and at least the market's minimum size. It is
re-posted (the executor replaces it: cancel, then the remainder at the new bid) only when the bid rose by
at least one tick above our price, never when it falls, at most once per ``repost_min_ns``. Done when
``remaining < min_buyable`` (``FILLED``, or ``FILLED_TRUNCATED`` with a remainder).

Selling (seed-002 §4): ``X = avg_buy + profit`` (or ``avg_buy * (1 + profit_pct)``); a post-only SELL of the
round's holding (2 decimals, down) rests at ``max(floor_to_tick(ask), ceil_to_tick(X))``. Ask below X:
cancel and wait without an order; ask back at or above X: post again. Re-posted when the ask fell by at
least a tick below our price and is still >= X; never raised. Done when sold, or what is left is dust.

Filled quantities and the average price come only from inventory (our fills on the user channel): the
round remembers the leg's quantity and cost when it started, and what it bought is the difference.

``step`` returns the quotes wanted (slot -> Quote, or None to cancel; an absent slot is left as is) and
the log records of what it did (``follow_place``, ``follow_repost``, ``follow_cancel``, ``follow_fill``,
``follow_state``): only on an action or a transition, never on a quiet evaluation (seed-002 §7, §10.6).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from actors.coordinator.model import (
    SIZE_STEP,
    Leg,
    MarketSpec,
    Position,
    Quote,
    Slot,
    Top,
    ceil_to_tick,
    floor_to_tick,
    sell_size,
)
from actors.coordinator.strategies.follow_rules import (
    ACTIVE,
    BUY_SLOT,
    SELL_SLOT,
    SETTLE_NS,
    DropWindow,
    FollowParams,
    ManualRequest,
    Record,
    Round,
    State,
    floor_price,
    min_buyable,
    target_shares,
)
from schemas.units import MICRO


@dataclass
class FollowMachine:
    params: FollowParams = field(default_factory=FollowParams)
    state: State = "FLAT"
    round: Round | None = None
    rounds: int = 0
    reason: str = ""  # of the last transition
    cooldown_until: int = 0
    pending: ManualRequest | None = None
    abort_reason: str = ""
    version: int = 0  # bumped on every change worth keeping (the shell persists on a change)
    drops: dict[str, DropWindow] = field(init=False)

    def __post_init__(self) -> None:
        self.drops = {leg: DropWindow(self.params.drop_window_ns) for leg in ("yes", "no")}

    # -- the operator ---------------------------------------------------------------------------

    def request(self, cmd_id: str, leg: Leg, shares: int, usd: int) -> tuple[bool, str]:
        """A manual round (``ctl follow``): accepted unless a round is running (a cooldown is skipped)."""
        if self.state in ACTIVE:
            assert self.round is not None
            return False, f"refused: round {self.round.number} is {self.state}"
        self.pending = ManualRequest(cmd_id, leg, shares, usd)
        return True, f"accepted: round {self.rounds + 1} on {leg.upper()}"

    def abort(self, reason: str) -> tuple[bool, str]:
        """``ctl follow --abort``: cancel what rests, keep what was bought, end the round."""
        if self.state not in ACTIVE:
            self.pending = None
            return False, f"nothing to abort ({self.state})"
        assert self.round is not None
        self.abort_reason = reason or "operator"
        return True, f"aborting round {self.round.number} ({self.state})"

    # -- the decision ---------------------------------------------------------------------------

    def step(self, market: MarketSpec, yes: Top, no: Top, pos: Position, slots: dict[str, Slot],
             now: int) -> tuple[dict[str, Quote | None], list[Record]]:
        out: list[Record] = []
        self.drops["yes"].observe(now, yes.mid if yes.two_sided else 0)
        self.drops["no"].observe(now, no.mid if no.two_sided else 0)
        if self.abort_reason and self.round is not None:
            return self._end(now, "ABORTED", f"aborted: {self.abort_reason}", out, slots), out
        if self.state in ACTIVE and self.round is not None and self.round.market not in ("", market.market):
            # the window rotated (or a restart found another market): the round's token is not traded
            # here; what it holds is left to the old market's resolution
            return self._end(now, "MARKET_ENDED", "market_ended", out, slots), out
        self.abort_reason = ""
        if self.state == "COOLDOWN" and (now >= self.cooldown_until or self.pending is not None):
            self._to("FLAT", "cooldown_over" if self.pending is None else "manual", now, out)
        if self.state == "FLAT":
            self._maybe_start(market, yes, no, pos, now, out)
        r = self.round
        if r is None or self.state not in ACTIVE:
            return {BUY_SLOT: None, SELL_SLOT: None}, out
        top = yes if r.leg == "yes" else no
        qty, avg = (pos.yes_qty, pos.yes_avg_cost) if r.leg == "yes" else (pos.no_qty, pos.no_avg_cost)
        want: dict[str, Quote | None] = {}
        if self.state == "BUYING":
            want = self._buy(market, top, qty, avg, slots.get(BUY_SLOT), now, out)
            if self.state == "BUYING":
                return want, out
        if self.state == "LONG":
            r.floor = floor_price(self.params, r.avg_buy)
            r.posted_at = r.last_post = r.gone_at = 0
            r.seen = False
            self._to("SELLING", "long", now, out, floor=r.floor, avg_buy=r.avg_buy, bought=r.bought)
        if self.state in ACTIVE:
            want.update(self._sell(market, top, qty, slots.get(SELL_SLOT), now, out))
        else:
            want.update({BUY_SLOT: None, SELL_SLOT: None})
        return want, out

    # -- phases ---------------------------------------------------------------------------------

    def _maybe_start(self, market: MarketSpec, yes: Top, no: Top, pos: Position, now: int,
                     out: list[Record]) -> None:
        p, req = self.params, self.pending
        leg: Leg | None = None
        trigger = ""
        if req is not None:
            leg, trigger = req.leg, f"manual:{req.cmd_id}"
        elif p.drop_pct and now >= self.cooldown_until:
            for cand in (("yes", "no") if p.outcome == "both" else (p.outcome,)):
                drop = self.drops[cand].drop()
                if drop >= p.drop_pct:
                    leg, trigger = cand, f"drop:{drop}"
                    break
        if leg is None:
            return
        top = yes if leg == "yes" else no
        if top.bid <= 0:
            return  # no bid to rest at yet: a manual request waits for one
        self.pending = None
        target = target_shares(p, top.bid, req.shares if req else 0, req.usd if req else 0)
        target = max(target, min_buyable(p, top.bid, market))
        qty, avg = (pos.yes_qty, pos.yes_avg_cost) if leg == "yes" else (pos.no_qty, pos.no_avg_cost)
        self.rounds += 1
        self.round = Round(self.rounds, leg, target, qty, qty * avg // MICRO, trigger, market.market)
        for d in self.drops.values():
            d.clear()
        self._to("BUYING", trigger.split(":")[0], now, out, leg=leg, target=target, bid=top.bid,
                 trigger=trigger)

    def _buy(self, market: MarketSpec, top: Top, qty: int, avg: int, slot: Slot | None, now: int,
             out: list[Record]) -> dict[str, Quote | None]:
        p, r = self.params, self.round
        assert r is not None
        bought = max(qty - r.base_qty, 0)
        if bought != r.bought:
            cost = max(qty * avg // MICRO - r.base_cost, 0)
            out.append(("follow_fill", self._fields(side="BUY", size=bought - r.bought, filled=bought,
                                                    price=(cost - r.cost) * MICRO // (bought - r.bought)
                                                    if bought > r.bought else 0,
                                                    avg_price=cost * MICRO // bought if bought else 0)))
            r.bought, r.cost = bought, cost
            self.version += 1
        bid = top.bid
        remaining = max(r.target - r.bought, 0)
        if bid <= 0:
            return {}  # nothing to measure against: what rests stays
        least = min_buyable(p, bid, market)
        if remaining < least:
            r.status = "FILLED" if remaining == 0 else "FILLED_TRUNCATED"
            self._cancel(BUY_SLOT, "filled" if remaining == 0 else "remainder_below_min", out, slot)
            if r.bought == 0:
                self._end(now, "NOTHING_BOUGHT", "nothing_bought", out, {})
                return {BUY_SLOT: None}
            self._to("LONG", r.status.lower(), now, out, filled=r.bought, avg_price=r.avg_buy,
                     remaining=remaining)
            return {BUY_SLOT: None}
        if not self._resting(r, slot, qty, now, out):
            if r.gone_at:
                return {}  # ended unasked: inventory may not show its fills yet
            if r.last_post and now - r.last_post < p.repost_min_ns:
                return {BUY_SLOT: None}
            self._post(r, ceil_to_tick(bid, market.tick), max(remaining, least), "BUY",
                       "start" if not r.last_post else "resume", now, out)
        elif bid >= r.posted_price + market.tick and now - r.last_post >= p.repost_min_ns:
            self._post(r, ceil_to_tick(bid, market.tick), max(remaining, least), "BUY", "bid_up", now, out,
                       repost=True)
        return {BUY_SLOT: Quote(r.posted_price, r.posted_size, r.leg, "BUY")}

    def _sell(self, market: MarketSpec, top: Top, qty: int, slot: Slot | None, now: int,
              out: list[Record]) -> dict[str, Quote | None]:
        p, r = self.params, self.round
        assert r is not None
        held = min(max(qty - r.base_qty, 0), r.bought)
        sold = r.bought - held
        if sold != r.sold:
            out.append(("follow_fill", self._fields(side="SELL", size=sold - r.sold, sold=sold, held=held)))
            r.sold = sold
            self.version += 1
        remaining = sell_size(held)
        if remaining < SIZE_STEP or remaining < market.min_size:
            self._cancel(SELL_SLOT, "sold" if held == 0 else "dust", out, slot)
            self._end(now, "SOLD" if held == 0 else "DUST", "sold" if held == 0 else "dust", out, {})
            return {SELL_SLOT: None}
        ask, floor = top.ask, r.floor
        if ask <= 0:
            return {}  # no ask to compare with: what rests stays
        if ask < floor:
            if self.state == "SELLING":
                self._cancel(SELL_SLOT, "below_floor", out, slot, ask=ask)
                r.posted_at, r.seen, r.gone_at = 0, False, 0
                self._to("WAIT_FOR_FLOOR", "below_floor", now, out, ask=ask, floor=floor)
            return {SELL_SLOT: None}
        price = max(floor_to_tick(ask, market.tick), ceil_to_tick(floor, market.tick))
        if self.state == "WAIT_FOR_FLOOR":
            self._to("SELLING", "floor_recovered", now, out, ask=ask, floor=floor)
        if not self._resting(r, slot, qty, now, out):
            if r.gone_at:
                return {}
            if r.last_post and now - r.last_post < p.repost_min_ns:
                return {SELL_SLOT: None}
            why = "start" if not r.last_post else ("floor_recovered" if self.reason == "floor_recovered"
                                                   else "resume")
            self._post(r, price, remaining, "SELL", why, now, out)
        elif ask <= r.posted_price - market.tick and price < r.posted_price and \
                now - r.last_post >= p.repost_min_ns:
            self._post(r, price, remaining, "SELL", "ask_down", now, out, repost=True)
        return {SELL_SLOT: Quote(r.posted_price, r.posted_size, r.leg, "SELL")}

    # -- helpers --------------------------------------------------------------------------------

    def _resting(self, r: Round, slot: Slot | None, qty: int, now: int, out: list[Record]) -> bool:
        """Whether the order we posted is (or may still be) resting. One that ended unasked (filled, or
        cancelled by the venue) is let go once inventory moved or ``SETTLE_NS`` passed."""
        if not r.posted_at:
            return False
        if slot is not None:
            r.seen = True
            return True
        if not r.seen:
            return True  # placed by this decision or on its way: not in a slot yet
        if not r.gone_at:
            r.gone_at, r.gone_qty = now, qty
            return False
        if qty == r.gone_qty and now - r.gone_at < SETTLE_NS:
            return False
        out.append(("follow_cancel", self._fields(price=r.posted_price, size=r.posted_size,
                                                  reason="order_ended")))
        r.posted_at, r.seen, r.gone_at = 0, False, 0
        return False

    def _post(self, r: Round, price: int, size: int, side: str, reason: str, now: int, out: list[Record],
              repost: bool = False) -> None:
        event = "follow_repost" if repost else "follow_place"
        out.append((event, self._fields(side=side, price=price, size=size, reason=reason,
                                        **({"old_price": r.posted_price} if repost else {}))))
        r.posted_price, r.posted_size, r.posted_at, r.last_post = price, size, now, now
        r.seen, r.gone_at = False, 0
        self.version += 1

    def _cancel(self, slot_name: str, reason: str, out: list[Record], slot: Slot | None, **more: Any) -> None:
        r = self.round
        if r is not None and r.posted_at and (slot is not None or not r.seen):
            out.append(("follow_cancel", self._fields(slot=slot_name, price=r.posted_price,
                                                      size=r.posted_size, reason=reason, **more)))
        if r is not None:
            r.posted_at = 0

    def _end(self, now: int, status: str, reason: str, out: list[Record],
             slots: dict[str, Slot]) -> dict[str, Quote | None]:
        r = self.round
        assert r is not None
        if self.abort_reason:
            for name in (BUY_SLOT, SELL_SLOT):
                if name in slots:
                    self._cancel(name, "aborted", out, slots[name])
        r.status = status
        self.abort_reason = ""
        if self.state in ("SELLING", "WAIT_FOR_FLOOR") and status in ("SOLD", "DUST"):
            self._to("FLAT", reason, now, out, sold=r.sold, avg_buy=r.avg_buy)
        self.cooldown_until = now + self.params.cooldown_ns
        self._to("COOLDOWN", reason, now, out, status=status, until=self.cooldown_until)
        return {BUY_SLOT: None, SELL_SLOT: None}

    def _to(self, state: State, reason: str, now: int, out: list[Record], **more: Any) -> None:
        before = self.state
        self.state, self.reason = state, reason
        self.version += 1
        out.append(("follow_state", self._fields(**{"from": before, "to": state, "reason": reason, **more})))

    def _fields(self, **more: Any) -> dict[str, Any]:
        r = self.round
        base: dict[str, Any] = {"round": r.number, "leg": r.leg} if r else {}
        return {**base, "state": self.state, **more}

    # -- what the bus and a restart see ---------------------------------------------------------

    def remaining(self) -> int:
        r = self.round
        if r is None or self.state not in ACTIVE:
            return 0
        if self.state == "BUYING":
            return max(r.target - r.bought, 0)
        return r.bought - r.sold

    def record(self) -> dict[str, Any]:
        return {"state": self.state, "rounds": self.rounds, "reason": self.reason,
                "cooldown_until": self.cooldown_until, "round": asdict(self.round) if self.round else None}

    def restore(self, record: dict[str, Any]) -> None:
        """Take up a kept record (``record``). A posted order is not assumed to rest: the coordinator's
        restart withdrew it, so it is posted again (with the same re-post interval)."""
        self.state = record["state"]
        self.rounds, self.reason = int(record["rounds"]), str(record["reason"])
        self.cooldown_until = int(record["cooldown_until"])
        r = record.get("round")
        self.round = Round(**r) if r else None
        if self.round is not None:
            self.round.posted_at, self.round.seen, self.round.gone_at, self.round.last_post = 0, False, 0, 0
