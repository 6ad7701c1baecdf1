"""Which markets the user socket should carry: the condition ids of live coordinator leases (pure).

The live leases are kept in ``bus.leases.LeaseTable`` (shared with the executor). ``diff``
turns the wanted set and what the socket has into subscribe / unsubscribe frames.
"""

from __future__ import annotations

from typing import Any


def subscribe_frame(auth: dict[str, str], markets: set[str] | None) -> dict[str, Any]:
    """The first frame on a user socket; ``markets=None`` = every market of the key (no ``markets``)."""
    frame: dict[str, Any] = {"type": "user", "auth": auth}
    if markets is not None:
        frame["markets"] = sorted(markets)
    return frame


def diff(wanted: set[str], subscribed: set[str]) -> list[dict[str, Any]]:
    """Dynamic ``operation`` frames that move the socket from ``subscribed`` to ``wanted``."""
    frames: list[dict[str, Any]] = []
    added, removed = wanted - subscribed, subscribed - wanted
    if added:
        frames.append({"operation": "subscribe", "markets": sorted(added)})
    if removed:
        frames.append({"operation": "unsubscribe", "markets": sorted(removed)})
    return frames
