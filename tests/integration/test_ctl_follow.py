"""``python -m actors.ctl follow <market> YES|NO --shares N | --usd X`` and ``--abort`` over real sockets:
the command reaches the coordinator's topic with exact 1e-6 sizes (resent until answered); an accepting
answer with the command's id ends it with exit 0, a refusal with exit 1. The coordinator's side (acting
once per id, the round itself) is in tests/unit/test_follow.py; the whole loop against the venue in
tests/e2e/test_follow_e2e.py."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

import pytest

from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import FollowAbort, FollowStart, RiskEvent
from schemas.system import Severity
from tests.support.procs import Listener, Program, program_env
from tests.support.quiet import Quiet


def _answer(program: Program, coordinator: Node, kind: str, severity: Severity, message: str) -> None:
    answer = RiskEvent(program="market:btc", market="0xm", kind=kind, severity=severity, message=message,
                       ts=time.time_ns())
    deadline = time.monotonic() + 10
    while program.proc.poll() is None and time.monotonic() < deadline:
        coordinator.publish(topics.risk_event("market:btc"), answer)  # until its subscription is in
        with contextlib.suppress(subprocess.TimeoutExpired):
            program.proc.wait(0.2)


@pytest.mark.parametrize("args,expected,severity,code", [
    (["YES", "--shares", "12.5"], ("YES", 12_500_000, 0), "info", 0),
    (["no", "--usd", "7"], ("NO", 0, 7_000_000), "warn", 1),
])
def test_follow_is_resent_until_answered_and_exits_by_the_answer(
        bus: BusConfig, run_dir: Path, args: list[str], expected: tuple[str, int, int], severity: Severity,
        code: int) -> None:
    listener = Listener(bus, topics.ctl_cmd("btc"))
    coordinator = Node("market:btc", bus, log=Quiet("c"))
    program = Program(["-m", "actors.ctl", "follow", "btc", *args, "--timeout", "20"], program_env(run_dir))
    try:
        _topic, header, msg = listener.wait_for(lambda t, h, m: isinstance(m, FollowStart), 10)
        assert isinstance(msg, FollowStart) and header.src == "ctl"
        assert (msg.holder, msg.outcome, msg.shares, msg.usd) == ("btc", *expected)
        _answer(program, coordinator, "follow", severity, f"{msg.cmd_id}: round 1")
        assert program.proc.returncode == code
        assert program.read_until(lambda line: line.startswith("follow btc:")) == "follow btc: round 1"
    finally:
        program.kill()
        coordinator.close()
        listener.close()


def test_abort_sends_follow_abort(bus: BusConfig, run_dir: Path) -> None:
    listener = Listener(bus, topics.ctl_cmd("btc"))
    coordinator = Node("market:btc", bus, log=Quiet("c"))
    argv = ["-m", "actors.ctl", "follow", "btc", "--abort", "--reason", "enough", "--timeout", "20"]
    program = Program(argv, program_env(run_dir))
    try:
        _topic, _header, msg = listener.wait_for(lambda t, h, m: isinstance(m, FollowAbort), 10)
        assert isinstance(msg, FollowAbort) and (msg.holder, msg.reason) == ("btc", "enough")
        _answer(program, coordinator, "follow_abort", "info", f"{msg.cmd_id}: aborting round 1 (SELLING)")
        assert program.proc.returncode == 0
    finally:
        program.kill()
        coordinator.close()
        listener.close()


@pytest.mark.parametrize("args", [["YES"], ["YES", "--shares", "1", "--usd", "1"], ["MAYBE", "--shares", "1"],
                                  ["--abort", "YES"], ["YES", "--shares", "-1"]])
def test_bad_arguments_are_refused_before_anything_is_sent(args: list[str]) -> None:
    from actors.ctl.main import main
    with pytest.raises(SystemExit) as exc:
        main(["follow", "btc", *args])
    assert exc.value.code == 2
