"""Pre-signing (issue 20 §3, ``actors/executor/core/presign.py``): the cache's rules as tables (what matches,
the age bound, used once, bounded, maker orders only, off on Polymarket by default) and parity: a
pre-signed order and its body are exactly what the hot path signs for the same salt and timestamp."""

from __future__ import annotations

import itertools
from pathlib import Path

import msgspec
import pytest

from actors.executor.config import ExecutorConfig, presign_cache
from actors.executor.core.presign import Job, PresignCache, key_of, offsets, wanted
from actors.executor.wire import signing
from actors.executor.wire.signing import OrderSigner, post_body
from bus.config import load
from clob.orders import SignedOrder
from clob.signer import Signer
from schemas import PlaceOrder
from venue_client.endpoints import LOCAL_TEST_PRIVATE_KEY

YES = str(2**255 - 12_345)  # CTF-like token ids (not Protocol-V2 position ids)
NO = str(2**255 - 54_321)
T0 = 1_800_000_000_000  # ms
MAX_AGE = 5_000


def cmd(**fields: object) -> PlaceOrder:
    base: dict[str, object] = dict(cmd_id="c1", holder="alpha", market="0xm", asset=YES, side="BUY",
                                   price=400_000, size=5_000_000, tick=10_000, neg_risk=False, slot="yes_bid")
    return PlaceOrder(**{**base, **fields})  # type: ignore[arg-type]


def fake_signed(template: PlaceOrder, price: int, ts: int, salt: int = 1) -> SignedOrder:
    return SignedOrder(order_id=f"0x{salt:064x}", salt=salt, maker="0xa", signer="0xa",
                       token_id=template.asset, maker_amount=price, taker_amount=template.size,
                       side=template.side, expiration=0, signature_type=0, timestamp_ms=ts, metadata="0x",
                       builder="0x", signature="0xs")


SALTS = itertools.count(1)


def filled(cache: PresignCache, now: int) -> int:
    """Run the idle slices (with fake signatures) until there is nothing left to do; returns how many."""
    n = 0
    while (job := cache.next_job(now)) is not None:
        cache.put(job, fake_signed(job.template, job.price, now, salt=next(SALTS)))
        n += 1
        assert n < 10_000
    return n


def ready_cache(template: PlaceOrder, *, ticks: int = 2, capacity: int = 64) -> PresignCache:
    cache = PresignCache(max_age_ms=MAX_AGE, ticks=ticks, capacity=capacity)
    cache.learn(template)
    filled(cache, T0)
    return cache


# -- what matches ---------------------------------------------------------------------------------

MATCH = [  # (id, the command sent after the template, hit?)
    ("same order, new cmd_id and ts", dict(cmd_id="c2", ts=5), True),
    ("one tick up", dict(price=410_000), True),
    ("two ticks down", dict(price=380_000), True),
    ("same price (a re-place after a fill)", dict(price=400_000, cmd_id="c3"), True),
    ("three ticks: outside the neighbourhood", dict(price=430_000), False),
    ("other token", dict(asset=NO), False),
    ("other side", dict(side="SELL"), False),
    ("other size", dict(size=6_000_000), False),
    ("other tick", dict(tick=1_000, price=401_000), False),
    ("other exchange (neg risk)", dict(neg_risk=True), False),
    ("other order type (GTD)", dict(order_type="GTD", expiration=1_900_000_000), False),
    ("not post-only (FAK taker exit)", dict(order_type="FAK", post_only=False, taker_exit=True), False),
    ("another holder's identical order matches too", dict(holder="beta", slot="x"), True),
]


@pytest.mark.parametrize(("change", "hit"), [m[1:] for m in MATCH], ids=[m[0] for m in MATCH])
def test_a_ready_order_is_sent_only_for_a_command_it_matches(change: dict[str, object], hit: bool) -> None:
    template = cmd()
    cache = ready_cache(template)
    wanted_cmd = msgspec.structs.replace(template, **change)
    order = cache.take(wanted_cmd, T0 + 1)
    assert (order is not None) is hit
    if order is not None:
        assert (order.token_id, order.side, order.maker_amount) == (wanted_cmd.asset, wanted_cmd.side,
                                                                   wanted_cmd.price)


# -- the age bound -------------------------------------------------------------------------------

AGES = [  # (age of the ready order when the command comes, handed out?)
    (0, True), (MAX_AGE // 2, True), (MAX_AGE, True), (MAX_AGE + 1, False), (10 * MAX_AGE, False)]


@pytest.mark.parametrize(("age", "sent"), AGES, ids=[f"age {a} ms" for a, _ in AGES])
def test_an_order_older_than_the_bound_is_never_handed_out(age: int, sent: bool) -> None:
    cache = ready_cache(cmd())
    order = cache.take(cmd(price=410_000), T0 + age)
    assert (order is not None) is sent
    assert cache.take(cmd(price=410_000), T0 + age) is None  # either way it is gone now
    assert cache.counts.expired == (not sent)


def test_idle_time_drops_expired_orders_and_re_signs_those_past_half_their_age() -> None:
    cache = ready_cache(cmd(), ticks=1)  # 410k, 390k, 400k
    assert len(cache) == 3 and cache.next_job(T0 + MAX_AGE // 2) is None  # nothing due yet
    job = cache.next_job(T0 + MAX_AGE // 2 + 1)
    assert job is not None  # the oldest is re-signed before it expires
    cache.put(job, fake_signed(job.template, job.price, T0 + MAX_AGE // 2 + 1, salt=99))
    assert len(cache) == 3
    later = T0 + MAX_AGE + 1
    job = cache.next_job(later)  # the two not re-signed expired: dropped, and signed again
    assert cache.counts.expired == 2 and len(cache) == 1 and job is not None
    assert all(later - o.timestamp_ms <= MAX_AGE for o in cache.ready.values())


# -- used once, bounded ----------------------------------------------------------------------------


def test_each_ready_order_is_used_once() -> None:
    cache = ready_cache(cmd())
    first = cache.take(cmd(price=410_000), T0)
    assert first is not None and cache.take(cmd(price=410_000), T0) is None
    assert (cache.counts.hits, cache.counts.misses) == (1, 1)
    filled(cache, T0 + 1)  # idle time signs that price again: a new salt, a new order
    again = cache.take(cmd(price=410_000), T0 + 1)
    assert again is not None and again.salt != first.salt


BOUNDS = [(1, 0), (4, 1), (16, 3), (64, 8)]  # (capacity, ticks)


@pytest.mark.parametrize(("capacity", "ticks"), BOUNDS, ids=[f"capacity {c}" for c, _ in BOUNDS])
def test_the_cache_is_bounded(capacity: int, ticks: int) -> None:
    cache = PresignCache(max_age_ms=MAX_AGE, ticks=ticks, capacity=capacity)
    for i in range(3 * capacity):  # many slots: more wanted orders than room
        cache.learn(cmd(slot=f"s{i}", price=100_000 + 10_000 * (i % 70)))
        filled(cache, T0 + i)
        assert len(cache) <= capacity and len(cache.templates) <= capacity
    for i in range(3 * capacity):
        cache.put(Job(cmd(), 400_000), fake_signed(cmd(), 400_000, T0, salt=i + 1))
        assert len(cache) <= capacity


def test_the_plan_covers_every_slot_nearest_price_first() -> None:
    assert offsets(2) == [1, -1, 2, -2, 0]
    cache = PresignCache(max_age_ms=MAX_AGE, ticks=2, capacity=6)
    cache.learn(cmd(slot="yes_bid", price=400_000))
    cache.learn(cmd(slot="no_bid", asset=NO, price=20_000))  # near the bottom of the grid
    plan = [(k.asset, k.price) for k in cache.plan()]
    assert plan == [(NO, 30_000), (YES, 410_000), (NO, 10_000), (YES, 390_000), (NO, 40_000), (YES, 420_000)]


MAKER_ONLY = [
    ("post-only GTC", dict(), True),
    ("GTD", dict(order_type="GTD", expiration=1_900_000_000), False),
    ("FAK taker exit", dict(order_type="FAK", post_only=False, taker_exit=True), False),
    ("GTC not post-only", dict(post_only=False), False),
]


@pytest.mark.parametrize(("change", "templated"), [m[1:] for m in MAKER_ONLY], ids=[m[0] for m in MAKER_ONLY])
def test_only_post_only_gtc_slots_are_pre_signed(change: dict[str, object], templated: bool) -> None:
    c = msgspec.structs.replace(cmd(), **change)
    assert wanted(c) is templated
    cache = PresignCache(max_age_ms=MAX_AGE)
    cache.learn(c)
    assert (filled(cache, T0) > 0) is templated


# -- configuration: off unless set (on Polymarket, live or dry run, and against the local venue) -------------

LIVE = {"PM_VENUE": "polymarket", "PM_DRY_RUN": "false"}
MODES = [  # (id, environment, the bound in force)
    ("live, default: off", LIVE, 0),
    ("dry run on polymarket, default: off", {"PM_VENUE": "polymarket", "PM_DRY_RUN": "true"}, 0),
    ("local venue, default: off", {"PM_VENUE": "local"}, 0),
    ("live, set: on", {**LIVE, "PM_EXEC_PRESIGN_MAX_AGE_MS": "800"}, 800),
    ("local, set: on", {"PM_VENUE": "local", "PM_EXEC_PRESIGN_MAX_AGE_MS": "10000"}, 10_000),
]


@pytest.mark.parametrize(("env", "bound"), [m[1:] for m in MODES], ids=[m[0] for m in MODES])
def test_pre_signing_is_off_unless_set(env: dict[str, str], bound: int) -> None:
    cfg = load(ExecutorConfig, environ=env, dotenv=Path("/dev/null"))
    assert cfg.presign_max_age_ms == bound
    signer = OrderSigner(Signer(LOCAL_TEST_PRIVATE_KEY), presigned=presign_cache(cfg))
    assert (signer.presigned is not None) is (bound > 0)
    assert signer.presign_one(T0) is False  # nothing learnt yet (or off)


# -- parity with the hot path ----------------------------------------------------------------------


@pytest.mark.parametrize("signature_type", [0, 3], ids=["EOA", "deposit wallet"])
def test_a_pre_signed_order_and_body_are_what_the_hot_path_signs(monkeypatch: pytest.MonkeyPatch,
                                                                 signature_type: int) -> None:
    key = Signer(LOCAL_TEST_PRIVATE_KEY)
    funder = "0x" + "ab" * 20 if signature_type == 3 else ""
    pre = OrderSigner(key, funder=funder, signature_type=signature_type,
                      presigned=PresignCache(max_age_ms=MAX_AGE, ticks=1))
    hot = OrderSigner(key, funder=funder, signature_type=signature_type)
    assert hot.presigned is None
    salts = iter(range(1000, 2000))
    monkeypatch.setattr(signing, "new_salt", lambda: next(salts))
    template = cmd(neg_risk=True)
    pre.sign(template, T0)  # sent on the hot path: now the slot's template
    assert pre.presign_one(T0 + 7)  # idle: the nearest price first (one tick up), salt 1001
    nxt = cmd(cmd_id="c2", price=410_000, neg_risk=True)
    sent = pre.sign(nxt, T0 + 50)
    assert sent.timestamp_ms == T0 + 7 and sent.salt == 1001  # the pre-signed one, not signed now
    expected = hot.sign_at(nxt, 1001, T0 + 7)
    assert sent == expected
    assert post_body([nxt], [sent], "owner-key") == post_body([nxt], [expected], "owner-key")
    assert pre.presigned is not None and pre.presigned.counts.hits == 1


def test_a_new_wallet_forgets_what_was_signed_for_the_old_one() -> None:
    signer = OrderSigner(Signer(LOCAL_TEST_PRIVATE_KEY), presigned=PresignCache(max_age_ms=MAX_AGE, ticks=1))
    signer.sign(cmd(), T0)
    while signer.presign_one(T0):
        pass
    assert signer.presigned is not None and len(signer.presigned) == 3
    signer.use_wallet("0x" + "cd" * 20)
    assert len(signer.presigned) == 0 and signer.sign(cmd(price=410_000), T0).maker == "0x" + "cd" * 20
    assert key_of(cmd()) == key_of(cmd(cmd_id="other", ts=9))


MOVES = [  # (id, the slot's places in order, ticks, the plan: prices)
    ("a move is repeated first", [400_000, 440_000], 1, [480_000, 450_000, 430_000, 440_000]),
    ("downwards too", [400_000, 380_000], 0, [360_000, 380_000]),
    ("no move yet", [400_000], 0, [400_000]),
    ("a move inside the ticks is not signed twice", [400_000, 410_000], 1, [420_000, 400_000, 410_000]),
    ("never off the grid", [30_000, 10_000], 0, [10_000]),
]


@pytest.mark.parametrize(("prices", "ticks", "plan"), [m[1:] for m in MOVES], ids=[m[0] for m in MOVES])
def test_the_slots_last_move_is_signed_first(prices: list[int], ticks: int, plan: list[int]) -> None:
    cache = PresignCache(max_age_ms=MAX_AGE, ticks=ticks)
    for i, price in enumerate(prices):
        cache.learn(cmd(cmd_id=f"c{i}", price=price))
    assert [k.price for k in cache.plan()] == plan


def test_a_new_size_forgets_the_move() -> None:
    cache = PresignCache(max_age_ms=MAX_AGE, ticks=0)
    cache.learn(cmd(price=400_000))
    cache.learn(cmd(price=440_000, size=6_000_000))
    assert [k.price for k in cache.plan()] == [440_000]
