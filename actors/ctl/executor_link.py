"""A command's line to the executor (blocking): commands PUSHed on its command pipe, as the coordinators
push theirs, and what it answers read from the bus (the echo on ``exec.cmd.<holder>.``, ``exec.event``,
``exec.orders``), plus the user channel (``user.order``). The executor is the only holder of the key:
``cancel-all`` and ``livetest`` act through it, never on the venue directly.

``program`` is the link's bus name; a link that keeps orders open (``livetest``) is named like a
coordinator (``market:<holder>``) and heartbeats, so that the executor's silence check, which cancels the
orders of a holder it stops hearing, sees it alive.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from bus import codec, topics
from bus.endpoints import BusConfig
from bus.logs import Logger
from bus.node import Node
from schemas import Command, Heartbeat
from schemas.units import MS

PIPE = "exec"


class NotRunning(RuntimeError):
    pass


class ExecutorLink:
    def __init__(self, program: str, bus: BusConfig, subscriptions: Iterable[bytes], log: Logger, *,
                 heartbeat: bool = False) -> None:
        subs = [topics.sys_hb("executor"), *subscriptions]
        self.node = Node(program, bus, subscriptions=subs, push_connect={PIPE: bus.command_endpoint}, log=log,
                         curve_as="ctl")  # its key is ctl's, whatever bus name it uses
        self.node.ready = True
        self.heartbeat_ns = bus.heartbeat_ms * MS if heartbeat else 0
        self.next_hb = 0
        self.heard: list[tuple[bytes, codec.Header, Any]] = []

    def push(self, cmd: Command) -> None:
        self.node.push(PIPE, topics.exec_cmd(cmd.holder), cmd)

    def wait(self, wanted: Callable[[Any], bool], timeout_s: float) -> Any | None:
        """The first message (from now on, or already heard) for which ``wanted`` is true, or None."""
        for _t, _h, msg in self.heard:
            if wanted(msg):
                return msg
        deadline = time.monotonic() + timeout_s
        node = self.node
        while (left := deadline - time.monotonic()) > 0:
            now = time.time_ns()
            if self.heartbeat_ns and now >= self.next_hb:
                node.heartbeat(now)
                self.next_hb = now + self.heartbeat_ns
            if not node.sub.poll(min(int(left * 1000) + 1, 200)):
                continue
            try:
                topic, header, msg = codec.decode(node.sub.recv_multipart())
            except codec.FrameError:
                continue
            self.heard.append((topic, header, msg))
            if wanted(msg):
                return msg
        return None

    def require_executor(self, timeout_s: float) -> None:
        if self.wait(lambda m: isinstance(m, Heartbeat) and m.program == "executor", timeout_s) is None:
            raise NotRunning(f"the executor is not running (no heartbeat within {timeout_s:g} s)")

    def close(self) -> None:
        self.node.close()
