"""``python -m actors.ctl <command> ...``: the operator's commands to the running engine.

Each command module registers its subcommands (``register(subparsers)``, which sets ``run`` and optionally
``check`` on the parsed arguments); ``run`` returns the exit code.
- ``reconcile_cmd``: ``reconcile`` inventory against the venue (``--adopt-venue`` repairs one market);
- ``halts``: ``resume`` and ``halt`` a coordinator (risk halts);
- ``follow``: start (or abort) one round of strategy ``follow`` on a coordinator;
- ``listing``: ``status``, ``positions``, ``orders``, ``pnl`` (read-only);
- ``cancel_cmd``: ``cancel-all [--market M]`` through the executor, acknowledged;
- ``doctor_cmd``: ``doctor``, the pre-flight checklist;
- ``livetest_cmd``: ``livetest``, one harmless order through the whole chain;
- ``keys_cmd``: ``keys``, the bus's CURVE keys;
- ``stop_buys``: ``stop-buys`` cancels every BUY of the account, the rewards coordinators only hedge.
"""

from __future__ import annotations

import argparse

from actors.ctl import (
    cancel_cmd,
    doctor_cmd,
    follow,
    halts,
    keys_cmd,
    listing,
    livetest_cmd,
    reconcile_cmd,
    stop_buys,
)

COMMANDS = (reconcile_cmd, halts, follow, stop_buys, listing, cancel_cmd, doctor_cmd, livetest_cmd, keys_cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m actors.ctl",
                                     description="the operator's commands to the running engine")
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS:
        module.register(sub)
    args = parser.parse_args(argv)
    check = getattr(args, "check", None)
    if check is not None:
        check(parser, args)
    code: int = args.run(args)
    return code
