"""Security properties of the deployment: who can read the private key, the ipc directory's mode, TCP
endpoints on loopback only, and a tap that cannot publish.

- The private key: only ``ExecutorConfig`` declares ``POLYMARKET_PRIVATE_KEY``, only the executor loads
  that struct, and ``bus.config`` (the one place that reads the environment) reads only the variables a
  struct declares. Under supervisord, with the key in ``.env`` (as deployed), no process has it in its
  environment, and the executor does sign with it.
- The bus: ``ensure_run_dir`` makes the ipc directory 0700; TCP endpoints are accepted only on loopback
  (there is no CURVE: a non-loopback endpoint is refused at config load with exit 2) and what the bus
  binds listens on 127.0.0.1 only.
- The tap creates one socket, a SUB, and never sends.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
import zmq

from actors.executor.config import ExecutorConfig
from bus import codec, topics
from bus.config import env_fields
from deploy.render import render
from schemas import Heartbeat
from tests.support.config_structs import STRUCTS
from tests.support.procs import REPO, Program, bus_config, program_env, running_proxy, short_tmpdir
from tests.support.supervised import pid_from_file
from tests.support.waits import wait_until
from venue_client.endpoints import VenueEndpoints

KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # Anvil's 2nd account
KEY_ADDRESS = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
SOURCES = [p for d in ("actors", "bus", "deploy", "clob") for p in (REPO / d).rglob("*.py")]  # the engine


# -- the private key: who can read it -------------------------------------------------------------


def test_only_the_executor_config_declares_the_private_key() -> None:
    holders = [(cls.__name__, field) for cls in STRUCTS for field, marker in env_fields(cls).items()
               if marker.name == "POLYMARKET_PRIVATE_KEY"]
    assert holders == [("ExecutorConfig", "private_key")]
    assert env_fields(ExecutorConfig)["private_key"].secret  # masked by describe()


def loaded_structs(path: Path) -> set[str]:
    """Names passed as the first argument of ``load_or_exit(...)`` / ``load(...)`` in one file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Name):
            func = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if func in ("load_or_exit", "load"):
                names.add(node.args[0].id)
    return names


def test_no_program_but_the_executor_loads_its_config_or_reads_the_environment() -> None:
    loaders = {str(p.relative_to(REPO)) for p in SOURCES if "ExecutorConfig" in loaded_structs(p)}
    assert loaders == {"actors/executor/__main__.py"}
    environ_readers = {str(p.relative_to(REPO)) for p in SOURCES
                       if "os.environ" in p.read_text() or "getenv" in p.read_text()}
    assert environ_readers == {"bus/config.py"}  # which reads only the variables a struct declares
    literal = {str(p.relative_to(REPO)) for p in SOURCES if "POLYMARKET_PRIVATE_KEY" in p.read_text()}
    assert literal <= {"actors/executor/config.py", "venue_client/endpoints.py", "deploy/render.py"}


def environ_of(pid: int) -> bytes:
    return Path(f"/proc/{pid}/environ").read_bytes()


def descendants(pid: int) -> list[int]:
    children = [int(c) for t in Path(f"/proc/{pid}/task").iterdir()
                for c in (t / "children").read_text().split()]
    return children + [d for c in children for d in descendants(c)]


@pytest.fixture
def deployment() -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """deploy/supervisord.conf as `make up` uses it, group core only, the key in a 0600 .env file."""
    var = short_tmpdir("pmsec")
    (var / "run").mkdir(mode=0o700)
    (var / "log").mkdir()
    (var / "supervisord.generated.conf").write_text(render([], VenueEndpoints(venue="polymarket")))
    subprocess.run([str(REPO / "deploy/write_ctl_conf.sh"), str(REPO), str(var), str(var / "venv")],
                   check=True)
    dotenv = var / ".env"
    fd = os.open(dotenv, os.O_WRONLY | os.O_CREAT, 0o600)
    with os.fdopen(fd, "w") as f:  # the venue URL is a closed port: nothing here may trade anywhere
        f.write(f"POLYMARKET_PRIVATE_KEY={KEY}\nPM_LOCAL_VENUE_URL=http://127.0.0.1:9\nPM_HEARTBEAT_MS=200\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PM_", "POLYMARKET_"))}
    env.update({"PM_ROOT": str(REPO), "PM_VAR": str(var), "PM_ENV_FILE": str(dotenv),
                "PM_CANARY": "canary-7"})
    pidfile = var / "run" / "supervisord.pid"
    try:
        yield var, var / "venv" / "etc" / "supervisord.conf", env
    finally:
        if pidfile.exists():  # never leave a supervisord behind, even when the test failed
            pid = pid_from_file(pidfile, timeout=10)
            try:
                os.kill(pid, 15)
                wait_until(lambda: not Path(f"/proc/{pid}").exists(), "supervisord to stop", timeout=20)
            except ProcessLookupError:
                pass
        shutil.rmtree(var, ignore_errors=True)


def test_under_supervisord_the_key_is_in_no_process_environment(deployment: tuple[Path, Path, dict[str, str]]
                                                               ) -> None:
    var, conf, env = deployment
    subprocess.run([str(Path(sys.executable).parent / "supervisord"), "-c", str(conf)], env=env, check=True,
                   timeout=30)
    sup = pid_from_file(var / "run" / "supervisord.pid")  # written by the daemon, after `-c` returned
    executor_log = var / "log" / "executor.log"
    wait_until(lambda: executor_log.exists() and '"executor_starting"' in executor_log.read_text(),
               "the executor to start", timeout=30)
    wait_until(lambda: len(descendants(sup)) >= 6, "group core to be running", timeout=30)
    [starting] = [json.loads(line) for line in executor_log.read_text().splitlines()
                  if '"executor_starting"' in line]
    assert starting["address"] == KEY_ADDRESS and starting["private_key"] == "***"  # it signs with .env's key
    key = KEY.removeprefix("0x").encode()
    for pid in [sup, *descendants(sup)]:
        environ = environ_of(pid)
        assert b"PM_CANARY=canary-7" in environ  # what supervisord's own environment does reach
        assert key not in environ.lower(), f"pid {pid} has the key in its environment"
    for log in (var / "log").glob("*.log"):
        assert key not in log.read_bytes().lower(), f"{log.name} shows the key"


# -- the bus: ipc directory, TCP on loopback --------------------------------------------------------


@pytest.fixture
def tmp() -> Iterator[Path]:
    path = short_tmpdir("pmsb")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("existing_mode", [None, 0o755, 0o777], ids=["new", "0755", "0777"])
def test_the_bus_makes_its_ipc_directory_0700(tmp: Path, existing_mode: int | None) -> None:
    run_dir = tmp / "var" / "run"
    if existing_mode is not None:
        run_dir.mkdir(parents=True)
        run_dir.chmod(existing_mode)
    program = Program(["-m", "bus"], program_env(run_dir))
    try:
        program.read_until(lambda line: '"event":"ready"' in line)
        assert run_dir.stat().st_mode & 0o777 == 0o700
        assert (run_dir / "bus-in.sock").exists() and (run_dir / "bus-out.sock").exists()
    finally:
        program.terminate_and_time()
        program.kill()


def listening(pid: int) -> list[str]:
    """Local addresses (hex, as /proc/net/tcp writes them) of the TCP sockets ``pid`` listens on."""
    inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")
              if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:[")}
    found = []
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:  # 0A = LISTEN
                found.append(cols[1].rsplit(":", 1)[0])
    return found


LOOPBACK_HEX = {"0100007F"}  # 127.0.0.1


def test_tcp_bus_endpoints_listen_on_loopback_only(tmp: Path) -> None:
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    env = program_env(tmp, PM_BUS_IN=f"tcp://127.0.0.1:{ports[0]}", PM_BUS_OUT=f"tcp://localhost:{ports[1]}")
    program = Program(["-m", "bus"], env)
    try:
        program.read_until(lambda line: '"event":"ready"' in line)
        bound = listening(program.proc.pid)
        assert len(bound) == 2 and set(bound) <= LOOPBACK_HEX, bound
    finally:
        program.terminate_and_time()
        program.kill()


def test_there_is_no_curve_so_non_loopback_tcp_is_refused() -> None:
    source = (REPO / "bus" / "endpoints.py").read_text() + (REPO / "bus" / "node.py").read_text()
    assert "curve_server" not in source.lower() and "CURVE_SERVER" not in source  # not implemented
    proc = subprocess.run([sys.executable, "-m", "bus"], cwd=REPO, capture_output=True, text=True, timeout=30,
                          env=program_env(Path("/nonexistent"), PM_BUS_IN="tcp://0.0.0.0:5555"))
    assert proc.returncode == 2 and "PM_BUS_IN" in proc.stderr and "without CURVE" in proc.stderr


# -- the tap cannot publish -------------------------------------------------------------------------


def test_the_tap_opens_one_sub_socket_and_never_sends(tmp: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    from actors.tap import main as tap

    cfg = bus_config(tmp)
    stop = threading.Event()
    with running_proxy(cfg):
        def publish() -> None:  # a heartbeat every 20 ms until the tap has printed its three messages
            ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
            pub = ctx.socket(zmq.PUB)
            pub.connect(cfg.publish_endpoint)
            msg = codec.encode_body(Heartbeat(program="x", pid=1, ready=True, gaps=0, ts=1))
            seq = 0
            while not stop.wait(0.02):
                seq += 1
                pub.send_multipart([topics.sys_hb("x"), codec.encode_header("x", 1, seq, 1), msg])
            pub.close(linger=0)

        publisher = threading.Thread(target=publish, daemon=True)
        publisher.start()
        created: list[Any] = []  # the sockets the tap creates (on this, the main thread)
        sends: list[str] = []
        main = threading.main_thread()
        real_socket = zmq.Context.socket

        def socket_spy(self: Any, socket_type: int, **kwargs: Any) -> Any:
            sock = real_socket(self, socket_type, **kwargs)
            if threading.current_thread() is main:
                created.append(sock)
            return sock

        def send_spy(name: str) -> Any:
            real = getattr(zmq.Socket, name)

            def spy(self: Any, *args: Any, **kwargs: Any) -> Any:
                if any(self is sock for sock in created):
                    sends.append(name)
                return real(self, *args, **kwargs)
            return spy

        monkeypatch.setattr(zmq.Context, "socket", socket_spy)
        for name in ("send", "send_multipart", "send_string", "send_pyobj", "send_json", "send_serialized"):
            monkeypatch.setattr(zmq.Socket, name, send_spy(name))
        for var in [v for v in os.environ if v.startswith(("PM_", "POLYMARKET_"))]:
            monkeypatch.delenv(var)
        for var, value in {"PM_RUN_DIR": str(tmp), "PM_ENV_FILE": "/dev/null"}.items():
            monkeypatch.setenv(var, value)
        handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            assert tap.main(["--json", "--count", "3", "--timeout", "20"]) == 0
        finally:
            stop.set()
            publisher.join(5)
            signal.set_wakeup_fd(-1)  # the tap installed its own: give the test runner its handlers back
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
    lines = [msgspec.json.decode(line) for line in capsysbinary.readouterr().out.splitlines()]
    assert len(lines) == 3 and all(line["type"] == "Heartbeat" for line in lines)
    assert [sock.type for sock in created] == [zmq.SUB] and sends == []
