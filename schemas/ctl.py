"""Operator commands: owned by the ``ctl`` program (``ctl.cmd.<holder>.``), read by that coordinator."""

from __future__ import annotations

from schemas.base import Message


class Resume(Message, frozen=True, tag="ctl.resume"):
    """Clear the risk halt of coordinator ``holder`` (a stop-loss or an operator's halt needs one).

    ``cmd_id`` names the command: ``ctl`` repeats it until the coordinator answers with a ``RiskEvent``
    (kind ``resume``) whose message starts with it; a repeat is answered again, never acted on twice."""

    cmd_id: str
    holder: str
    reason: str
    ts: int


class Halt(Message, frozen=True, tag="ctl.halt"):
    """Halt coordinator ``holder``: cancel its orders and quote nothing until a ``Resume``.
    Answered with a ``RiskEvent`` of kind ``manual_halt`` whose message starts with ``cmd_id``."""

    cmd_id: str
    holder: str
    reason: str
    ts: int


class FollowStart(Message, frozen=True, tag="ctl.follow"):
    """Start one ``follow`` round on coordinator ``holder``'s market: buy ``outcome`` (``YES`` / ``NO``),
    ``shares`` (1e-6) or ``usd`` worth (1e-6, whole shares rounded up), maker-only, then sell it above the
    floor. Answered with a ``RiskEvent`` of kind ``follow`` (severity ``info``: accepted, ``warn``: refused)
    whose message starts with ``cmd_id``; acted on once per ``cmd_id``."""

    cmd_id: str
    holder: str
    outcome: str
    shares: int
    usd: int
    ts: int


class FollowAbort(Message, frozen=True, tag="ctl.abort"):
    """Abort coordinator ``holder``'s running ``follow`` round: cancel what rests, keep what was bought.
    Answered with a ``RiskEvent`` of kind ``follow_abort`` whose message starts with ``cmd_id``."""

    cmd_id: str
    holder: str
    reason: str
    ts: int


CtlMessage = Resume | Halt | FollowStart | FollowAbort
