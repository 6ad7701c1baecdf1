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
import os
import sys
import time
from typing import Any

from bus import topics
from bus.codec import Header
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Node
from schemas import Halt, Resume, RiskEvent

PROGRAM = "ctl"
RESEND_MS = 250
ANSWER_KIND = {"resume": "resume", "halt": "manual_halt"}


def command(kind: str, holder: str, reason: str, cmd_id: str, now: int) -> Resume | Halt:
    cls = Resume if kind == "resume" else Halt
    return cls(cmd_id=cmd_id, holder=holder, reason=reason, ts=now)


def is_answer(msg: object, kind: str, cmd_id: str) -> bool:
    return (isinstance(msg, RiskEvent) and msg.kind == ANSWER_KIND[kind]
            and msg.message.startswith(f"{cmd_id}:"))


def send(kind: str, holder: str, reason: str, timeout_s: float) -> int:
    bus = load_or_exit(BusConfig, PROGRAM)
    program = topics.coordinator_program(holder)
    node = Node(PROGRAM, bus, subscriptions=[topics.risk_event(program)], log=Logger(PROGRAM, out=sys.stderr))
    cmd_id = f"ctl-{os.getpid()}-{time.time_ns()}"
    msg = command(kind, holder, reason or "operator", cmd_id, time.time_ns())
    topic = topics.ctl_cmd(holder)
    deadline = time.monotonic() + timeout_s
    answer: list[RiskEvent] = []

    def tick(now: int) -> None:
        if time.monotonic() > deadline:
            node.stop()
        else:
            node.publish(topic, msg)

    def on_message(t: bytes, h: Header, m: Any) -> None:
        if is_answer(m, kind, cmd_id):
            answer.append(m)
            node.stop()

    node.every(RESEND_MS, tick)
    node.publish(topic, msg)  # may be lost while the subscription travels: resent every RESEND_MS
    try:
        node.run(on_message)
    finally:
        node.close()
    if not answer:
        sys.stdout.write(f"{kind} {holder}: no answer from {program} within {timeout_s:g} s\n")
        return 1
    sys.stdout.write(f"{kind} {holder}: {answer[0].message.removeprefix(cmd_id + ': ')}\n")
    return 0


def register(sub: Any) -> None:
    for kind, text in (("resume", "clear a coordinator's risk halt (a stop-loss needs this)"),
                       ("halt", "cancel a coordinator's orders and halt it until resume")):
        p: argparse.ArgumentParser = sub.add_parser(kind, help=text, description=text)
        p.add_argument("market", help="the coordinator's name (deploy/markets.conf)")
        p.add_argument("--reason", default="", help="recorded in the coordinator's risk_event line")
        p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the answer")
        p.set_defaults(run=lambda args, kind=kind: send(kind, args.market, args.reason, args.timeout))
