"""Ask one coordinator something over the bus and wait for its answer: the loop ``halt``/``resume`` and
``follow`` share.

The command goes out on ``ctl.cmd.<holder>.`` and again every ``RESEND_MS`` (the first one may be lost
while our subscription travels; a coordinator acts on a command id once, so a repeat is harmless) until
the coordinator answers with a ``RiskEvent`` of the expected kind whose message starts with the command's
id, or the timeout passes.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any

from bus import topics
from bus.codec import Header
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Node
from schemas import BusMessage, RiskEvent

PROGRAM = "ctl"
RESEND_MS = 250


def is_answer(msg: object, kind: str, cmd_id: str) -> bool:
    return isinstance(msg, RiskEvent) and msg.kind == kind and msg.message.startswith(f"{cmd_id}:")


def ask(holder: str, make: Callable[[str, int], BusMessage], answer_kind: str,
        timeout_s: float) -> tuple[str, RiskEvent | None, str]:
    """Send ``make(cmd_id, now)`` to coordinator ``holder`` until it answers (kind ``answer_kind``).
    Returns the coordinator's program name, its answer (None: none within ``timeout_s``) and the answer's
    text without the command id."""
    bus = load_or_exit(BusConfig, PROGRAM)
    program = topics.coordinator_program(holder)
    node = Node(PROGRAM, bus, subscriptions=[topics.risk_event(program)], log=Logger(PROGRAM, out=sys.stderr))
    cmd_id = f"ctl-{os.getpid()}-{time.time_ns()}"
    msg = make(cmd_id, time.time_ns())
    topic = topics.ctl_cmd(holder)
    deadline = time.monotonic() + timeout_s
    answer: list[RiskEvent] = []

    def tick(now: int) -> None:
        if time.monotonic() > deadline:
            node.stop()
        else:
            node.publish(topic, msg)

    def on_message(t: bytes, h: Header, m: Any) -> None:
        if is_answer(m, answer_kind, cmd_id):
            answer.append(m)
            node.stop()

    node.every(RESEND_MS, tick)
    node.publish(topic, msg)
    try:
        node.run(on_message)
    finally:
        node.close()
    if not answer:
        return program, None, ""
    return program, answer[0], answer[0].message.removeprefix(cmd_id + ": ")
