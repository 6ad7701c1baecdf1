"""actors.market_feed.shards: leases -> subscriptions -> sockets, heartbeats and watchdogs (pure)."""

from __future__ import annotations

import json
import random
from typing import Any

import msgspec
import pytest

from actors.market_feed.core import MarketFeed
from actors.market_feed.effects import FeedEffects
from actors.market_feed.shards import Action, Close, Connect, Send, Shards, Timing
from schemas import Book, FeedStatus, Lease, LeaseRelease

MS = 1_000_000
T0 = 1_800_000_000_000_000_000
TIMING = Timing(ping_ns=100 * MS, pong_timeout_ns=300 * MS, stale_ns=500 * MS, asset_stale_ns=2000 * MS,
                snapshot_timeout_ns=400 * MS, backoff_min_ns=50 * MS, backoff_max_ns=1000 * MS, max_assets=3)


def make(**timing: int) -> tuple[MarketFeed, Shards]:
    feed = MarketFeed(depth=10, default_tick=10_000)
    return feed, Shards(feed, msgspec.structs.replace(TIMING, **timing), random.Random(7))


def pong(shards: Shards, feed: MarketFeed, now: int, conn: int = 1) -> None:
    shards.on_frame(conn, feed.on_frame("PONG", now), now)


def probes(actions: list[Action]) -> list[Any]:
    return [f for _, f in sent(actions) if f != "PING"]


def lease(assets: list[str], holder: str = "h1", market: str = "m1", ttl_ms: int = 60_000) -> Lease:
    yes, no = [*assets, "", ""][:2]
    assert len(assets) <= 2, "a lease names at most two tokens: use several markets"
    return Lease(holder=holder, market=market, yes_asset=yes, no_asset=no, ttl_ms=ttl_ms, ts=0)


def leases(shards: Shards, assets: list[str], now: int = T0) -> list[Action]:
    """Lease ``assets`` two per market (m1, m2, ...), as coordinators of several markets would."""
    actions: list[Action] = []
    for i in range(0, len(assets), 2):
        actions += shards.on_lease(lease(assets[i:i + 2], market=f"m{i // 2 + 1}"), 1, now, FeedEffects())
    return actions


def sent(actions: list[Action]) -> list[tuple[int, Any]]:
    """Send actions as (conn, decoded frame or text)."""
    out = []
    for a in actions:
        if isinstance(a, Send):
            out.append((a.conn, a.text if a.text == "PING" else json.loads(a.text)))
    return out


def book_frame(asset: str) -> str:
    return json.dumps({"event_type": "book", "asset_id": asset, "market": "m1", "timestamp": "1",
                       "bids": [{"price": "0.4", "size": "1"}], "asks": [{"price": "0.6", "size": "1"}]})


def opened(shards: Shards, feed: MarketFeed, now: int, *assets: str, conn: int = 1) -> None:
    """Open socket ``conn`` and deliver a snapshot for each asset."""
    shards.on_open(conn, now)
    for asset in assets:
        fx = feed.on_frame(book_frame(asset), now)
        shards.on_frame(conn, fx, now)


def statuses(fx: FeedEffects) -> list[tuple[str, bool, str]]:
    return [(m.asset, m.live, m.reason) for _, m in fx.publishes if isinstance(m, FeedStatus)]


def sub(op: str, assets: list[str]) -> dict[str, Any]:
    return {"operation": op, "assets_ids": assets, "custom_feature_enabled": True}


def test_first_lease_opens_a_socket_that_subscribes_everything_at_once() -> None:
    _feed, shards = make()
    fx = FeedEffects()
    assert shards.on_lease(lease(["a", "b"]), run=1, now=T0, fx=fx) == [Connect(1)]
    assert statuses(fx) == [("a", False, "subscribing"), ("b", False, "subscribing")]
    actions = shards.on_open(1, T0 + 1)
    assert sent(actions) == [(1, {"type": "market", "assets_ids": ["a", "b"], "custom_feature_enabled": True,
                                  "initial_dump": True})]


def test_assets_added_to_a_live_socket_use_operation_frames_never_twice() -> None:
    _feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    shards.on_open(1, T0)
    actions = shards.on_lease(lease(["a", "b"]), 1, T0 + 1, FeedEffects())
    assert sent(actions) == [(1, sub("subscribe", ["b"]))]
    # the same assets from a second holder: nothing new to subscribe
    assert sent(shards.on_lease(lease(["b", "a"], holder="h2"), 1, T0 + 2, FeedEffects())) == []
    assert shards.conns[1].sent == {"a", "b"}


def test_sockets_are_sharded_at_max_assets() -> None:
    _feed, shards = make()
    actions = leases(shards, ["a", "b", "c", "d", "e"])
    assert actions == [Connect(1), Connect(2)]
    assert list(shards.conns[1].assets) == ["a", "b", "c"] and list(shards.conns[2].assets) == ["d", "e"]


def test_release_unsubscribes_and_an_empty_socket_is_closed() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a", "b"]), 1, T0, FeedEffects())
    shards.on_lease(lease(["b", "c"], holder="h2"), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a", "b", "c")
    fx = FeedEffects()
    actions = shards.on_release(LeaseRelease(holder="h1", market="m1", ts=0), T0 + 1, fx)
    assert sent(actions) == [(1, sub("unsubscribe", ["a"]))]  # b is still wanted by h2
    assert statuses(fx) == [("a", False, "unsubscribed")]
    actions = shards.on_release(LeaseRelease(holder="h2", market="m1", ts=0), T0 + 2, FeedEffects())
    assert actions == [Send(1, json.dumps(sub("unsubscribe", ["b", "c"]), separators=(",", ":"))), Close(1)]
    assert shards.conns == {} and feed.assets == {}


def test_a_lease_expires_without_renewal() -> None:
    feed, shards = make(pong_timeout_ns=10_000 * MS)
    shards.on_lease(lease(["a"], ttl_ms=1000), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a")
    shards.on_lease(lease(["a"], ttl_ms=1000), 1, T0 + 800 * MS, FeedEffects())  # renewed
    assert Close(1) not in shards.tick(T0 + 1500 * MS, FeedEffects())
    fx = FeedEffects()
    actions = shards.tick(T0 + 1801 * MS, fx)
    assert sent(actions) == [(1, sub("unsubscribe", ["a"]))] and Close(1) in actions
    assert ("warning", "lease_expired", {"holder": "h1", "market": "m1"}) in fx.notes


def test_a_new_holder_or_a_restarted_one_gets_the_last_book_at_once() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a")
    fx = FeedEffects()
    shards.on_lease(lease(["a"]), 1, T0 + 1, fx)  # plain renewal
    assert fx.publishes == []
    shards.on_lease(lease(["a"], holder="h2"), 5, T0 + 2, fx)  # a late joiner
    shards.on_lease(lease(["a"]), 2, T0 + 3, fx)  # h1 restarted: a new run id
    assert [type(m) for _, m in fx.publishes] == [Book, FeedStatus, Book, FeedStatus]


def test_ping_every_period_and_pong_timeout_reconnects() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a")
    assert sent(shards.tick(T0 + 50 * MS, FeedEffects())) == []
    assert sent(shards.tick(T0 + 100 * MS, FeedEffects())) == [(1, "PING")]
    fx = feed.on_frame("PONG", T0 + 110 * MS)
    shards.on_frame(1, fx, T0 + 110 * MS)
    assert sent(shards.tick(T0 + 200 * MS, FeedEffects())) == [(1, "PING")]
    fx = FeedEffects()
    actions = shards.tick(T0 + 411 * MS, fx)  # no PONG since 110 ms
    assert Close(1) in actions and shards.conns[1].state == "down"
    assert statuses(fx) == [("a", False, "reconnecting")]
    assert fx.notes[0][2]["why"] == "pong_timeout"


def test_reconnect_backoff_is_jittered_capped_and_resets_on_data() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    now, delays = T0, []
    for _ in range(8):
        shards.on_closed(1, "reconnecting", now, FeedEffects())
        delay = shards.conns[1].due_ns - now
        delays.append(delay)
        assert shards.tick(now + delay - 1, FeedEffects()) == []
        assert shards.tick(now + delay, FeedEffects()) == [Connect(1)]
        now += delay
    assert all(25 * MS <= d <= 1000 * MS for d in delays)
    assert delays[0] <= 50 * MS and delays[-1] >= 500 * MS  # grows to the cap
    opened(shards, feed, now, "a")  # data arrived: back-off starts over
    shards.on_closed(1, "reconnecting", now, FeedEffects())
    assert shards.conns[1].due_ns - now <= 50 * MS


def test_connect_failure_and_late_open_of_a_closed_socket() -> None:
    _feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    fx = FeedEffects()
    shards.on_closed(1, "reconnecting", T0 + 1, fx)  # the connect failed
    assert statuses(fx) == [("a", False, "reconnecting")]
    assert shards.on_open(1, T0 + 2) == [Close(1)]  # not connecting any more: close what opened
    assert shards.on_open(99, T0 + 2) == [Close(99)]


def test_silent_socket_is_probed_then_reconnected_when_the_snapshot_does_not_come() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a", "b"]), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a", "b")
    for step in range(1, 6):  # PONGs keep coming: only data silence can tell
        shards.on_frame(1, feed.on_frame("PONG", T0 + step * 100 * MS), T0 + step * 100 * MS)
    feed.on_frame(book_frame("b"), T0 + 10 * MS)  # b had an event more recently than a
    shards.on_frame(1, feed.on_frame("PONG", T0 + 501 * MS), T0 + 501 * MS)
    actions = shards.tick(T0 + 501 * MS, FeedEffects())
    assert probes(actions) == [sub("unsubscribe", ["a"]), sub("subscribe", ["a"])]
    shards.on_frame(1, feed.on_frame("PONG", T0 + 800 * MS), T0 + 800 * MS)
    assert probes(shards.tick(T0 + 800 * MS, FeedEffects())) == []  # waiting for the probe's snapshot
    fx = FeedEffects()
    actions = shards.tick(T0 + 902 * MS, fx)
    assert Close(1) in actions and fx.notes[-1][2]["why"] == "no_snapshot"
    assert sorted(statuses(fx)) == [("a", False, "stale"), ("b", False, "stale")]


def test_probe_answered_keeps_the_socket() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a")
    shards.on_frame(1, feed.on_frame("PONG", T0 + 501 * MS), T0 + 501 * MS)
    assert len(probes(shards.tick(T0 + 501 * MS, FeedEffects()))) == 2
    fx = feed.on_frame(book_frame("a"), T0 + 520 * MS)
    shards.on_frame(1, fx, T0 + 520 * MS)
    assert [type(m) for _, m in fx.publishes] == [Book]  # no liveness blip for a quiet healthy market
    shards.on_frame(1, feed.on_frame("PONG", T0 + 950 * MS), T0 + 950 * MS)
    assert Close(1) not in shards.tick(T0 + 950 * MS, FeedEffects())


def test_one_silent_asset_on_a_busy_socket_is_probed_after_the_longer_bound() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a", "b"]), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a", "b")
    now = T0
    while now < T0 + 2001 * MS:  # b keeps trading, a goes silent
        now += 100 * MS
        shards.on_frame(1, feed.on_frame(book_frame("b"), now), now)
        shards.on_frame(1, feed.on_frame("PONG", now), now)
        asked = probes(shards.tick(now, FeedEffects()))
        if now - T0 <= 2000 * MS:
            assert asked == []
    assert asked == [sub("unsubscribe", ["a"]), sub("subscribe", ["a"])]


def test_unknown_assets_are_asked_again_but_never_cause_a_reconnect() -> None:
    feed, shards = make()
    shards.on_lease(lease(["ghost"]), 1, T0, FeedEffects())
    shards.on_open(1, T0)
    shards.on_frame(1, feed.on_frame("[]", T0 + 1), T0 + 1)  # the venue does not know it
    now, actions = T0, []
    for step in range(1, 30):
        now = T0 + step * 100 * MS
        shards.on_frame(1, feed.on_frame("PONG", now), now)
        actions += shards.tick(now, FeedEffects())
    assert Close(1) not in actions
    assert probes(actions) == [sub("unsubscribe", ["ghost"]), sub("subscribe", ["ghost"])]


def test_a_reopened_socket_without_snapshots_is_reconnected_again() -> None:
    feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    opened(shards, feed, T0, "a")
    shards.on_closed(1, "reconnecting", T0 + 1, FeedEffects())
    shards.tick(T0 + 100 * MS, FeedEffects())
    shards.on_open(1, T0 + 100 * MS)  # reopened during a freeze: no dump comes
    pong(shards, feed, T0 + 450 * MS)
    fx = FeedEffects()
    assert Close(1) in shards.tick(T0 + 501 * MS, fx)
    assert fx.notes[-1][2]["why"] == "no_snapshot"


def test_resnapshot_only_for_assets_on_a_live_socket() -> None:
    feed, shards = make()
    leases(shards, ["a", "b", "c", "d"])
    opened(shards, feed, T0, "a")
    assert sent(shards.resnapshot(["a", "d", "zz"])) == [(1, sub("unsubscribe", ["a"])),
                                                         (1, sub("subscribe", ["a"]))]


@pytest.mark.parametrize("attempts", [1, 5, 40])
def test_backoff_never_exceeds_the_cap(attempts: int) -> None:
    _feed, shards = make()
    shards.on_lease(lease(["a"]), 1, T0, FeedEffects())
    shards.conns[1].attempts = attempts
    shards.on_closed(1, "reconnecting", T0, FeedEffects())
    assert shards.conns[1].due_ns - T0 <= TIMING.backoff_max_ns
