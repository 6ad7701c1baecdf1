"""Order heartbeats (`POST /v1/heartbeats`): the per-API-key dead-man switch of PROTOCOL §4.6.

The first accepted heartbeat arms the switch and returns the id to send next. While armed, a send
with any other id is refused with 400 `{"error_msg":"Invalid Heartbeat ID","heartbeat_id":<expected>}`.
If no accepted heartbeat arrives within the timeout (10 s), every order of the key is cancelled and
the registration expires; a later send (any id) arms it again. There is no disarm.
Every change of a key's switch is marked in `changes`; the store keeps it, so a restarted venue fires
the switch of a key whose last beat is older than the timeout.
"""

from __future__ import annotations

import random

from venue.changes import Changes
from venue.contract import Reply
from venue.money import new_uuid


class Heartbeats:
    def __init__(self, *, timeout_ns: int, rng: random.Random, changes: Changes | None = None) -> None:
        self._timeout_ns = timeout_ns
        self._rng = rng
        self.changes = changes if changes is not None else Changes()
        self._expected: dict[str, str] = {}  # api key -> id the next heartbeat must carry
        self._last_ns: dict[str, int] = {}

    def armed(self, api_key: str) -> bool:
        return api_key in self._expected

    def beat(self, api_key: str, heartbeat_id: str, now_ns: int) -> Reply:
        expected = self._expected.get(api_key)
        if expected is not None and heartbeat_id != expected:
            return Reply(status=400, body={"error_msg": "Invalid Heartbeat ID", "heartbeat_id": expected})
        following = new_uuid(self._rng)
        self._expected[api_key] = following
        self._last_ns[api_key] = now_ns
        self.changes.heartbeat(api_key)
        return Reply(status=200, body={"heartbeat_id": following})

    def expired(self, now_ns: int) -> list[str]:
        """Keys whose switch fired: they are disarmed and must have all their orders cancelled."""
        fired = [key for key, last in self._last_ns.items() if now_ns - last > self._timeout_ns]
        for key in fired:
            del self._last_ns[key]
            del self._expected[key]
            self.changes.heartbeat(key)
        return sorted(fired)

    def state(self, api_key: str) -> tuple[str, int] | None:
        """(id the next beat must carry, last accepted beat ns), or None when not armed."""
        expected = self._expected.get(api_key)
        return None if expected is None else (expected, self._last_ns[api_key])

    def restore(self, api_key: str, expected: str, last_ns: int) -> None:
        self._expected[api_key] = expected
        self._last_ns[api_key] = last_ns
