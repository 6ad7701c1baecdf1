"""The whole engine over CURVE (``PM_BUS_KEYS``) on loopback TCP endpoints, as two hosts would run it:
it trades end to end (quotes placed through the executor's CURVE pipe, a fill pushed to inventory and
applied, ``ctl`` commands acknowledged); a client with an unknown key can neither subscribe to the bus nor
push a command or a fill, and every server it tried logs the attempt (``curve_denied``)."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from bus import codec, topics
from schemas import CancelAll, Fill, FillApplied, OpenOrders, PlaceOrder
from tests.support.procs import REPO, short_tmpdir
from tests.support.stack import Stack, free_port
from tests.support.waits import wait_until

pytestmark = pytest.mark.e2e

MARKET = "btc-updown-15m"
VENUE = {"window_seconds": 600, "intervals": ["15m"], "assets": ["btc"], "reward_markets": 0,
         "flow_params": {"noise_rate_per_min": 240.0}}


@pytest.fixture(scope="module")
def keys() -> Iterator[Path]:
    tmp = short_tmpdir("pmk")
    done = subprocess.run([sys.executable, "-m", "actors.ctl", "keys", "--dir", str(tmp / "keys"),
                           "--client", f"market:{MARKET}"], cwd=REPO, capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PM_ENV_FILE": "/dev/null",
                                           "PM_RUN_DIR": str(tmp / "run")})
    assert done.returncode == 0, done.stderr
    yield tmp / "keys"


@pytest.fixture(scope="module")
def stack(keys: Path) -> Iterator[Stack]:
    env = {"PM_BUS_KEYS": str(keys), "PM_BID_SIZE": "5",
           **{name: f"tcp://127.0.0.1:{free_port()}" for name in
              ("PM_BUS_IN", "PM_BUS_OUT", "PM_EXEC_CMD_ENDPOINT", "PM_INV_FILL_ENDPOINT")}}
    with Stack(venue_config=VENUE, env=env) as s:
        s.start_engine(markets=[MARKET], window_seconds=600)
        yield s


def test_the_engine_trades_end_to_end_over_curve(stack: Stack) -> None:
    assert stack.bus is not None
    stack.bus.wait_for(lambda t, h, m: isinstance(m, PlaceOrder) and t.startswith(b"exec.cmd."), 90)
    stack.bus.wait_for(lambda t, h, m: isinstance(m, OpenOrders)
                       and any(o.holder == MARKET for o in m.orders), 60)
    stack.bus.wait_for(lambda t, h, m: isinstance(m, FillApplied) and m.action == "applied", 240)
    done = subprocess.run([sys.executable, "-m", "actors.ctl", "cancel-all", "--timeout", "30"], cwd=REPO,
                          env=stack.env(), capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr  # ctl's own key: acknowledged over CURVE


def outsider(stack: Stack, kind: int, endpoint: str) -> zmq.Socket[bytes]:
    sock: zmq.Socket[bytes] = zmq.Context.instance().socket(kind)
    sock.setsockopt(zmq.LINGER, 0)
    public, secret = zmq.curve_keypair()
    server_public, _ = zmq.auth.load_certificate(str(Path(stack.bus_cfg.keys_dir) / "server.key"))
    sock.setsockopt(zmq.CURVE_SERVERKEY, server_public)
    sock.setsockopt(zmq.CURVE_PUBLICKEY, public)
    sock.setsockopt(zmq.CURVE_SECRETKEY, secret)
    sock.connect(endpoint)
    return sock


def denials(stack: Stack, program: str) -> int:
    lines = (stack.dir / f"{program}.log").read_text(errors="replace").splitlines()
    return sum('"event":"curve_denied"' in line for line in lines)


def test_an_unknown_key_can_neither_subscribe_nor_push(stack: Stack) -> None:
    cfg = stack.bus_cfg
    spy = outsider(stack, zmq.SUB, cfg.subscribe_endpoint)
    spy.setsockopt(zmq.SUBSCRIBE, b"")
    commands = outsider(stack, zmq.PUSH, cfg.command_endpoint)
    fills = outsider(stack, zmq.PUSH, cfg.fill_endpoint)
    assert stack.bus is not None
    try:
        cancel = CancelAll(cmd_id="outsider-1", holder="outsider", reason="x", ts=0)
        fill = Fill(trade_id="outsider-t", order_id="outsider-o", market="0xoutsider", asset="1", side="BUY",
                    price=500_000, size=5_000_000, status="MATCHED", role="MAKER", fee=0, source="ws",
                    ts_event=1, ts_recv=1)
        for sock, topic, msg in ((commands, topics.exec_cmd("outsider"), cancel),
                                 (fills, topics.inv_fill("0xoutsider"), fill)):
            try:
                sock.send_multipart([topic, codec.encode_header("outsider", 1, 1, 0), codec.encode_body(msg)],
                                    zmq.NOBLOCK)
            except zmq.Again:
                pass  # never admitted: nothing to queue it on
        wait_until(lambda: all(denials(stack, p) for p in ("bus", "executor", "inventory")),
                   "the proxy, the executor and inventory log the refused key", timeout=30)
        # the engine keeps talking (heartbeats every second) and nothing reaches the outsider; neither its
        # command nor its fill is echoed (the executor and inventory echo everything they receive)
        with pytest.raises(TimeoutError):
            echoes = (topics.exec_cmd("outsider"), topics.inv_fill("0xoutsider"))
            stack.bus.wait_for(lambda t, h, m: t in echoes, 5)
        assert not spy.poll(100)
        record = next(json.loads(line) for line in (stack.dir / "executor.log").read_text().splitlines()
                      if '"event":"curve_denied"' in line)
        assert record["client_key"] and record["level"] == "warning"
    finally:
        for sock in (spy, commands, fills):
            sock.close()
