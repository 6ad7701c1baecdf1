"""End to end: strategy ``neutral`` and the risk layer, the whole engine against the local venue.

On the long-lived market ``venue-reward-market-1`` (no rotation during the test), with the venue's fair
value scripted through ``POST /_venue/fair {"market": <slug or condition id>, "yes": <price>}``:

- a ``neutral`` coordinator quotes both sides (a BUY of YES and a BUY of NO / SELL of YES), post-only;
- a fair jump from 0.50 to 0.70 triggers ``shock_halt``: the market's orders are cancelled in the same
  decision (a ``CancelMarket`` right behind the ``RiskEvent``) and gone from the venue, no order is
  placed until the halt is over, then it quotes again;
- a slow adverse path (the fair moved a little at a time against whatever position the engine holds)
  triggers ``stop_loss``: everything is cancelled, the position is flattened maker-only (post-only
  sells at the touch), and the coordinator stays halted past ``PM_HALT_SECONDS`` until
  ``python -m actors.ctl resume <market>`` clears it;
- no taker order anywhere (``PM_ALLOW_TAKER_EXIT`` is not set), and every fill of ours is as maker;
- the metrics program's ``/metrics``, scraped during the run, shows the coordinator's mode, its inventory
  and risk-event counters equal to what the bus said.

The fair value is scripted with ``tests/support/venue_fair.set_fair``.
"""

from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from bus import topics
from bus.codec import Header
from schemas import (
    CancelMarket,
    CoordinatorState,
    FillApplied,
    InventoryState,
    Lease,
    PlaceOrder,
    RiskEvent,
)
from tests.support.metrics import Page, scrape, wait_scrape
from tests.support.procs import REPO
from tests.support.stack import Stack
from tests.support.venue_fair import set_fair

pytestmark = pytest.mark.e2e

SLUG = "venue-reward-market-1"
PROGRAM = topics.coordinator_program(SLUG)
EXIT_SLOTS = ("exit_yes", "exit_no")
VENUE = {
    "reward_markets": 1, "intervals": ["1h"], "assets": ["btc"], "mined_delay_ms": 300,
    "confirmed_delay_ms": 600,
    "flow_params": {"reward_vol_per_min": 0.0, "maker_refresh_ms": 1000, "noise_rate_per_min": 240.0,
                    "informed_prob": 0.8, "informed_check_ms": 200},
}
ENGINE = {"PM_STRATEGY": "neutral", "PM_NEUTRAL_BASE_SIZE": "10", "PM_HEARTBEAT_MS": "500",
          "PM_MAX_NET_DIFF": "200", "PM_MAX_POSITION_VALUE": "200", "PM_HALT_SECONDS": "3"}


@dataclass
class Seen:
    """What the bus showed, as it arrived."""

    market: str = ""
    places: list[PlaceOrder] = field(default_factory=list)
    cancels: list[CancelMarket] = field(default_factory=list)
    risk: list[RiskEvent] = field(default_factory=list)
    states: list[CoordinatorState] = field(default_factory=list)
    fills: list[FillApplied] = field(default_factory=list)
    net: int | None = None
    yes_qty: int | None = None
    no_qty: int | None = None
    risk_counts: dict[str, int] = field(default_factory=dict)  # kind -> RiskEvents of our market, any source
    mode: str = ""

    def halted_windows(self, kind: str) -> list[tuple[int, int]]:
        """[start, end) of each halt of ``kind``, from the coordinator's own events (end 0: still)."""
        out: list[tuple[int, int]] = []
        for e in self.risk:
            if e.kind == kind and e.severity == "halt" and (not out or out[-1][1]):
                out.append((e.ts, 0))
            elif e.kind == kind and e.severity == "info" and out and not out[-1][1]:
                out[-1] = (out[-1][0], e.ts)
        return out


def pump(stack: Stack, seen: Seen, seconds: float = 0.2) -> None:
    """Read the bus for ``seconds``, recording what concerns our coordinator."""
    assert stack.bus is not None

    def handle(topic: bytes, header: Header, msg: Any) -> None:
        if isinstance(msg, Lease) and msg.holder == SLUG:
            seen.market = msg.market
        elif isinstance(msg, PlaceOrder) and topic == topics.exec_cmd(SLUG):
            seen.places.append(msg)
        elif isinstance(msg, CancelMarket) and topic == topics.exec_cmd(SLUG):
            seen.cancels.append(msg)
        elif isinstance(msg, RiskEvent):
            if header.src == PROGRAM:
                seen.risk.append(msg)
            if msg.program == PROGRAM or (seen.market and msg.market == seen.market):
                seen.risk_counts[msg.kind] = seen.risk_counts.get(msg.kind, 0) + 1
        elif isinstance(msg, CoordinatorState) and msg.holder == SLUG:
            seen.states.append(msg)
            seen.mode = msg.mode
        elif isinstance(msg, FillApplied):
            seen.fills.append(msg)
        elif isinstance(msg, InventoryState) and msg.market == seen.market:
            seen.net, seen.yes_qty, seen.no_qty = msg.net_diff, msg.yes_qty, msg.no_qty

    stack.bus.read_for(seconds, handle)


def until(stack: Stack, seen: Seen, predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        pump(stack, seen)


def metrics_disagree(page: Page, seen: Seen) -> list[str]:
    """What ``/metrics`` shows differently from the bus for our market (empty: they agree)."""
    out = []
    modes = {mode for mode, value in page.by("pm_coordinator_mode", "mode").items() if value == 1.0}
    if modes != {seen.mode}:
        out.append(f"mode {modes} vs bus {seen.mode!r}")
    shown = {leg: page.value("pm_inventory_qty", market=SLUG, leg=leg) for leg in ("yes", "no")}
    if seen.yes_qty is not None and shown != {"yes": seen.yes_qty / 1e6, "no": (seen.no_qty or 0) / 1e6}:
        out.append(f"inventory {shown} vs bus {seen.yes_qty}/{seen.no_qty}")
    if seen.net is not None and page.value("pm_inventory_net", market=SLUG) != seen.net / 1e6:
        out.append(f"net {page.value('pm_inventory_net', market=SLUG)} vs bus {seen.net}")
    counted = {kind: int(v) for (labels, v) in page.series("pm_risk_events_total").items()
               if dict(labels).get("market") == SLUG and v for kind in [dict(labels)["kind"]]}
    if counted != seen.risk_counts:
        out.append(f"risk events {counted} vs bus {seen.risk_counts}")
    return out


def check_metrics(stack: Stack, seen: Seen, url: str) -> None:
    """Scrape until ``/metrics`` agrees with the bus (both keep moving: each scrape is compared with the
    bus as read just before it); fail with the last differences."""
    deadline, diff = time.monotonic() + 15, ["not scraped"]
    while diff:
        assert time.monotonic() < deadline, f"/metrics disagrees with the bus: {diff}"
        pump(stack, seen, 0.1)
        diff = metrics_disagree(scrape(url), seen)


def quoting_both_sides(seen: Seen) -> bool:
    sides = {(p.asset, p.side) for p in seen.places}
    return len(sides) >= 2 and any(p.slot == "yes_bid" for p in seen.places) and any(
        p.slot == "yes_ask" for p in seen.places)


def cancelled_at(seen: Seen, reason: str, ts: int) -> bool:
    """A CancelMarket for ``reason`` from the very decision that announced the halt (same ``ts``)."""
    return any(c.reason == reason and c.ts == ts for c in seen.cancels)


def our_open_orders(stack: Stack, market: str) -> list[dict[str, object]]:
    return [o for o in stack.open_orders() if o.get("market") == market]


def check_maker_only(seen: Seen) -> None:
    assert seen.places, "no order was placed"
    assert all(p.post_only and p.order_type == "GTC" and not p.taker_exit for p in seen.places)
    ours = [f for f in seen.fills if f.fill.market == seen.market]
    assert all(f.fill.role == "MAKER" for f in ours), "one of our orders crossed"


def test_neutral_quotes_both_sides_and_a_fair_jump_halts_it_until_its_time_is_up() -> None:
    with Stack(venue_config=VENUE, env={**ENGINE, "PM_STOP_LOSS_USD": "0"}) as stack:
        set_fair(stack.venue_url, SLUG, 0.50)
        stack.start_engine([SLUG])
        url = stack.start_metrics()
        seen = Seen()
        try:
            wait_scrape(url, lambda p: "pm_heartbeat_age_seconds" in p.names(), "metrics serving", timeout=30)
            until(stack, seen, lambda: quoting_both_sides(seen) and seen.market, 40, "quoting both sides")
            until(stack, seen, lambda: len(our_open_orders(stack, seen.market)) >= 2, 10, "orders resting")
            check_metrics(stack, seen, url)
            pump(stack, seen, 1.0)
            assert not seen.halted_windows("shock_halt"), "halted before the jump"

            set_fair(stack.venue_url, SLUG, 0.70)
            until(stack, seen, lambda: seen.halted_windows("shock_halt"), 20, "shock_halt after the jump")
            check_metrics(stack, seen, url)
            assert seen.risk_counts.get("shock_halt")
            start = seen.halted_windows("shock_halt")[0][0]
            until(stack, seen, lambda: cancelled_at(seen, "shock_halt", start), 5,
                  "a CancelMarket in the decision that halted")
            until(stack, seen, lambda: not our_open_orders(stack, seen.market), 5, "orders gone at the venue")
            until(stack, seen, lambda: all(end for _, end in seen.halted_windows("shock_halt")), 30,
                  "the shock halt over")
            over = seen.halted_windows("shock_halt")[-1][1]
            until(stack, seen, lambda: any(p.ts > over for p in seen.places), 20,
                  "quoting again after the halt")

            for begin, end in seen.halted_windows("shock_halt"):
                placed = [p for p in seen.places if begin <= p.ts < end]
                assert not placed, f"placed while halted: {placed}"
            assert any(s.mode == "halted" and s.reason.startswith("shock_halt") for s in seen.states)
            check_maker_only(seen)
            check_metrics(stack, seen, url)
        except AssertionError:
            print(stack.logs())
            raise


def test_a_slow_adverse_path_stops_the_loss_flattens_maker_only_and_waits_for_resume() -> None:
    env = {**ENGINE, "PM_SHOCK_PCT": "0", "PM_STOP_LOSS_USD": "0.4", "PM_HALT_SECONDS": "2"}
    with Stack(venue_config=VENUE, env=env) as stack:
        set_fair(stack.venue_url, SLUG, 0.50)
        stack.start_engine([SLUG])
        seen = Seen()
        try:
            until(stack, seen, lambda: quoting_both_sides(seen) and seen.market, 40, "quoting both sides")

            fair, deadline = 0.50, time.monotonic() + 90
            while not seen.halted_windows("stop_loss"):  # one tick at a time, against the position
                assert time.monotonic() < deadline, f"no stop_loss; net {seen.net}, fair {fair}"
                net = seen.net or 0
                if abs(net) >= 5_000_000:
                    fair = min(0.95, max(0.05, round(fair + (-0.01 if net > 0 else 0.01), 2)))
                    set_fair(stack.venue_url, SLUG, fair)
                pump(stack, seen, 0.5)
            start = seen.halted_windows("stop_loss")[0][0]

            until(stack, seen, lambda: cancelled_at(seen, "stop_loss", start), 5,
                  "everything cancelled when the stop-loss fired")
            until(stack, seen, lambda: any(p.slot in EXIT_SLOTS for p in seen.places), 10, "a maker exit")
            exits = [p for p in seen.places if p.slot in EXIT_SLOTS]
            assert all(p.side == "SELL" and p.post_only for p in exits)
            until(stack, seen, lambda: seen.net is not None and abs(seen.net) < 5_000_000, 60, "flattened")

            halt_over = start + 2 * 1_000_000_000 + 1_500_000_000  # past PM_HALT_SECONDS, with room
            until(stack, seen, lambda: any(s.ts > halt_over for s in seen.states), 10,
                  "a state past the halt")
            late = [s for s in seen.states if s.ts > halt_over]
            assert all(s.mode == "halted" and s.reason.startswith("stop_loss") for s in late), late
            assert all(p.slot in EXIT_SLOTS for p in seen.places if p.ts >= start), "quoted while halted"

            done = subprocess.run([sys.executable, "-m", "actors.ctl", "resume", SLUG, "--reason", "e2e"],
                                  cwd=REPO, env=stack.env(), capture_output=True, text=True, timeout=30)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "cleared stop_loss" in done.stdout
            until(stack, seen, lambda: seen.halted_windows("stop_loss")[0][1], 10, "the stop-loss cleared")
            resumed = seen.halted_windows("stop_loss")[0][1]
            until(stack, seen, lambda: any(p.ts > resumed and p.slot not in EXIT_SLOTS for p in seen.places),
                  20, "quoting again after resume")
            check_maker_only(seen)
        except AssertionError:
            print(stack.logs())
            raise
