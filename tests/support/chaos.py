"""The chaos run: the whole engine under supervisord, the venue's faults on, ``kill -9`` every few seconds.

    python -m tests.support.chaos [--rounds 30] [--interval 3] [--seed 1] [--markets btc-updown-15m ...]
                                  [--window 30] [--keep] [--env PM_X=VALUE ...] [--fault FIELD=N ...]
                                  [--targets core:inventory ...]

1. A local venue (own port, synthetic flow, 30 s windows, trades MINED after 1 s and final after 4 s)
   and the engine under a real supervisord in a private PM_VAR (``tests.support.supervised``): group
   core plus one coordinator per market, exactly the configuration ``make up`` uses.
2. Once the engine quotes, the venue's faults go on: FAILED trades, WebSocket drops and silent market
   freezes, 429s, and a periodic engine restart (425, then post-only-only).
3. Each round ``kill -9``s one program chosen at random (bus, market-feed, user-feed, inventory, ofi,
   executor, the coordinators), sometimes two at once; supervisord restarts them. Most rounds wait for
   the moment most likely to hurt (``trigger_for``: a fill on its way to inventory, a POST in flight).
   A round ends when every program is RUNNING again and the interval has passed. Meanwhile
   (``tests.support.watch``): every order at the venue must be known to the executor, and every order
   placed must be post-only GTC/GTD.
4. Then: faults off; wait until every program runs and the engine quotes again; stop the coordinators
   (their quotes are withdrawn); wait until our trades are final and the inventory has caught up;
   ``make down`` (supervisord shuts everything down).
5. The audit (``tests.support.audit``): the inventory's journal against the venue's ``/data/trades``
   for our key (each (trade, our order) applied once, FAILED reversed, same size and price), the
   replayed positions against the venue's trade history and its positions (markets not yet paid out),
   and our open orders at the venue (must be none).

The last line printed is ``chaos: rounds=N kills=K fills=F mismatches=M orphans=O``: F our fills at the
venue (every status), M every disagreement found (positions; fills lost, unreversed, double counted or
different; orders unknown to the executor; orders that were not post-only), O orders left open after
the shutdown. The exit code is 1 when M or O is not 0 or the run itself failed (a program FATAL, no fill).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import sys
import time
import xmlrpc.client
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from bus import topics
from schemas import FillApplied, OpenOrders, OrderPlaced, OrderUpdate, PlaceOrder, RiskEvent
from tests.support import audit
from tests.support.account import VenueAccount
from tests.support.procs import Listener
from tests.support.stack import Stack
from tests.support.supervised import Supervised
from tests.support.watch import OrderWatch, PlaceWatch

CORE_TARGETS = ("core:bus", "core:market-feed", "core:user-feed", "core:inventory", "core:ofi",
                "core:executor")
ENGINE = {"PM_BID_SIZE": "5", "PM_MAX_NET_DIFF": "100", "PM_MAX_POSITION_VALUE": "500",
          "PM_OFI_TOXICITY_THRESHOLD": "400", "PM_HEARTBEAT_MS": "500"}
FAULTS: dict[str, Any] = {
    "failed_trade_rate": 0.1,
    "rate_429": 0.02, "retry_after_s": 1,
    "ws_drop_interval_s": 15.0,
    "freeze_interval_s": 13.0, "freeze_duration_s": 2.0,
    "restart_interval_s": 20.0, "restart_425_s": 2.0, "restart_post_only_s": 3.0,
}
WATCHED = (b"inv.fill.", b"risk.event.", b"user.order.", b"user.placed.", b"exec.cmd.", b"exec.event.",
           b"exec.orders.")
TRIGGERED = 0.6  # share of rounds whose kill waits for the moment most likely to hurt
PAIRED = 0.15  # share of rounds that kill a second program at the same moment
VENUE_CHECK_NS = 1_000_000_000  # how often the venue's open orders are compared with the executor's

Trigger = Callable[[bytes, Any], bool]


def trigger_for(target: str) -> Trigger | None:
    """The bus message after which killing ``target`` is most likely to lose something, if any.

    inventory / user-feed: an order of ours just filled (its fill is on its way to inventory);
    executor: a place command was just echoed (its POST is in flight, not yet in the registry);
    a coordinator: it just sent a command.
    """
    if target in ("core:inventory", "core:user-feed"):
        return lambda topic, msg: isinstance(msg, OrderUpdate) and msg.kind == "UPDATE"
    if target == "core:executor":
        return lambda topic, msg: isinstance(msg, PlaceOrder)
    if target.startswith("market:"):
        echo = topics.exec_cmd(target.removeprefix("market:"))
        return lambda topic, msg: topic == echo
    return None


@dataclass(frozen=True)
class Params:
    rounds: int = 30
    interval_s: float = 3.0
    seed: int = 1
    markets: tuple[str, ...] = ("btc-updown-15m",)
    window_s: int = 30
    keep: bool = False
    env: tuple[tuple[str, str], ...] = ()  # engine settings on top of ENGINE (e.g. PM_EXEC_STARTUP=adopt)
    faults: tuple[tuple[str, float | int], ...] = ()  # FaultPlan fields over FAULTS (ws_drop_interval_s=0)
    targets: tuple[str, ...] = ()  # programs to kill (default: every core program and coordinator)

    @property
    def fault_plan(self) -> dict[str, Any]:
        return {**FAULTS, **dict(self.faults)}


@dataclass
class Result:
    rounds: int = 0
    kills: int = 0
    fills: int = 0
    mismatches: int = 0
    orphans: int = 0
    failures: list[str] = field(default_factory=list)  # the run itself went wrong (not an audit finding)

    @property
    def ok(self) -> bool:
        return not (self.mismatches or self.orphans or self.failures) and self.fills > 0

    def line(self) -> str:
        return (f"chaos: rounds={self.rounds} kills={self.kills} fills={self.fills} "
                f"mismatches={self.mismatches} orphans={self.orphans}")


def venue_config(params: Params) -> dict[str, Any]:
    assets = sorted({slug.split("-")[0] for slug in params.markets})
    intervals = sorted({slug.rsplit("-", 1)[-1] for slug in params.markets})
    return {"window_seconds": params.window_s, "assets": assets, "intervals": intervals, "reward_markets": 0,
            "reward_specs": [], "mined_delay_ms": 1000, "confirmed_delay_ms": 3000,
            "flow_params": {"noise_rate_per_min": 240.0, "informed_prob": 0.1, "informed_check_ms": 300}}


class Chaos:
    def __init__(self, params: Params, stack: Stack, say: Callable[[str], None]) -> None:
        self.p, self.stack, self.say = params, stack, say
        self.rng = random.Random(params.seed)
        self.result = Result()
        self.venue = VenueAccount(stack)
        env = stack.env(PM_WINDOW_SECONDS=str(params.window_s), **dict(params.env))
        self.engine = Supervised(stack.dir, env, markets=[(slug, slug, {}) for slug in params.markets])
        self.listener: Listener | None = None
        self.orders, self.places = OrderWatch(), PlaceWatch()
        self.next_venue_check = 0
        self.risks: list[str] = []
        self.applied = 0
        self.trigger: Trigger | None = None  # kill when a bus message matches this...
        self.fired = ""  # ...and what matched

    # -- the run --------------------------------------------------------------------------------------

    def run(self) -> Result:
        try:
            self.engine.start()
            self.listener = Listener(self.stack.bus_cfg, *WATCHED)
            self.say(f"engine up under supervisord (PM_VAR={self.stack.dir}); venue {self.stack.venue_url}")
            self.wait(lambda: bool(self.venue.open_orders()), 40, "the engine never quoted")
            self.venue.admin("/_venue/faults", self.p.fault_plan)
            self.say(f"faults on: {self.p.fault_plan}")
            self.rounds()
            self.finish()
            self.audit()
        except AssertionError as error:
            self.result.failures.append(str(error))
        finally:
            if self.listener is not None:
                self.listener.close()
            self.engine.force_down()
            if not self.result.ok or self.p.keep:
                self.keep()
        return self.result

    def rounds(self) -> None:
        targets = list(self.p.targets) or [*CORE_TARGETS, *(f"market:{slug}" for slug in self.p.markets)]
        for n in range(1, self.p.rounds + 1):
            target = self.rng.choice(targets)
            self.wait(partial(self.engine.running, target), 30, f"{target} is not RUNNING")
            pace = time.monotonic() + self.p.interval_s * self.rng.uniform(0.5, 1.5)
            trigger = trigger_for(target) if self.rng.random() < TRIGGERED else None
            when = "at a random moment"
            if trigger is not None:
                self.trigger, self.fired = trigger, ""
                self.poll(lambda: bool(self.fired), self.p.interval_s * 2)
                when = f"right after {self.fired}" if self.fired else "(its event did not come)"
                self.trigger = None
            pid = self.engine.kill9(target)
            killed = f"{target} (pid {pid})"
            self.result.kills += bool(pid)
            if len(targets) > 1 and self.rng.random() < PAIRED:  # two programs at the same moment
                other = self.rng.choice([t for t in targets if t != target])
                second = self.engine.kill9(other)
                self.result.kills += bool(second)
                killed += f" and {other} (pid {second})"
            self.result.rounds = n
            self.say(f"round {n}/{self.p.rounds}: kill -9 {killed} {when}; "
                     f"fills applied so far {self.applied}")
            self.wait(partial(self.round_over, pace), 30, "the engine did not come back after a kill")

    def round_over(self, pace: float) -> bool:
        return time.monotonic() >= pace and self.engine.all_running()

    def finish(self) -> None:
        self.venue.admin("/_venue/faults", {})
        self.say("faults off; waiting for the engine to run and quote again")
        self.wait(self.engine.all_running, 30, "programs not RUNNING after the faults stopped")
        self.wait(lambda: bool(self.venue.open_orders()), 30, "the engine did not quote again")
        self.engine.stop_group("market")
        started = time.monotonic()
        self.say("coordinators stopped; waiting for their quotes to go and the inventory to catch up")
        if self.poll(lambda: not self.venue.open_orders(), 20):
            self.say(f"  quotes withdrawn after {time.monotonic() - started:.1f} s")
        else:
            self.say("  orders still open 20 s after the coordinators stopped")
        if self.poll(self.settled, 30):
            self.say(f"  trades final and inventory caught up after {time.monotonic() - started:.1f} s")
        else:
            self.say("  inventory had not caught up with the venue 30 s after the coordinators stopped")
        if not self.engine.shutdown():
            self.result.failures.append("supervisord did not shut down")
        self.say("engine down (make down)")

    def settled(self) -> bool:
        fills, repeated = self.venue.fills()
        journal = audit.read_journal(self.stack.dir / "inventory.sqlite")
        return audit.all_final(fills) and audit.audit_fills(fills, journal, repeated).problems == 0

    def audit(self) -> None:
        fills, repeated = self.venue.fills()
        journal = audit.read_journal(self.stack.dir / "inventory.sqlite")
        found = audit.audit_fills(fills, journal, repeated)
        positions = self.stack.positions()
        closed = {m for m in {f.market for f in fills.values()} if self.venue.closed(m)}
        paid_out = {f.asset for f in fills.values() if f.market in closed}
        wrong = audit.audit_positions(audit.inventory_positions(journal), audit.traded_positions(fills),
                                      positions, paid_out, audit.burned(self.stack.dir / "inventory.sqlite"))
        orphans = self.venue.open_orders()
        strangers, not_post_only = list(self.orders.strangers.values()), self.places.violations
        self.result.fills = found.fills
        self.result.mismatches = found.problems + len(wrong) + len(strangers) + len(not_post_only)
        self.result.orphans = len(orphans)
        self.say(f"audit: {found.describe()} positions={len(wrong)} strangers={len(strangers)} "
                 f"not_post_only={len(not_post_only)} tokens_paid_out={len(paid_out)} "
                 f"journal_rows={len(journal)} risk_events={len(self.risks)}")
        for line in [*found.details(), *wrong, *strangers[:10], *not_post_only[:10], *self.risks[:10]]:
            self.say(f"  {line}")
        for order in orphans[:10]:
            self.say(f"  orphan: {order['id']} {order['side']} {order['price']} x {order['original_size']} "
                     f"market={order['market']}")
        if not found.fills:
            self.result.failures.append("no fills happened")

    # -- waiting and watching -------------------------------------------------------------------------

    def watch(self) -> None:
        """Drain the bus, compare the venue's orders with the executor's, restart what supervisord gave up."""
        assert self.listener is not None
        now = time.monotonic_ns()
        while True:
            try:
                topic, header, msg = self.listener.next(timeout=0)
            except TimeoutError:
                break
            if self.trigger is not None and not self.fired and self.trigger(topic, msg):
                self.fired = f"{type(msg).__name__} on {topic.decode()}"
            if isinstance(msg, FillApplied) and msg.action == "applied":
                self.applied += 1
            elif isinstance(msg, OpenOrders):
                self.orders.on_open_orders(msg, now)
            elif isinstance(msg, OrderPlaced):
                self.orders.on_placed(msg, now)
            elif isinstance(msg, PlaceOrder):
                self.places.on_place(msg)
            elif isinstance(msg, RiskEvent):
                self.risks.append(f"risk_event from {header.src}: {msg.kind} {msg.message}")
                self.say(self.risks[-1])
        if now >= self.next_venue_check and self.engine.running("core:executor"):
            self.next_venue_check = now + VENUE_CHECK_NS
            for stranger in self.orders.on_venue(self.venue.open_orders(), time.monotonic_ns()):
                self.say(stranger)
        for program in self.engine.fatal():
            self.result.failures.append(f"{program} was {self.engine.states().get(program)} "
                                        "(supervisord gave up)")
            self.say(self.result.failures[-1] + "\n" + self.engine.log_tail(program))
            with contextlib.suppress(xmlrpc.client.Fault):
                self.engine.rpc.supervisor.startProcess(program, False)

    def poll(self, predicate: Callable[[], bool], timeout: float) -> bool:
        assert self.listener is not None
        deadline = time.monotonic() + timeout
        while True:
            self.watch()
            if predicate():
                return True
            if time.monotonic() > deadline:
                return False
            self.listener.sub.poll(100)  # wakes early for bus traffic; bounded

    def wait(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        if not self.poll(predicate, timeout):
            raise AssertionError(what)

    def keep(self) -> None:
        """Leave the logs and databases for a post-mortem (the Stack removes its directory on exit)."""
        kept = self.stack.dir.with_name(self.stack.dir.name + "-kept")
        shutil.copytree(self.stack.dir, kept, ignore=shutil.ignore_patterns("*.sock"), dirs_exist_ok=True)
        self.say(f"logs and databases kept in {kept}")


def run(params: Params, say: Callable[[str], None] = print) -> Result:
    with Stack(venue_config=venue_config(params), env=ENGINE, seed=params.seed) as stack:
        return Chaos(params, stack, say).run()


def number(text: str) -> float | int:
    value = float(text)
    return int(value) if value.is_integer() else value


def parse_args(argv: list[str] | None) -> Params:
    p = argparse.ArgumentParser(prog="python -m tests.support.chaos", description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=30, help="programs killed, one per round (default 30)")
    p.add_argument("--interval", type=float, default=3.0, help="mean seconds between kills (default 3)")
    p.add_argument("--seed", type=int, default=1, help="venue flow and kill schedule (default 1)")
    p.add_argument("--markets", nargs="+", default=["btc-updown-15m"], help="slugs, one coordinator each")
    p.add_argument("--window", type=int, default=30, help="market window length in seconds (default 30)")
    p.add_argument("--keep", action="store_true", help="keep logs and databases even when the run passes")
    p.add_argument("--env", action="append", default=[], metavar="PM_X=VALUE",
                   help="an engine setting for every program (repeatable), e.g. PM_EXEC_STARTUP=adopt")
    p.add_argument("--fault", action="append", default=[], metavar="FIELD=NUMBER",
                   help="a venue FaultPlan field (repeatable), e.g. ws_drop_interval_s=0")
    p.add_argument("--targets", nargs="+", default=[], metavar="PROGRAM",
                   help="kill only these supervisord programs, e.g. core:inventory market:btc-updown-15m")
    a = p.parse_args(argv)
    if a.rounds < 0 or a.interval <= 0 or a.window < 10:
        p.error("--rounds >= 0, --interval > 0, --window >= 10")
    env = [tuple(item.split("=", 1)) for item in a.env]
    if any(len(kv) != 2 or not kv[0].startswith(("PM_", "POLYMARKET_")) for kv in env):
        p.error("--env takes PM_X=VALUE")
    try:
        faults = tuple((k, number(v)) for k, v in (item.split("=", 1) for item in a.fault))
    except ValueError:
        p.error("--fault takes FIELD=NUMBER")
    return Params(rounds=a.rounds, interval_s=a.interval, seed=a.seed, markets=tuple(a.markets),
                  window_s=a.window, keep=a.keep or bool(os.environ.get("PM_KEEP_E2E_DIR")),
                  env=tuple((k, v) for k, v in env), faults=faults, targets=tuple(a.targets))


def main(argv: list[str] | None = None) -> int:
    result = run(parse_args(argv), say=lambda text: print(text, flush=True))
    for failure in result.failures:
        print(f"failure: {failure}", flush=True)
    print(result.line(), flush=True)
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
