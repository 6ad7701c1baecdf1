"""``python -m actors.ctl resume <market>`` and ``halt <market>``: clear or set a coordinator's risk halt.

``<market>`` is the coordinator's name (the first column of ``deploy/markets.conf``). The command is a
``Resume`` / ``Halt`` on ``ctl.cmd.<market>.``, published again every 250 ms until that coordinator
answers with a ``RiskEvent`` whose message starts with the command's id (kind ``resume`` /
``manual_halt``), or ``--timeout`` seconds pass (exit 1: is the coordinator running?). The coordinator
acts on a command id once, so repeating it is harmless. A stop-loss halt and an operator's halt last
until a ``resume``; a shock halt or take-profit halt also ends by itself when its time is up.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from actors.ctl.ask import ask
from schemas import Halt, Resume

ANSWER_KIND = {"resume": "resume", "halt": "manual_halt"}


def command(kind: str, holder: str, reason: str, cmd_id: str, now: int) -> Resume | Halt:
    cls = Resume if kind == "resume" else Halt
    return cls(cmd_id=cmd_id, holder=holder, reason=reason, ts=now)


def send(kind: str, holder: str, reason: str, timeout_s: float) -> int:
    def make(cmd_id: str, now: int) -> Resume | Halt:
        return command(kind, holder, reason or "operator", cmd_id, now)

    program, answer, text = ask(holder, make, ANSWER_KIND[kind], timeout_s)
    if answer is None:
        sys.stdout.write(f"{kind} {holder}: no answer from {program} within {timeout_s:g} s\n")
        return 1
    sys.stdout.write(f"{kind} {holder}: {text}\n")
    return 0


def register(sub: Any) -> None:
    for kind, text in (("resume", "clear a coordinator's risk halt (a stop-loss needs this)"),
                       ("halt", "cancel a coordinator's orders and halt it until resume")):
        p: argparse.ArgumentParser = sub.add_parser(kind, help=text, description=text)
        p.add_argument("market", help="the coordinator's name (deploy/markets.conf)")
        p.add_argument("--reason", default="", help="recorded in the coordinator's risk_event line")
        p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the answer")
        p.set_defaults(run=lambda args, kind=kind: send(kind, args.market, args.reason, args.timeout))
