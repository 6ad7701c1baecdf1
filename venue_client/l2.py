"""A small blocking client for the venue's authenticated (L2) REST routes that need no private key: our
open orders, cancels, whether our orders score, our rewards. Used by ``actors.ctl stop-buys`` and the
rewards scanner's scoring poll (a thread of its own: one ``requests.Session`` per client)."""

from __future__ import annotations

import time
from typing import Any

import msgspec
import requests

from clob.auth import ApiCreds, l2_headers

END_CURSOR = "LTE="
MAX_PAGES = 1000


class L2Client:
    def __init__(self, url: str, creds: ApiCreds, signer: str, timeout_s: float) -> None:
        self.url, self.creds, self.signer, self.timeout_s = url.rstrip("/"), creds, signer, timeout_s
        self.session = requests.Session()

    def call(self, method: str, path: str, params: dict[str, str] | None = None, body: Any = None) -> Any:
        data = None if body is None else msgspec.json.encode(body)
        headers = l2_headers(self.creds, address=self.signer, timestamp_s=int(time.time()), method=method,
                             path=path, body=data)
        reply = self.session.request(method, self.url + path, params=params, data=data, headers=headers,
                                     timeout=self.timeout_s)
        reply.raise_for_status()
        return reply.json()

    def open_orders(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = "MA=="
        for _ in range(MAX_PAGES):
            page = self.call("GET", "/data/orders", {"next_cursor": cursor})
            out.extend(page.get("data") or [])
            cursor = page.get("next_cursor") or END_CURSOR
            if cursor == END_CURSOR:
                break
        return out

    def scoring(self, order_ids: list[str]) -> dict[str, bool]:
        if not order_ids:
            return {}
        got = self.call("POST", "/orders-scoring", body=order_ids)
        return {k: bool(v) for k, v in got.items()} if isinstance(got, dict) else {}

    def close(self) -> None:
        self.session.close()
