"""Which merge or redemption to run, and the settlements inventory has not acknowledged. Pure: time is
passed in, output goes into an ``Effects``.

- A ``MergePairs`` command (echoed on ``exec.cmd.<holder>.``) becomes a merge ``Job`` of the market when
  inventory's latest state (at most ``STALE_NS`` old, unresolved, the same tokens) holds at least
  ``min_size`` of both legs; the job carries ``min(yes, no)``, and the worker merges no more than the
  venue holds either (``sdk``).
- An ``InventoryState`` of a resolved market with a leg still held becomes a redemption ``Job``.
- One job per market at a time; none while a settlement of that market waits for inventory's echo
  (inventory's view would be stale), nor within ``retry_ns`` of a failed one there.
- A job's confirmed result (a ``Settlement``) is pushed to inventory (``INV_PIPE``) and kept until its
  ``SettlementApplied`` echo arrives; pushed again every ``resend_ns`` until then (inventory applies a key
  once, so a repeat is harmless). A job that found nothing to do (``Skipped``) is only noted.
- Dry run: a job is noted (``dry_run_merge`` / ``dry_run_redeem``, once per market and amount) and not run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, NamedTuple

from bus import topics
from bus.effects import Effects
from bus.logs import Throttle
from schemas import InventoryState, MergePairs, Settlement, SettlementApplied
from schemas.units import NS

INV_PIPE = "inv"  # the executor's PUSH pipe to inventory's PULL (the one fills use)
STALE_NS = 3 * NS  # inventory publishes every second: an older state is not trusted for a merge
FORGET_NS = 60 * NS  # a market inventory has not reported for this long is forgotten


@dataclass(frozen=True, slots=True)
class Job:
    kind: Literal["merge", "redeem"]
    market: str
    yes_asset: str
    no_asset: str
    amount: int = 0  # merge: the pairs inventory holds (the most to merge)
    min_size: int = 0  # merge: fewer than this is not worth a transaction
    winner: str = ""  # redeem: the winning token


class Skipped(NamedTuple):
    reason: str  # nothing was sent: e.g. the venue holds fewer pairs than min_size


Outcome = Settlement | Skipped


class Settlements:
    def __init__(self, *, merge: bool, redeem: bool, retry_ns: int, resend_ns: int, dry_run: bool) -> None:
        self.merge, self.redeem, self.dry_run = merge, redeem, dry_run
        self.retry_ns, self.resend_ns = retry_ns, resend_ns
        self.states: dict[str, tuple[InventoryState, int]] = {}  # market -> (latest state, received at)
        self.busy: dict[str, Job] = {}  # market -> its job in flight
        self.unacked: dict[str, tuple[Settlement, int]] = {}  # key -> (settlement, last pushed at)
        self.retry_at: dict[str, int] = {}  # market -> no new job before this time
        self.dry_noted: set[tuple[str, str, int]] = set()
        self.bad_holders = Throttle()
        self.done = {"merge": 0, "redeem": 0, "skipped": 0, "failed": 0}

    # -- inputs -----------------------------------------------------------------------------------

    def on_merge(self, cmd: MergePairs, now: int, fx: Effects) -> Job | None:
        try:
            fx.publish(topics.exec_cmd(cmd.holder), cmd)
        except topics.TopicError:
            if n := self.bad_holders.count(cmd.holder):
                fx.warn("bad_command", holder=cmd.holder, cmd_id=cmd.cmd_id, type="MergePairs", count=n)
            return None
        seen = self.states.get(cmd.market)
        if not self.merge or seen is None or now - seen[1] > STALE_NS:
            return None
        state = seen[0]
        pairs = min(state.yes_qty, state.no_qty)
        if state.resolved or (state.yes_asset, state.no_asset) != (cmd.yes_asset, cmd.no_asset) or \
                pairs <= 0 or pairs < cmd.min_size:
            return None
        return self._start(Job("merge", cmd.market, cmd.yes_asset, cmd.no_asset, amount=pairs,
                               min_size=cmd.min_size), now, fx)

    def on_state(self, state: InventoryState, now: int, fx: Effects) -> Job | None:
        self.states[state.market] = (state, now)
        if not (self.redeem and state.resolved and state.winner and (state.yes_qty > 0 or state.no_qty > 0)):
            return None
        return self._start(Job("redeem", state.market, state.yes_asset, state.no_asset, winner=state.winner),
                           now, fx)

    def on_ack(self, applied: SettlementApplied, fx: Effects) -> bool:
        """Inventory's echo: True if it acknowledged a settlement of ours (then it is forgotten)."""
        found = self.unacked.pop(applied.settlement.key, None)
        if found is None:
            return False
        fx.note("settlement_acknowledged", "warning" if applied.action == "refused" else "info",
                key=applied.settlement.key, market=applied.settlement.market, action=applied.action)
        return True

    def on_done(self, job: Job, outcome: Outcome | None, error: BaseException | None, now: int,
                fx: Effects) -> Settlement | None:
        """The worker's result: the confirmed settlement to keep (and push), or None."""
        self.busy.pop(job.market, None)
        if isinstance(outcome, Settlement):
            self.done[job.kind] += 1
            self.unacked[outcome.key] = (outcome, now)
            fx.push(INV_PIPE, topics.inv_settle(outcome.market), outcome)
            fx.note("merged" if job.kind == "merge" else "redeemed", market=job.market, key=outcome.key,
                    yes=outcome.yes, no=outcome.no, usdc=outcome.usdc, winner=outcome.winner, tx=outcome.tx)
            return outcome
        if isinstance(outcome, Skipped):
            self.done["skipped"] += 1
            self.retry_at[job.market] = now + self.retry_ns
            fx.note(f"{job.kind}_skipped", market=job.market, reason=outcome.reason)
            return None
        self.done["failed"] += 1
        self.retry_at[job.market] = now + self.retry_ns
        fx.warn(f"{job.kind}_failed", market=job.market, amount=job.amount,
                error=f"{type(error).__name__}: {error}"[:300], retry_in_ms=self.retry_ns // 1_000_000)
        return None

    def resend(self, now: int, fx: Effects) -> None:
        """Push again every settlement not acknowledged for ``resend_ns``; forget markets inventory no longer
        reports (rotated away, redeemed), so nothing here grows with the markets traded."""
        for key, (settlement, sent) in list(self.unacked.items()):
            if now - sent >= self.resend_ns:
                self.unacked[key] = (settlement, now)
                fx.push(INV_PIPE, topics.inv_settle(settlement.market), settlement)
        for market in [m for m, (_, seen) in self.states.items() if now - seen > FORGET_NS]:
            del self.states[market]
            if now >= self.retry_at.get(market, 0):
                self.retry_at.pop(market, None)
            self.dry_noted = {n for n in self.dry_noted if n[1] != market}

    def restore(self, settlements: list[Settlement], now: int, fx: Effects) -> None:
        """Settlements a previous run confirmed but inventory never acknowledged: pushed again now."""
        for settlement in settlements:
            self.unacked[settlement.key] = (settlement, now)
            fx.push(INV_PIPE, topics.inv_settle(settlement.market), settlement)

    # -- gating -----------------------------------------------------------------------------------

    def _start(self, job: Job, now: int, fx: Effects) -> Job | None:
        if job.market in self.busy or now < self.retry_at.get(job.market, 0) or \
                any(s.market == job.market for s, _ in self.unacked.values()):
            return None
        if self.dry_run:
            noted = (job.kind, job.market, job.amount)
            if noted not in self.dry_noted:
                self.dry_noted.add(noted)
                fx.note(f"dry_run_{job.kind}", market=job.market, amount=job.amount, winner=job.winner,
                        note="dry run: nothing is sent")
            return None
        self.busy[job.market] = job
        return job
