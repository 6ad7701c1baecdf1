"""``python -m actors.ctl stop-buys`` (``make stop-buys``; seed-004's ``--stop``): stop every buy, keep the
sells.

1. The stop-buys flag (``PM_REWARDS_STOP_FILE``, default ``var/stop-buys``) is written: every ``rewards``
   coordinator sees it within a second, cancels its bids and from then on only hedges what it holds.
2. Every BUY order of the account resting at the venue is cancelled (L2 ``DELETE /orders``; whatever placed
   it), and the open orders are listed again until no BUY is left (a coordinator may still place one in the
   second before it reads the flag), or ``--timeout``.
3. The session's statistics are printed (JSON): BUYs cancelled, SELLs still resting (count and shares),
   today's liquidity rewards (``/rewards/user/total``). Exit 0 when no BUY is left, else 1.

``--resume`` removes the flag (the coordinators bid again). Only API credentials are used (the executor's
hand-off file or ``POLYMARKET_API_*``), never the private key.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import requests

from actors.coordinator.reward_slot import stop_file
from actors.ctl.config import CtlConfig
from actors.rewards.config import RewardsConfig
from actors.user_feed import credentials
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from schemas.units import parse_exact
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints
from venue_client.l2 import L2Client

PROGRAM = "ctl"


def remaining(order: dict[str, Any]) -> int:
    size, matched = order.get("original_size", "0"), order.get("size_matched", "0")
    return parse_exact(str(size)) - parse_exact(str(matched))


def run(args: argparse.Namespace) -> int:
    bus, venue = load_or_exit(BusConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM)
    cfg, rewards = load_or_exit(CtlConfig, PROGRAM), load_or_exit(RewardsConfig, PROGRAM)
    flag = stop_file(rewards, bus.run_dir)
    if args.resume:
        flag.unlink(missing_ok=True)
        print(json.dumps({"stop_buys": False, "flag": str(flag)}))
        return 0
    flag.parent.mkdir(parents=True, exist_ok=True)
    flag.write_text(f"stop-buys at {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
    account = credentials.find(load_or_exit(ApiCredentials, PROGRAM), bus.run_dir, signer=cfg.signer_address,
                               local=venue.is_local)
    if account is None:
        sys.stderr.write(f"ctl: the stop-buys flag is written ({flag}), but no BUY was cancelled: no API "
                         "credentials (POLYMARKET_API_* or the executor's api-creds.json)\n")
        return 2
    api = L2Client(venue.rest_url, account.creds, account.signer, cfg.http_timeout_ms / 1000)
    cancelled: set[str] = set()
    deadline = time.monotonic() + args.timeout
    settled_rounds = 0
    while True:
        orders = api.open_orders()
        buys = [o["id"] for o in orders if o.get("side") == "BUY"]
        if buys:
            settled_rounds = 0
            api.call("DELETE", "/orders", body=buys)
            cancelled.update(buys)
        else:
            settled_rounds += 1  # two clean listings a second apart: the coordinators have read the flag
        if settled_rounds >= 2 or time.monotonic() > deadline:
            break
        time.sleep(args.interval)  # the coordinators read the flag once a second
    sells = [o for o in orders if o.get("side") == "SELL"]
    try:
        total = api.call("GET", "/rewards/user/total")
        earned = sum(float(t.get("earnings") or 0) for t in total)
    except (requests.RequestException, ValueError):
        earned = None
    left = [o for o in orders if o.get("side") == "BUY"]
    print(json.dumps({"stop_buys": True, "flag": str(flag), "buys_cancelled": len(cancelled),
                      "buys_left": len(left), "sells_resting": len(sells),
                      "sell_shares": sum(remaining(o) for o in sells) / 1e6, "rewards_today_usdc": earned}))
    return 0 if not left else 1


def register(sub: Any) -> None:
    text = "cancel every BUY order of the account and stop the rewards coordinators buying; sells stay"
    p: argparse.ArgumentParser = sub.add_parser("stop-buys", help=text, description=text)
    p.add_argument("--resume", action="store_true", help="remove the flag: rewards coordinators bid again")
    p.add_argument("--timeout", type=float, default=15.0, help="seconds to keep cancelling BUYs")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between two listings")
    p.set_defaults(run=run)
