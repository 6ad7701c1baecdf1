"""CURVE on the bus: encryption and client authentication, on when ``PM_BUS_KEYS`` names a key directory.

Without it every socket is plain and ``bus.endpoints`` allows only ipc and loopback TCP. With it, every
bus socket of every program uses CURVE, whatever the transport, so endpoints may be ``tcp://`` on any
interface (two hosts: docs/operations.md):

- servers (the proxy's two ends, the executor's command PULL, inventory's fill PULL) hold the server key
  pair (``server.key_secret``) and run a ZAP authenticator in their process that admits only the client
  public keys in ``clients/`` (loaded at start); a refused key is logged (``curve_denied``, throttled) and
  its connection never carries a message either way (it can neither subscribe nor push);
- clients (every PUB, SUB and PUSH) hold the server's public key (``server.key``) and their own pair,
  ``<program>.key_secret`` (``market:btc`` -> ``market-btc``).

``python -m actors.ctl keys`` writes the directory (0700, files 0600). Each host needs ``server.key``, the
pairs of the programs it runs, and, where a server runs, ``server.key_secret`` and ``clients/``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zmq
import zmq.auth
from zmq.auth.thread import ThreadAuthenticator

from bus.config import ConfigError
from bus.logs import Logger, Throttle

SERVER = "server"
CLIENTS = "clients"
_lock = threading.Lock()
_authenticators: dict[int, ThreadAuthenticator] = {}  # one per context (process)


class CurveKeyError(ValueError):
    """A key file the configuration needs is missing or unreadable."""


def key_name(program: str) -> str:
    """The file name of a program's key pair: ``market:btc`` -> ``market-btc``."""
    return program.replace(":", "-").replace("/", "-")


@dataclass(frozen=True, slots=True)
class Pair:
    public: bytes
    secret: bytes | None


def read_pair(path: Path) -> Pair:
    if not path.is_file():
        raise CurveKeyError(f"{path}: missing")
    try:
        public, secret = zmq.auth.load_certificate(str(path))
    except (OSError, ValueError) as exc:
        raise CurveKeyError(f"{path}: {exc}") from None
    return Pair(public, secret)


def client(sock: zmq.Socket[Any], keys_dir: str, program: str) -> None:
    """Make ``sock`` a CURVE client as ``program`` (before it connects)."""
    directory = Path(keys_dir)
    server = read_pair(directory / f"{SERVER}.key")
    own = read_pair(directory / f"{key_name(program)}.key_secret")
    if own.secret is None:
        raise CurveKeyError(f"{directory / key_name(program)}.key_secret holds no secret key")
    sock.setsockopt(zmq.CURVE_SERVERKEY, server.public)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, own.public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, own.secret)


def server(sock: zmq.Socket[Any], keys_dir: str, log: Logger) -> None:
    """Make ``sock`` a CURVE server (before it binds); the process's ZAP authenticator admits only the
    public keys in ``<keys_dir>/clients``."""
    directory = Path(keys_dir)
    pair = read_pair(directory / f"{SERVER}.key_secret")
    if pair.secret is None:
        raise CurveKeyError(f"{directory / SERVER}.key_secret holds no secret key")
    authenticate(sock.context, directory / CLIENTS, log)
    sock.setsockopt(zmq.CURVE_SERVER, 1)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, pair.public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, pair.secret)


class Admitted:
    """The ZAP callback: a client key is admitted if it is one of the listed public keys."""

    def __init__(self, clients: Path, log: Logger) -> None:
        if not clients.is_dir():
            raise CurveKeyError(f"{clients}: no directory of admitted client keys")
        self.keys = set(zmq.auth.load_certificates(str(clients)))
        self.log = log
        self.denied = Throttle()

    def callback(self, domain: str, key: bytes) -> bool:
        if key in self.keys:
            return True
        if n := self.denied.count():
            self.log.warning("curve_denied", client_key=key.decode(errors="replace"), domain=domain, count=n)
        return False


def authenticate(ctx: zmq.Context[Any], clients: Path, log: Logger) -> None:
    with _lock:
        if id(ctx) in _authenticators:
            return
        auth = ThreadAuthenticator(ctx)
        auth.start()
        auth.configure_curve_callback(domain="*", credentials_provider=Admitted(clients, log))
        _authenticators[id(ctx)] = auth


def stop_authenticators() -> None:
    with _lock:
        for auth in _authenticators.values():
            auth.stop()
        _authenticators.clear()


def secure_client(sock: zmq.Socket[Any], keys_dir: str, program: str) -> None:
    """``client`` when CURVE is on (``keys_dir``), else nothing; a missing key is a ``ConfigError``."""
    if keys_dir:
        try:
            client(sock, keys_dir, program)
        except CurveKeyError as exc:
            hint = f"python -m actors.ctl keys --client {program}"
            raise ConfigError("PM_BUS_KEYS", f"{exc} ({hint})") from None


def secure_server(sock: zmq.Socket[Any], keys_dir: str, log: Logger) -> None:
    """``server`` when CURVE is on (``keys_dir``), else nothing; a missing key is a ``ConfigError``."""
    if keys_dir:
        try:
            server(sock, keys_dir, log)
        except CurveKeyError as exc:
            raise ConfigError("PM_BUS_KEYS", str(exc)) from None


def client_or_exit(sock: zmq.Socket[Any], keys_dir: str, program: str) -> None:
    """``secure_client`` for a command's own socket (the tap, ctl, the dashboard): a missing key is a
    ``config_error`` line and exit 2, as for every program."""
    try:
        secure_client(sock, keys_dir, program)
    except ConfigError as exc:
        Logger(program).error("config_error", variable=exc.variable, error=exc.message)
        raise SystemExit(2) from None
