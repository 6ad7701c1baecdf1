"""Every program's configuration struct (the msgspec structs with ``PM_*`` / ``POLYMARKET_*`` fields),
found by scanning the config modules: a new program's struct is picked up without a list to update."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import msgspec

import actors
from bus.config import env_fields

CONFIG_MODULES = ["bus.endpoints", "venue_client.endpoints", "venue_client.credentials",
                  "venue_client.markets.config", "venue.config",
                  *(f"actors.{m.name}.config" for m in pkgutil.iter_modules(actors.__path__)
                    if (Path(actors.__path__[0]) / m.name / "config.py").exists())]


def env_structs() -> list[type[msgspec.Struct]]:
    found: dict[str, type[msgspec.Struct]] = {}
    for name in CONFIG_MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, msgspec.Struct) and value.__module__ == name \
                    and env_fields(value):
                found[value.__name__] = value
    return [found[k] for k in sorted(found)]


STRUCTS = env_structs()
