"""CURVE on the bus (``bus.curve``, ``PM_BUS_KEYS``) over real sockets on loopback TCP: the keys written by
``python -m actors.ctl keys`` (0600 files in a 0700 directory); admitted programs publish, subscribe and
push; a client with an unknown key can neither subscribe nor push, and each attempt is logged by the
server it tried (``curve_denied``); a client without CURVE gets nothing either. Without keys a
non-loopback endpoint is still refused. The whole engine over CURVE: tests/e2e/test_curve_e2e.py."""

from __future__ import annotations

import io
import json
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from bus import codec, topics
from bus.config import ConfigError
from bus.endpoints import BusConfig, check_endpoint
from bus.logs import Logger
from bus.node import Node
from bus.proxy import Proxy
from schemas import CancelAll
from tests.support.procs import REPO, Listener, program_env
from tests.support.stack import free_port
from tests.support.waits import wait_until


def write_keys(run_dir: Path, *clients: str) -> Path:
    keys = run_dir / "keys"
    args = [a for c in clients for a in ("--client", c)]
    done = subprocess.run([sys.executable, "-m", "actors.ctl", "keys", "--dir", str(keys), *args], cwd=REPO,
                          env=program_env(run_dir), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "key_secret" not in done.stdout  # names the public files only
    return keys


@pytest.fixture
def curve_bus(run_dir: Path) -> Iterator[tuple[BusConfig, io.StringIO]]:
    keys = write_keys(run_dir, "market:a-coordinator")
    cfg = BusConfig(run_dir=str(run_dir), heartbeat_ms=200, keys_dir=str(keys),
                    bus_in=f"tcp://127.0.0.1:{free_port()}", bus_out=f"tcp://127.0.0.1:{free_port()}",
                    exec_cmd=f"tcp://127.0.0.1:{free_port()}")
    out = io.StringIO()
    proxy = Proxy(cfg, zmq.Context(), log=Logger("bus", out=out))
    proxy.start()
    try:
        yield cfg, out
    finally:
        proxy.stop()


def test_the_keys_are_private(run_dir: Path) -> None:
    keys = write_keys(run_dir)
    assert stat.S_IMODE(keys.stat().st_mode) == 0o700
    files = [p for p in keys.rglob("*") if p.is_file()]
    assert {p.name for p in files} >= {"server.key", "server.key_secret", "executor.key_secret", "ctl.key"}
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in files)
    assert not list((keys / "clients").glob("*secret*")) and not (keys / "clients" / "server.key").exists()


def intruder(cfg: BusConfig, kind: int, endpoint: str, curve: bool = True) -> zmq.Socket[bytes]:
    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    if curve:  # a well-formed CURVE client that knows the server's public key, with a key nobody listed
        public, secret = zmq.curve_keypair()
        server_public, _ = zmq.auth.load_certificate(str(Path(cfg.keys_dir) / "server.key"))
        sock.setsockopt(zmq.CURVE_SERVERKEY, server_public)
        sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
        sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
    sock.connect(endpoint)
    return sock


def denied(log: io.StringIO) -> list[dict[str, object]]:
    return [r for r in map(json.loads, log.getvalue().splitlines()) if r["event"] == "curve_denied"]


def test_admitted_programs_talk_and_an_unknown_key_gets_nothing(
        curve_bus: tuple[BusConfig, io.StringIO]) -> None:
    cfg, proxy_log = curve_bus
    executor_log = io.StringIO()
    executor = Node("executor", cfg, pull_bind=cfg.command_endpoint, log=Logger("executor", out=executor_log))
    coordinator = Node("market:a-coordinator", cfg, push_connect={"exec": cfg.command_endpoint})
    listener = Listener(cfg, topics.prefix("sys", "hb"))  # as the tap (an admitted key)
    spy = intruder(cfg, zmq.SUB, cfg.subscribe_endpoint)
    spy.setsockopt(zmq.SUBSCRIBE, b"")
    plain = intruder(cfg, zmq.SUB, cfg.subscribe_endpoint, curve=False)
    plain.setsockopt(zmq.SUBSCRIBE, b"")
    pusher = intruder(cfg, zmq.PUSH, cfg.command_endpoint)
    try:
        def beat_and_hear() -> bool:
            executor.heartbeat(time.time_ns())
            try:
                listener.wait_for(lambda t, h, m: h.src == "executor", 0.2)
            except TimeoutError:
                return False
            return True

        wait_until(beat_and_hear, "an admitted subscriber hears an admitted publisher", timeout=10)
        cmd = CancelAll(cmd_id="ok-1", holder="a-coordinator", reason="test", ts=0)
        coordinator.push("exec", topics.exec_cmd("a-coordinator"), cmd)
        assert executor.pull is not None and executor.pull.poll(10_000), "an admitted push arrives"
        assert codec.decode(executor.pull.recv_multipart())[2] == cmd

        forged = [topics.exec_cmd("intruder"), codec.encode_header("intruder", 1, 1, 0),
                  codec.encode_body(CancelAll(cmd_id="bad", holder="intruder", reason="x", ts=0))]
        try:
            pusher.send_multipart(forged, zmq.NOBLOCK)
        except zmq.Again:
            pass  # no connection was ever admitted: nothing to queue it on
        wait_until(lambda: denied(executor_log) and denied(proxy_log), "both servers log the refused key")
        for _ in range(10):  # heartbeats go on; neither outsider receives one, nor is the push delivered
            executor.heartbeat(time.time_ns())
            assert not executor.pull.poll(100)
        assert not spy.poll(500) and not plain.poll(10)
        record = denied(executor_log)[0]
        assert record["level"] == "warning" and record["client_key"]
    finally:
        for sock in (spy, plain, pusher):
            sock.close()
        listener.close()
        coordinator.close()
        executor.close()


def test_without_keys_only_loopback_tcp_is_allowed(run_dir: Path) -> None:
    with pytest.raises(ConfigError, match="not loopback"):
        check_endpoint("bus_in", "tcp://10.0.0.5:5555")
    check_endpoint("bus_in", "tcp://10.0.0.5:5555", curve=True)
    check_endpoint("bus_out", "tcp://0.0.0.0:5556", curve=True)
    with pytest.raises(ConfigError, match="PM_BUS_KEYS"):
        BusConfig(run_dir=str(run_dir), keys_dir=str(run_dir / "nothing-here"))
    keys = write_keys(run_dir)
    BusConfig(run_dir=str(run_dir), keys_dir=str(keys), bus_in="tcp://10.0.0.5:5555")


def test_a_program_without_its_key_stops_with_a_config_error(run_dir: Path) -> None:
    keys = write_keys(run_dir)
    out = io.StringIO()
    cfg = BusConfig(run_dir=str(run_dir), keys_dir=str(keys))
    with pytest.raises(SystemExit) as exit_:
        Node("market:unlisted", cfg, log=Logger("market:unlisted", out=out))
    assert exit_.value.code == 2
    (line,) = [json.loads(x) for x in out.getvalue().splitlines()]
    assert line["event"] == "config_error" and line["variable"] == "PM_BUS_KEYS"
    assert "--client market:unlisted" in str(line["error"])
