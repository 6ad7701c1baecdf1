"""A minimal Polymarket REST/WS client for the venue tests and bench (signing via `clob`).

Used by the venue, executor and feed tests over real sockets, and by bench/venue.py.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import websocket  # websocket-client

from clob.auth import ApiCreds, l1_headers, l2_headers
from clob.order_json import order_body
from clob.orders import SignedOrder, build_order, new_salt, sign_order
from clob.signer import Signer

TIMEOUT = 5.0
# well-known throwaway test keys (never funded anywhere)
KEY_A = "0x" + "11" * 32
KEY_B = "0x" + "22" * 32


class Client:
    """One keep-alive HTTP connection plus one account's credentials."""

    def __init__(self, base_url: str, private_key: str | None = None) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=TIMEOUT)
        self.signer = Signer(private_key) if private_key else None
        self.creds: ApiCreds | None = None

    def close(self) -> None:
        self.conn.close()

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any, dict[str, str]]:
        hdrs = dict(headers or {})
        if body is not None:
            hdrs["Content-Type"] = "application/json"
        self.conn.request(method, path, body=body, headers=hdrs)
        resp = self.conn.getresponse()
        raw = resp.read()
        ctype = resp.getheader("content-type", "")
        data: Any = json.loads(raw) if raw and "json" in ctype else raw.decode()
        return resp.status, data, {k.lower(): v for k, v in resp.getheaders()}

    def get(self, path: str) -> tuple[int, Any]:
        status, data, _ = self.request("GET", path)
        return status, data

    # ---- auth ---------------------------------------------------------------------------------
    def derive(self) -> ApiCreds:
        assert self.signer is not None
        status, data, _ = self.request("GET", "/auth/derive-api-key",
                                       headers=l1_headers(self.signer, timestamp_s=int(time.time())))
        assert status == 200, data
        self.creds = ApiCreds(api_key=data["apiKey"], secret=data["secret"], passphrase=data["passphrase"])
        return self.creds

    def private(self, method: str, path: str, body: bytes | None = None,
                creds: ApiCreds | None = None) -> tuple[int, Any, dict[str, str]]:
        creds = creds or self.creds
        assert creds is not None and self.signer is not None
        headers = l2_headers(creds, address=self.signer.address, timestamp_s=int(time.time()),
                             method=method, path=path, body=body)
        return self.request(method, path, body, headers)

    # ---- orders -------------------------------------------------------------------------------
    def sign(self, token_id: str, side: str, price: str, size: str, tick: str = "0.01") -> SignedOrder:
        assert self.signer is not None
        order = build_order(signer=self.signer.address, token_id=token_id, side=side,  # type: ignore[arg-type]
                            price_u=_units(price), size_u=_units(size), tick_u=_units(tick),
                            salt=new_salt(), timestamp_ms=time.time_ns() // 1_000_000)
        return sign_order(self.signer, order, neg_risk=False)

    def order_body(self, signed: SignedOrder, *, post_only: bool = True, order_type: str = "GTC") -> bytes:
        assert self.creds is not None
        return order_body(signed, owner_api_key=self.creds.api_key, order_type=order_type,
                          post_only=post_only)

    def place(self, token_id: str, side: str, price: str, size: str, *, post_only: bool = True,
              order_type: str = "GTC") -> tuple[int, Any]:
        body = self.order_body(self.sign(token_id, side, price, size), post_only=post_only,
                               order_type=order_type)
        status, data, _ = self.private("POST", "/order", body)
        return status, data


def _units(text: str) -> int:
    whole, _, frac = text.partition(".")
    return int(whole or "0") * 1_000_000 + int((frac + "000000")[:6])


def ws_connect(url: str) -> websocket.WebSocket:
    return websocket.create_connection(url, timeout=TIMEOUT)


def recv_until(ws: websocket.WebSocket, want: Any, timeout: float = TIMEOUT) -> Any:
    """Receive frames until `want(frame)` is true (frame: decoded JSON or raw text); bounded by timeout."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("expected frame did not arrive")
        ws.settimeout(left)
        raw = ws.recv()
        try:
            frame = json.loads(raw)
        except ValueError:
            frame = raw
        if want(frame):
            return frame


def events(frame: Any) -> list[dict[str, Any]]:
    """A frame as a list of event objects (frames may be one object or an array)."""
    if isinstance(frame, list):
        return [e for e in frame if isinstance(e, dict)]
    return [frame] if isinstance(frame, dict) else []


def signed_client(url: str, key: str) -> Iterator[Client]:
    """Fixture body: a client with derived credentials; its orders are cancelled afterwards."""
    client = Client(url, key)
    client.derive()
    yield client
    client.private("DELETE", "/cancel-all")
    client.close()
