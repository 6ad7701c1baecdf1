"""`make down` / `make up` in the middle of a window continues the same paper account (issue 14 §1).

The engine under the real supervisord (``tests.support.supervised``) against the local venue with its
state file (``PM_VENUE_STATE`` in the stack's directory): it quotes until one of its orders fills, then
everything stops the way ``make down`` stops it (supervisord: coordinators first, bus last; then the
venue) and starts again. The venue holds the same positions as before; the coordinator quotes again; no
``inventory_mismatch`` halt comes while it keeps quoting for more than ten balance checks; and once it
stops, inventory's positions (its journal) are the venue's.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from bus import topics
from schemas import FillApplied, OpenOrders, RiskEvent
from tests.support import audit
from tests.support.procs import Listener
from tests.support.stack import Stack
from tests.support.supervised import Supervised

pytestmark = pytest.mark.e2e

WINDOW_S = 3600  # one window for the whole test: the restart happens in the middle of it
VENUE = {"window_seconds": WINDOW_S, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
         "flow_params": {"noise_rate_per_min": 240.0, "informed_prob": 0.0}}
ENGINE = {"PM_BID_SIZE": "5", "PM_MAX_NET_DIFF": "100", "PM_MAX_POSITION_VALUE": "500",
          "PM_OFI_TOXICITY_THRESHOLD": "400", "PM_WINDOW_SECONDS": str(WINDOW_S),
          "PM_RECONCILE_MS": "250", "PM_EXEC_ORDERS_PUBLISH_MS": "500"}
CHECKS_S = 3.0  # quoting watched this long after the restart: twelve balance checks, a halt needs three
WATCHED = (topics.exec_orders(), topics.prefix("risk"), topics.prefix("inv"))


class Bus:
    """What the engine says on the bus, read with deadlines; every halt is kept."""

    def __init__(self, stack: Stack, engine: Supervised) -> None:
        self.listener = Listener(stack.bus_cfg, *WATCHED)
        self.engine = engine
        self.halts: list[RiskEvent] = []

    def until(self, done: Any, timeout: float, what: str) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                _, _, msg = self.listener.next(left)
            except TimeoutError:
                break
            if isinstance(msg, RiskEvent) and msg.kind == "inventory_mismatch" and msg.severity == "halt":
                self.halts.append(msg)
            if done(msg):
                return msg
        logs = "\n".join(f"== {p}\n{self.engine.log_tail(p)}" for p in ("market:btc", "core:executor"))
        raise AssertionError(f"{what} within {timeout} s\n{logs}")

    def close(self) -> None:
        self.listener.close()


def quoting(msg: Any) -> bool:
    return isinstance(msg, OpenOrders) and any(o.holder == "btc" for o in msg.orders)


def agree(stack: Stack) -> bool:
    """Are inventory's positions (its journal, as it rebuilds them at start) the venue's?"""
    return audit.recovered_positions(stack.dir / "inventory.sqlite") == stack.positions()  # merges included


def test_make_down_and_up_in_a_window_carries_on_with_the_same_paper_account() -> None:
    with Stack(venue_config=VENUE, env=ENGINE) as stack:
        engine = Supervised(stack.dir, stack.env(), markets=[("btc", "btc-updown-15m", {})])
        bus = Bus(stack, engine)
        try:
            engine.start()
            filled = bus.until(lambda m: isinstance(m, FillApplied) and m.action == "applied", 60,
                               "no order of ours filled")
            assert filled.fill.market
            assert engine.shutdown(), "supervisord did not shut down"  # make down: the engine...
            held = stack.positions()
            assert held, "the venue holds none of our tokens"
            stack.procs["venue"].stop()  # ... and the venue, last

            stack.start_venue()  # make up: the venue (on its file)...
            assert stack.positions() == held  # the same paper account
            bus.close()
            bus = Bus(stack, engine)
            engine.start()  # ... and the engine
            first = bus.until(quoting, 40, "the coordinator did not quote again after the restart")
            bus.until(lambda m: quoting(m) and m.ts >= first.ts + int(CHECKS_S * 1e9), CHECKS_S + 10,
                      "the coordinator stopped quoting after the restart")
            assert bus.halts == [], bus.halts

            engine.stop_group("market")  # no more fills: inventory and the venue must agree
            stack.wait(lambda: agree(stack), 20, "inventory's positions never matched the venue's")
            assert bus.halts == [], bus.halts
            assert engine.shutdown(), "supervisord did not shut down"
        except (AssertionError, TimeoutError):
            print(stack.logs())
            raise
        finally:
            bus.close()
            engine.force_down()
