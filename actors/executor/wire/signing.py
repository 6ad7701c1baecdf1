"""``PlaceOrder`` -> signed CLOB V2 order and its exact ``POST /order(s)`` body, through ``clob/``.

``clob.orders`` builds and signs byte-identically to polymarket-client 0.14.0 (proven by
tests/unit/test_clob_sdk_parity.py), in one step per order here (``AccountSigner``: the account's words
precomputed, no intermediate order object); ``clob.order_json`` serialises the body once, and these same
bytes are both HMAC-signed (L2) and sent. The order id is the EIP-712 digest, known before sending,
which is what makes an unknown outcome reconcilable.

Pre-signing (``PM_EXEC_PRESIGN_MAX_AGE_MS``, ``core/presign.py``): ``sign`` sends a ready order signed in
idle time when one matches the command (used once, never older than the bound) and learns the command as
its slot's template; ``presign_one`` signs one order of the plan, called by the shell's idle slices. Both
paths sign with the same ``AccountSigner.sign``, so a pre-signed order is the very order the hot path
would have signed with that salt and timestamp (tests/unit/test_presign.py).

``PlaceOrder.signed_age_ms`` (livetest's pre-signing age check, allowed by ``core/maker_only`` to holder
``livetest`` only): that order is signed afresh with its timestamp that far in the past, never taken from
or taught to the pre-signing cache; the signer refuses it for any other holder too.
"""

from __future__ import annotations

from collections.abc import Sequence

from actors.executor.core.presign import PresignCache
from actors.executor.wallet import AccountWallet
from clob.order_json import order_body, orders_body
from clob.orders import AccountSigner, OrderError, SignedOrder, new_salt
from clob.signer import Signer
from schemas import PlaceOrder
from schemas.commands import SIGNED_AGE_HOLDER


class OrderSigner:
    """The account's signing identity: the key (``signer``, whose ``address`` every L1/L2 request names),
    the funder (the orders' ``maker``: the key's address, proxy, Safe or deposit wallet) and the signature
    type (0-3), given or from the configured ``wallet``. ``order_signer`` is the orders' ``signer``
    field: the deposit wallet for type 3."""

    __slots__ = ("_account", "funder", "presigned", "signature_type", "signer", "wallet")

    def __init__(self, signer: Signer, *, funder: str = "", signature_type: int = 0,
                 wallet: AccountWallet | None = None, presigned: PresignCache | None = None) -> None:
        if wallet is not None:
            funder, signature_type = wallet.address, wallet.signature_type
        self.signer, self.wallet = signer, wallet
        self.signature_type = signature_type
        self.funder = funder or signer.address
        self._account = AccountSigner(signer, maker=self.funder, signature_type=signature_type)
        self.presigned = presigned if presigned is not None and presigned.enabled else None

    def use_wallet(self, funder: str) -> None:
        """Sign for this wallet from now on (the start-up check found the one the account has)."""
        self.funder = funder
        self.wallet = self.wallet.at(funder) if self.wallet is not None else None
        self._account = AccountSigner(self.signer, maker=funder, signature_type=self.signature_type)
        if self.presigned is not None:
            self.presigned.forget()  # signed for the other wallet

    @property
    def address(self) -> str:
        return self.signer.address

    @property
    def order_signer(self) -> str:
        return self._account.order_signer

    def sign(self, cmd: PlaceOrder, now_ms: int) -> SignedOrder:
        """A ready pre-signed order for ``cmd`` if there is one, else signed now (``now_ms`` its
        timestamp). Raises ``clob.orders.OrderError`` for an order the SDK would refuse."""
        if cmd.signed_age_ms:
            return self.sign_aged(cmd, now_ms)
        cache = self.presigned
        if cache is not None:
            ready = cache.take(cmd, now_ms)
            cache.learn(cmd)
            if ready is not None:
                return ready
        return self.sign_at(cmd, new_salt(), now_ms)

    def sign_aged(self, cmd: PlaceOrder, now_ms: int) -> SignedOrder:
        """``cmd`` signed with its timestamp ``signed_age_ms`` in the past (livetest's check only: the core
        refuses it from any other holder; refused here as well, should a command ever bypass the core)."""
        if cmd.holder != SIGNED_AGE_HOLDER:
            raise OrderError(f"signed_age_ms is only for holder {SIGNED_AGE_HOLDER!r}")
        return self.sign_at(cmd, new_salt(), now_ms - cmd.signed_age_ms)

    def sign_at(self, cmd: PlaceOrder, salt: int, timestamp_ms: int, price: int | None = None) -> SignedOrder:
        """``cmd`` (at ``price`` if given) signed with this salt and timestamp: the one signing path."""
        expiration = cmd.expiration if cmd.order_type == "GTD" else 0
        price_u = cmd.price if price is None else price
        return self._account.sign(token_id=cmd.asset, side=cmd.side, price_u=price_u,
                                  size_u=cmd.size, tick_u=cmd.tick, salt=salt, timestamp_ms=timestamp_ms,
                                  neg_risk=cmd.neg_risk, expiration=expiration)

    def presign_one(self, now_ms: int) -> bool:
        """Sign the next order of the pre-signing plan (idle time); False when there is nothing to do."""
        cache = self.presigned
        job = cache.next_job(now_ms) if cache is not None else None
        if job is None:
            return False
        assert cache is not None
        try:
            order = self.sign_at(job.template, new_salt(), now_ms, job.price)
        except OrderError:  # off the grid for its tick (cannot happen for a template the core accepted)
            cache.forget()
            return False
        cache.put(job, order)
        return True


def post_body(cmds: Sequence[PlaceOrder], signed: Sequence[SignedOrder], owner: str) -> tuple[str, bytes]:
    """(path, body) for one batch; every command of a batch shares its type and post-only flag."""
    kind, post_only = cmds[0].order_type, cmds[0].post_only
    if len(signed) == 1:
        return "/order", order_body(signed[0], owner_api_key=owner, order_type=kind, post_only=post_only)
    return "/orders", orders_body(signed, owner_api_key=owner, order_type=kind, post_only=post_only)
