"""The table of runnable programs: every one must exit within 1 s of SIGTERM (tests/integration)."""

from __future__ import annotations

# (name, argv after `python`, stdout line that says it is up)
PROGRAMS: list[tuple[str, list[str], str]] = [
    ("bus", ["-m", "bus"], '"event":"ready"'),
    ("tap", ["-m", "actors.tap", "--json"], '"type":"Heartbeat"'),
    ("user-feed", ["-m", "actors.user_feed"], '"event":"ready"'),
    ("inventory", ["-m", "actors.inventory"], '"event":"ready"'),
    ("ofi", ["-m", "actors.ofi"], '"event":"ready"'),
    # the executor, pointed at a closed port: this test must never trade on a venue someone left running
    ("executor", ["-c", "import os, runpy; os.environ['PM_LOCAL_VENUE_URL'] = 'http://127.0.0.1:9'; "
                        "runpy.run_module('actors.executor', run_name='__main__')"], '"event":"ready"'),
    ("market-feed", ["-m", "actors.market_feed"], '"event":"ready"'),  # no venue needed: connects on leases
    ("metrics", ["-m", "actors.metrics"], '"event":"ready"'),  # program_env: PM_METRICS_ADDR on a free port
]
