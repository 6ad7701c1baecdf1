"""``python -m actors.ctl follow <market> YES|NO --shares N | --usd X`` and ``follow <market> --abort``:
start or abort one round of strategy ``follow`` on a coordinator (the engine as a maker-only execution
service: buy at the bid chasing it up, sell above the floor; docs/strategies.md, ``follow``).

``<market>`` is the coordinator's name (the first column of ``deploy/markets.conf``; it must run
``PM_STRATEGY=follow``). The command is a ``FollowStart`` / ``FollowAbort`` on ``ctl.cmd.<market>.``,
published again every 250 ms until the coordinator answers with a ``RiskEvent`` of kind ``follow`` /
``follow_abort`` whose message starts with the command's id, or ``--timeout`` seconds pass. Exit 0: accepted
(the answer is printed); 1: refused (a round is running, nothing to abort, another strategy) or no answer.
An abort cancels what rests and keeps what was bought.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from actors.ctl.ask import ask
from schemas import FollowAbort, FollowStart
from schemas.units import parse_exact


def command(args: argparse.Namespace, cmd_id: str, now: int) -> FollowStart | FollowAbort:
    if args.abort:
        return FollowAbort(cmd_id=cmd_id, holder=args.market, reason=args.reason or "operator", ts=now)
    return FollowStart(cmd_id=cmd_id, holder=args.market, outcome=args.outcome.upper(),
                       shares=parse_exact(args.shares) if args.shares else 0,
                       usd=parse_exact(args.usd) if args.usd else 0, ts=now)


def send(args: argparse.Namespace) -> int:
    kind = "follow_abort" if args.abort else "follow"
    def make(cmd_id: str, now: int) -> FollowStart | FollowAbort:
        return command(args, cmd_id, now)

    program, answer, text = ask(args.market, make, kind, args.timeout)
    if answer is None:
        sys.stdout.write(f"follow {args.market}: no answer from {program} within {args.timeout:g} s\n")
        return 1
    sys.stdout.write(f"follow {args.market}: {text}\n")
    return 0 if answer.severity == "info" else 1


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.abort:
        if args.outcome or args.shares or args.usd:
            parser.error("follow --abort takes only the market (and --reason)")
        return
    if (args.outcome or "").upper() not in ("YES", "NO"):
        parser.error("follow: the outcome must be YES or NO")
    if bool(args.shares) == bool(args.usd):
        parser.error("follow: give exactly one of --shares and --usd")
    for name in ("shares", "usd"):
        value = getattr(args, name)
        try:
            if value and parse_exact(value) <= 0:
                raise ValueError("must be above 0")
        except ValueError as exc:
            parser.error(f"follow --{name} {value}: {exc}")


def register(sub: Any) -> None:
    text = "start (or --abort) one maker-only follow round on a coordinator running PM_STRATEGY=follow"
    p: argparse.ArgumentParser = sub.add_parser("follow", help=text, description=text)
    p.add_argument("market", help="the coordinator's name (deploy/markets.conf)")
    p.add_argument("outcome", nargs="?", default="", help="YES or NO: the token to buy")
    p.add_argument("--shares", default="", help="shares to buy (a decimal)")
    p.add_argument("--usd", default="", help="USD worth to buy, whole shares rounded up at the bid")
    p.add_argument("--abort", action="store_true", help="cancel the running round, keep what was bought")
    p.add_argument("--reason", default="", help="recorded with an abort")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the answer")
    p.set_defaults(run=send, check=check)
