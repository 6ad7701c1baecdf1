"""The shared lease table: entries keyed by (holder, market), each kept for its ttl after it was received;
a market is held until the last of its holders releases it or lets it expire; tokens named explicitly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bus.leases import LeaseTable, Pair
from schemas import Lease, LeaseRelease
from schemas.units import MS


def lease(holder: str, market: str, ttl_ms: int = 3000, ts: int = 0, yes: str = "1", no: str = "2") -> Lease:
    return Lease(holder=holder, market=market, yes_asset=yes, no_asset=no, ttl_ms=ttl_ms, ts=ts)


def release(holder: str, market: str) -> LeaseRelease:
    return LeaseRelease(holder=holder, market=market, ts=0)


def test_a_lease_keeps_its_market_for_its_ttl_after_it_was_received() -> None:
    table = LeaseTable()
    assert table.on_lease(lease("btc", "0xa", ts=123), now=1000 * MS)  # the sender's ts does not matter
    assert table.expire(3999 * MS) == [] and table.markets() == {"0xa"}
    assert table.expire(4000 * MS) == ["0xa"] and table.markets() == set()


def test_renewals_extend_and_releases_end_at_once() -> None:
    table = LeaseTable()
    assert table.on_lease(lease("btc", "0xa"), now=0) is True
    assert table.on_lease(lease("btc", "0xa"), now=2000 * MS) is False  # a renewal changes nothing held
    assert table.expire(4000 * MS) == [] and table.markets() == {"0xa"}
    assert table.on_release(release("btc", "0xa")) is True
    assert table.markets() == set() and table.on_release(release("btc", "0xa")) is False


def test_two_holders_of_one_market_keep_it_until_both_are_gone() -> None:
    table = LeaseTable()
    table.on_lease(lease("btc", "0xa"), now=0)
    assert table.on_lease(lease("rewards", "0xa", ttl_ms=10_000), now=0) is False  # already held
    table.on_lease(lease("eth", "0xb", yes="3", no="4"), now=0)
    assert table.on_release(release("btc", "0xa")) is False  # rewards still holds it
    assert table.markets() == {"0xa", "0xb"} and table.holders("0xa") == ["rewards"]
    assert table.expire(5000 * MS) == ["0xb"] and table.markets() == {"0xa"}
    assert table.expire(10_000 * MS) == ["0xa"]


def test_leases_without_a_market_or_tokens_are_ignored() -> None:
    table = LeaseTable()
    assert table.on_lease(lease("x", ""), now=0) is False
    assert table.on_lease(lease("x", "0xa", yes="", no=""), now=0) is False
    assert len(table) == 0


def test_tokens_are_named_explicitly_and_the_newest_lease_of_a_market_names_them() -> None:
    table = LeaseTable()
    table.on_lease(lease("a", "0xa", yes="11", no="22"), now=0)
    assert table.pair("0xa") == Pair("11", "22") and table.pair("0xb") is None
    assert table.on_lease(lease("b", "0xa", yes="33", no="44"), now=1) is True  # tokens changed
    assert table.pair("0xa") == Pair("33", "44")
    table.on_release(release("b", "0xa"))
    assert table.pair("0xa") == Pair("11", "22")  # back to the remaining holder's


def test_assets_are_every_held_token_once_in_lease_order_and_one_token_leases_count() -> None:
    table = LeaseTable()
    table.on_lease(lease("a", "0xa", yes="1", no="2"), now=0)
    table.on_lease(lease("b", "0xb", yes="3", no=""), now=0)  # market data for one token only
    table.on_lease(lease("c", "0xa", yes="1", no="2"), now=0)
    assert table.assets() == ["1", "2", "3"]
    assert table.pairs() == {"0xa": Pair("1", "2"), "0xb": Pair("3", "")}


def test_each_holders_entry_says_until_when_and_which_entries_are_past_their_time() -> None:
    table = LeaseTable()
    table.on_lease(lease("btc", "0xa", ttl_ms=1000), now=0)
    table.on_lease(lease("rewards", "0xa", ttl_ms=5000), now=0)
    table.on_lease(lease("eth", "0xb", ttl_ms=1000, yes="3", no="4"), now=500 * MS)
    assert (table.until("btc", "0xa"), table.until("rewards", "0xa"), table.until("btc", "0xb")) == (
        1000 * MS, 5000 * MS, None)
    assert table.past(999 * MS) == []
    assert table.past(1500 * MS) == [("btc", "0xa"), ("eth", "0xb")]  # arrival order; nothing dropped yet
    assert table.expire(1500 * MS) == ["0xb"] and table.past(1500 * MS) == []  # 0xa: rewards still holds it


class _Model:
    """The table's rules, written the slow obvious way: what the indexed table must agree with."""

    def __init__(self) -> None:
        self.until: dict[tuple[str, str], int] = {}

    def lease(self, holder: str, market: str, until: int) -> None:
        self.until[(holder, market)] = until

    def release(self, holder: str, market: str) -> bool:
        if self.until.pop((holder, market), None) is None:
            return False
        return not self.holds(market)

    def expire(self, now: int) -> list[str]:
        gone = [k for k, u in self.until.items() if u <= now]
        for k in gone:
            del self.until[k]
        return sorted({m for _, m in gone if not self.holds(m)})

    def holds(self, market: str) -> bool:
        return any(m == market for _, m in self.until)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["lease", "release", "expire"]), st.sampled_from("ab"),
                          st.sampled_from("xyz"), st.integers(0, 3000)), max_size=60))
def test_the_indexed_holds_and_expire_agree_with_a_scan_of_every_entry(
        ops: list[tuple[str, str, str, int]]) -> None:
    """``holds`` / ``markets`` are kept by a count per market and ``expire`` skips until the earliest
    deadline: after any sequence of leases, renewals, releases and expiries they say what a scan says."""
    table, model, now = LeaseTable(), _Model(), 0
    for op, holder, market, n in ops:
        now += n % 700
        if op == "lease":
            table.on_lease(lease(holder, market, ttl_ms=n, ts=now), now * MS)
            model.lease(holder, market, now * MS + n * MS)
        elif op == "release":
            assert table.on_release(release(holder, market)) == model.release(holder, market)
        else:
            assert table.expire(now * MS) == model.expire(now * MS)
        assert {m for m in "xyz" if table.holds(m)} == {m for m in "xyz" if model.holds(m)} == table.markets()
        assert len(table) == len(model.until)
