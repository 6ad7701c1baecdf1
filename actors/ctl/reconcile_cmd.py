"""``python -m actors.ctl reconcile``: inventory against the venue (the command; its pure rules are
``actors.ctl.reconcile``).

``reconcile [--market M ...] [--adopt-venue --market M [--reason TEXT]]``: inventory against the venue, per
market, for when the executor halts a market with ``inventory_mismatch``. Prints, per leg, what inventory's
journal holds, the venue's balance and what our trades on the venue add up to; exit 0 if every market
matches, 1 if one differs. Markets: the ``--market`` ones, else every market inventory holds a position in
and the five it learned last. With ``--adopt-venue`` (exactly one ``--market``) it sends the running
inventory an adjustment (``Settlement`` kind ``adjust``, journalled with the reason): that market's legs
become the venue's balances at the average cost of our trades. Inventory is the only writer of its journal,
so it must be running (exit 3 otherwise); the executor's next checks then find the legs equal and clear
the halt. Never automatic. Read-only otherwise: the journal is opened read-only, the venue only read.
"""

from __future__ import annotations

import argparse
import sys
import time

from actors.ctl import reconcile, wire
from actors.ctl.config import CtlConfig
from actors.inventory.config import InventoryConfig
from actors.inventory.core import Inventory
from actors.inventory.journal import Journal
from actors.inventory.main import recover
from actors.user_feed import credentials
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints

PROGRAM = "ctl"
RECENT = 5  # markets inventory learned last, compared even when it holds nothing there
DIFFERS, NOT_RUNNING = 1, 3


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    rec = commands.add_parser("reconcile", help="inventory against the venue, per market")
    rec.add_argument("--market", action="append", default=[], help="a condition id (repeatable)")
    rec.add_argument("--adopt-venue", action="store_true",
                     help="make inventory hold the venue's balances in that one market (journalled)")
    rec.add_argument("--reason", default="operator adopted the venue's balances",
                     help="why, journalled with the adjustment")
    rec.set_defaults(run=run, check=check)


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.adopt_venue and len(args.market) != 1:
        parser.error("--adopt-venue needs exactly one --market")


def run(args: argparse.Namespace) -> int:
    bus, venue = load_or_exit(BusConfig, PROGRAM), load_or_exit(VenueEndpoints, PROGRAM)
    inv_cfg, cfg = load_or_exit(InventoryConfig, PROGRAM), load_or_exit(CtlConfig, PROGRAM)
    account = credentials.find(load_or_exit(ApiCredentials, PROGRAM), bus.run_dir, signer=cfg.signer_address,
                               local=venue.is_local)
    if account is None:
        sys.stderr.write("ctl: no API credentials (POLYMARKET_API_* or the executor's api-creds.json)\n")
        return 2
    inventory = read_inventory(str(inv_cfg.db_path(bus.run_dir)))
    markets = [m for m in args.market if m in inventory.markets] if args.market else chosen(inventory)
    unknown = [m for m in args.market if m not in inventory.markets]
    for m in unknown:
        sys.stderr.write(f"ctl: inventory does not know market {m} (never leased or settled)\n")
    tokens = [t for m in markets for t in (inventory.markets[m].yes_asset, inventory.markets[m].no_asset)]
    fetched = wire.balances(venue.rest_url, account.creds, account.signer, tokens, cfg.signature_type,
                            cfg.http_timeout_ms)
    for error in fetched.errors:
        sys.stderr.write(f"ctl: balance not read: {error}\n")
    traded = reconcile.legs_traded(wire.our_fills(venue.rest_url, account.creds, account.signer,
                                                  account.me.address, set(markets), cfg.http_timeout_ms))
    rows = [reconcile.row(inventory, m, fetched.balances, traded) for m in markets]
    print(reconcile.render(rows))
    if not args.adopt_venue:
        return 0 if rows and all(r.matches for r in rows) and not unknown else DIFFERS
    if not rows:
        return DIFFERS
    m = inventory.markets[rows[0].market]
    try:
        adjustment = reconcile.adjustment(rows[0], m.yes_asset, m.no_asset, args.reason, time.time_ns())
        echo = wire.send_adjustment(bus, adjustment)
    except ValueError as exc:
        sys.stderr.write(f"ctl: {exc}\n")
        return DIFFERS
    except wire.NotRunning as exc:
        sys.stderr.write(f"ctl: {exc}\n")
        return NOT_RUNNING
    print(f"adjustment {adjustment.key}: {echo.action} (yes={reconcile.shares(adjustment.yes)} "
          f"no={reconcile.shares(adjustment.no)}, reason: {adjustment.reason})")
    return 0 if echo.action == "applied" else DIFFERS


def read_inventory(path: str) -> Inventory:
    """Inventory as its journal rebuilds it (opened read-only: safe while inventory runs, WAL)."""
    journal = Journal.read_only(path)
    inventory = Inventory(InventoryConfig().limits)
    try:
        recover(journal, inventory)
    finally:
        journal.close()
    return inventory


def chosen(inventory: Inventory) -> list[str]:
    """Every market with a position, and the ones inventory learned last."""
    known = list(inventory.markets)
    return sorted({m for m in known if inventory.held_market(m)} | set(known[-RECENT:]))
