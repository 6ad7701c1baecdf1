"""Coordinator silence: which holders have not been heard from for ``beats`` heartbeat intervals (pure).

A holder is heard from by its heartbeat (``sys.hb.market:<holder>.``) and by its commands. Tracking
starts at the first sign of it, or when an order of it is adopted at start-up, so a coordinator
that died while the executor was down is noticed too. If the executor's own loop was late (a slow
REST call), nobody is declared silent on that check: the backlog of heartbeats has not been read yet.
"""

from __future__ import annotations

from collections.abc import Iterable

from schemas.units import MS

COORDINATOR_PREFIX = "market:"


def holder_of(program: str) -> str | None:
    """``market:btc-updown-15m`` -> ``btc-updown-15m``; None for programs that are not coordinators."""
    return program[len(COORDINATOR_PREFIX):] if program.startswith(COORDINATOR_PREFIX) else None


class Silence:
    __slots__ = ("_last_check", "check_ns", "limit_ns", "seen")

    def __init__(self, *, interval_ms: int, beats: int, check_ms: int) -> None:
        self.limit_ns = interval_ms * beats * MS
        self.check_ns = check_ms * MS
        self.seen: dict[str, int] = {}
        self._last_check = 0

    def heard(self, holder: str, now: int) -> None:
        self.seen[holder] = max(now, self.seen.get(holder, 0))

    def track(self, holder: str, now: int) -> None:
        """Start watching ``holder`` (if not already) as if it had just been heard."""
        self.seen.setdefault(holder, now)

    def silent(self, now: int, holding: Iterable[str]) -> list[str]:
        """Holders with orders (``holding``) not heard from within the limit; they are then forgotten."""
        late = self._last_check and now - self._last_check > 2 * self.check_ns
        self._last_check = now
        if late:
            for holder in self.seen:
                self.seen[holder] = max(self.seen[holder], now - self.limit_ns // 2)
            return []
        gone = sorted(h for h in set(holding) if now - self.seen.setdefault(h, now) > self.limit_ns)
        for holder in gone:
            del self.seen[holder]
        return gone
