"""The account's access to the venue beside the order traffic: API credentials (obtained off the loop,
through a ``Bridge`` worker, then shared) and the order heartbeat that starts on them.

Live trading derives or creates the credentials (within 10 s on Polymarket, else exit 2: ``exit_code``);
the local venue is tried until it answers. A dry run sends nothing but, when a real key is given without
credentials, ``GET /auth/derive-api-key`` (``config.derives_in_dry_run``), so the user-feed can watch the
real account; it never starts the heartbeat. Given credentials are written for the user-feed as they are.

Trading (live or paper) also checks the wallet with the first credentials (``wallet_check``: is a wallet
of the configured type deployed for this key?). A wallet that is not is a ``config_error`` and exit 2
before any order is sent; the wallet the check found (a derived deposit wallet: the legacy or the current
one) is the one orders are signed for from then on.
"""

from __future__ import annotations

import sys

from actors.executor.config import ExecutorConfig, derives_in_dry_run, relayer_url
from actors.executor.wallet import refusal_fix
from actors.executor.wire.credentials import START_DEADLINE_S, Session
from actors.executor.wire.heartbeat import HeartbeatThread, start_heartbeat
from actors.executor.wire.rest import RestClient
from actors.executor.wire.signing import OrderSigner
from actors.executor.wire.wallet_check import WalletCheck
from bus.bridge import Bridge
from bus.config import EXIT_CONFIG, ConfigError
from bus.endpoints import BusConfig
from bus.logs import Logger
from venue_client.credentials import ApiCredentials, write_creds
from venue_client.endpoints import VenueEndpoints


class Account:
    def __init__(self, cfg: ExecutorConfig, venue: VenueEndpoints, bus: BusConfig, signer: OrderSigner,
                 given: ApiCredentials, log: Logger, bridge: Bridge) -> None:
        self.cfg, self.venue, self.signer, self.log, self.bridge = cfg, venue, signer, log, bridge
        self.given_creds = given.complete
        self.dry_run = not venue.sends_orders
        self.exit_code = 0
        self.heartbeat: HeartbeatThread | None = None
        self.session: Session | None = None
        self.check: WalletCheck | None = None
        wallet = signer.wallet
        if not self.dry_run and wallet is not None and wallet.wallet_type != "EOA":
            url = relayer_url(cfg, venue)  # a connection of its own, used at start only
            self.check = WalletCheck(RestClient(url, signer.address, timeout_ms=cfg.http_timeout_ms), wallet,
                                     url)
        if not self.dry_run or derives_in_dry_run(cfg, venue, given):
            live = not self.dry_run and not venue.is_local  # fails fast; the local venue may start after us
            l1 = RestClient(venue.rest_url, signer.address, timeout_ms=cfg.http_timeout_ms)  # own connection
            self.session = Session(l1, signer.signer, given=given, funder=signer.funder, run_dir=bus.run_dir,
                                   log=log, create=not self.dry_run, timeout_ms=cfg.http_timeout_ms,
                                   deadline_s=START_DEADLINE_S if live else None, check=self.check)
        if self.dry_run and given.complete:
            write_creds(bus.run_dir, given)

    def tick(self, orders: RestClient, wallet_refusal: str = "") -> bool:
        """Try for credentials when due (off the loop); False once live trading gave up, the wallet check
        refused the wallet, or the exchange refused an order for the wallet type (``wallet_refusal``):
        exit 2."""
        if self.refused(wallet_refusal):
            return False
        session = self.session
        if session is None or session.ready or "credentials" in self.bridge.running:
            return not self.exit_code
        if session.refused is not None:  # the wallet check: not a type this account can use (exit 2)
            self.config_error(session.refused)
            return False
        if session.gave_up:  # live trading: fail fast (nothing but the L1 calls was sent)
            sys.stderr.write(session.give_up(self.venue.rest_url))
            self.exit_code = EXIT_CONFIG
            return False
        if session.due():
            self.bridge.submit("credentials", session.fetch, lambda result, error: self._settle(
                session, orders, result if error is None else (None, f"{type(error).__name__}: {error}")))
        return True

    def config_error(self, error: ConfigError) -> None:
        """A configuration error found while running (the wallet check, a wallet refusal): exit 2."""
        if self.exit_code:
            return
        self.log.error("config_error", variable=error.variable, error=error.message)
        sys.stderr.write(f"executor: config error: {error}\n")
        self.exit_code = EXIT_CONFIG

    def refused(self, message: str) -> bool:
        """The exchange refused an order for the wallet type (``message``, "" if not): a config error
        (``wallet.refusal_fix``), once; True when the executor is to stop (exit 2)."""
        wallet = self.signer.wallet
        if not message or wallet is None or self.exit_code:
            return False
        self.config_error(refusal_fix(message, wallet, given_creds=self.given_creds))
        return True

    def _settle(self, session: Session, orders: RestClient, result: tuple[object, ...]) -> None:
        if not session.settle(result) or self.dry_run:
            return
        if session.funder != self.signer.funder:  # the check found the wallet: sign for it
            self.log.info("wallet_found", wallet=session.funder, configured=self.signer.funder)
            self.signer.use_wallet(session.funder)
        orders.creds = session.creds
        if session.creds is not None:
            cfg = self.cfg
            self.heartbeat = start_heartbeat(
                self.venue.rest_url, self.signer.address, session.creds, path=cfg.heartbeat_path,
                interval_ms=cfg.heartbeat_ms, timeout_ms=cfg.http_timeout_ms, log=self.log,
                post=self.bridge.post)

    def arm_heartbeat(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.arm()

    def pet(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.pet()

    @property
    def heartbeat_armed(self) -> bool:
        return self.heartbeat is not None and self.heartbeat.armed

    def take_lapse(self) -> bool:
        """Pets the watchdog; True once after the venue's switch lapsed (resync then)."""
        self.pet()
        return self.heartbeat is not None and self.heartbeat.take_lapse()

    def close(self) -> None:
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.session is not None:
            self.session.rest.close()
        if self.check is not None:
            self.check.close()
