"""The vocabulary between the executor's core and its shell: requests to perform and their results.

The core decides *what* to send (``next_request``); the shell signs, sends (or, in dry run, answers
locally) and hands back an ``HttpResult``. None of these travel on the bus.
"""

from __future__ import annotations

from typing import Any

import msgspec

from schemas import PlaceOrder


class PostOrders(msgspec.Struct, frozen=True):
    """``POST /order`` (one) or ``POST /orders`` (2..15); every order shares type and post-only flag."""

    cmds: tuple[PlaceOrder, ...]


class CancelIds(msgspec.Struct, frozen=True):
    """``DELETE /orders`` with at most one cancel burst of ids."""

    ids: tuple[str, ...]


class CancelEverything(msgspec.Struct, frozen=True):
    """``DELETE /cancel-all``; ``ids`` are the orders we expect it to cancel."""

    ids: tuple[str, ...]


class LookupOrder(msgspec.Struct, frozen=True):
    """``GET /data/order/{id}``: reconcile one order of unknown outcome."""

    order_id: str


class ListOrders(msgspec.Struct, frozen=True):
    """``GET /data/orders`` (every page): start-up, periodic sync, reconciliation."""


class ListTrades(msgspec.Struct, frozen=True):
    """``GET /data/trades`` (newest page): did an order we could not find fill at once? (gotcha 16)"""


Request = PostOrders | CancelIds | CancelEverything | LookupOrder | ListOrders | ListTrades


class HttpResult(msgspec.Struct, frozen=True, kw_only=True):
    """What came back. ``status`` 0: no response (timeout, reset, refused): the outcome is unknown."""

    status: int
    body: Any = None
    headers: dict[str, str] = {}
    error: str = ""
    sent: bool = True  # False: it never left (no connection), so the outcome is known: nothing happened

    @property
    def ok(self) -> bool:
        return self.status == 200
