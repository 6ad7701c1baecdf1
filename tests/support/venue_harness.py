"""The venue core tests' harness: an Exchange with four accounts and a clock, and SDK-style signed orders."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from typing import Any

from schemas.units import MICRO, NS
from tests.support.fixtures import FIXTURES
from venue.config import VenueConfig
from venue.contract import MarketEvent, Reply, SignedOrder, UserEvent
from venue.exchange import Exchange
from venue.markets import Market
from venue.persist import Snapshot

T0 = 1_773_307_201 * NS  # one second into btc-updown-5m-1773307200 (2026-03-12 09:20:00 UTC)
SLUG = "btc-updown-5m-1773307200"
ADDRESSES = {
    "alice": "0xa11ce00000000000000000000000000000000001",
    "bob": "0xb0b0000000000000000000000000000000000002",
    "carol": "0xca201000000000000000000000000000000000003",
    "dave": "0xda7e000000000000000000000000000000000004",
}
_ids = itertools.count(1)


def units(text: str) -> int:
    return int(Decimal(text) * MICRO)


def fixture(relative: str) -> Any:
    return json.loads((FIXTURES / relative).read_text())


def signed(token_id: str, side: str, price: str, size: str, *, order_id: str | None = None,
           expiration: int = 0) -> SignedOrder:
    """A SignedOrder with exact SDK-style amounts for `size` shares at `price`."""
    shares = units(size)
    collateral = int(Decimal(price) * Decimal(size) * MICRO)
    maker, taker = (collateral, shares) if side == "BUY" else (shares, collateral)
    number = next(_ids)
    return SignedOrder(
        order_id=order_id or f"0x{number:064x}", salt=number, maker=ADDRESSES["alice"],
        signer=ADDRESSES["alice"],
        token_id=token_id, maker_amount=maker, taker_amount=taker, side=side, expiration=expiration,
        signature_type=0, timestamp_ms=T0 // 1_000_000, metadata="0x" + "0" * 64, builder="0x" + "0" * 64,
        signature="0x" + "ab" * 65,
    )


class Harness:
    """An Exchange with flow off, four registered accounts and a clock (or, with `snapshot`, the
    exchange a stored state restores, accounts included)."""

    def __init__(self, config: VenueConfig | None = None, *, seed: int = 1, now_ns: int = T0,
                 snapshot: Snapshot | None = None) -> None:
        self.config = config or VenueConfig(flow=False)
        self.now = now_ns
        self.ex = Exchange(self.config, seed=seed, now_ns=now_ns, snapshot=snapshot)
        if snapshot is None:
            for name, address in ADDRESSES.items():
                self.ex.register_account(address=address, api_key=f"key-{name}")
        self.log: list[MarketEvent | UserEvent] = list(self.ex.drain_events())

    def market(self, slug: str = SLUG) -> Market:
        market = self.ex.catalogue.slug(slug)
        assert market is not None, slug
        return market

    @property
    def yes(self) -> str:
        return self.market().token_ids[0]

    @property
    def no(self) -> str:
        return self.market().token_ids[1]

    def place(self, who: str, token: str, side: str, price: str, size: str, *, order_type: str = "GTC",
              post_only: bool = False, order_id: str | None = None, expiration: int = 0) -> Reply:
        self.now += 1_000_000  # 1 ms per request
        order = signed(token, side, price, size, order_id=order_id, expiration=expiration)
        reply = self.ex.place(api_key=f"key-{who}", order=order, order_type=order_type, post_only=post_only,
                              now_ns=self.now)
        self.log.extend(self.ex.drain_events())
        return reply

    def cancel(self, who: str, *order_ids: str) -> Reply:
        self.now += 1_000_000
        reply = self.ex.cancel(api_key=f"key-{who}", order_ids=list(order_ids), now_ns=self.now)
        self.log.extend(self.ex.drain_events())
        return reply

    def advance(self, seconds: float, *, step: float = 0.25) -> None:
        end = self.now + int(seconds * NS)
        while self.now < end:
            self.now = min(end, self.now + int(step * NS))
            self.ex.tick(self.now)
            self.log.extend(self.ex.drain_events())

    def grant(self, who: str, token: str, size: str) -> None:
        """Give an account outcome tokens (as if it had minted them earlier)."""
        self.ex.ledger.apply([(ADDRESSES[who], token, units(size))])

    def cash(self, who: str) -> int:
        reply = self.ex.balance(address=ADDRESSES[who], asset_type="COLLATERAL", token_id=None)
        return int(str(reply["balance"]))

    def shares(self, who: str, token: str) -> int:
        return self.ex.positions(ADDRESSES[who]).get(token, 0)

    def user(self, who: str, event_type: str | None = None) -> list[dict[str, Any]]:
        return [e.payload for e in self.log if isinstance(e, UserEvent) and e.api_key == f"key-{who}"
                and (event_type is None or e.payload["event_type"] == event_type)]

    def market_events(self, event_type: str) -> list[MarketEvent]:
        return [e for e in self.log if isinstance(e, MarketEvent) and e.payload["event_type"] == event_type]

    def clear(self) -> None:
        self.log.clear()
