"""``python -m actors.ctl <command> ...``: the operator's commands to the running engine.

Each command module registers its subcommands (``register(subparsers)``, which sets ``run`` and optionally
``check`` on the parsed arguments); ``run`` returns the exit code.
- ``reconcile_cmd``: ``reconcile`` inventory against the venue (``--adopt-venue`` repairs one market);
- ``halts``: ``resume`` and ``halt`` a coordinator (risk halts);
- ``follow``: start (or abort) one round of strategy ``follow`` on a coordinator.
- ``stop_buys``: ``stop-buys`` cancels every BUY of the account, the rewards coordinators only hedge.
"""

from __future__ import annotations

import argparse

from actors.ctl import follow, halts, reconcile_cmd, stop_buys

COMMANDS = (reconcile_cmd, halts, follow, stop_buys)


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
