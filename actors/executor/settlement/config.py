"""The executor's settlement settings (``PM_SETTLE_*``, ``PM_RELAYER_API_KEY*``).

A proxy, Safe or deposit-wallet account merges and redeems through Polymarket's relayer, which needs a
relayer API key (``PM_RELAYER_API_KEY`` with the address it was issued to, ``PM_RELAYER_API_KEY_ADDRESS``;
default: the signer). An EOA sends its own transactions and needs none. Against the local venue any
non-empty key is accepted, so a paper key is used when none is given.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from bus.config import Env

PAPER_RELAYER_KEY = "paper-relayer-key"


class SettlementConfig(msgspec.Struct, frozen=True, kw_only=True):
    # redeem every resolved market inventory reports held (winners pay 1 pUSD a share, losers are burned)
    redeem: Annotated[bool, Env("PM_SETTLE_REDEEM")] = True
    # merge pairs when a coordinator asks (``MergePairs``: PM_MERGE_MIN_SHARES on the coordinator)
    merge: Annotated[bool, Env("PM_SETTLE_MERGE")] = True
    # after a failed merge or redemption of a market, wait this long before the next attempt there
    retry_ms: Annotated[int, Env("PM_SETTLE_RETRY_MS"), Meta(ge=100, le=3_600_000)] = 30_000
    # a settlement inventory has not acknowledged is pushed again this often
    resend_ms: Annotated[int, Env("PM_SETTLE_RESEND_MS"), Meta(ge=100, le=600_000)] = 5_000
    relayer_api_key: Annotated[str, Env("PM_RELAYER_API_KEY", secret=True)] = ""
    relayer_api_key_address: Annotated[str, Env("PM_RELAYER_API_KEY_ADDRESS")] = ""
