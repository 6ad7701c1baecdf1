"""``python -m actors.executor``: load and check the configuration (exit 2 naming the variable), run."""

from __future__ import annotations

import sys

from actors.executor.config import ExecutorConfig, resolve_funder, resolve_key
from actors.executor.main import PROGRAM, Executor
from actors.executor.wire.signing import OrderSigner
from bus.config import EXIT_CONFIG, ConfigError, describe, load_or_exit
from bus.endpoints import BusConfig, ensure_run_dir
from bus.logs import Logger
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints


def main() -> int:
    log = Logger(PROGRAM)
    bus = load_or_exit(BusConfig, PROGRAM)
    venue = load_or_exit(VenueEndpoints, PROGRAM)
    cfg = load_or_exit(ExecutorConfig, PROGRAM)
    given = load_or_exit(ApiCredentials, PROGRAM)
    try:
        key = resolve_key(cfg, venue)
        signer = OrderSigner(key, funder=resolve_funder(cfg, key), signature_type=cfg.sig_type)
    except ConfigError as exc:
        log.error("config_error", variable=exc.variable, error=exc.message)
        sys.stderr.write(f"{PROGRAM}: config error: {exc}\n")
        return EXIT_CONFIG
    ensure_run_dir(bus.run_dir)
    log.info("executor_starting", venue=venue.venue, rest_url=venue.rest_url, sends_orders=venue.sends_orders,
             address=signer.address, given_creds=given.complete, **describe(cfg))
    executor = Executor(cfg, venue, bus, signer, given, log)
    try:
        return executor.run()
    finally:
        executor.close()


if __name__ == "__main__":
    raise SystemExit(main())
