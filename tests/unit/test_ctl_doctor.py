"""``doctor``'s verdicts (``actors.ctl.doctor``, pure): each check ✓/✗/- from what was measured, a hint on
every ✗, the exit code, and the lock file parsed as pip reads it."""

from __future__ import annotations

import pytest

from actors.ctl import doctor
from actors.ctl.tables import ProgramRow


@pytest.mark.parametrize(("check", "verdict"), [
    (doctor.python((3, 11, 7)), "ok"),
    (doctor.python((3, 10, 12)), "fail"),
    (doctor.packages({"msgspec": "0.19.0"}, {"msgspec": "0.19.0"}), "ok"),
    (doctor.packages({"msgspec": "0.19.0"}, {"msgspec": "0.18.6"}), "fail"),
    (doctor.packages({"msgspec": "0.19.0"}, {"msgspec": None}), "fail"),
    (doctor.config([]), "ok"),
    (doctor.config(["PM_VENUE: bad"]), "fail"),
    (doctor.reachable("venue rest", "http://127.0.0.1:8900", ""), "ok"),
    (doctor.reachable("venue rest", "http://127.0.0.1:8900", "ConnectionError"), "fail"),
    (doctor.clock(1000.0, 1001.5), "ok"),
    (doctor.clock(1000.0, 997.0), "fail"),  # 3 s behind
    (doctor.clock(None, 1000.0), "fail"),
    (doctor.key(False, "0xabc", "", local=True), "ok"),  # paper mode: the test key
    (doctor.key(False, "", "", local=False), "fail"),  # live without a key
    (doctor.key(True, "0xabc", "", local=False), "ok"),
    (doctor.key(True, "", "not a usable key", local=False), "fail"),
    (doctor.credentials("", "derivable"), "ok"),
    (doctor.credentials("derive refused: HTTP 401", ""), "fail"),
    (doctor.balance(False, None, ""), "skip"),
    (doctor.balance(True, 25_000_000, ""), "ok"),
    (doctor.balance(True, 0, ""), "fail"),
    (doctor.balance(True, None, "HTTP 401"), "fail"),
    (doctor.balance(True, 25_000_000, "", ["0xExchange"]), "fail"),  # funded, but an exchange may not spend
    (doctor.presign(0, local=False), "ok"),  # off: the default on Polymarket
    (doctor.presign(10_000, local=True), "ok"),
    (doctor.presign(None, local=True), "skip"),  # an executor that does not report it
    (doctor.supervisord(""), "ok"),
    (doctor.supervisord("not reachable"), "fail"),
    (doctor.disk("/var", 5 << 30), "ok"),
    (doctor.disk("/var", 100 << 20), "fail"),
    (doctor.disk("/var", None), "fail"),
])
def test_verdicts(check: doctor.Check, verdict: str) -> None:
    assert check.verdict == verdict
    assert bool(check.hint) == (verdict == "fail")  # every failure says what to do


def row(program: str, age: float | None, state: str = "RUNNING") -> ProgramRow:
    return ProgramRow(program=program, state=state, pid=1, uptime_s=1, restarts=0, heartbeat_age_s=age,
                      ready=True, gaps=0)


def test_programs_and_the_exit_code() -> None:
    checks = doctor.programs([row("executor", 0.4), row("inventory", None), row("ofi", 0.2, "BACKOFF")])
    assert [(c.name, c.verdict) for c in checks] == [
        ("program executor", "ok"), ("program inventory", "fail"), ("program ofi", "fail")]
    assert doctor.exit_code(checks) == 1 and doctor.exit_code(checks[:1]) == 0
    assert doctor.exit_code([doctor.skip("balance", "paper")]) == 0
    text = doctor.render(checks)
    assert text.splitlines()[0].startswith("✓ program executor") and "hint: var/log/inventory.log" in text
    assert text.splitlines()[-1] == "2 check(s) failed"


def test_the_lock_file_is_read_as_pip_reads_it() -> None:
    text = "msgspec==0.19.0\nPyYAML==6.0.2  # comment\nzope.interface==7.2\n\n# only a comment\n"
    assert doctor.parse_lock(text) == {"msgspec": "0.19.0", "pyyaml": "6.0.2", "zope-interface": "7.2"}
