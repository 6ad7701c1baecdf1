"""Two markets at once under the real supervisord: stopping one coordinator withdraws only its orders.

A ``deploy/markets.conf`` with two lines (``deploy/render.py`` makes group market of it), group core from
``deploy/supervisord.conf``, in a private PM_VAR with its own venue port (``tests.support.supervised``).
The venue's makers give both markets books; no takers trade, so there are no fills and no OFI kill.
A bare ``supervisorctl stop market:btc`` withdraws btc's orders (its ``CancelMarket``; the executor's
``OpenOrders`` and the venue show none of them) while eth keeps its quotes; ``supervisorctl start
market:btc`` brings btc's quotes back.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Callable

import pytest

from bus import topics
from deploy.render import parse_markets
from schemas import CancelAll, CancelMarket, OpenOrders
from tests.support.procs import Listener
from tests.support.stack import Stack
from tests.support.supervised import BIN, Supervised

pytestmark = pytest.mark.e2e

MARKETS_CONF = """\
# <name>  <slug or rotating prefix>
btc       btc-updown-15m
eth       eth-updown-15m
"""
WINDOW_S = 3600  # long windows: no rotation is expected while the test runs (its checks do not rely on it)
VENUE = {"window_seconds": WINDOW_S, "intervals": ["15m"], "assets": ["btc", "eth"], "reward_markets": 0,
         "flow_params": {"noise_rate_per_min": 0.0, "informed_prob": 0.0}}  # books, and nobody trades


class Orders:
    """The executor's ``OpenOrders`` and the commands it echoes, read from the bus with deadlines."""

    def __init__(self, listener: Listener, engine: Supervised) -> None:
        self.listener, self.engine = listener, engine
        self.markets: dict[str, set[str]] = {"btc": set(), "eth": set()}  # holder -> condition ids seen
        self.withdrawals: list[tuple[str, str, int]] = []  # (holder, reason, ts) of each CancelMarket/All

    def wait(self, wanted: Callable[[Counter[str]], bool], timeout: float, what: str,
             since: int = 0) -> Counter[str]:
        """The first ``OpenOrders`` (from ``since`` on) whose orders per holder satisfy ``wanted``."""
        return self._read(lambda msg: isinstance(msg, OpenOrders) and msg.ts >= since and wanted(
            Counter(order.holder for order in msg.orders)), timeout, what)

    def withdrawn(self, holder: str, reason: str, timeout: float) -> int:
        """The time of ``holder``'s ``CancelMarket`` for ``reason`` (its echo by the executor)."""
        self._read(lambda msg: (holder, reason) in [w[:2] for w in self.withdrawals], timeout,
                   f"no CancelMarket of {holder} ({reason})")
        return next(ts for h, r, ts in self.withdrawals if (h, r) == (holder, reason))

    def _read(self, done: Callable[[object], bool], timeout: float, what: str) -> Counter[str]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                _, _, msg = self.listener.next(left)
            except TimeoutError:
                break
            if isinstance(msg, CancelMarket | CancelAll):
                self.withdrawals.append((msg.holder, msg.reason, msg.ts))
            elif isinstance(msg, OpenOrders):
                for order in msg.orders:
                    self.markets.setdefault(order.holder, set()).add(order.market)
            if done(msg):
                return Counter(o.holder for o in msg.orders) if isinstance(msg, OpenOrders) else Counter()
        logs = "\n".join(f"== {p}\n{self.engine.log_tail(p)}"
                         for p in ("market:btc", "market:eth", "core:executor"))
        raise AssertionError(f"{what} within {timeout} s\n{logs}")


def supervisorctl(engine: Supervised, *args: str) -> str:
    proc = subprocess.run([str(BIN / "supervisorctl"), "-c", str(engine.conf), *args], env=engine.env,
                          capture_output=True, text=True, timeout=30)
    return proc.stdout + proc.stderr


def test_stopping_one_market_withdraws_only_its_orders_and_starting_it_quotes_again() -> None:
    with Stack(venue_config=VENUE) as stack:
        markets = parse_markets(MARKETS_CONF)
        assert [name for name, _, _ in markets] == ["btc", "eth"]
        engine = Supervised(stack.dir, stack.env(PM_WINDOW_SECONDS=str(WINDOW_S)), markets=markets)
        listener = Listener(stack.bus_cfg, topics.exec_orders(), topics.prefix("exec", "cmd"))
        try:
            engine.start()
            orders = Orders(listener, engine)
            orders.wait(lambda n: n["btc"] > 0 and n["eth"] > 0, 30, "both markets never quoted")

            assert "market:btc: stopped" in supervisorctl(engine, "stop", "market:btc")
            stopped = orders.withdrawn("btc", "coordinator stopping", 10)
            orders.wait(lambda n: n["btc"] == 0 and n["eth"] > 0, 10,
                        "btc's orders were not withdrawn while eth kept quoting", since=stopped)
            assert [w for w in orders.withdrawals if w[0] != "btc"] == []  # eth never withdrew
            at_venue = Counter(o["market"] for o in stack.open_orders())
            assert not any(at_venue[m] for m in orders.markets["btc"]), at_venue  # none left at the venue
            assert any(at_venue[m] for m in orders.markets["eth"]), at_venue
            assert engine.running("market:eth")

            assert "market:btc: started" in supervisorctl(engine, "start", "market:btc")
            orders.wait(lambda n: n["btc"] > 0 and n["eth"] > 0, 20, "btc did not quote again after a start")
            assert engine.shutdown(), "supervisord did not shut down"
        finally:
            listener.close()
            engine.force_down()
