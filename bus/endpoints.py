"""Where the bus lives: the proxy's two ends, the two PUSH/PULL pipes, the market-feed's own PUB, and
whether it uses CURVE.

Market data (``md.*``) goes straight from the market-feed to its subscribers (``PM_MD_DIRECT``, on by
default): the market-feed binds its own PUB (``PM_MD_ENDPOINT``), every ``Node`` that subscribes to an
``md.`` prefix connects a second SUB to it; the market-feed also publishes ``md.*`` through the proxy, so
the tap and every plain SUB on the proxy still see everything (a PUB drops what nobody subscribed to
before it leaves the process). One hop (and one process wake-up) less per book.

Default transport is ``ipc://`` in ``PM_RUN_DIR`` (mode 0700). Without ``PM_BUS_KEYS`` a ``tcp://``
endpoint must be on loopback, so nothing on the bus is reachable from another host. With it (a key
directory, ``python -m actors.ctl keys``) every bus socket uses CURVE (``bus.curve``) and a ``tcp://``
endpoint may be on any interface.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated

import msgspec

from bus.config import REPO_ROOT, ConfigError, Env

DEFAULT_RUN_DIR = str(REPO_ROOT / "var" / "run")


class BusConfig(msgspec.Struct, frozen=True, kw_only=True):
    run_dir: Annotated[str, Env("PM_RUN_DIR")] = DEFAULT_RUN_DIR
    bus_in: Annotated[str, Env("PM_BUS_IN")] = ""  # publishers connect here (proxy XSUB)
    bus_out: Annotated[str, Env("PM_BUS_OUT")] = ""  # subscribers connect here (proxy XPUB)
    exec_cmd: Annotated[str, Env("PM_EXEC_CMD_ENDPOINT")] = ""  # coordinators -> executor
    inv_fill: Annotated[str, Env("PM_INV_FILL_ENDPOINT")] = ""  # user-feed -> inventory
    md_pub: Annotated[str, Env("PM_MD_ENDPOINT")] = ""  # the market-feed's own PUB (md.*)
    md_direct: Annotated[bool, Env("PM_MD_DIRECT")] = True  # md.* straight from the market-feed
    heartbeat_ms: Annotated[int, Env("PM_HEARTBEAT_MS"), msgspec.Meta(ge=50, le=10_000)] = 1000
    # for machines with cores to spare (off by default; docs/performance.md): poll without sleeping for
    # this long before each blocking wait, and pin the program to these CPUs ("0,1"; set per program)
    spin_us: Annotated[int, Env("PM_SPIN_US"), msgspec.Meta(ge=0, le=1_000_000)] = 0
    cpu_affinity: Annotated[str, Env("PM_CPU_AFFINITY")] = ""
    # CURVE key directory (server.key, <program>.key_secret, clients/): "" = no CURVE, loopback TCP only
    keys_dir: Annotated[str, Env("PM_BUS_KEYS")] = ""

    def __post_init__(self) -> None:
        if self.keys_dir and not _is_file(Path(self.keys_dir) / "server.key"):
            raise ConfigError("PM_BUS_KEYS", f"{self.keys_dir!r} holds no server.key "
                                             "(python -m actors.ctl keys)")
        for name in ("bus_in", "bus_out", "exec_cmd", "inv_fill", "md_pub"):
            check_endpoint(name, getattr(self, name), curve=bool(self.keys_dir))
        cpus = self.cpus
        if cpus and not cpus <= set(range(os.cpu_count() or 1)):
            raise ConfigError("PM_CPU_AFFINITY", f"{self.cpu_affinity!r}: this machine has CPUs "
                                                 f"0-{(os.cpu_count() or 1) - 1}")

    @property
    def curve(self) -> bool:
        return bool(self.keys_dir)

    @property
    def cpus(self) -> set[int]:
        try:
            return {int(c) for c in self.cpu_affinity.replace(" ", "").split(",") if c}
        except ValueError:
            raise ConfigError("PM_CPU_AFFINITY", f"{self.cpu_affinity!r} is not a comma list of CPU numbers"
                              ) from None

    def _ipc(self, name: str) -> str:
        return f"ipc://{self.run_dir}/{name}.sock"

    @property
    def publish_endpoint(self) -> str:
        return self.bus_in or self._ipc("bus-in")

    @property
    def subscribe_endpoint(self) -> str:
        return self.bus_out or self._ipc("bus-out")

    @property
    def command_endpoint(self) -> str:
        return self.exec_cmd or self._ipc("exec-cmd")

    @property
    def fill_endpoint(self) -> str:
        return self.inv_fill or self._ipc("inv-fill")

    @property
    def md_endpoint(self) -> str:
        return self.md_pub or self._ipc("md-pub")


_ENV_NAMES = {"bus_in": "PM_BUS_IN", "bus_out": "PM_BUS_OUT",
              "exec_cmd": "PM_EXEC_CMD_ENDPOINT", "inv_fill": "PM_INV_FILL_ENDPOINT",
              "md_pub": "PM_MD_ENDPOINT"}


def check_endpoint(field: str, endpoint: str, curve: bool = False) -> None:
    if not endpoint or endpoint.startswith(("ipc://", "inproc://")):
        return
    variable = _ENV_NAMES.get(field, field)
    if not endpoint.startswith("tcp://"):
        raise ConfigError(variable, f"unsupported endpoint {endpoint!r} (ipc:// or tcp://127.0.0.1:PORT)")
    host = endpoint[len("tcp://"):].rsplit(":", 1)[0].strip("[]")
    try:  # IPv4 only: the sockets are not opened with ZMQ_IPV6, so [::1] could not even bind
        loopback = host == "localhost" or ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not curve:
        raise ConfigError(variable, f"{endpoint!r} is not loopback; only 127.0.0.1 is allowed without CURVE "
                                    "(PM_BUS_KEYS)")


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long, a NUL byte: not a key directory
        return False


def ensure_run_dir(run_dir: str) -> Path:
    """Create the ipc directory with mode 0700 (and tighten it if it is looser)."""
    path = Path(run_dir)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o700)
    return path
