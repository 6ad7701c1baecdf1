"""Which programs run on this host, for an engine split across two hosts (docs/operations.md).

``PM_HOST_PROGRAMS`` lists the programs of group ``core`` this host runs (comma-separated; empty: all of
them, the one-host default); ``PM_HOST_COORDINATORS=false`` leaves the coordinators (group ``market``) to
the other host. ``deploy/render.py`` turns the rest into ``autostart=false`` overrides of
``deploy/supervisord.conf``'s programs (supervisord reads the generated file after it), so each host starts
only its own; ``supervisorctl start`` can still start one by hand.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from bus.config import ConfigError, Env

# the recorder runs only with PM_RECORD=true (deploy/render.py), on the host that lists it (docs/backtest.md)
CORE = ("bus", "inventory", "ofi", "executor", "user-feed", "market-feed", "metrics", "recorder")


class HostConfig(msgspec.Struct, frozen=True, kw_only=True):
    # group core's programs this host runs, comma-separated ("" = all: one host)
    programs: Annotated[str, Env("PM_HOST_PROGRAMS")] = ""
    # whether this host runs the coordinators (group market)
    coordinators: Annotated[bool, Env("PM_HOST_COORDINATORS")] = True

    def __post_init__(self) -> None:
        unknown = sorted(set(self.chosen) - set(CORE))
        if unknown:
            raise ConfigError("PM_HOST_PROGRAMS",
                              f"unknown program(s) {', '.join(unknown)} (of {', '.join(CORE)})")

    @property
    def chosen(self) -> list[str]:
        return [p.strip() for p in self.programs.split(",") if p.strip()]

    @property
    def elsewhere(self) -> list[str]:
        """group core's programs another host runs."""
        chosen = self.chosen
        return [p for p in CORE if chosen and p not in chosen]


def overrides(host: HostConfig) -> str:
    """supervisord sections that keep the other host's programs from starting here."""
    return "".join(f"\n[program:{p}]\nautostart=false\n" for p in host.elsewhere)
