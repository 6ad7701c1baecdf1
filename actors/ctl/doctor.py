"""``doctor``, the pure half: each pre-flight check's verdict from what was measured, with a hint per
failure, and the checklist as text or JSON. The I/O that measures is ``actors.ctl.doctor_cmd``.

A check is ✓ (ok), ✗ (fails: ``doctor`` exits 1) or ``-`` (skipped: not relevant in this mode, e.g.
balances outside live trading). Nothing here ever holds the private key: only whether it is set and
the address it derives.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

Verdict = Literal["ok", "fail", "skip"]
MARK = {"ok": "✓", "fail": "✗", "skip": "-"}
MAX_SKEW_S = 2.0  # an order's timestamp and the L1/L2 auth headers tolerate a few seconds; warn well before
MIN_FREE_BYTES = 1 << 30  # var/ holds the journals, the registry and the logs (20 MB x 6 per program)
MIN_PYTHON = (3, 11)


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    verdict: Verdict
    detail: str
    hint: str = ""


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def fail(name: str, detail: str, hint: str) -> Check:
    return Check(name, "fail", detail, hint)


def skip(name: str, detail: str) -> Check:
    return Check(name, "skip", detail)


def python(version: tuple[int, int, int]) -> Check:
    text = ".".join(map(str, version))
    if version[:2] >= MIN_PYTHON:
        return ok("python", text)
    return fail("python", text, "Python 3.11 or newer: make install with PYTHON=python3.11")


def packages(pinned: Mapping[str, str], installed: Mapping[str, str | None]) -> Check:
    """Every pin of requirements.lock installed at its version (``installed``: name -> version or None)."""
    wrong = sorted(f"{n}=={v} (have {installed.get(n) or 'none'})" for n, v in pinned.items()
                   if installed.get(n) != v)
    if not wrong:
        return ok("packages", f"{len(pinned)} pinned, all installed")
    return fail("packages", ", ".join(wrong[:5]) + (" ..." if len(wrong) > 5 else ""),
                "make install (re-installs .venv from requirements.lock)")


def parse_lock(text: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[normalise(name.split("[", 1)[0])] = version.split(";", 1)[0].strip()
    return pins


def normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-").replace(".", "-")


def config(problems: Sequence[str]) -> Check:
    if not problems:
        return ok("config", "every program's settings are valid")
    return fail("config", "; ".join(problems), "fix the variable named (docs/configuration.md), in .env")


def reachable(name: str, url: str, error: str) -> Check:
    if not error:
        return ok(name, url)
    return fail(name, f"{url}: {error}", "is the venue up? (paper: `make up` starts it; live: network, "
                                         "POLYMARKET_REST_URL / POLYMARKET_WS_BASE_URL)")


def clock(venue_s: float | None, local_s: float) -> Check:
    if venue_s is None:
        return fail("clock", "the venue's /time could not be read", "see the venue REST check above")
    skew = local_s - venue_s
    detail = f"skew {skew:+.1f} s against the venue's /time"
    if abs(skew) <= MAX_SKEW_S:
        return ok("clock", detail)
    return fail("clock", detail, "synchronise the clock (chrony / systemd-timesyncd): signed requests "
                                 "carry a timestamp")


def key(present: bool, address: str, error: str, local: bool) -> Check:
    if error:
        return fail("key", error, "the private key in .env (chmod 600; README, Configuration): 64 hex digits")
    if not present:
        if local:
            return ok("key", f"paper mode: the documented test key ({address})")
        return fail("key", "the private key is not set",
                    "put it in .env (chmod 600), never in the shell's environment")
    return ok("key", f"set (not shown), address {address}")


def credentials(error: str, source: str) -> Check:
    if not error:
        return ok("api credentials", source)
    return fail("api credentials", error, "the key must own the account (README, Wallet types); or give "
                                          "POLYMARKET_API_KEY/SECRET/PASSPHRASE")


def balance(live: bool, collateral: int | None, error: str, no_allowance: Sequence[str] = ()) -> Check:
    """The wallet's pUSD, and that every exchange contract may spend it (an order fails otherwise)."""
    if not live:
        return skip("balance", "not live trading (paper or dry run)")
    if error or collateral is None:
        return fail("balance", error or "not read", "the wallet type and funder (README, Wallet types)")
    if collateral <= 0:
        return fail("balance", "0 pUSD", "fund the wallet and set the allowances (polymarket.com)")
    if no_allowance:
        spenders = ", ".join(no_allowance)
        return fail("balance", f"{collateral / 1_000_000:.2f} pUSD, no allowance for {spenders}",
                    "approve pUSD to the exchanges (polymarket.com does it on the first trade), then "
                    "GET /balance-allowance/update")
    return ok("balance", f"{collateral / 1_000_000:.2f} pUSD, allowances set")


def presign(max_age_ms: int | None, local: bool) -> Check:
    """Pre-signing (``PM_EXEC_PRESIGN_MAX_AGE_MS``): whether it is on and the age bound, as the executor
    resolved them. A setting, never a failure; on Polymarket it is on only when set."""
    if max_age_ms is None:
        return skip("presign", "not reported by the executor")
    if max_age_ms <= 0:
        return ok("presign", "off (every order signed when sent)")
    where = "local venue" if local else "Polymarket: its limit on an order's timestamp age is not documented"
    return ok("presign", f"on: orders signed in idle time, none sent older than {max_age_ms} ms ({where}; "
                         "`pmctl livetest` proves the venue accepts that age)")


def supervisord(error: str) -> Check:
    return ok("supervisord", "reachable") if not error else fail("supervisord", error, "make up")


def programs(rows: Iterable[Any]) -> list[Check]:
    """Each program's state and heartbeat (``rows``: ``tables.ProgramRow``)."""
    out = []
    for r in rows:
        age = "no heartbeat" if r.heartbeat_age_s is None else f"heartbeat {r.heartbeat_age_s:.1f} s ago"
        detail = f"{r.state}, {age}"
        out.append(ok(f"program {r.program}", detail) if r.ok else
                   fail(f"program {r.program}", detail, f"var/log/{r.program.split(':')[-1]}.log; "
                                                        "./pmctl status"))
    return out


def disk(path: str, free: int | None) -> Check:
    if free is None:
        return fail("disk", f"{path}: not readable", "create it: make install")
    detail = f"{free / (1 << 30):.1f} GiB free in {path}"
    if free >= MIN_FREE_BYTES:
        return ok("disk", detail)
    return fail("disk", detail, "free space: the journals and logs live there (docs/operations.md)")


def exit_code(checks: Sequence[Check]) -> int:
    return 1 if any(c.verdict == "fail" for c in checks) else 0


def render(checks: Sequence[Check]) -> str:
    width = max((len(c.name) for c in checks), default=0)
    lines = []
    for c in checks:
        lines.append(f"{MARK[c.verdict]} {c.name.ljust(width)}  {c.detail}")
        if c.hint:
            lines.append(f"  {' ' * width}  hint: {c.hint}")
    failed = sum(c.verdict == "fail" for c in checks)
    lines.append("all checks passed" if not failed else f"{failed} check(s) failed")
    return "\n".join(lines)


def as_json(checks: Sequence[Check]) -> list[dict[str, Any]]:
    return [asdict(c) for c in checks]
