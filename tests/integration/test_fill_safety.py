"""No fill is lost when inventory or the user-feed is killed with fills in flight (real processes, real
sockets, the local venue): afterwards inventory's state equals the venue's positions for our key.

- inventory frozen (SIGSTOP) while fills are pushed to it, then ``kill -9``: those fills sat unread in
  its socket. The user-feed never saw them acknowledged (``FillApplied``), so when inventory's heartbeat
  comes back with a new run id it pushes them again;
- user-feed ``kill -9`` while inventory is down, its fills only queued in its PUSH socket and the trades
  already final: its saved back-fill watermark stayed pinned at the oldest unacknowledged fill, so the
  restarted feed fetches them again from REST (with no margin to hide behind).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bus import topics
from bus.node import Node
from schemas import FillApplied, InventoryState, Lease
from tests.support.procs import Listener, Program, bus_config, program_env, running_proxy, short_tmpdir
from tests.support.quiet import Quiet
from tests.support.venue_client import Client
from tests.support.waits import wait_until
from venue.app import VenueThread
from venue.config import VenueConfig

TIMEOUT = 15.0
NS = 1_000_000_000


class Rig:
    """A venue, a bus, our account and a counterparty, and the programs under test as real processes."""

    def __init__(self, stack: ExitStack, venue_config: VenueConfig) -> None:
        self.stack = stack
        self.run_dir = short_tmpdir("pmfs")
        stack.callback(shutil.rmtree, self.run_dir, True)
        self.bus = bus_config(self.run_dir)
        stack.enter_context(running_proxy(self.bus))
        self.venue = stack.enter_context(VenueThread(venue_config))
        market = self.venue.call(lambda: self.exchange.catalogue.reward_markets()[0])
        self.market, (self.up, self.down) = market.condition_id, market.token_ids
        self.ours, self.theirs = Client(self.venue.urls["clob"], "0x" + "5a" * 32), \
            Client(self.venue.urls["clob"], "0x" + "6b" * 32)
        for client in (self.ours, self.theirs):
            client.derive()
            stack.callback(client.close)
        self.listener = Listener(self.bus, b"inv.")
        stack.callback(self.listener.close)
        self.coordinator = Node("market:btc", self.bus, log=Quiet("coordinator"))
        stack.callback(self.coordinator.close)
        self.seen: list[Any] = []

    @property
    def exchange(self) -> Any:
        return self.venue.venue.exchange  # type: ignore[union-attr]

    def env(self, **extra: str) -> dict[str, str]:
        creds, signer = self.ours.creds, self.ours.signer
        assert creds is not None and signer is not None
        return program_env(self.run_dir, PM_VENUE="local", PM_LOCAL_VENUE_URL=self.venue.urls["clob"],
                           POLYMARKET_FUNDER_ADDRESS=signer.address, POLYMARKET_API_KEY=creds.api_key,
                           POLYMARKET_API_SECRET=creds.secret, POLYMARKET_API_PASSPHRASE=creds.passphrase,
                           PM_USER_ALL_MARKETS="true", PM_USER_STATUS_MS="200", **extra)

    def start(self, module: str, ready: str = '"event":"ready"', **extra: str) -> Program:
        program = Program(["-m", module], self.env(**extra))
        self.stack.callback(program.kill)
        program.read_until(lambda line: ready in line, timeout=TIMEOUT)
        return program

    def trade(self, price: str, size: str = "10") -> str:
        """Our post-only BUY Up rests; their BUY Down at 1 - price crosses it (a mint). -> trade id."""
        status, placed = self.ours.place(self.up, "BUY", price, size)
        assert status == 200 and placed["success"], placed
        status, taken = self.theirs.place(self.down, "BUY", f"{1 - float(price):.2f}", size, post_only=False)
        assert status == 200 and taken["tradeIDs"], taken
        return str(taken["tradeIDs"][0])

    def venue_position(self) -> tuple[int, int]:
        signer = self.ours.signer
        assert signer is not None
        positions = self.venue.call(lambda: self.exchange.positions(signer.address))
        return positions.get(self.up, 0), positions.get(self.down, 0)

    def wait(self, want: Callable[[Any], bool], timeout: float = TIMEOUT) -> Any:
        """The next inventory message matching ``want``, renewing the lease meanwhile (slow joiners)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            lease = Lease(holder="btc", market=self.market, yes_asset=self.up, no_asset=self.down,
                          ttl_ms=60_000,
                          ts=time.time_ns())
            self.coordinator.publish(topics.coord_lease("btc"), lease)
            try:
                _, _, msg = self.listener.wait_for(lambda t, h, m: want(m), timeout=0.3)
            except TimeoutError:
                continue
            return msg
        raise AssertionError("expected inventory message not seen")

    def inventory_matches_venue(self) -> InventoryState:
        def matches(m: Any) -> bool:
            return isinstance(m, InventoryState) and m.market == self.market and (
                m.yes_qty, m.no_qty) == self.venue_position()
        state: InventoryState = self.wait(matches)
        return state


def applied(trade_id: str) -> Callable[[Any], bool]:
    return lambda m: isinstance(m, FillApplied) and m.fill.trade_id == trade_id and m.action == "applied"


def pushed(feed: Program, trade_id: str, status: str = "MATCHED") -> None:
    feed.read_until(lambda line: '"event":"fill"' in line and trade_id in line and f'"{status}"' in line,
                    timeout=TIMEOUT)


def test_fills_in_flight_to_an_inventory_killed_with_9_are_pushed_again_to_its_next_run() -> None:
    slow = VenueConfig(flow=False, mined_delay_ms=600_000, confirmed_delay_ms=600_000)  # only MATCHED
    with ExitStack() as stack:
        rig = Rig(stack, slow)
        inventory = rig.start("actors.inventory")
        feed = rig.start("actors.user_feed", '"event":"backfill_done"', PM_USER_RESEND_MS="600000")
        first = rig.trade("0.40")
        rig.wait(applied(first))

        os.kill(inventory.proc.pid, signal.SIGSTOP)  # alive for the feed, but reading nothing
        in_flight = [rig.trade("0.41"), rig.trade("0.42", size="5")]
        for trade_id in in_flight:
            pushed(feed, trade_id)  # pushed into the frozen inventory's socket
        inventory.proc.kill()  # kill -9: what sat in its socket is gone
        inventory.proc.wait(5)

        rig.start("actors.inventory")  # the same journal; a new run id
        for trade_id in in_flight:
            rig.wait(applied(trade_id))
        state = rig.inventory_matches_venue()
        assert (state.yes_qty, state.no_qty) == (25_000_000, 0)
        resent = json.loads(feed.read_until(lambda line: '"event":"fills_resent"' in line))
        assert resent["reason"] == "inventory_restarted" and resent["fills"] >= 2


def test_a_user_feed_killed_with_9_before_inventory_acknowledged_backfills_those_fills() -> None:
    quick = VenueConfig(flow=False, mined_delay_ms=50, confirmed_delay_ms=50)  # trades final at once
    with ExitStack() as stack:
        rig = Rig(stack, quick)
        state_file = Path(rig.run_dir) / "user-feed-state.json"
        env = {"PM_USER_BACKFILL_MARGIN_S": "0"}
        feed = rig.start("actors.user_feed", '"event":"backfill_done"', **env)  # inventory is down
        first = rig.trade("0.40")
        pushed(feed, first, "CONFIRMED")  # queued in the feed's PUSH socket: nobody is listening
        first_s = int(time.time())
        wait_until(lambda: int(time.time()) > first_s, "the next second (trades a second apart)")
        second = rig.trade("0.41")
        pushed(feed, second, "CONFIRMED")

        def saved() -> dict[str, Any]:
            try:
                return dict(json.loads(state_file.read_text()))
            except (OSError, ValueError):
                return {}

        def both_final(mark: dict[str, Any]) -> bool:  # only the unacknowledged fills pin back-fill now
            return mark.get("open_trades") == {} and mark.get("last_trade_ns", 0) // NS > first_s

        wait_until(lambda: both_final(saved()), "the watermark saved", timeout=TIMEOUT)
        mark = saved()
        assert mark["unacked_ns"] // NS <= first_s < mark["last_trade_ns"] // NS
        feed.proc.kill()  # kill -9 with both fills still only in its socket
        feed.proc.wait(5)

        rig.start("actors.inventory")
        feed = rig.start("actors.user_feed", '"event":"backfill_done"', **env)
        for trade_id in (first, second):
            rig.wait(applied(trade_id))
        state = rig.inventory_matches_venue()
        assert (state.yes_qty, state.no_qty) == (20_000_000, 0)
        done = json.loads(next(line for line in feed.lines if '"event":"backfill_done"' in line))
        assert done["after"] <= first_s
