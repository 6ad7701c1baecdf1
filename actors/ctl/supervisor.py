"""supervisord as ``actors.ctl`` sees it: its XML-RPC interface on the control socket (blocking, read-only
here) and the exits its own log records. The socket is ``$PM_RUN_DIR/supervisor.sock`` unless
``PM_CTL_SUPERVISOR_URL`` names another."""

from __future__ import annotations

import xmlrpc.client
from pathlib import Path
from typing import Any

from supervisor.xmlrpc import SupervisorTransport


def url(run_dir: str, configured: str) -> str:
    return configured or f"unix://{Path(run_dir).resolve()}/supervisor.sock"


def processes(server_url: str) -> tuple[list[dict[str, Any]], str]:
    """supervisord's ``getAllProcessInfo`` (each with its ``autostart``), or ``[]`` and why it could not be
    read."""
    transport = SupervisorTransport(None, None, server_url)
    proxy: Any = xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)
    try:
        info: list[dict[str, Any]] = proxy.supervisor.getAllProcessInfo()
        config = {(c["group"], c["name"]): c for c in proxy.supervisor.getAllConfigInfo()}
    except (OSError, xmlrpc.client.Error) as exc:
        return [], f"supervisord not reachable at {server_url} ({exc.__class__.__name__}: {exc})"
    for p in info:  # autostart=false: on demand (the tap), or another host's program (deploy/hosts.py)
        p["autostart"] = bool(config.get((p["group"], p["name"]), {}).get("autostart", True))
    return info, ""


def log_text(run_dir: str) -> str:
    """supervisord's own log (``$PM_VAR/log/supervisord.log``), or "" when there is none."""
    path = Path(run_dir).resolve().parent / "log" / "supervisord.log"
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""
