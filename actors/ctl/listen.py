"""Listening to the bus from a command: a SUB socket only (like the tap), so a listing never publishes.

``collect`` gathers what arrives on the given prefixes for a while (heartbeats come every second, states
at least as often), ``until`` ends it early once the caller has what it needs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import zmq

from bus import codec, curve, topics
from bus.codec import Header
from bus.endpoints import BusConfig

Heard = tuple[bytes, Header, Any]


def collect(bus: BusConfig, prefixes: Iterable[bytes], seconds: float,
            until: Callable[[list[Heard]], bool] | None = None) -> list[Heard]:
    """Every decodable message on ``prefixes`` within ``seconds`` (or until ``until(heard)`` is true)."""
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sub = ctx.socket(zmq.SUB)
    heard: list[Heard] = []
    try:
        sub.setsockopt(zmq.LINGER, 0)
        curve.client_or_exit(sub, bus.keys_dir, "ctl")
        sub.connect(bus.subscribe_endpoint)
        for prefix in prefixes:
            sub.setsockopt(zmq.SUBSCRIBE, prefix)
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            if not sub.poll(int(left * 1000) + 1):
                break
            try:
                heard.append(codec.decode(sub.recv_multipart()))
            except codec.FrameError:
                continue
            if until is not None and until(heard):
                break
    finally:
        sub.close()
    return heard


def heartbeats(bus: BusConfig, processes: list[dict[str, Any]], seconds: float) -> list[Heard]:
    """Heartbeats for up to ``seconds``, ended early once every program supervisord runs here was heard."""
    expected = {f"market:{p['name']}" if p["group"] == "market" else str(p["name"])
                for p in processes if p.get("statename") == "RUNNING" and p["group"] != "venue"}

    def everyone(heard: list[Heard]) -> bool:
        return bool(expected) and expected <= {getattr(m, "program", "") for _t, _h, m in heard}

    return collect(bus, [topics.prefix("sys", "hb")], seconds, until=everyone)


def latest(heard: Iterable[Heard], cls: type, key: Callable[[Any], str]) -> dict[str, Any]:
    """The newest message of ``cls`` per ``key(msg)``."""
    out: dict[str, Any] = {}
    for _topic, _header, msg in heard:
        if isinstance(msg, cls):
            out[key(msg)] = msg
    return out
