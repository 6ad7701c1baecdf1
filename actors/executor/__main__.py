"""``python -m actors.executor``: load and check the configuration (exit 2 naming the variable), run.

The start-up checks: the key for the mode (``config.resolve_key``), the wallet's type and address
(``wallet.resolve_wallet``: a funder that is not the key's wallet of that type, or a paper account of
another type, is refused with the fix), the relayer's URL. Then, with the first credentials, whether that
wallet is deployed (``wire/wallet_check.py``, not in a dry run).

``--preflight``: the same checks, then a one-line JSON report instead of trading (``preflight.py``; what
``python -m actors.ctl doctor`` asks: only the executor reads the key). Exit 2 on a configuration error
(the report then holds ``error``).
"""

from __future__ import annotations

import sys

from actors.executor import preflight
from actors.executor.config import (
    ExecutorConfig,
    presign_cache,
    relayer_url,
    resolve_key,
    resolve_wallet_config,
)
from actors.executor.main import PROGRAM, Executor
from actors.executor.wire.signing import OrderSigner
from bus.config import EXIT_CONFIG, ConfigError, describe, load_or_exit
from bus.endpoints import BusConfig, ensure_run_dir
from bus.logs import Logger
from venue_client.credentials import ApiCredentials
from venue_client.endpoints import VenueEndpoints


def main() -> int:
    checking = "--preflight" in sys.argv[1:]
    log = Logger(PROGRAM, out=sys.stderr if checking else None)
    bus = load_or_exit(BusConfig, PROGRAM)
    venue = load_or_exit(VenueEndpoints, PROGRAM)
    cfg = load_or_exit(ExecutorConfig, PROGRAM)
    given = load_or_exit(ApiCredentials, PROGRAM)
    try:
        key = resolve_key(cfg, venue)
        wallet = resolve_wallet_config(cfg, venue, key)
        relayer_url(cfg, venue)  # paper mode: loopback only
        signer = OrderSigner(key, wallet=wallet, presigned=presign_cache(cfg))
    except ConfigError as exc:
        log.error("config_error", variable=exc.variable, error=exc.message)
        sys.stderr.write(f"{PROGRAM}: config error: {exc}\n")
        if checking:
            print(preflight.line({"error": str(exc), "variable": exc.variable}))
        return EXIT_CONFIG
    if checking:
        print(preflight.line(preflight.report(cfg, venue, key, wallet, given)))
        return 0
    ensure_run_dir(bus.run_dir)
    log.info("executor_starting", venue=venue.venue, rest_url=venue.rest_url, sends_orders=venue.sends_orders,
             address=signer.address, wallet_type=wallet.wallet_type, wallet=wallet.address,
             wallet_given=wallet.given, wallet_type_from=wallet.type_from, given_creds=given.complete,
             **describe(cfg))
    executor = Executor(cfg, venue, bus, signer, given, log)
    try:
        return executor.run()
    finally:
        executor.close()


if __name__ == "__main__":
    raise SystemExit(main())
