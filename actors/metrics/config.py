"""The metrics program's configuration: where it serves ``/metrics``."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import msgspec

from bus.config import ConfigError, Env


class MetricsConfig(msgspec.Struct, frozen=True, kw_only=True):
    """`PM_METRICS_ADDR` is where Prometheus scrapes `/metrics`: host:port, the host an IP address
    (`[::1]:9464` for IPv6) or `localhost`; port 0 takes any free port (its `metrics_listening` log
    line names it). The default serves this host only.
    """

    # host:port of the /metrics endpoint; the host is an IP address ("[::1]:9464" for IPv6) or localhost;
    # 0.0.0.0 exposes it to other hosts (the metrics carry no secret, but positions and PnL)
    addr: Annotated[str, Env("PM_METRICS_ADDR")] = "127.0.0.1:9464"

    def __post_init__(self) -> None:
        split_addr(self.addr)

    @property
    def host(self) -> str:
        return split_addr(self.addr)[0]

    @property
    def port(self) -> int:
        return split_addr(self.addr)[1]


def split_addr(addr: str) -> tuple[str, int]:
    """``"127.0.0.1:9464"`` -> ``("127.0.0.1", 9464)``; ``"[::1]:0"`` -> ``("::1", 0)`` (0: any free port);
    ``ConfigError`` naming ``PM_METRICS_ADDR`` otherwise (names other than localhost are not resolved)."""
    host, sep, port = addr.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("the port must be a number 0-65535")
        if host != "localhost":
            ipaddress.ip_address(host)
    except ValueError as error:
        raise ConfigError("PM_METRICS_ADDR", f"not host:port with an IP address or localhost: {addr!r} "
                          f"({error})") from None
    return host, int(port)
