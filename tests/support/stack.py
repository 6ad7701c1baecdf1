"""The whole engine as real OS processes against a local venue, for end-to-end tests and chaos runs.

    with Stack(venue_config={...}, env={...}) as stack:
        stack.start_engine(markets=["btc-updown-15m"])
        ...  # stack.bus (a Listener on everything), stack.venue_url, stack.client (signed REST as us)

The paper account is of the type ``PM_VENUE_ACCOUNT_TYPE`` in ``env`` names (EOA by default), which every
program sees (the executor then signs for it); ``stack.wallet`` is its wallet, which holds the positions.

Each program runs as ``python -m ...`` with its own log file in the stack's directory; nothing is
shared with a user's ``make up`` (own ipc dir, ports, SQLite files).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import requests

from bus.endpoints import BusConfig
from clob.auth import ApiCreds, l1_headers, l2_headers
from clob.signer import Signer
from clob.wallets import WalletType, signature_type_of, wallet_address, wallet_type_of
from tests.support.procs import REPO, Listener, short_tmpdir
from venue_client.endpoints import LOCAL_TEST_ADDRESS, LOCAL_TEST_PRIVATE_KEY

CORE = ["bus", "executor", "inventory", "ofi", "user-feed", "market-feed"]
MODULES = {"bus": "bus", "executor": "actors.executor", "inventory": "actors.inventory", "ofi": "actors.ofi",
           "user-feed": "actors.user_feed", "market-feed": "actors.market_feed"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Proc:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.argv, self.env, self.log = name, argv, env, log
        self.popen: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None

    def start(self) -> None:
        self._out = open(self.log, "ab")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen([sys.executable, *self.argv], cwd=REPO, env=self.env, stdout=self._out,
                                      stderr=subprocess.STDOUT)

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            assert self.popen is not None
            self.popen.send_signal(sig)

    def stop(self, timeout: float = 5.0) -> int | None:
        if self.popen is not None:
            self.signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(5)
        if self._out is not None:
            self._out.close()
            self._out = None
        return self.popen.returncode if self.popen is not None else None


class Stack:
    def __init__(self, *, venue_config: dict[str, Any] | None = None, env: dict[str, str] | None = None,
                 seed: int = 7) -> None:
        self.dir = short_tmpdir("pme")
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(mode=0o700)
        self.port = free_port()
        self.venue_url = f"http://127.0.0.1:{self.port}"
        self.seed = seed
        self.venue_config = venue_config or {}
        self.extra_env = env or {}
        self.procs: dict[str, Proc] = {}
        given = self.extra_env  # endpoints and CURVE keys when a test sets them (tests/e2e/test_curve_e2e.py)
        self.bus_cfg = BusConfig(run_dir=str(self.run_dir), heartbeat_ms=1000,
                                 bus_in=given.get("PM_BUS_IN", ""), bus_out=given.get("PM_BUS_OUT", ""),
                                 exec_cmd=given.get("PM_EXEC_CMD_ENDPOINT", ""),
                                 inv_fill=given.get("PM_INV_FILL_ENDPOINT", ""),
                                 keys_dir=given.get("PM_BUS_KEYS", ""))
        self.bus: Listener | None = None
        self.signer = Signer(LOCAL_TEST_PRIVATE_KEY)
        self._creds: ApiCreds | None = None

    # -- processes -------------------------------------------------------------------------------

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PM_", "POLYMARKET_"))}
        env.update({
            "PYTHONUNBUFFERED": "1", "PM_ENV_FILE": "/dev/null", "PM_RUN_DIR": str(self.run_dir),
            "PM_VENUE": "local", "PM_LOCAL_VENUE_URL": self.venue_url,
            "PM_INVENTORY_DB": str(self.dir / "inventory.sqlite"),
            "PM_EXEC_DB": str(self.dir / "executor.sqlite"),
            "PM_VENUE_STATE": str(self.dir / "venue.sqlite"),  # a restarted venue carries on from it
        })
        env.update(self.extra_env)
        env.update(extra)
        return env

    def start_venue(self) -> None:
        config = self.dir / "venue.json"
        config.write_text(json.dumps(self.venue_config))
        proc = Proc("venue", ["-m", "venue", "--port", str(self.port), "--seed", str(self.seed), "--config",
                              str(config)], self.env(), self.dir / "venue.log")
        self.procs["venue"] = proc
        proc.start()
        self.wait(lambda: self._venue_ok(), 20, "venue did not come up")

    def _venue_ok(self) -> bool:
        try:
            return requests.get(f"{self.venue_url}/ok", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    def start_program(self, name: str, module: str, **env: str) -> Proc:
        proc = Proc(name, ["-m", module], self.env(**env), self.dir / f"{name}.log")
        self.procs[name] = proc
        proc.start()
        return proc

    def start_engine(self, markets: list[str], window_seconds: int = 0) -> None:
        if self.bus is None:
            self.start_program("bus", "bus")
            self.bus = Listener(self.bus_cfg)
        for name in CORE[1:]:
            self.start_program(name, MODULES[name], PM_WINDOW_SECONDS=str(window_seconds))
        for slug in markets:
            self.start_program(f"market:{slug}", "actors.coordinator", POLYMARKET_MARKET_SLUG=slug,
                               PM_COORDINATOR_NAME=slug, PM_WINDOW_SECONDS=str(window_seconds))

    def start_metrics(self) -> str:
        """Start the metrics program on a free loopback port; returns its ``http://host:port`` (scrape it
        with ``tests.support.metrics``)."""
        port = free_port()
        self.start_program("metrics", "actors.metrics", PM_METRICS_ADDR=f"127.0.0.1:{port}")
        return f"http://127.0.0.1:{port}"

    def restart(self, name: str) -> None:
        proc = self.procs[name]
        proc.stop()
        proc.start()

    @staticmethod
    def wait(predicate: Any, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(what)
            time.sleep(0.05)  # poll interval of a bounded wait

    def close(self) -> None:
        for name in reversed(list(self.procs)):
            if name != "venue":
                self.procs[name].stop()
        if "venue" in self.procs:
            self.procs["venue"].stop()
        if self.bus is not None:
            self.bus.close()

    def __enter__(self) -> Stack:
        self.start_venue()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if os.environ.get("PM_KEEP_E2E_DIR"):
            print(f"e2e files kept in {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def logs(self) -> str:
        return "\n".join(f"== {p.name}\n" + p.log.read_text(errors="replace")[-4000:]
                         for p in self.procs.values())

    # -- the venue, seen as our account -----------------------------------------------------------

    @property
    def address(self) -> str:
        """The key's own address (L1, and ``POLY_ADDRESS`` of L2 requests)."""
        return LOCAL_TEST_ADDRESS

    @property
    def wallet_type(self) -> WalletType:
        return wallet_type_of(self.extra_env.get("PM_VENUE_ACCOUNT_TYPE") or "EOA")

    @property
    def wallet(self) -> str:
        """The paper account's wallet: the orders' maker, whose balances these are."""
        return wallet_address(self.wallet_type, self.address)

    def creds(self) -> ApiCreds:
        if self._creds is None:
            headers = l1_headers(self.signer, timestamp_s=int(time.time()))
            body = requests.get(f"{self.venue_url}/auth/derive-api-key", headers=headers, timeout=5).json()
            self._creds = ApiCreds(api_key=body["apiKey"], secret=body["secret"],
                                   passphrase=body["passphrase"])
        return self._creds

    def private_get(self, path: str, params: dict[str, str] | None = None) -> Any:
        headers = l2_headers(self.creds(), address=self.address, timestamp_s=int(time.time()), method="GET",
                             path=path)
        reply = requests.get(f"{self.venue_url}{path}", params=params, headers=headers, timeout=5)
        reply.raise_for_status()
        return reply.json()

    def open_orders(self) -> list[dict[str, Any]]:
        orders: list[dict[str, Any]] = []
        cursor = "MA=="
        while cursor != "LTE=":
            page = self.private_get("/data/orders", {"next_cursor": cursor})
            orders.extend(page["data"])
            cursor = page["next_cursor"]
        return orders

    def positions(self) -> dict[str, int]:
        """Token id -> shares (1e-6 units) the venue holds for our wallet."""
        body = requests.get(f"{self.venue_url}/_venue/positions", params={"address": self.wallet},
                            timeout=5).json()
        return {token: int(size) for token, size in body["positions"].items()}

    def balance(self, token: str) -> int:
        """The token balance (1e-6 units) the venue reports to us (``/balance-allowance``, our type)."""
        params = {"asset_type": "CONDITIONAL", "token_id": token,
                  "signature_type": str(signature_type_of(self.wallet_type))}
        return int(self.private_get("/balance-allowance", params)["balance"])


@contextmanager
def quoting(venue_config: dict[str, Any], env: dict[str, str], market: str,
            window_seconds: int = 600) -> Iterator[Stack]:
    """A stack whose engine trades ``market`` and has its first quote resting (seen in the executor's
    ``OpenOrders``): the start of a module that shares one running engine between its tests."""
    from schemas import OpenOrders

    with Stack(venue_config=venue_config, env=env) as s:
        s.start_engine(markets=[market], window_seconds=window_seconds)
        assert s.bus is not None
        s.bus.wait_for(lambda t, h, m: isinstance(m, OpenOrders) and any(o.holder == market
                                                                          for o in m.orders), 90)
        yield s
