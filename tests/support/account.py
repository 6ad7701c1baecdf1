"""The local venue as our account sees it, for the chaos run: REST reads that ride out injected faults.

``/data/*`` and ``/markets`` go through the venue's fault gate like the engine's own requests, so a
429 or 425 is retried (bounded); ``/_venue/*`` (admin) is never faulted.
"""

from __future__ import annotations

import time
from typing import Any

import requests

from tests.support import audit
from tests.support.stack import Stack


class VenueAccount:
    """The venue as our account sees it; REST reads ride out the injected 429s and 425s."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        stack.creds()  # derive the API key before any fault is on

    def get(self, path: str, params: dict[str, str] | None = None, timeout: float = 20.0) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self.stack.private_get(path, params)
            except requests.HTTPError as error:
                status = error.response.status_code if error.response is not None else 0
                if status not in (425, 429) or time.monotonic() > deadline:
                    raise
            time.sleep(0.2)  # a retry pause under injected rate limits, not a wait for a state

    def pages(self, path: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        cursor = "MA=="
        while cursor != "LTE=":
            page = self.get(path, {"next_cursor": cursor})
            rows.extend(page["data"])
            cursor = page["next_cursor"] or "LTE="
        return rows

    def open_orders(self) -> list[dict[str, Any]]:
        return self.pages("/data/orders")

    def fills(self) -> tuple[dict[audit.Key, audit.VenueFill], list[audit.Key]]:
        return audit.venue_fills(self.pages("/data/trades"), self.stack.creds().api_key)

    def admin(self, path: str, body: dict[str, Any]) -> None:
        reply = requests.post(f"{self.stack.venue_url}{path}", json=body, timeout=5)
        if reply.status_code != 200:
            raise AssertionError(f"POST {path}: {reply.status_code} {reply.text}")

    def closed(self, market: str, timeout: float = 20.0) -> bool:
        """Resolved (or resolved, paid out and forgotten: 404)."""
        deadline = time.monotonic() + timeout
        while True:
            reply = requests.get(f"{self.stack.venue_url}/markets/{market}", timeout=5)
            if reply.status_code not in (425, 429) or time.monotonic() > deadline:
                break
            time.sleep(0.2)  # a retry pause under injected rate limits
        if reply.status_code == 404:
            return True
        reply.raise_for_status()
        return bool(reply.json().get("closed"))
