"""Venue throughput: signed orders accepted per second and market messages broadcast per second.

Run: ``.venv/bin/python bench/venue.py [--orders N] [--threads T] [--subscribers S] [--events E]``.
The venue runs as its own process (``python -m venue --port 0 --flow off``), so it has a core to
itself. Orders: T client threads, each with its own account and keep-alive connection, POST
pre-signed post-only orders (so the timed part is HTTP + L2 HMAC check + signature recovery +
matching). Broadcast: S raw WebSocket subscribers on one token; the venue's bench hook publishes
E synthetic `price_change` events (real shape) and the subscribers count the frames they receive.
Prints a table; targets: >= 2,000 orders/s and >= 20,000 market messages/s.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.venue_client import Client

ROOT = Path(__file__).resolve().parents[1]


def start_venue() -> tuple[subprocess.Popen[bytes], dict[str, str]]:
    proc = subprocess.Popen([sys.executable, "-m", "venue", "--port", "0", "--flow", "off", "--seed", "1",
                             "--state", ":memory:"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        record = json.loads(line)
        if record.get("event") == "venue_ready":
            threading.Thread(target=lambda: [None for _ in proc.stdout], daemon=True).start()  # type: ignore[union-attr]
            return proc, record
    proc.kill()
    raise RuntimeError("venue did not start")


def pick_token(base: str) -> str:
    client = Client(base)
    status, markets = client.get("/gamma/markets?closed=false")
    client.close()
    assert status == 200 and markets, markets
    return str(json.loads(markets[0]["clobTokenIds"])[0])


def bench_orders(base: str, token: str, n_orders: int, n_threads: int) -> dict[str, float]:
    clients = []
    for i in range(n_threads):
        client = Client(base, "0x" + f"{0x100 + i:064x}")
        client.derive()
        per = n_orders // n_threads
        prices = [f"0.{(j % 30) + 1:02d}" for j in range(per)]
        bodies = [client.order_body(client.sign(token, "BUY", p, "5")) for p in prices]
        clients.append((client, bodies))
    accepted = [0] * n_threads
    barrier = threading.Barrier(n_threads + 1)

    def run(idx: int) -> None:
        client, bodies = clients[idx]
        barrier.wait()
        for body in bodies:
            status, _, _ = client.private("POST", "/order", body)
            accepted[idx] += status == 200

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    for client, _ in clients:
        client.private("DELETE", "/cancel-all")
        client.close()
    total = sum(accepted)
    return {"orders": total, "seconds": seconds, "per_s": total / seconds}


class RawSubscriber(threading.Thread):
    """Counts text frames on a market socket without decoding them (the venue is what is measured)."""

    def __init__(self, port: int, token: str) -> None:
        super().__init__(daemon=True)
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(f"GET /ws/market HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                          f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                          "Sec-WebSocket-Version: 13\r\n\r\n".encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += self.sock.recv(4096)
        self.buf = bytearray(buf.split(b"\r\n\r\n", 1)[1])
        payload = json.dumps({"type": "market", "assets_ids": [token], "initial_dump": False}).encode()
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head = bytes((0x81, 0x80 | len(payload))) if len(payload) < 126 else (
            bytes((0x81, 0x80 | 126)) + len(payload).to_bytes(2, "big"))
        self.sock.sendall(head + mask + masked)
        self.frames = 0
        self.target = -1
        self.done = threading.Event()

    def run(self) -> None:
        buf = self.buf
        while not self.done.is_set():
            pos = 0
            n = len(buf)
            while n - pos >= 2:
                length, head = buf[pos + 1] & 0x7F, 2
                if length == 126:
                    if n - pos < 4:
                        break
                    length, head = int.from_bytes(buf[pos + 2:pos + 4], "big"), 4
                elif length == 127:
                    if n - pos < 10:
                        break
                    length, head = int.from_bytes(buf[pos + 2:pos + 10], "big"), 10
                if n - pos < head + length:
                    break
                pos += head + length
                self.frames += 1
            del buf[:pos]
            if 0 <= self.target <= self.frames:
                self.done.set()
                break
            try:
                chunk = self.sock.recv(1 << 20)
            except TimeoutError:
                continue
            if not chunk:
                break
            buf += chunk


def bench_broadcast(base: str, port: int, token: str, n_subs: int, n_events: int) -> dict[str, float]:
    subs = [RawSubscriber(port, token) for _ in range(n_subs)]
    for sub in subs:
        sub.target = n_events  # no initial dump was asked for: exactly n_events frames will come
        sub.start()
    admin = Client(base)
    admin.request("POST", "/_venue/tick", b"{}")  # the subscriptions are in before we publish
    started = time.perf_counter()
    status, result, _ = admin.request("POST", "/_venue/bench/broadcast",
                                      json.dumps({"token_id": token, "count": n_events}).encode())
    assert status == 200, result
    deadline = time.monotonic() + 60
    for sub in subs:
        sub.done.wait(max(0.0, deadline - time.monotonic()))
    seconds = time.perf_counter() - started
    received = sum(s.frames for s in subs)
    for sub in subs:
        sub.done.set()
        sub.sock.close()
    admin.close()
    return {"events": n_events, "subscribers": result["subscribers"], "server_s": result["seconds"],
            "events_per_s": n_events / seconds, "delivered": received, "delivered_per_s": received / seconds}


def main(argv: list[str] | None = None) -> dict[str, float]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=8000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--subscribers", type=int, default=4)
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args(argv)
    proc, ready = start_venue()
    try:
        base = ready["clob"]
        port = int(base.rsplit(":", 1)[1])
        token = pick_token(base)
        orders = bench_orders(base, token, args.orders, args.threads)
        cast = bench_broadcast(base, port, token, args.subscribers, args.events)
    finally:
        proc.terminate()
        proc.wait(5)
    rows = [
        ("orders accepted", f"{orders['orders']:.0f}", f"{orders['seconds']:.2f} s",
         f"{orders['per_s']:,.0f} /s", ">= 2,000 /s"),
        ("market events published", f"{cast['events']:.0f}", f"{cast['server_s']:.2f} s (server)",
         f"{cast['events_per_s']:,.0f} /s", ">= 20,000 /s"),
        (f"frames delivered ({cast['subscribers']:.0f} subs)", f"{cast['delivered']:.0f}", "",
         f"{cast['delivered_per_s']:,.0f} /s", ""),
    ]
    print(f"{'measure':34} {'count':>9} {'time':>20} {'rate':>14} {'target':>12}")
    for row in rows:
        print(f"{row[0]:34} {row[1]:>9} {row[2]:>20} {row[3]:>14} {row[4]:>12}")
    return {"orders_per_s": orders["per_s"], "events_per_s": cast["events_per_s"],
            "delivered_per_s": cast["delivered_per_s"]}


if __name__ == "__main__":
    main()
