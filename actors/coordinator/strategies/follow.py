"""Strategy ``follow``: seed-002's maker-only follow execution (dip-buy at the bid, sell above a floor).

The round's state machine is ``follow_round.FollowMachine`` (pure, held here and so by the coordinator);
this adapter hands it the decision's inputs and turns its answer into a ``Decision``: the wanted quotes
(``follow_buy`` / ``follow_sell`` slots), the mode (the state, lower case), the last transition's reason
and the log records of what it did. Re-evaluated on every book change (spec resolution 5), re-posting at
most once per ``PM_FOLLOW_REPOST_MIN_S``; tick and minimum size from the market (resolution 6).

It never merges pairs (it sells what it bought) and does not widen on rejections (a rejected placement is
posted again at the book after the executor's back-off). ``status`` is what ``CoordinatorState.follow``
carries; ``on_command`` takes the operator's ``ctl follow`` / ``ctl follow --abort``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actors.coordinator.model import Decision, Leg, MarketSpec
from actors.coordinator.strategies.base import Inputs
from actors.coordinator.strategies.follow_round import FollowMachine, FollowParams
from schemas import FollowAbort, FollowStart, FollowStatus
from schemas.units import MICRO


@dataclass
class Follow:
    params: FollowParams = field(default_factory=FollowParams)
    machine: FollowMachine = field(init=False)
    name: str = "follow"
    widens_on_reject: bool = False
    merges_pairs: bool = False  # it sells what it bought: nothing is merged away

    def __post_init__(self) -> None:
        self.machine = FollowMachine(self.params)

    def base_size(self, market: MarketSpec) -> int:
        return max(self.params.shares, market.min_size)

    def decide(self, i: Inputs) -> Decision:
        m = self.machine
        want, records = m.step(i.market, i.yes, i.no, i.position, dict(i.slots), i.now)
        return Decision(m.state.lower(), m.reason, want, notes=tuple(records))

    def status(self) -> FollowStatus:
        m = self.machine
        r = m.round
        return FollowStatus(state=m.state, round=m.rounds, reason=m.reason, leg=r.leg if r else "",
                            target=r.target if r else 0, filled=r.bought if r else 0,
                            avg_price=r.avg_buy if r else 0, floor=r.floor if r else 0,
                            sold=r.sold if r else 0, remaining=m.remaining(),
                            status=r.status if r else "", cooldown_until=m.cooldown_until)

    def on_command(self, msg: FollowStart | FollowAbort) -> tuple[bool, str]:
        """(accepted, what to answer)."""
        if isinstance(msg, FollowAbort):
            return self.machine.abort(msg.reason)
        leg: Leg = "yes" if msg.outcome.upper() == "YES" else "no"
        ok, what = self.machine.request(msg.cmd_id, leg, msg.shares, msg.usd)
        size = f"{msg.shares / MICRO:g} shares" if msg.shares else f"${msg.usd / MICRO:g}"
        return ok, f"{what} ({size})" if ok else what
