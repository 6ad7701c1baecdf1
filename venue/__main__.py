"""`python -m venue [--host 127.0.0.1] [--port 8900] [--seed N] [--config FILE] [--flow on|off]
[--state FILE|:memory:]`.

The environment (and `.env`) may set `PM_VENUE_ACCOUNT_TYPE` and `PM_VENUE_STATE` (`venue.config.VenueEnv`):
a bad value exits with code 2 and a `config_error` line naming it. The state file (default
`var/venue.sqlite`) is restored at start; one that another venue holds, or that another version wrote,
exits with code 1 and a `state_unusable` line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from bus.config import EXIT_CONFIG, ConfigError
from bus.config import load as load_env
from venue.app import Venue
from venue.config import VenueConfig, VenueEnv, config_from_dict
from venue.store import StateError

_STD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """One JSON object per line: `event` first, then time, level, logger and the record's extras."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {"event": record.getMessage(), "ts": round(record.created, 6),
                                "level": record.levelname.lower(), "logger": record.name}
        line.update((k, v) for k, v in vars(record).items() if k not in _STD)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return msgspec.json.encode(line, enc_hook=str).decode()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m venue", description="Local Polymarket paper venue")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--config", help="JSON file with VenueConfig fields")
    parser.add_argument("--flow", choices=("on", "off"), help="synthetic order flow (default: config)")
    parser.add_argument("--state", help="state file kept across restarts, or :memory: (default: "
                        "PM_VENUE_STATE, else venue.sqlite beside the run directory: var/venue.sqlite)")
    return parser.parse_args(argv)


def load(path: str | None) -> VenueConfig:
    if not path:
        return VenueConfig()
    with open(path, "rb") as handle:
        raw = msgspec.json.decode(handle.read())
    return config_from_dict(raw)


async def serve(args: argparse.Namespace, config: VenueConfig, state: Path | None) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    flow = None if args.flow is None else args.flow == "on"
    try:
        venue = Venue(config, seed=args.seed, host=args.host, port=args.port, flow=flow, state=state)
    except StateError as error:
        logging.getLogger("venue").error("state_unusable", extra={"path": str(state), "error": str(error)})
        return 1
    try:
        await venue.start()
    except OSError as error:
        logging.getLogger("venue").error("bind_failed", extra={"host": args.host, "port": args.port,
                                                               "error": str(error)})
        venue.close_state()
        return 1
    await stop.wait()
    started = time.monotonic()
    await venue.stop()
    stop_ms = round((time.monotonic() - started) * 1e3, 1)
    logging.getLogger("venue").info("venue_exit", extra={"stop_ms": stop_ms})
    return 0


def main(argv: list[str] | None = None) -> int:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonLines())
    logging.basicConfig(level=logging.INFO, handlers=[handler], force=True)
    args = parse_args(argv)
    try:
        env = load_env(VenueEnv)
    except ConfigError as error:
        logging.getLogger("venue").error("config_error", extra={"variable": error.variable,
                                                                "error": error.message})
        return EXIT_CONFIG
    try:
        config = env.apply(load(args.config))
    except (OSError, msgspec.DecodeError, msgspec.ValidationError, ValueError, RecursionError) as error:
        logging.getLogger("venue").error("config_invalid", extra={"path": args.config, "error": str(error)})
        return 2
    with contextlib.suppress(KeyboardInterrupt):
        return asyncio.run(serve(args, config, env.state_path(args.state)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
