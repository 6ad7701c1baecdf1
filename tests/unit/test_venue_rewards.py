"""The venue pays liquidity rewards (issue #16 §5, PROTOCOL.md §8.2): samples at a random moment of each
interval, Q_min per maker with young orders left out, accrual per account and day, varied reward markets."""

from __future__ import annotations

import random

import msgspec
import pytest

from schemas.units import NS
from tests.support.venue_harness import ADDRESSES, Harness
from venue.config import VARIED_REWARD_SPECS, VenueConfig
from venue.persist import Collector, Snapshot, decode_batch
from venue.rewards import Rewards, utc_day

EVEN = "rewards-even-odds"


def harness(**kw: object) -> Harness:
    cfg = {"flow": False, "rewards_sample_s": 1.0, "rewards_min_order_age_s": 2, **kw}
    return Harness(VenueConfig(**cfg))  # type: ignore[arg-type]


def quote(h: Harness, slug: str = EVEN, alice: str = "0.49", bob_no: str = "0.48", size: str = "50") -> None:
    """Alice bids YES, Bob bids NO (a YES ask at 1 - bob_no): a two-sided book with a mid."""
    m = h.market(slug)
    assert h.place("alice", m.token_ids[0], "BUY", alice, size, post_only=True).status == 200
    assert h.place("bob", m.token_ids[1], "BUY", bob_no, size, post_only=True).status == 200


def earned(h: Harness, who: str) -> float:
    return sum(e.earned for e in h.ex.rewards.earnings(ADDRESSES[who]))


def test_the_venue_lists_varied_reward_markets() -> None:
    h = harness()
    by_slug = {m.slug: m for m in h.ex.catalogue.reward_markets()}
    for spec in VARIED_REWARD_SPECS:
        m = by_slug[spec.slug]
        assert (m.rewards_min_size, m.rewards_max_spread, m.rewards_daily_rate) == (
            spec.min_size, spec.max_spread, spec.daily_rate)
        assert m.window_end_s - m.window_start_s == spec.days * 86_400
    fairs = {s.slug: h.ex.oracle.fair(by_slug[s.slug], h.now) for s in VARIED_REWARD_SPECS[:3]}
    assert fairs == {"rewards-even-odds": 500_000, "rewards-longshot": pytest.approx(50_000, abs=2),
                     "rewards-favourite": pytest.approx(950_000, abs=2)}


def test_young_orders_do_not_score_then_both_makers_accrue() -> None:
    h = harness()
    quote(h)
    h.advance(1.9)  # one sample taken (in [1 s, 2 s)), but the orders are younger than 2 s
    assert h.ex.rewards.samples >= 1 and earned(h, "alice") == 0
    h.advance(4)
    a, b = earned(h, "alice"), earned(h, "bob")
    assert a > 0 and a == pytest.approx(b)  # same distance, same size, one side each: equal shares
    day = utc_day(h.now)
    cid = h.market(EVEN).condition_id
    assert 0 < h.ex.rewards.share(ADDRESSES["alice"], day, cid) <= 0.5


def test_each_sample_pays_its_slice_of_the_daily_pool() -> None:
    h = harness(rewards_min_order_age_s=0)
    quote(h)
    before = h.ex.rewards.samples
    h.advance(10)
    n = h.ex.rewards.samples - before
    slice_ = 60 * 1_000_000 / 86_400  # 60 pUSD a day, one-second samples
    assert earned(h, "alice") + earned(h, "bob") == pytest.approx(n * slice_, rel=0.25)


def test_outside_the_band_or_below_min_size_earns_nothing() -> None:
    h = harness(rewards_min_order_age_s=0)
    quote(h, alice="0.45", size="50")  # 5.5c from the mid 0.485+: beyond the 3.5c band
    h.place("carol", h.market(EVEN).token_ids[0], "BUY", "0.48", "10", post_only=True)  # below min 20
    h.advance(5)
    assert earned(h, "alice") == 0 and earned(h, "carol") == 0 and earned(h, "bob") > 0


def test_samples_fall_at_a_random_moment_of_each_interval() -> None:
    r = Rewards(sample_s=60, min_age_s=0, rng=random.Random(1), now_ns=0)
    seen = []
    for k in range(20):
        seen.append(r.next_ns)
        assert (k + 1) * 60 * NS <= r.next_ns < (k + 2) * 60 * NS
        r.sample(r.next_ns, [], [])
    assert len({t % (60 * NS) for t in seen}) == 20


def test_earnings_survive_a_restart() -> None:
    h = harness(rewards_min_order_age_s=0)
    quote(h)
    h.advance(4)
    batch = decode_batch(msgspec.msgpack.encode(Collector(h.ex).collect(now_ns=h.now, everything=True)))
    restored = Harness(h.config, snapshot=Snapshot(blobs=batch.blobs))
    assert earned(h, "alice") > 0
    assert earned(restored, "alice") == pytest.approx(earned(h, "alice"))


def test_order_scoring_waits_for_the_minimum_age() -> None:
    """PROTOCOL §8.1: an order scores only once it has been live long enough (as the samples count it)."""
    h = harness(rewards_min_order_age_s=3)
    quote(h)
    [order] = [o for o in h.ex.engine.orders.values() if o.address == ADDRESSES["alice"]]
    assert not h.ex.order_scoring(api_key="key-alice", order_id=order.order_id)
    h.advance(4)
    assert h.ex.order_scoring(api_key="key-alice", order_id=order.order_id)
