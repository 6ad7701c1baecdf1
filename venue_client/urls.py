"""Which venue URLs a program may use: well formed always, and only loopback in paper mode (pure, no DNS).

Loopback means the URL's host is written as an address in ``127.0.0.0/8``, as ``::1`` (``[::1]`` in a
URL), or as the name ``localhost``. No name is ever resolved: ``localhost`` is loopback by definition
(RFC 6761), and every other name is refused, even one that resolves to 127.0.0.1 on this machine today
(``/etc/hosts``, DNS): a check made at start-up cannot bind what a resolver answers later, and config
loading does no network I/O. ``localhost.`` (trailing dot), ``127.1``, ``0.0.0.0``, ``::ffff:127.0.0.1``
and zone ids are refused as well.

A URL is plain ``scheme://host[:port][/path]``: no user-info, query, fragment, backslash, percent
escape, blank or control character, so that every HTTP and WebSocket client in the programs reads the
same host out of it as this check does.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from bus.config import ConfigError

HTTP = ("http", "https")
WS = ("ws", "wss")
LOOPBACK_V4 = ipaddress.ip_network("127.0.0.0/8")
LOOPBACK_V6 = ipaddress.ip_address("::1")
_NOT_PLAIN = frozenset("@\\?#% ")


def is_loopback_host(host: str) -> bool:
    """``localhost``, an IPv4 address in 127.0.0.0/8, or ``::1`` (the host as written, never resolved)."""
    if host.lower() == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address in LOOPBACK_V4 if address.version == 4 else address == LOOPBACK_V6


def check_url(variable: str, url: str, schemes: tuple[str, ...], *, loopback: bool) -> None:
    """Raise ``ConfigError`` naming ``variable`` unless ``url`` is a plain URL of one of ``schemes``
    (whose host is loopback, if ``loopback``)."""
    if not url:
        raise ConfigError(variable, "is empty: a URL is required")
    if any(c in _NOT_PLAIN or ord(c) < 32 or ord(c) == 127 for c in url):
        raise ConfigError(variable, f"not a plain URL (scheme://host[:port][/path]): {url[:80]!r}")
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed "[" of an IPv6 address
        raise ConfigError(variable, f"not a URL: {url[:80]!r}") from None
    if parts.scheme not in schemes or not url.startswith(f"{parts.scheme}://"):
        starts = " or ".join(s + "://" for s in schemes)
        raise ConfigError(variable, f"must start with {starts}: {url[:80]!r}")
    try:
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise ConfigError(variable, f"bad host or port: {url[:80]!r}") from None
    if not host:
        raise ConfigError(variable, f"has no host: {url[:80]!r}")
    if loopback and not is_loopback_host(host):
        raise ConfigError(variable, f"PM_VENUE=local (paper trading) only talks to loopback (127.0.0.0/8, "
                                    f"::1, localhost), not {host!r}; PM_VENUE=polymarket for a real venue")
