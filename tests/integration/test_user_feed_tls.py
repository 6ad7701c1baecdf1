"""The production path is ``wss://``: non-blocking reads through TLS must deliver every frame, whether
several arrive in one TLS record or one frame is split across records (a partial frame waits inside
websocket-client until the rest comes). A loopback TLS server with a throwaway self-signed certificate,
trusted through ``WEBSOCKET_CLIENT_CA_BUNDLE``."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas import OrderUpdate
from tests.support.fixtures import NT_WS
from tests.support.procs import Listener, Program, bus_config, program_env, running_proxy, short_tmpdir

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TIMEOUT = 10.0


def text_frame(payload: bytes) -> bytes:
    head = bytes([0x81, len(payload)]) if len(payload) < 126 else bytes([0x81, 126]) + struct.pack("!H",
                                                                                                      len(payload))
    return head + payload


class TlsUserServer:
    """Handshakes, reads the subscribe frame, sends three frames in one write, then half a frame, and the
    other half only after the client's next PING (so the client must keep a partial frame across reads)."""

    def __init__(self, cert: Path, key: Path, frames: list[bytes]) -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(TIMEOUT)  # the accept below is bounded
        self.url = f"wss://127.0.0.1:{self.sock.getsockname()[1]}/ws"
        self.frames = frames
        self.received: list[str] = []
        self.conns: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _read_frame(self, stream: socket.SocketIO | object) -> str:
        read = stream.read  # type: ignore[attr-defined]
        head = read(2)
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", read(2))[0]
        mask = read(4)
        return bytes(b ^ mask[i % 4] for i, b in enumerate(read(length))).decode()

    def _serve(self) -> None:
        try:
            raw, _ = self.sock.accept()
            raw.settimeout(TIMEOUT)  # so is every read (the TLS socket keeps this timeout)
            conn = self.ctx.wrap_socket(raw, server_side=True)
            self.conns.append(conn)
            stream = conn.makefile("rb")
            headers = {}
            while (line := stream.readline().strip()):
                name, _, value = line.decode().partition(":")
                headers[name.strip().lower()] = value.strip()
            accept = base64.b64encode(hashlib.sha1(headers["sec-websocket-key"].encode() + GUID).digest())
            conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                         b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
            self.received.append(self._read_frame(stream))  # the subscribe frame
            conn.sendall(b"".join(text_frame(f) for f in self.frames[:3]))  # one TLS record
            last = text_frame(self.frames[3])
            conn.sendall(last[:len(last) // 2])
            while (text := self._read_frame(stream)) != "PING":
                self.received.append(text)
            self.received.append(text)
            conn.sendall(last[len(last) // 2:])
            while True:
                self.received.append(self._read_frame(stream))
        except (OSError, IndexError, ValueError):
            return

    def close(self) -> None:
        self.sock.close()
        for conn in self.conns:
            conn.close()


@pytest.fixture
def tls_dir() -> Iterator[Path]:
    path = short_tmpdir("pmtls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(path / "key.pem"), "-out", str(path / "cert.pem"), "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=30)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_every_frame_arrives_through_tls_in_one_record_or_split_across_two(tls_dir: Path) -> None:
    base = json.loads((NT_WS / "order_placement.json").read_text())
    ids = [f"0x{i:064x}" for i in range(1, 5)]
    frames = [json.dumps({**base, "id": order_id}).encode() for order_id in ids]
    frames[3] = json.dumps({**json.loads(frames[3]), "padding": "x" * 3000}).encode()  # a long frame
    server = TlsUserServer(tls_dir / "cert.pem", tls_dir / "key.pem", frames)
    cfg = bus_config(tls_dir)
    env = program_env(tls_dir, PM_VENUE="local", PM_LOCAL_VENUE_URL="http://127.0.0.1:9",
                      POLYMARKET_WS_BASE_URL=server.url, WEBSOCKET_CLIENT_CA_BUNDLE=str(tls_dir / "cert.pem"),
                      POLYMARKET_API_KEY="k", POLYMARKET_API_SECRET="c2VjcmV0", POLYMARKET_API_PASSPHRASE="p",
                      PM_USER_ALL_MARKETS="true", PM_USER_PING_MS="200", PM_USER_PONG_TIMEOUT_MS="5000")
    with running_proxy(cfg):
        listener = Listener(cfg, b"user.placed.")  # resting placements: not on user.order
        prog = Program(["-m", "actors.user_feed"], env)
        try:
            seen = []
            for _ in ids:
                _, header, msg = listener.wait_for(lambda t, h, m: isinstance(m, OrderUpdate), timeout=10)
                assert isinstance(msg, OrderUpdate) and header.src == "user-feed"
                seen.append(msg.order_id)
            assert seen == ids
            assert json.loads(server.received[0])["type"] == "user" and "PING" in server.received
        finally:
            prog.terminate_and_time()
            prog.kill()
            listener.close()
            server.close()
