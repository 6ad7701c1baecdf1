"""The OFI core's handlers fill an ``Effects``; these run one and return the states it published (each on
its market's ``ofi.state.<condition>.`` topic), for tests that read states rather than effects."""

from __future__ import annotations

from actors.ofi.core import Ofi
from bus import topics
from bus.effects import Effects
from schemas import Lease, OfiState, Trade


def states(fx: Effects) -> list[OfiState]:
    out = []
    for topic, msg in fx.publishes:
        assert isinstance(msg, OfiState) and topic == topics.ofi_state(msg.market)
        out.append(msg)
    assert not fx.pushes
    return out


def on_trade(ofi: Ofi, trade: Trade, now: int) -> list[OfiState]:
    fx = Effects()
    ofi.on_trade(trade, now, fx)
    return states(fx)


def on_timer(ofi: Ofi, now: int) -> list[OfiState]:
    fx = Effects()
    ofi.on_timer(now, fx)
    return states(fx)


def on_lease(ofi: Ofi, lease: Lease, now: int) -> list[OfiState]:
    fx = Effects()
    ofi.on_lease(lease, now, fx)
    return states(fx)


def snapshot(ofi: Ofi, now: int) -> list[OfiState]:
    fx = Effects()
    ofi.snapshot(now, fx)
    return states(fx)
