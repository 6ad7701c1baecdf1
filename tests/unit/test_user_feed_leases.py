"""Which markets the user socket carries: leases with a ttl (local receive time), releases, and the
subscribe / dynamic (un)subscribe frames (PROTOCOL.md §2.1)."""

from __future__ import annotations

from actors.user_feed.leases import diff, subscribe_frame
from bus.leases import LeaseBook
from schemas import Lease, LeaseRelease

MS = 1_000_000
AUTH = {"apiKey": "k", "secret": "s", "passphrase": "p"}


def lease(holder: str, market: str, ttl_ms: int = 3000, ts: int = 0) -> Lease:
    return Lease(holder=holder, market=market, assets=["1", "2"], ttl_ms=ttl_ms, ts=ts)


def test_a_lease_keeps_its_market_for_its_ttl_after_it_was_received() -> None:
    book = LeaseBook()
    book.on_lease(lease("btc", "0xa", ts=123), now=1000 * MS)  # the sender's ts does not matter
    book.expire(3999 * MS)
    assert book.markets() == {"0xa"}
    book.expire(4000 * MS)
    assert book.markets() == set()


def test_renewals_extend_and_releases_end_at_once() -> None:
    book = LeaseBook()
    book.on_lease(lease("btc", "0xa"), now=0)
    book.on_lease(lease("btc", "0xa"), now=2000 * MS)
    book.expire(4000 * MS)
    assert book.markets() == {"0xa"}
    book.on_release(LeaseRelease(holder="btc", market="0xa", ts=0))
    assert book.markets() == set()


def test_two_holders_of_one_market_keep_it_until_both_are_gone() -> None:
    book = LeaseBook()
    book.on_lease(lease("btc", "0xa"), now=0)
    book.on_lease(lease("rewards", "0xa", ttl_ms=10_000), now=0)
    book.on_lease(lease("eth", "0xb"), now=0)
    book.on_release(LeaseRelease(holder="btc", market="0xa", ts=0))
    assert book.markets() == {"0xa", "0xb"}
    book.expire(5000 * MS)
    assert book.markets() == {"0xa"}
    book.on_lease(lease("x", ""), now=0)  # a lease without a market is ignored
    assert book.markets() == {"0xa"}


def test_the_first_frame_names_the_markets_or_leaves_them_out_for_all() -> None:
    assert subscribe_frame(AUTH, {"0xb", "0xa"}) == {"type": "user", "auth": AUTH, "markets": ["0xa", "0xb"]}
    assert subscribe_frame(AUTH, None) == {"type": "user", "auth": AUTH}


def test_dynamic_frames_move_the_subscription() -> None:
    assert diff({"0xa", "0xb"}, {"0xb", "0xc"}) == [{"operation": "subscribe", "markets": ["0xa"]},
                                                    {"operation": "unsubscribe", "markets": ["0xc"]}]
    assert diff({"0xa"}, {"0xa"}) == []
    assert diff(set(), {"0xa"}) == [{"operation": "unsubscribe", "markets": ["0xa"]}]
