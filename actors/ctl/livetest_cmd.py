"""``python -m actors.ctl livetest [--market M] [--yes-real-money]``: prove the whole chain with nothing at
risk (the I/O half; the order is ``actors.ctl.livetest``).

One post-only BUY of the market's minimum size at the lowest price of its grid is PUSHed to the executor
(the only key holder) as holder ``livetest``; it must be placed, appear in the executor's open orders, on
the user channel (the user-feed's ``user.order``) and in the venue's open orders (``GET /data/orders`` with
the engine's API credentials, read-only); then it is cancelled and must be seen cancelled by the executor
and on the user channel. Each step is printed with ✓/✗ (``-`` skipped) and its time; exit 0 when all
passed, 1 when one did not (the order is cancelled whatever happened), 2 when refused (live without
``--yes-real-money``, or a dry run, where nothing would be placed), 3 when the executor or the market is
not running.

Pre-signing's age bound: when the executor's preflight (``python -m actors.executor --preflight``, what
``doctor`` reads) reports pre-signing on, a second such order, signed ``PM_EXEC_PRESIGN_MAX_AGE_MS`` ago
(``--age-ms`` checks another age, e.g. before turning pre-signing on), must be accepted by the venue, and
is cancelled at once; a refusal fails the run (lower the bound, or leave pre-signing off). Skipped (``-``)
when pre-signing is off.

The market: ``--market`` (a coordinator's name or a condition id), else the first one a coordinator leases;
its tick size, minimum size and best bid come from the venue's public ``GET /book``. While the test runs
the command heartbeats as ``market:livetest``, so the executor's silence check keeps its order.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Any

import requests

from actors.ctl import doctor_cmd, listen, livetest
from actors.ctl.config import CtlConfig
from actors.ctl.executor_link import ExecutorLink, NotRunning
from actors.user_feed import credentials
from bus import topics
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from clob.auth import l2_headers
from schemas import Lease, OpenOrders, OrderCancelled, OrderFailed, OrderPlaced, OrderUpdate
from schemas.commands import MAX_SIGNED_AGE_MS
from schemas.units import parse_price, parse_size
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints

PROGRAM = "ctl"
FAILED, REFUSED, NOT_RUNNING = 1, 2, 3


def register(sub: Any) -> None:
    text = "one post-only BUY of minimum size far below the touch: placed, seen, cancelled, seen cancelled"
    p: argparse.ArgumentParser = sub.add_parser("livetest", help=text, description=text)
    p.add_argument("--market", default="",
                   help="a coordinator's name or a condition id (default: the first leased)")
    p.add_argument("--yes-real-money", action="store_true", help="required when trading live on Polymarket")
    p.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for each step")
    p.add_argument("--age-ms", type=_age, default=None,
                   help="check that the venue accepts an order signed this many ms ago (default: the "
                        "executor's PM_EXEC_PRESIGN_MAX_AGE_MS; 0 or pre-signing off: the step is skipped)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    bus, venue = load_or_exit(BusConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM)
    if not venue.sends_orders:
        print("livetest: a dry run places nothing (PM_DRY_RUN=true): there is no chain to prove")
        return REFUSED
    if not venue.is_local and not args.yes_real_money:
        print("livetest: live trading: this places a real order (minimum size, lowest price, cancelled at "
              "once); run again with --yes-real-money")
        return REFUSED
    heard = listen.collect(bus, [topics.prefix("coord", "lease")], 3.0,  # renewed every second
                           until=lambda h: any(_wanted(m, args.market) for _t, _h, m in h))
    leases = [le for le in listen.latest(heard, Lease, lambda m: f"{m.holder}/{m.market}").values()
              if not args.market or args.market in (le.holder, le.market)]
    if not leases:
        print(f"livetest: no running coordinator leases {args.market or 'a market'}")
        return NOT_RUNNING
    age = livetest.age_to_check(args.age_ms if args.age_ms is not None else _presign_bound(args.timeout))
    try:
        market = _market(venue.rest_url, leases[0])
        place = livetest.order(market, f"livetest-{os.getpid()}-{time.time_ns()}", time.time_ns())
    except (requests.RequestException, KeyError, ValueError) as exc:
        print(f"livetest: the market's book could not be read ({exc})")
        return FAILED
    leg = "YES" if market.asset == leases[0].yes_asset else "NO"
    print(f"livetest: BUY {place.size / 1e6:g} {leg} @ {place.price / 1e6:g} in {market.condition[:14]}.. "
          f"(best bid {market.best_bid / 1e6:g})")
    subs = [topics.exec_event(livetest.HOLDER), topics.exec_orders(), topics.user_order(market.condition),
            topics.user_placed(market.condition)]
    link = ExecutorLink(topics.coordinator_program(livetest.HOLDER), bus, subs,
                        Logger(PROGRAM, out=sys.stderr), heartbeat=True)
    steps = Steps()
    order_id = ""
    try:
        link.require_executor(3 * bus.heartbeat_ms / 1000 + 1)
        link.push(place)
        answer = link.wait(lambda m: isinstance(m, (OrderPlaced, OrderFailed)) and m.cmd_id == place.cmd_id,
                           args.timeout)
        if not isinstance(answer, OrderPlaced):
            why = f"{answer.reason}: {answer.message}" if isinstance(answer, OrderFailed) else "no answer"
            return steps.fail(livetest.STEPS[0], why)
        order_id = answer.order_id
        steps.ok(livetest.STEPS[0], f"order {order_id[:18]}.. status {answer.status}")
        seen = link.wait(lambda m: isinstance(m, OpenOrders)
                         and any(o.order_id == order_id for o in m.orders), args.timeout)
        steps.check(livetest.STEPS[1], seen is not None)
        update = link.wait(lambda m: isinstance(m, OrderUpdate) and m.order_id == order_id, args.timeout)
        steps.check(livetest.STEPS[2], update is not None, _status(update))
        steps.check(*_at_venue(venue, bus, order_id))
        _age_step(link, steps, market, age, args.timeout)
    except NotRunning as exc:
        print(f"livetest: {exc}")
        return NOT_RUNNING
    finally:
        if order_id:
            _cancel(link, steps, order_id, market.condition, args.timeout)
        link.close()
    return steps.code


def _age(text: str) -> int:
    value = int(text)
    if not 0 <= value <= MAX_SIGNED_AGE_MS:
        raise argparse.ArgumentTypeError(f"must be within 0..{MAX_SIGNED_AGE_MS}")
    return value


def _presign_bound(timeout: float) -> int | None:
    """Pre-signing's age bound as the executor resolves it (its preflight, as ``doctor`` reads it); None
    if not reported."""
    bound = doctor_cmd.preflight(timeout).get("presign_max_age_ms")
    return bound if isinstance(bound, int) else None


def _age_step(link: ExecutorLink, steps: Steps, market: livetest.Market, age: int | str,
              timeout: float) -> None:
    """A second order, signed ``age`` ms ago, must be placed; it is cancelled whatever happens (by id once
    placed, else by its slot, should an answer be lost)."""
    if isinstance(age, str):
        steps.skip(livetest.AGE_STEP, age)
        return
    place = livetest.aged_order(market, f"livetest-aged-{os.getpid()}-{time.time_ns()}", time.time_ns(), age)
    link.push(place)
    answer = link.wait(lambda m: isinstance(m, (OrderPlaced, OrderFailed)) and m.cmd_id == place.cmd_id,
                       timeout)
    order_id = answer.order_id if isinstance(answer, OrderPlaced) else ""
    refusal = f"{answer.reason}: {answer.message}" if isinstance(answer, OrderFailed) else ""
    cmd = livetest.cancel(order_id, f"livetest-cancel-aged-{time.time_ns()}", market.condition,
                          time.time_ns(), slots=(livetest.AGED_SLOT,))
    link.push(cmd)  # refused or no answer: its slot is cancelled all the same (the executor knows its order)
    cancelled = bool(order_id) and link.wait(
        lambda m: isinstance(m, OrderCancelled) and m.order_id == order_id, timeout) is not None
    steps.report(livetest.AGE_STEP, *livetest.age_verdict(age, order_id, refusal, cancelled))


def _wanted(msg: object, market: str) -> bool:
    return isinstance(msg, Lease) and (not market or market in (msg.holder, msg.market))


class Steps:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.code = 0

    def check(self, name: str, passed: bool, detail: str = "") -> None:
        (self.ok if passed else self.fail)(name, detail or ("" if passed else "not seen"))

    def report(self, name: str, verdict: livetest.Verdict, detail: str) -> None:
        if verdict == "ok":
            self.ok(name, detail)
        elif verdict == "skip":
            self.skip(name, detail)
        else:
            self.fail(name, detail)

    def skip(self, name: str, detail: str) -> None:
        print(f"- {name:32} {time.monotonic() - self.start:5.2f} s  skipped: {detail}")

    def ok(self, name: str, detail: str = "") -> None:
        print(f"✓ {name:32} {time.monotonic() - self.start:5.2f} s  {detail}".rstrip())

    def fail(self, name: str, detail: str) -> int:
        print(f"✗ {name:32} {time.monotonic() - self.start:5.2f} s  {detail}")
        self.code = FAILED
        return FAILED


def _market(rest_url: str, lease: Lease) -> livetest.Market:
    """The market's YES token, or its NO token when YES's best bid is at the lowest price (``pick``)."""
    yes = _token(rest_url, lease.market, lease.yes_asset)
    if not livetest.at_lowest(yes):
        return yes
    return livetest.pick(yes, _token(rest_url, lease.market, lease.no_asset))


def _token(rest_url: str, market: str, token: str) -> livetest.Market:
    body = requests.get(f"{rest_url}/book", params={"token_id": token}, timeout=10).json()
    tick = parse_price(body["tick_size"])
    bids = [parse_price(b["price"]) for b in body.get("bids") or []]
    return livetest.Market(condition=market, asset=token, tick=tick,
                           min_size=parse_size(body.get("min_order_size") or "5"),
                           neg_risk=bool(body.get("neg_risk")), best_bid=max(bids, default=0))


def _at_venue(venue: VenueEndpoints, bus: BusConfig, order_id: str) -> tuple[str, bool, str]:
    """Our order in the venue's open orders, asked with the engine's API credentials (read-only)."""
    name = livetest.STEPS[3]
    cfg = load_or_exit(CtlConfig, PROGRAM)
    account = credentials.find(load_or_exit(ApiCredentials, PROGRAM), bus.run_dir, signer=cfg.signer_address,
                               local=venue.is_local)
    if account is None:
        return name, False, "no API credentials (POLYMARKET_API_* or the executor's api-creds.json)"
    path = "/data/orders"
    headers = l2_headers(account.creds, address=account.signer, timestamp_s=int(time.time()), method="GET",
                         path=path)
    try:
        reply = requests.get(f"{venue.rest_url}{path}", params={"id": order_id}, headers=headers, timeout=10)
        ids = {o.get("id") for o in reply.json().get("data", [])}
    except (requests.RequestException, ValueError, AttributeError) as exc:
        return name, False, f"not read ({exc.__class__.__name__})"
    return name, order_id in ids, ""


def _cancel(link: ExecutorLink, steps: Steps, order_id: str, market: str, timeout: float) -> None:
    cmd = livetest.cancel(order_id, f"livetest-cancel-{time.time_ns()}", market, time.time_ns())
    link.push(cmd)
    gone = link.wait(lambda m: isinstance(m, OrderCancelled) and m.order_id == order_id, timeout)
    steps.check(livetest.STEPS[4], gone is not None, gone.reason if isinstance(gone, OrderCancelled) else "")
    update = link.wait(lambda m: isinstance(m, OrderUpdate) and m.order_id == order_id
                       and m.kind == "CANCELLATION", timeout)
    steps.check(livetest.STEPS[5], update is not None, _status(update))


def _status(update: object) -> str:
    return update.status if isinstance(update, OrderUpdate) else ""
