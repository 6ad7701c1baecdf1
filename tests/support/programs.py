"""The table of runnable programs: every one must exit within 1 s of SIGTERM (tests/integration)."""

from __future__ import annotations

# (name, argv after `python`, stdout line that says it is up)
PROGRAMS: list[tuple[str, list[str], str]] = [
    ("bus", ["-m", "bus"], '"event":"ready"'),
    ("tap", ["-m", "actors.tap", "--json"], '"type":"Heartbeat"'),
    ("user-feed", ["-m", "actors.user_feed"], '"event":"ready"'),
    ("inventory", ["-m", "actors.inventory"], '"event":"ready"'),
    ("ofi", ["-m", "actors.ofi"], '"event":"ready"'),
]
