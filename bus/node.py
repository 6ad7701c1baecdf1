"""The sync actor shell: sockets, poll loop, signals, heartbeats, readiness, gap counting.

One ``Node`` per program. It owns:
- a PUB socket connected to the proxy's XSUB end, and a SUB socket on its XPUB end;
- with ``PM_MD_DIRECT`` (the default): the market-feed's node binds a second PUB for ``md.*`` and every
  node that subscribes to an ``md.`` prefix reads it on a second SUB connected there (``bus.endpoints``);
  the market-feed also publishes ``md.*`` through the proxy for every other listener (the tap, ...);
- optionally a PULL socket it binds (the executor's commands, inventory's fills) and PUSH sockets
  it connects (coordinators -> executor, user-feed -> inventory);
- a poller with timeouts (loops never block forever) and a signal wakeup fd, so SIGTERM/SIGINT
  stop the loop in well under a second;
- a heartbeat on ``sys.hb.<program>.`` every ``heartbeat_ms`` (every 100 ms until ready);
  the node is *ready* once its own heartbeat comes back through the proxy;
- per-stream sequence numbers on publish, and gap counting on receive.

Messages are handed to one callback ``on_message(topic, header, msg)``; actors route them through an
explicit handler table (see ``Dispatcher``). Undecodable frames are a warning and a counter.
"""

from __future__ import annotations

import gc
import os
import threading
import time
from collections.abc import Callable, Iterable
from types import FrameType
from typing import Any

import zmq

from bus import codec, curve, topics
from bus.bridge import Wakeup
from bus.codec import FrameError, Header
from bus.config import ConfigError
from bus.effects import Effects
from bus.endpoints import BusConfig
from bus.logs import Logger, Throttle
from bus.streams import GapCounter
from schemas import BusMessage, Heartbeat
from schemas.units import MS

Handler = Callable[[bytes, Header, Any], object]  # what a handler returns is ignored
READY_HEARTBEAT_MS = 100
RECV_BATCH = 256  # frames drained per socket per wake-up, so one busy socket cannot starve the loop


class Node:
    def __init__(
        self,
        program: str,
        bus: BusConfig,
        *,
        subscriptions: Iterable[bytes] = (),
        pull_bind: str | None = None,
        push_connect: dict[str, str] | None = None,
        md_bind: bool = False,
        log: Logger | None = None,
        clock: Callable[[], int] = time.time_ns,
        curve_as: str = "",
    ) -> None:
        self.program = program
        self.bus = bus
        if bus.cpus:  # PM_CPU_AFFINITY: this thread, and every thread it starts from here on
            os.sched_setaffinity(0, bus.cpus)
        self.log = log or Logger(program)
        self.clock = clock
        self.run_id = clock()
        self.ready = False
        self.stopping = False
        self.gaps = GapCounter()
        self.bad_frames = 0
        self._bad_log = Throttle()
        self._seq: dict[bytes, int] = {}
        self._own_hb = topics.sys_hb(program)
        self.ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        self.curve_as = curve_as or program  # whose client key (bus.curve) its sockets use with CURVE on
        self.pub = self.ctx.socket(zmq.PUB)
        self.pub.setsockopt(zmq.LINGER, 0)
        self.pub.setsockopt(zmq.SNDHWM, 100_000)
        self.secure(self.pub)
        self.pub.connect(bus.publish_endpoint)
        self.sub = self.ctx.socket(zmq.SUB)
        self.sub.setsockopt(zmq.LINGER, 0)
        self.sub.setsockopt(zmq.RCVHWM, 100_000)
        self.secure(self.sub)
        self.sub.connect(bus.subscribe_endpoint)
        self.sub.setsockopt(zmq.SUBSCRIBE, self._own_hb)
        self.md_pub: zmq.Socket[bytes] | None = None  # md.* publishes (market-feed, md direct)
        if md_bind and bus.md_direct:
            self.md_pub = self.ctx.socket(zmq.PUB)
            self.md_pub.setsockopt(zmq.LINGER, 0)
            self.md_pub.setsockopt(zmq.SNDHWM, 100_000)
            self.secure(self.md_pub, server=True)
            self.md_pub.bind(bus.md_endpoint)
        self.md_sub: zmq.Socket[bytes] | None = None  # md.* subscriptions (md direct), made on first use
        self.poller = zmq.Poller()
        for prefix in subscriptions:
            self.subscribe(prefix)
        self.pull: zmq.Socket[bytes] | None = None
        if pull_bind:
            self.pull = self.ctx.socket(zmq.PULL)
            self.pull.setsockopt(zmq.LINGER, 0)
            self.secure(self.pull, server=True)
            self.pull.bind(pull_bind)
        self.pushes: dict[str, zmq.Socket[bytes]] = {}
        for name, endpoint in (push_connect or {}).items():
            sock = self.ctx.socket(zmq.PUSH)
            sock.setsockopt(zmq.LINGER, 2000)  # commands and fills must not be dropped on exit
            self.secure(sock)
            sock.connect(endpoint)
            self.pushes[name] = sock
        self._wakeup = Wakeup()
        self.poller.register(self.sub, zmq.POLLIN)
        if self.pull is not None:
            self.poller.register(self.pull, zmq.POLLIN)
        self.poller.register(self._wakeup.fd, zmq.POLLIN)
        self._timers: list[tuple[int, int, Callable[[int], None]]] = []  # (period_ns, due_ns, fn)
        self._readers: dict[Any, Callable[[], object]] = {}  # fd or zmq socket -> callback when readable
        self._next_hb = 0

    def secure(self, sock: zmq.Socket[bytes], server: bool = False) -> None:
        """CURVE on ``sock`` when ``PM_BUS_KEYS`` is set (``bus.curve``); a missing key stops the program
        like any bad setting (``config_error``, exit 2)."""
        try:
            if server:
                curve.secure_server(sock, self.bus.keys_dir, self.log)
            else:
                curve.secure_client(sock, self.bus.keys_dir, self.curve_as)
        except ConfigError as exc:
            self.log.error("config_error", variable=exc.variable, error=exc.message)
            raise SystemExit(2) from None

    # -- subscriptions and sending --------------------------------------------------------------

    def _sub_for(self, prefix: bytes) -> zmq.Socket[bytes]:
        """The SUB socket a prefix is read on: market data straight from the market-feed when direct."""
        if not (self.bus.md_direct and prefix.startswith(b"md.")):
            return self.sub
        if self.md_sub is None:
            self.md_sub = self.ctx.socket(zmq.SUB)
            self.md_sub.setsockopt(zmq.LINGER, 0)
            self.md_sub.setsockopt(zmq.RCVHWM, 100_000)
            self.md_sub.setsockopt(zmq.RECONNECT_IVL, 20)  # the feed restarted: back within 20 ms
            self.secure(self.md_sub)
            self.md_sub.connect(self.bus.md_endpoint)
            self.poller.register(self.md_sub, zmq.POLLIN)
        return self.md_sub

    def subscribe(self, prefix: bytes) -> None:
        self._sub_for(prefix).setsockopt(zmq.SUBSCRIBE, prefix)

    def unsubscribe(self, prefix: bytes) -> None:
        self._sub_for(prefix).setsockopt(zmq.UNSUBSCRIBE, prefix)

    def _header(self, topic: bytes, now: int) -> bytes:
        seq = self._seq.get(topic, 0) + 1
        self._seq[topic] = seq
        return codec.encode_header(self.program, self.run_id, seq, now)

    def publish(self, topic: bytes, msg: BusMessage) -> None:
        now = self.clock()
        header, body = self._header(topic, now), codec.encode_body(msg)
        md = self.md_pub
        if md is not None and topic[:3] == b"md.":  # straight to the md.* subscribers first (hot path)
            md.send(topic, zmq.SNDMORE)
            md.send(header, zmq.SNDMORE)
            md.send(body)
        pub = self.pub  # three plain sends: measured ~2.7 us vs ~7 us for send_multipart(copy=False)
        pub.send(topic, zmq.SNDMORE)  # and through the proxy, for everyone else (a PUB filters by the
        pub.send(header, zmq.SNDMORE)  # subscriptions in this thread: nobody wants it, nothing is sent)
        pub.send(body)

    def push(self, name: str, topic: bytes, msg: BusMessage) -> None:
        """Send on a PUSH pipe. Blocks (bounded by HWM) rather than drop: these flows must not lose data."""
        now = self.clock()
        push = self.pushes[name]  # three plain sends, as in publish
        push.send(topic, zmq.SNDMORE)
        push.send(self._header(topic, now), zmq.SNDMORE)
        push.send(codec.encode_body(msg))

    def apply(self, effects: Effects) -> None:
        """Perform what a core asked for (``bus.effects``): pushes first (the hot path), then publishes,
        then the log lines."""
        for pipe, topic, msg in effects.pushes:
            self.push(pipe, topic, msg)
        for topic, msg in effects.publishes:
            self.publish(topic, msg)
        if effects.notes:
            self.log.lines(effects.notes)  # one write for the step's lines

    def add_reader(self, source: Any, callback: Callable[[], object]) -> None:
        """Call ``callback()`` from the loop whenever ``source`` (an fd or a zmq socket) is readable.

        The edge actors register their WebSocket's fd here, so frames are handled in the same thread
        and loop as the bus (no hand-off between threads on the hot path).
        """
        self._readers[source] = callback
        self.poller.register(source, zmq.POLLIN)

    def remove_reader(self, source: Any) -> None:
        if self._readers.pop(source, None) is not None:
            self.poller.unregister(source)

    def every(self, period_ms: int, fn: Callable[[int], None]) -> None:
        """Call ``fn(now_ns)`` every ``period_ms`` from inside the loop."""
        period = period_ms * MS
        self._timers.append((period, self.clock() + period, fn))

    def at(self, due_ns: int, fn: Callable[[int], None]) -> None:
        """Call ``fn(now_ns)`` once, from inside the loop, when the clock reaches ``due_ns``."""
        self._timers.append((0, due_ns, fn))

    # -- the loop -------------------------------------------------------------------------------

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True

    def stop(self) -> None:
        """Ask the loop to stop (thread-safe: wakes the poller)."""
        self.stopping = True
        self._wakeup.wake()

    def install_signals(self) -> None:
        self._wakeup.catch_signals(self._on_signal)

    def heartbeat(self, now: int) -> None:
        self.publish(self._own_hb, Heartbeat(program=self.program, pid=os.getpid(), ready=self.ready,
                                             gaps=self.gaps.total, ts=now))
        period = self.bus.heartbeat_ms if self.ready else READY_HEARTBEAT_MS
        self._next_hb = now + period * MS

    def _receive(self, sock: zmq.Socket[bytes], on_message: Handler) -> None:
        for _ in range(RECV_BATCH):
            try:
                frames = sock.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                topic, header, msg = codec.decode(frames)
            except FrameError as exc:
                self.bad_frames += 1
                if self._bad_log.count():  # a flood must not flood the log
                    self.log.warning("bad_frame", error=str(exc), count=self.bad_frames)
                continue
            self.gaps.observe(topic, header)
            if topic == self._own_hb:
                if not self.ready and header.run == self.run_id:
                    self.ready = True
                    self.log.info("ready", run=self.run_id)
                continue
            on_message(topic, header, msg)

    def _run_timers(self, now: int) -> int:
        """Run due timers; return ns until the next one (or the heartbeat)."""
        if now >= self._next_hb:
            self.heartbeat(now)
        nearest = self._next_hb
        fired_once = False
        for i, (period, due, fn) in enumerate(self._timers):
            if now >= due:
                fn(now)
                if not period:  # a one-shot (``at``): removed below
                    fired_once = True
                    continue
                due = now + period
                self._timers[i] = (period, due, fn)
            nearest = min(nearest, due)
        if fired_once:
            self._timers = [t for t in self._timers if t[0] or t[1] > now]
        return max(0, nearest - now)

    def run(self, on_message: Handler, *, max_wait_ms: int = 1000,
            on_drained: Callable[[], None] | None = None, on_idle: Callable[[], bool] | None = None) -> int:
        """Loop until a signal or ``stop()``; returns the process exit code (0).

        ``on_drained()``, if given, runs once per wake-up, after every ready socket has been drained
        (up to ``RECV_BATCH`` frames each) and the readers have run: handlers that only record what
        arrived let the actor decide once, on the newest state, instead of once per queued message.

        ``on_idle()``, if given, runs when nothing is ready (a poll without waiting found nothing) before
        the loop sleeps: one small slice of background work, True if it did some (the loop then looks at
        its sockets and timers again before the next slice), False to sleep. Work waiting on a socket is
        therefore delayed by one slice at most.
        """
        if threading.current_thread() is threading.main_thread():
            self.install_signals()
        self.log.info("started", pid=os.getpid(), run=self.run_id)
        gc.collect()
        gc.freeze()  # start-up objects (modules, config, caches) are never scanned again: shorter GC pauses
        wake_fd = self._wakeup.fd
        spin_ns = self.bus.spin_us * 1000
        while not self.stopping:
            wait_ns = self._run_timers(self.clock())
            timeout_ms = min(max_wait_ms, wait_ns // MS + 1)
            events = dict(self.poller.poll(0)) if spin_ns else {}
            if spin_ns and not events:  # PM_SPIN_US: keep polling (no sleep, no wake-up) for a while
                until = time.perf_counter_ns() + min(spin_ns, wait_ns)
                while not events and time.perf_counter_ns() < until:
                    events = dict(self.poller.poll(0))
            if not events and on_idle is not None:
                events = dict(self.poller.poll(0)) if not spin_ns else events
                if not events and on_idle():
                    continue
            if not events:
                events = dict(self.poller.poll(timeout_ms))
            if self.md_sub is not None and self.md_sub in events:  # the hot path's books first
                self._receive(self.md_sub, on_message)
            if self.sub in events:
                self._receive(self.sub, on_message)
            if self.pull is not None and self.pull in events:
                self._receive(self.pull, on_message)
            for source in [src for src in events if src in self._readers]:
                callback = self._readers.get(source)
                if callback is not None:
                    callback()
            if on_drained is not None and events:
                on_drained()
            if wake_fd in events:
                self._wakeup.clear()
        self.log.info("stopped", gaps=self.gaps.total, bad_frames=self.bad_frames)
        return 0

    def close(self) -> None:
        for sock in (self.pub, self.sub, self.md_pub, self.md_sub, self.pull, *self.pushes.values()):
            if sock is not None:
                sock.close()
        self._wakeup.close()


class Dispatcher:
    """An explicit handler table: message type -> handler. Unknown types are counted, not fatal."""

    def __init__(self, handlers: dict[type, Handler], log: Logger) -> None:
        self.handlers = handlers
        self.log = log
        self.unknown = 0
        self._log = Throttle()

    def __call__(self, topic: bytes, header: Header, msg: Any) -> None:
        handler = self.handlers.get(type(msg))
        if handler is None:
            self.unknown += 1
            if self._log.count(type(msg).__name__):
                self.log.warning("unhandled_message", type=type(msg).__name__, topic=topic.decode(),
                                 count=self.unknown)
            return
        handler(topic, header, msg)
