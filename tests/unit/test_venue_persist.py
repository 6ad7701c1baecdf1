"""The venue's state round trip: what the store writes, read back, is the same exchange.

An exchange with resting orders, partly filled orders, trades MATCHED and MINED, a GTD order, remembered
order ids and an armed heartbeat is committed step by step (as the venue commits: after every request
and tick), read back from the SQLite file, and rebuilt: balances, reservations, positions, open orders,
trades, books, markets, pending trades and their due times, the duplicate check and the dead-man switch
are the same, and from then on both exchanges send the same user events. Then what falls due while the
venue is down (a window's end, trade statuses, the switch) happens at the restart.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pytest

from schemas.units import NS
from tests.support.venue_harness import ADDRESSES, SLUG, T0, Harness, units
from venue.changes import Changes
from venue.config import VenueConfig
from venue.contract import UserEvent
from venue.exchange import Exchange
from venue.persist import Batch, Collector, Snapshot
from venue.store import Durable, StateError, StateLocked, Store, is_locked, journal_path, read_journal

GTD_EXPIRY_S = T0 // NS + 3600


def state(ex: Exchange) -> dict[str, Any]:
    """Everything a client can see of the exchange, and what drives what it will see next."""
    keys = sorted(ex.accounts)
    ledger = ex.ledger._accounts
    return {
        "accounts": dict(ex.accounts), "owners": dict(ex.owners),
        "balances": {address: dict(account.balances) for address, account in ledger.items()},
        "reserved": {address: dict(account.reserved) for address, account in ledger.items()
                     if account.reserved},
        "orders": {key: ex.open_orders(api_key=key, order_id=None, market=None, asset_id=None)
                   for key in keys},
        "trades": {key: ex.trades(api_key=key, market=None, asset_id=None, before=None, after=None)
                   for key in keys},
        "books": {token: ex.book(token) for market in ex.catalogue.all() for token in market.token_ids},
        "markets": [msgspec.to_builtins(market) for market in ex.catalogue.all()],
        "pending": {cid: n for cid, n in ex.engine.clearing.pending.items() if n},
        "due": sorted((due, tid, status) for due, _, tid, status in ex.engine.clearing.timeline._heap),
        "seen": sorted(ex.engine._seen),
        "gtd": sorted((expires, oid) for expires, _, oid in ex.engine._gtd),
        "heartbeats": {key: ex.heartbeats.state(key) for key in keys},
    }


def committing(h: Harness, store: Store) -> Callable[[], None]:
    """Commit as the venue does: what is marked, journaled after each step; the tables now and then."""
    collector = Collector(h.ex)
    steps = iter(range(1_000_000))

    def commit() -> None:
        if next(steps) % 3 == 0:
            store.write_tables(collector.collect(now_ns=h.now, everything=True))
        else:
            store.journal(collector.collect(now_ns=h.now, everything=False))
    return commit


def reopen(path: Path, config: VenueConfig, now_ns: int) -> Harness:
    store = Store(path)
    snapshot = store.load(now_ns)
    store.close()
    assert snapshot is not None
    return Harness(config, now_ns=now_ns, snapshot=snapshot)


def user_events(h: Harness) -> list[tuple[str, dict[str, Any]]]:
    return [(e.api_key, e.payload) for e in h.log if isinstance(e, UserEvent)]


def busy_exchange(tmp_path: Path, config: VenueConfig | None = None) -> tuple[Harness, Path]:
    """Orders resting and partly filled, one trade MINED and one MATCHED, a GTD order, a cancelled and a
    killed order id, an armed heartbeat; committed after every step."""
    h = Harness(config)
    path = tmp_path / "venue.sqlite"
    store = Store(path)
    commit = committing(h, store)
    steps: list[Callable[[], object]] = [
        lambda: h.place("alice", h.yes, "BUY", "0.40", "20"),
        lambda: h.place("bob", h.no, "BUY", "0.55", "10"),  # a Yes ask at 0.45
        lambda: h.place("carol", h.yes, "BUY", "0.45", "6"),  # takes 6 of bob's: a mint, MATCHED
        lambda: h.advance(2.5),  # ... MINED
        lambda: h.place("dave", h.no, "BUY", "0.30", "10", order_type="GTD", expiration=GTD_EXPIRY_S),
        lambda: h.place("carol", h.no, "SELL", "0.60", "6"),  # a Yes bid at 0.40 behind alice's
        lambda: h.place("dave", h.yes, "SELL", "0.40", "5", order_type="FAK"),  # no Yes: refused
        lambda: h.place("bob", h.yes, "BUY", "0.45", "5", order_type="FOK", order_id="0x" + "fe" * 32),
        lambda: h.place("alice", h.yes, "BUY", "0.30", "10", order_id="0x" + "c1" * 32),
        lambda: h.cancel("alice", "0x" + "c1" * 32),
        lambda: h.place("dave", h.yes, "BUY", "0.46", "8"),  # takes bob's last 4 (MATCHED), rests 4
        lambda: h.ex.heartbeat(api_key="key-alice", heartbeat_id="", now_ns=h.now),
    ]
    for step in steps:
        step()
        commit()
    store.close()
    return h, path


def test_a_restored_exchange_is_the_same_exchange_and_goes_on_the_same(tmp_path: Path) -> None:
    h, path = busy_exchange(tmp_path)
    assert {t["status"] for t in h.ex.trades(api_key="key-bob", market=None, asset_id=None, before=None,
                                             after=None)} == {"MINED", "MATCHED"}
    restarted = reopen(path, h.config, h.now)
    h.ex.tick(h.now)  # the restored exchange ticked once when it was built
    assert state(restarted.ex) == state(h.ex)

    h.clear()
    restarted.log.clear()
    for ex in (h, restarted):
        ex.advance(10)
    assert user_events(restarted) == user_events(h)
    assert {t["status"] for t in restarted.ex.trades(api_key="key-bob", market=None, asset_id=None,
                                                     before=None, after=None)} == {"CONFIRMED"}
    assert state(restarted.ex) == state(h.ex)


def test_the_duplicate_check_and_the_heartbeat_survive_a_restart(tmp_path: Path) -> None:
    h, path = busy_exchange(tmp_path)
    restarted = reopen(path, h.config, h.now + NS)
    again = restarted.place("alice", restarted.yes, "BUY", "0.30", "10", order_id="0x" + "c1" * 32)
    assert again.body == {"error": f"order {'0x' + 'c1' * 32} is invalid. Duplicated."}
    expected = h.ex.heartbeats.state("key-alice")
    assert expected is not None
    wrong = restarted.ex.heartbeat(api_key="key-alice", heartbeat_id="other", now_ns=restarted.now)
    assert wrong.status == 400
    assert wrong.body == {"error_msg": "Invalid Heartbeat ID", "heartbeat_id": expected[0]}
    right = restarted.ex.heartbeat(api_key="key-alice", heartbeat_id=expected[0], now_ns=restarted.now)
    assert right.status == 200


def test_what_fell_due_while_the_venue_was_down_happens_at_the_restart(tmp_path: Path) -> None:
    # accounts paid at resolution (the venue's opt-in): the payout is one more thing that fell due
    h, path = busy_exchange(tmp_path, VenueConfig(flow=False, auto_redeem_accounts=True))
    window = h.market()
    later = T0 + 400 * NS  # the 5 min window ended, the switch's 10 s are long over, every trade is final
    restarted = reopen(path, h.config, later)
    market = restarted.ex.catalogue.slug(SLUG)
    assert market is not None and market.closed and market.winner in (0, 1) and market.redeemed
    for who in ("alice", "bob", "carol", "dave"):
        assert restarted.ex.open_orders(api_key=f"key-{who}", order_id=None, market=window.condition_id,
                                        asset_id=None) == []
        assert restarted.shares(who, window.token_ids[0]) == restarted.shares(who, window.token_ids[1]) == 0
    statuses = {t["status"] for t in restarted.ex.trades(api_key="key-bob", market=None, asset_id=None,
                                                         before=None, after=None)}
    assert statuses == {"CONFIRMED"}
    assert restarted.ex.heartbeats.state("key-alice") is None  # the switch fired
    winner_shares = {who: h.shares(who, window.token_ids[market.winner]) for who in ("carol", "dave", "bob")}
    assert restarted.cash("carol") == h.cash("carol") + winner_shares["carol"]  # paid 1 pUSD a winning share
    current = restarted.ex.catalogue.ensure_windows(later)
    assert current == []  # the windows of now were listed at the restart


def test_a_fresh_file_loads_nothing_and_a_second_venue_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "var" / "venue.sqlite"
    assert not is_locked(path)
    store = Store(path)
    try:
        assert store.load(T0) is None
        assert is_locked(path)
        with pytest.raises(StateLocked):
            Store(path)
    finally:
        store.close()
    assert not is_locked(path)
    Store(path).close()


def test_a_file_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "venue.sqlite"
    store = Store(path)
    store.db.execute("UPDATE meta SET value = '0' WHERE key = 'version'")
    store.close()
    with pytest.raises(StateError, match="make reset-paper"):
        Store(path)
    assert not is_locked(path)


def test_balances_beyond_64_bits_round_trip(tmp_path: Path) -> None:
    h = Harness()
    big = 2**70
    h.ex.ledger.apply([(ADDRESSES["alice"], "", big)])
    store = Store(tmp_path / "venue.sqlite")
    store.journal(Collector(h.ex).collect(now_ns=h.now, everything=True))
    store.close()
    restarted = reopen(tmp_path / "venue.sqlite", h.config, h.now)
    assert restarted.cash("alice") == h.cash("alice") == big + units("10000")


def test_only_what_changed_is_written() -> None:
    h = Harness()
    collector = Collector(h.ex)
    first = collector.collect(now_ns=h.now, everything=True)
    assert first.markets and first.accounts and first.balances and first.blobs
    assert not collector.collect(now_ns=h.now, everything=True)  # nothing moved, the walk did not advance
    h.place("alice", h.yes, "BUY", "0.40", "20")
    batch = collector.collect(now_ns=h.now, everything=False)
    assert list(batch.orders) == list(h.ex.engine.orders_by_key["key-alice"])
    assert batch.balances == {} and batch.markets == {} and len(batch.seen) == 1  # reserving moves nothing
    h.place("bob", h.no, "BUY", "0.60", "5")  # a mint against alice's bid
    batch = collector.collect(now_ns=h.now, everything=False)
    assert {address: set(assets) for address, assets in batch.balances.items()} == {
        ADDRESSES["alice"]: {"", h.yes}, ADDRESSES["bob"]: {"", h.no}}
    assert len(batch.trades) == 1 and batch.markets  # the market's volume


@pytest.mark.parametrize(("what", "urgent"), [
    ("an external order rests", True),
    ("an external account is credited", True),
    ("a synthetic trader is credited", False),
    ("a market's volume moves", False),
    ("a market closes", True),
])
def test_what_a_client_will_hear_of_is_urgent(what: str, urgent: bool) -> None:
    changes = Changes()
    changes.external.add("0xabc")
    act: dict[str, Callable[[], None]] = {
        "an external order rests": lambda: changes.order("0x1"),
        "an external account is credited": lambda: changes.balance("0xabc"),
        "a synthetic trader is credited": lambda: changes.balance("0xf10a1"),
        "a market's volume moves": lambda: changes.market("0xc", urgent=False),
        "a market closes": lambda: changes.market("0xc"),
    }
    act[what]()
    assert changes.urgent is urgent


def test_the_synthetic_traders_orders_are_not_kept_and_quote_again(tmp_path: Path) -> None:
    config = VenueConfig(flow=True, intervals=("5m",), assets=("btc",), reward_markets=0)
    h = Harness(config)
    h.advance(3)
    assert any(o.internal for o in h.ex.engine.orders.values())
    store = Store(tmp_path / "venue.sqlite")
    store.write_tables(Collector(h.ex).collect(now_ns=h.now, everything=True))
    store.close()
    restarted = reopen(tmp_path / "venue.sqlite", config, h.now)
    assert not restarted.ex.engine.orders
    restarted.advance(1)
    assert any(o.internal for o in restarted.ex.engine.orders.values())
    assert restarted.ex.ledger.balances_of("0x00000000000000000000000000000000000f10a1") is not None


def test_a_snapshot_with_nothing_in_it_is_a_new_exchange() -> None:
    fresh, restored = Harness(), Harness(snapshot=Snapshot())
    assert [m.slug for m in restored.ex.catalogue.all()] == [m.slug for m in fresh.ex.catalogue.all()]


def killed(store: Store) -> None:
    """What SIGKILL leaves: the files as they are (the lock goes with the process)."""
    store._stop.set()
    store._close_files()


def test_a_killed_venue_loses_nothing_it_journaled(tmp_path: Path) -> None:
    h = Harness()
    path = tmp_path / "venue.sqlite"
    store = Store(path)
    collector = Collector(h.ex)
    store.write_tables(collector.collect(now_ns=h.now, everything=True))
    h.place("alice", h.yes, "BUY", "0.40", "20")
    store.journal(collector.collect(now_ns=h.now, everything=False))
    h.place("bob", h.no, "BUY", "0.60", "5")
    store.journal(collector.collect(now_ns=h.now, everything=False))
    killed(store)  # never written to the tables
    assert journal_path(path).stat().st_size > 0
    h.ex.tick(h.now)
    assert state(reopen(path, h.config, h.now).ex) == state(h.ex)
    assert journal_path(path).stat().st_size == 0  # applied to the tables at the restart


def test_a_record_cut_short_by_the_kill_is_dropped(tmp_path: Path) -> None:
    h = Harness()
    path = tmp_path / "venue.sqlite"
    store = Store(path)
    collector = Collector(h.ex)
    store.journal(collector.collect(now_ns=h.now, everything=True))
    h.place("alice", h.yes, "BUY", "0.40", "20")
    store.journal(collector.collect(now_ns=h.now, everything=False))
    killed(store)
    whole = journal_path(path).read_bytes()
    records = read_journal(whole)
    assert len(records) == 2
    journal_path(path).write_bytes(whole[:-3])  # the second record's last bytes never made it
    assert len(read_journal(journal_path(path).read_bytes())) == 1
    restarted = reopen(path, h.config, h.now)
    assert restarted.ex.open_orders(api_key="key-alice", order_id=None, market=None, asset_id=None) == []
    assert restarted.cash("alice") == units("10000")


def test_journaled_batches_fold_into_one_write_keeping_first_places() -> None:
    first = Batch(orders={"a": b"1", "b": b"2"}, trades={"t1": b"x"}, balances={"0x1": {"": 5, "tok": 3}})
    first.merge(Batch(orders={"a": None, "c": b"3"}, trades={"t2": b"y", "t1": b"z"},
                      balances={"0x1": {"tok": None}}, forget_seen_before_ns=7))
    assert first.orders == {"a": None, "b": b"2", "c": b"3"}
    assert list(first.trades.items()) == [("t1", b"z"), ("t2", b"y")]
    assert first.balances == {"0x1": {"": 5, "tok": None}} and first.forget_seen_before_ns == 7


def test_what_a_client_hears_of_is_journaled_and_the_tables_are_written_each_period(tmp_path: Path) -> None:
    h = Harness(VenueConfig(flow=False))
    path = tmp_path / "venue.sqlite"
    clock = [h.now]
    durable = Durable(Store(path), Collector(h.ex), lambda: clock[0], every_ms=1000)
    durable.flush(periodic=True, force=True)
    assert (durable.written, journal_path(path).stat().st_size) == (1, 0)
    h.ex.ledger.apply([("0x00000000000000000000000000000000000f10a1", "", 5)])  # a synthetic trader's
    durable.flush()
    assert durable.journaled == 0  # nobody hears of it: it waits for the period
    h.place("alice", h.yes, "BUY", "0.40", "20")
    assert durable.dirty()
    durable.flush(periodic=True)  # the period is not over: journaled only
    assert (durable.journaled, durable.written) == (1, 1) and journal_path(path).stat().st_size > 0
    clock[0] += 1_000 * 1_000_000
    durable.flush(periodic=True)
    assert (durable.written, journal_path(path).stat().st_size) == (2, 0)
    durable.close()
    restarted = reopen(path, h.config, h.now)
    assert restarted.ex.ledger.balance("0x00000000000000000000000000000000000f10a1") == 5 + units("10000")
    assert len(restarted.ex.engine.orders) == 1
