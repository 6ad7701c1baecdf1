"""What ``actors.ctl`` reads besides the bus, the venue and inventory's journal: which account it looks at
(the same variables the executor and the user-feed read). API credentials come from ``POLYMARKET_API_*``
or the executor's hand-off file, as for the user-feed; the private key is never read (``doctor`` asks the
executor: ``python -m actors.executor --preflight``)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from bus.config import Env


class CtlConfig(msgspec.Struct, frozen=True, kw_only=True):
    signature_type: Annotated[int, Env("POLYMARKET_SIGNATURE_TYPE"), Meta(ge=0, le=3)] = 0
    signer_address: Annotated[str, Env("PM_USER_SIGNER_ADDRESS")] = ""  # POLY_ADDRESS (L2); default: funder
    http_timeout_ms: Annotated[int, Env("PM_CTL_HTTP_TIMEOUT_MS"), Meta(ge=100, le=120_000)] = 10_000
    # supervisord's XML-RPC endpoint for `status`/`doctor`; "" = unix://$PM_RUN_DIR/supervisor.sock
    supervisor_url: Annotated[str, Env("PM_CTL_SUPERVISOR_URL")] = ""
