"""What the executor's shell publishes, and in which order, after each step (``Publisher.emit``): the
commands' echoes on ``exec.cmd.<holder>.`` (after the requests they caused were written: off the hot
path), then the registry made durable (one journal write: ``order_store``), then what the core
announced (``Node.apply``: a coordinator is only told what is on disk), then ``executor_ready``. The
``OpenOrders`` view is a display (no program acts on it): when it changed it goes out with the next pump
tick (``publish_changed``, every 100 ms), not once per re-quote. Also the periodic views:
``ExecutorState`` and ``OpenOrders``.
"""

from __future__ import annotations

from actors.executor.core.executor_core import ExecutorCore
from actors.executor.order_store import OrderStore
from actors.executor.wire.account import Account
from bus import topics
from bus.effects import Effects
from bus.logs import Logger, Throttle
from bus.node import Node
from schemas import Command


class Publisher:
    def __init__(self, node: Node, core: ExecutorCore, store: OrderStore, account: Account,
                 log: Logger) -> None:
        self.node, self.core, self.store, self.account, self.log = node, core, store, account, log
        self.echoes: list[tuple[bytes, Command]] = []  # commands to echo on exec.cmd.<holder>.
        self._echo_topics: dict[str, bytes] = {}  # holder -> its exec.cmd topic (validated once)
        self.was_ready = False
        self.orders_dirty = False  # the open orders changed since the last OpenOrders
        self.bad = Throttle()  # commands whose holder cannot name a topic (a flood is not logged in full)

    def echo(self, cmd: Command) -> bool:
        """Queue the command's echo; False (logged) if its holder cannot name a topic: it is dropped."""
        echo = self._echo_topics.get(cmd.holder)
        if echo is None:
            try:
                echo = self._echo_topics[cmd.holder] = topics.exec_cmd(cmd.holder)
            except topics.TopicError:
                if n := self.bad.count(cmd.holder):
                    self.log.warning("bad_command", holder=cmd.holder, cmd_id=cmd.cmd_id,
                                     type=type(cmd).__name__, count=n)
                return False
        self.echoes.append((echo, cmd))
        return True

    def emit(self, fx: Effects) -> None:
        node, core = self.node, self.core
        echoes, self.echoes = self.echoes, []
        for topic, cmd in echoes:
            node.publish(topic, cmd)
        self.store.apply(*core.changes())  # durable before announced
        node.apply(fx)
        fx.clear()
        became_ready, self.was_ready = core.ready and not self.was_ready, core.ready
        if became_ready:
            self.log.info("executor_ready", open_orders=len(core), dry_run=core.state.p.dry_run)
        if core.ready and (core.orders_changed or became_ready):
            self.orders_dirty = True
        if core.heartbeat_wanted:
            self.account.arm_heartbeat()

    def publish_state(self, now: int) -> None:
        if self.account.take_lapse():
            self.log.warning("heartbeat_lapsed", note="the venue may have cancelled every order: syncing")
            self.core.request_sync()
        self.core.prune(now)
        self.node.publish(topics.exec_state(), self.core.executor_state(now, self.account.heartbeat_armed))

    def publish_changed(self, now: int) -> None:
        """The ``OpenOrders`` view, if it changed since the last one (the pump tick: at most every 100 ms)."""
        if self.orders_dirty and self.core.ready:
            self.orders_dirty = False
            self.node.publish(topics.exec_orders(), self.core.open_orders(now))

    def publish_orders(self, now: int) -> None:
        if self.core.ready:
            self.store.apply(*self.core.changes())  # durable before announced (a burst may be half in)
            self.orders_dirty = False
            self.node.publish(topics.exec_orders(), self.core.open_orders(now))
