"""Strategy ``rewards``: seed-004's liquidity-rewards market making, maker-only (spec resolutions 1, 3, 4).

One coordinator trades one selected reward market (slot ``market:rewards-<k>`` takes the scanner's
rank-k market: ``actors.coordinator.reward_slot``). Each decision, from the newest books:

- **Bids on both tokens** (seed-004's "buy and sell per token" without a naked sell): per token the
  price ``reward_rules.buy_price`` (second-best bid inside the band ``mid ± (max_spread - 1¢)``, else the
  band's low edge; none with one bid level) and size ``reward_rules.order_size``, if the safety checks
  pass (``reward_rules.safety``: volatility over the last 30 mid samples, one per ``sample_ns``, price
  cliff, protection, hedge depth); each failure is the decision's reason. A two-sided market (a mid
  <= 0.10 or >= 0.90, at selection or now) bids both tokens or neither (only both sides score there).
- **Exposure** (§2.5): resting buys count ``price × size`` until cancelled, filled tokens their cost until
  sold; a bid that would take the market above ``max_exposure`` is not placed (``exposure``).
- **Hedges** (§2.3, reworked): whatever is held rests as a post-only SELL of the whole position (slot
  ``<leg>_hedge``) at ``reward_rules.hedge_price`` (one tick above the seed's layer, at least cost +
  margin, never crossing; re-priced as the book moves unless ``dynamic_follow`` is off). The slot always
  covers the position, so every fill, partial ones included, is covered at the next decision, and the
  sweep (available = position - resting sells) needs no timer of its own. With ``hedge="pair"`` the
  unpaired excess is hedged by a bid for the complement at ``<= 1 - cost - margin``; pairs are merged.
  Failed hedge placements follow the seed's retry queue (``HedgeRetry``: 1 s, 10 tries, 30 s cooldown).
- **Re-pricing**: a resting bid is kept while within ``reprice_threshold`` of the wanted price;
  ``requote_ns`` (``PM_REWARDS_REPRICE_S``) is the least time between two placements in a slot.
- **Stop-buys** (``stop_buys``, set by the shell from the operator's flag) and **leaving** (the slot's
  market left the selection; the shell exits once flat): bids are cancelled, hedges stay.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from actors.coordinator.model import Decision, Leg, MarketSpec, Quote, Slot, Top, ceil_to_tick, floor_to_tick
from actors.coordinator.model import sell_size as floor_size
from actors.coordinator.strategies import reward_rules as rules
from actors.coordinator.strategies.base import Inputs
from schemas.units import NS, ONE

BID = {"yes": "yes_bid", "no": "no_bid"}
HEDGE = {"yes": "yes_hedge", "no": "no_hedge"}
LEGS: tuple[Leg, Leg] = ("yes", "no")
OTHER: dict[Leg, Leg] = {"yes": "no", "no": "yes"}
TWO_SIDED_LOW, TWO_SIDED_HIGH = 100_000, 900_000  # a YES mid at or beyond these: only both sides score


@dataclass(frozen=True, slots=True)
class RewardsParams:
    """The selected market's reward settings and PM_REWARDS_* (1e-6 units, ns)."""

    min_size: int = 20_000_000  # the market's rewards_min_size, shares
    max_spread: int = 35_000  # the reward band, price
    size_mult: int = ONE
    max_exposure: int = 25_000_000  # USDC per market
    margin: int = 500  # min_profit_margin (5 bps)
    safety: rules.SafetyParams = field(default_factory=rules.SafetyParams)
    reprice_threshold: int = 100
    reprice_ns: int = NS // 2
    sample_ns: int = 30 * NS  # one mid sample per this (30 samples: the seed's ~15 minutes)
    two_sided: bool = False
    hedge: str = "sell"  # "sell" | "pair"
    dynamic_follow: bool = True  # the hedge is re-priced as the book moves (seed §4.3)
    retry_ns: int = NS
    retries: int = 10
    cooldown_ns: int = 30 * NS


class HedgeRetry:
    """Seed-004 §8.3's retry queue for hedges: after a failure the hedge is tried again ``retry_ns``
    later, up to ``retries`` times in a row; then it waits ``cooldown_ns`` and starts over. A placement
    that is accepted clears it."""

    def __init__(self, retry_ns: int, retries: int, cooldown_ns: int) -> None:
        self.retry_ns, self.retries, self.cooldown_ns = retry_ns, retries, cooldown_ns
        self.failures: dict[str, int] = {}
        self.next_ns: dict[str, int] = {}

    def failed(self, slot: str, now: int) -> None:
        n = self.failures.get(slot, 0) + 1
        if n >= self.retries:
            self.failures[slot], self.next_ns[slot] = 0, now + self.cooldown_ns
        else:
            self.failures[slot], self.next_ns[slot] = n, now + self.retry_ns

    def placed(self, slot: str) -> None:
        self.failures.pop(slot, None)
        self.next_ns.pop(slot, None)

    def allowed(self, slot: str, now: int) -> bool:
        return now >= self.next_ns.get(slot, 0)


def exposure(slots: Mapping[str, Slot], yes_qty: int, yes_cost: int, no_qty: int, no_cost: int,
             skip: tuple[str, ...] = ()) -> int:
    """§2.5: resting buys (``price × size``, every BUY slot but ``skip``) plus held tokens at cost (1e-6)."""
    resting = sum(s.price * s.size // ONE for name, s in slots.items()
                  if s.side == "BUY" and name not in skip)
    return resting + yes_qty * yes_cost // ONE + no_qty * no_cost // ONE


def asks_of(top: Top) -> tuple[tuple[int, int], ...]:
    return ((top.ask, 0),) if top.ask else ()


class Rewards:
    def __init__(self, params: RewardsParams) -> None:
        self.params = params
        self.retry = HedgeRetry(params.retry_ns, params.retries, params.cooldown_ns)
        n = params.safety.volatility_samples
        self.mids: dict[Leg, deque[int]] = {leg: deque(maxlen=n) for leg in LEGS}
        self.sampled_ns = -(1 << 62)
        self.stop_buys = False
        self.leaving = False  # the slot's market left the selection: hedge what is held, then go

    @property
    def name(self) -> str:
        return "rewards"

    @property
    def widens_on_reject(self) -> bool:
        return False

    @property
    def merges_pairs(self) -> bool:
        return self.params.hedge == "pair"  # pair hedges keep pairs (merged); sell hedges sell what is held

    @property
    def reads_depth(self) -> bool:
        return True

    def base_size(self, market: MarketSpec) -> int:
        return rules.order_size(self.params.min_size, self.params.size_mult, market.min_size)

    # the coordinator's hooks: the retry queue hears about hedge placements
    def on_failed(self, slot: str, now: int) -> None:
        if slot in HEDGE.values():
            self.retry.failed(slot, now)

    def on_placed(self, slot: str) -> None:
        if slot in HEDGE.values():
            self.retry.placed(slot)

    def _sample(self, i: Inputs) -> None:
        if i.now - self.sampled_ns < self.params.sample_ns:
            return
        self.sampled_ns = i.now
        for leg, top in (("yes", i.yes), ("no", i.no)):
            if top.two_sided:
                self.mids[leg].append(top.mid)  # type: ignore[index]

    def hedges(self, i: Inputs, depth: Mapping[str, Sequence[tuple[int, int]]]) -> dict[str, Quote | None]:
        p, m, pos = self.params, i.market, i.position
        want: dict[str, Quote | None] = {}
        pairs = min(pos.yes_qty, pos.no_qty) if p.hedge == "pair" else 0  # complete pairs need no hedge
        for leg, held, cost in (("yes", pos.yes_qty, pos.yes_avg_cost), ("no", pos.no_qty, pos.no_avg_cost)):
            slot, size = HEDGE[leg], floor_size(held - pairs)
            if size < m.min_size or size <= 0:
                want[slot] = None
                continue
            if not self.retry.allowed(slot, i.now):
                continue  # the retry queue holds it back: leave the slot as it is
            top = i.yes if leg == "yes" else i.no
            if p.hedge == "pair":  # the unpaired excess: bid the complement, the pair is worth 1
                other = i.no if leg == "yes" else i.yes
                price = floor_to_tick(ONE - cost - p.margin, m.tick)
                if other.ask:
                    price = min(price, other.ask - m.tick)
                want[slot] = (Quote(price, size, OTHER[leg], "BUY")  # type: ignore[index]
                              if price >= m.tick else None)
                continue
            bids = depth.get(leg, ())
            price = rules.hedge_price(bids, asks_of(top), cost, size, p.margin, m.tick, p.safety.max_bid_gap)
            # dynamic follow (seed §4.3): re-priced as the book moves; off: kept where it was placed
            keep = p.reprice_threshold if p.dynamic_follow else ONE
            want[slot] = Quote(price, size, leg, "SELL", keep_within=keep)  # type: ignore[arg-type]
        return want

    def bids(self, i: Inputs, depth: Mapping[str, Sequence[tuple[int, int]]],
             reasons: list[str]) -> dict[str, Quote | None]:
        p, m, pos = self.params, i.market, i.position
        size = self.base_size(m)
        want: dict[str, Quote | None] = {}
        wanted = 0  # this decision's bids so far, in place of what their slots hold now
        for leg in LEGS:
            slot = BID[leg]
            top = i.yes if leg == "yes" else i.no
            bids = depth.get(leg, ())
            price = rules.buy_price(bids, asks_of(top), p.max_spread, m.tick)
            why = ("one bid level" if price is None
                   else rules.safety(bids, price, size, self.mids[leg], p.safety))
            if not why and price is not None:
                price = min(ceil_to_tick(price, m.tick), top.ask - m.tick) if top.ask else price
                skip = (slot, *(BID[w] for w in LEGS if w != leg and BID[w] in want))
                used = wanted + exposure(i.slots, pos.yes_qty, pos.yes_avg_cost, pos.no_qty, pos.no_avg_cost,
                                         skip=skip)
                if used + price * size // ONE > p.max_exposure:
                    why = f"exposure {used} + {price * size // ONE} > {p.max_exposure}"
            if why:
                reasons.append(f"{leg}: {why}")
                want[slot] = None
            else:
                assert price is not None
                want[slot] = Quote(price, size, leg, "BUY", keep_within=p.reprice_threshold)
                wanted += price * size // ONE
        live_two_sided = i.yes.two_sided and not TWO_SIDED_LOW < i.yes.mid < TWO_SIDED_HIGH
        if (p.two_sided or live_two_sided) and any(q is None for q in want.values()):
            reasons.append("two-sided market: both tokens or neither")
            want = dict.fromkeys(want)
        return want

    def decide(self, i: Inputs) -> Decision:
        self._sample(i)
        depth = i.depth
        want = self.hedges(i, depth)
        reasons: list[str] = []
        if self.stop_buys or self.leaving:
            want.update(dict.fromkeys(BID.values()))
            mode, reasons = (("stop_buys", ["stop-buys: hedges only"]) if self.stop_buys
                             else ("leaving", ["the market left the selection: hedges only until flat"]))
        elif i.toxic:
            want.update(dict.fromkeys(BID.values()))
            mode, reasons = "kill", ["toxic order flow"]
        else:
            bids = self.bids(i, depth, reasons)
            want.update(bids)
            mode = "quoting" if any(q is not None for q in bids.values()) else "waiting"
        if any(want.get(s) is not None for s in HEDGE.values()):
            mode += "+hedging"
        spread = (i.yes.ask - i.yes.bid) if i.yes.two_sided else 0
        return Decision(mode=mode, reason="; ".join(reasons), want=want, spread=spread,
                        requote_ns=self.params.reprice_ns)
