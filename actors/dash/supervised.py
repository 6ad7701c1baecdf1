"""What supervisord says, for the dashboard's programs pane (blocking, read-only, a few ms every few
seconds): each program's state over its XML-RPC socket, and the exits its log records (read from where
the last read stopped, so the log is read once in total). Nothing is ever sent to supervisord but reads;
without supervisord (a test stack, another host) both stay empty and the pane shows heartbeats only."""

from __future__ import annotations

from pathlib import Path

from actors.ctl import supervisor, tables


class SupervisorWatch:
    def __init__(self, run_dir: str, url: str) -> None:
        self.url = supervisor.url(run_dir, url)
        self.log = Path(run_dir).resolve().parent / "log" / "supervisord.log"
        self.offset = 0
        self.exits: dict[str, int] = {}  # bus name -> exits logged

    def poll(self) -> tuple[dict[str, str], dict[str, int]]:
        """(bus name -> supervisord's state, bus name -> exits logged so far)."""
        processes, _problem = supervisor.processes(self.url)
        markets = {str(p["name"]) for p in processes if p["group"] == "market"}
        states = {tables.bus_name(str(p["group"]), str(p["name"])): str(p["statename"]) for p in processes}
        try:
            size = self.log.stat().st_size
            if size < self.offset:  # rotated: start over on the new file
                self.offset = 0
            with self.log.open("rb") as f:
                f.seek(self.offset)
                chunk = f.read()
            cut = chunk.rfind(b"\n") + 1  # whole lines only; the rest is read next time
            self.offset += cut
            for name, n in tables.count_restarts(chunk[:cut].decode(errors="replace")).items():
                key = f"market:{name}" if name in markets else name
                self.exits[key] = self.exits.get(key, 0) + n
        except OSError:
            pass
        return states, dict(self.exits)
