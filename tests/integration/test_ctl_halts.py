"""``python -m actors.ctl resume|halt <market>`` over real sockets: the command reaches the coordinator's
topic (resent until answered), the answer with the command's id ends it (exit 0); no answer -> exit 1.
The coordinator's side (acting once per id, the answer) is in tests/unit/test_coordinator_risk.py; the
whole loop against the engine is in tests/e2e/test_neutral_e2e.py."""

from __future__ import annotations

import contextlib
import subprocess
import time
from pathlib import Path

from bus import topics
from bus.endpoints import BusConfig
from bus.node import Node
from schemas import Halt, Resume, RiskEvent
from tests.support.procs import Listener, Program, program_env
from tests.support.quiet import Quiet


def test_resume_is_resent_until_the_coordinator_answers(bus: BusConfig, run_dir: Path) -> None:
    listener = Listener(bus, topics.ctl_cmd("btc"))
    coordinator = Node("market:btc", bus, log=Quiet("c"))
    program = Program(["-m", "actors.ctl", "resume", "btc", "--reason", "checked", "--timeout", "20"],
                      program_env(run_dir))
    try:
        _topic, header, msg = listener.wait_for(lambda t, h, m: isinstance(m, Resume), 10)
        assert isinstance(msg, Resume) and (msg.holder, msg.reason, header.src) == ("btc", "checked", "ctl")
        answer = RiskEvent(program="market:btc", market="0xm", kind="resume", severity="info",
                           message=f"{msg.cmd_id}: cleared stop_loss", ts=time.time_ns())
        deadline = time.monotonic() + 10
        while program.proc.poll() is None and time.monotonic() < deadline:
            coordinator.publish(topics.risk_event("market:btc"), answer)  # until its subscription is in
            with contextlib.suppress(subprocess.TimeoutExpired):  # still running: answer again
                program.proc.wait(0.2)
        assert program.proc.returncode == 0
        line = program.read_until(lambda line: line.startswith("resume btc:"))
        assert line == "resume btc: cleared stop_loss"
    finally:
        program.kill()
        coordinator.close()
        listener.close()


def test_an_unanswered_command_fails(bus: BusConfig, run_dir: Path) -> None:
    listener = Listener(bus, topics.ctl_cmd("eth"))
    program = Program(["-m", "actors.ctl", "halt", "eth", "--timeout", "1"], program_env(run_dir))
    try:
        _, _, _msg = listener.wait_for(lambda t, h, m: isinstance(m, Halt), 10)
        assert program.proc.wait(15) == 1
        assert "no answer from market:eth" in program.read_until(lambda line: line.startswith("halt eth:"))
    finally:
        program.kill()
        listener.close()
