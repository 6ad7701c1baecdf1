"""The dashboard's shell (``python -m actors.dash``, ``make dash``): a SUB socket on the bus (it has no PUB
socket: it cannot publish, like the tap), the terminal's keys, and a full-screen rich ``Live`` redrawn
every ``PM_DASH_REFRESH_MS`` and on every key. The view-model is ``core.Dash`` (pure), the keys
``keys.Ui``, the screen ``render.screen``.

The first frame is drawn before anything is heard, so it starts at once; ``--frames N`` exits after N
redraws and ``--plain`` prints each frame as text without the alternate screen (for recordings).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import termios
import time
import tty
from collections.abc import Iterator

import zmq
from rich.console import Console
from rich.live import Live

from actors.dash.config import DashConfig
from actors.dash.core import Dash
from actors.dash.keys import Ui
from actors.dash.render import screen
from bus import codec, curve, topics
from bus.config import load_or_exit
from bus.endpoints import BusConfig
from schemas.units import MS

PROGRAM = "dash"
SUBSCRIPTIONS = [topics.prefix(d, k) for d, k in (
    ("md", "book"), ("coord", "state"), ("coord", "lease"), ("coord", "adjust"), ("inv", "state"),
    ("ofi", "state"), ("risk", "event"), ("sys", "hb"), ("exec", "event"), ("exec", "state"),
    ("exec", "orders"), ("rewards", "market"))]
BATCH = 5000  # frames drained per wake-up before the screen gets a chance


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m actors.dash",
                                description="a live terminal dashboard (listens only)")
    p.add_argument("--filter", default="", help="show only markets whose name contains this")
    p.add_argument("--frames", type=int, default=0, help="exit after N redraws (0: until q)")
    p.add_argument("--plain", action="store_true", help="print frames as text, no full-screen terminal")
    return p.parse_args(argv)


@contextlib.contextmanager
def keys_mode(fd: int | None) -> Iterator[None]:
    """Keys one by one, unechoed, while the dashboard runs (the terminal restored after)."""
    if fd is None:
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bus, cfg = load_or_exit(BusConfig, PROGRAM), load_or_exit(DashConfig, PROGRAM)
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.LINGER, 0)
    sub.setsockopt(zmq.RCVHWM, 100_000)
    curve.client_or_exit(sub, bus.keys_dir, PROGRAM)
    sub.connect(bus.subscribe_endpoint)
    for prefix in SUBSCRIPTIONS:
        sub.setsockopt(zmq.SUBSCRIBE, prefix)
    fd = sys.stdin.fileno() if sys.stdin.isatty() and not args.plain else None
    poller = zmq.Poller()
    poller.register(sub, zmq.POLLIN)
    if fd is not None:
        poller.register(fd, zmq.POLLIN)
    dash, ui = Dash(), Ui(filter=args.filter)
    console = Console()
    frames = 0
    try:
        with keys_mode(fd), Live(console=console, screen=not args.plain, auto_refresh=False,
                                 transient=False) as live:
            next_draw = 0
            while not ui.quit and (not args.frames or frames < args.frames):
                now = time.time_ns()
                if now >= next_draw:
                    draw(live, dash, ui, now, console.size.height, args.plain)
                    frames += 1
                    next_draw = now + cfg.refresh_ms * MS
                    continue
                ready = dict(poller.poll(max(1, (next_draw - now) // MS)))
                if sub in ready:
                    drain(sub, dash)
                if fd is not None and fd in ready:
                    ui.feed(os.read(fd, 64).decode(errors="ignore"))
                    next_draw = 0  # a key redraws at once
    except KeyboardInterrupt:
        pass
    finally:
        sub.close()
    return 0


def drain(sub: zmq.Socket[bytes], dash: Dash) -> None:
    for _ in range(BATCH):
        try:
            frames = sub.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return
        try:
            topic, header, msg = codec.decode(frames)
        except codec.FrameError:
            continue
        dash.on_message(topic, header, msg, time.time_ns())


def draw(live: Live, dash: Dash, ui: Ui, now: int, height: int, plain: bool) -> None:
    frame = screen(dash.view(now, ui.filter), ui, time.strftime("%H:%M:%S"), height)
    if plain:
        live.console.print(frame)
    else:
        live.update(frame, refresh=True)
