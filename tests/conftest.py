"""Fixtures shared by the tests that run a real bus: a private ipc directory and a proxy on it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.endpoints import BusConfig
from tests.support.procs import bus_config, running_proxy, short_tmpdir


@pytest.fixture
def run_dir() -> Iterator[Path]:
    path = short_tmpdir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def bus(run_dir: Path) -> Iterator[BusConfig]:
    cfg = bus_config(run_dir)
    with running_proxy(cfg):
        yield cfg
